"""Every number a rule compares against, with its default from DOMAIN.md.

The config overrides any of them for the whole practice in ``[rules]`` and, for the ones a
contract decides, per payer in ``[payers."Name"]``. Rules ask ``Thresholds.for_payer`` and never
hold a number of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace


@dataclass(frozen=True)
class Thresholds:
    unbilled_after_days: int = field(default=3, metadata={"doc": "days after a completed session before a missing claim is reported"})
    near_limit_sessions: int = field(default=2, metadata={"doc": "sessions left on an authorization at or under which it is near its limit"})
    psychotherapy_min_minutes: int = field(default=16, metadata={"doc": "fewest minutes billable as 90832"})
    code_90834_min_minutes: int = field(default=38, metadata={"doc": "fewest minutes for 90834/90836"})
    code_90837_min_minutes: int = field(default=53, metadata={"doc": "fewest minutes for 90837/90838"})
    crisis_min_minutes: int = field(default=30, metadata={"doc": "fewest minutes for 90839"})
    crisis_addon_minutes: int = field(default=75, metadata={"doc": "total minutes at which the first +90840 is due"})
    family_min_minutes: int = field(default=26, metadata={"doc": "fewest minutes for 90846/90847"})
    timely_filing_days: int = field(default=90, metadata={"doc": "days from the date of service to the payer's filing limit", "payer": True})
    telehealth_pos: str = field(default="10", metadata={"doc": "place of service the payer wants for telehealth", "payer": True})
    telehealth_modifier: str = field(default="95", metadata={"doc": "modifier the payer wants on video sessions", "payer": True})
    auth_required: bool = field(default=False, metadata={"doc": "whether the payer requires a prior authorization", "payer": True})
    payer_overrides: dict = field(default_factory=dict, compare=False, repr=False)

    def for_payer(self, payer: str | None) -> "Thresholds":
        """The practice's thresholds with this payer's overrides applied (names folded)."""
        if not payer:
            return self
        from ..trackers.values import fold

        override = self.payer_overrides.get(fold(payer))
        return replace(self, **override) if override else self


def threshold_names(payer_only: bool = False) -> list[str]:
    return [f.name for f in fields(Thresholds)
            if f.name != "payer_overrides" and (not payer_only or f.metadata.get("payer"))]
