"""The finding: what a rule reports, in the shape of the --json contract of DESIGN.md."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

SEVERITIES = ("info", "warning", "urgent")
OWNERS = ("va", "clinician", "billing", "owner")
OWNER_NAMES = {"va": "Front desk", "clinician": "Clinician", "billing": "Billing", "owner": "Owner"}
"""Owners as people say them: the queue, the digests and the summary print these, never the ids."""
SEVERITY_NAMES = {"urgent": "Urgent", "warning": "Soon", "info": "FYI"}
OVERDUE = "Overdue"


def overdue(finding: Finding, today: date | None) -> bool:
    """Past its due date: said "Overdue" whatever its severity (a "Soon" due three weeks ago is not soon)."""
    return today is not None and finding.due is not None and finding.due < today


def urgency_name(finding: Finding, today: date | None) -> str:
    """What a person reads for how pressing a finding is: Overdue, Urgent, Soon or FYI."""
    return OVERDUE if overdue(finding, today) else SEVERITY_NAMES[finding.severity]


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    owner: str
    message: str
    refs: dict[str, str]
    due: date | None = None
    key: str = ""
    """Extra identity for rules that can fire twice on the same records (e.g. which cell)."""
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        if self.owner not in OWNERS:
            raise ValueError(f"unknown owner {self.owner!r}")

    @cached_property
    def id(self) -> str:
        """Stable across runs: the rule and the records it rests on, never the wording or the date.
        Where a finding names a record, the row it sits on is not part of its identity, so sorting
        or inserting rows, or reading the same tracker from Google Sheets, keeps it."""
        refs = self.refs
        if "sheet_row" in refs and len(refs) > 1:
            refs = {kind: ref for kind, ref in refs.items() if kind != "sheet_row"}
        identity = json.dumps([self.rule, sorted(refs.items()), self.key], separators=(",", ":"))
        return "f-" + hashlib.sha256(identity.encode()).hexdigest()[:10]

    def to_dict(self) -> dict[str, Any]:
        data = {"id": self.id, "rule": self.rule, "severity": self.severity, "owner": self.owner,
                "message": self.message, "due": self.due.isoformat() if self.due else None,
                "refs": dict(self.refs)}
        if self.details:
            data["details"] = self.details
        if self.key:
            data["key"] = self.key
        return data


def from_dict(data: dict[str, Any]) -> Finding:
    """A finding stored by ``to_dict`` (the ledger keeps the message jobs' findings this way)."""
    due = data.get("due")
    return Finding(rule=data["rule"], severity=data["severity"], owner=data["owner"], message=data["message"],
                   refs=dict(data["refs"]), due=date.fromisoformat(due) if due else None, key=data.get("key", ""),
                   details=data.get("details", {}))


def sort_key(finding: Finding) -> tuple[Any, ...]:
    """Soonest due first, then the most severe; undated findings last."""
    return (finding.due or date.max, -SEVERITIES.index(finding.severity), finding.rule, finding.id)
