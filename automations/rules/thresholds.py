"""Every number a rule compares against, with its default from DOMAIN.md.

The config overrides any of them for the whole practice in ``[rules]`` and per payer in
``[payers."Name"]``. Rules ask ``Thresholds.for_payer`` and never hold a number of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..trackers.values import fold

PROGRAMS = ("medicare", "medicaid")
PROGRAM_DEFAULTS: dict[str, dict[str, object]] = {
    "medicare": {"timely_filing_days": 365, "appeal_days": 120, "appeal_decision_days": 60,
                 "telehealth_pos": ("02", "10"), "telehealth_modifier": "", "audio_modifier": "93",
                 "overpayment_refund_days": 60},
    "medicaid": {"timely_filing_days": 365, "overpayment_refund_days": 60},
}
"""What DOMAIN.md says of Medicare and Medicaid ("Payers known by name"): a payer of the program carries
these unless its own ``[payers."Name"]`` table sets the key."""
STATE_MEDICAID_PLANS = ("medi-cal", "medi cal", "tenncare", "masshealth", "apple health", "soonercare", "badgercare",
                        "mo healthnet", "husky health", "kancare", "ahcccs", "nj familycare", "health first colorado",
                        "centennial care")
"""State Medicaid programs known by a name that does not say Medicaid (matched in the lower-cased name)."""


def program_by_name(payer: str) -> str | None:
    """``medicare`` or ``medicaid`` where the payer's name says so (Medicare Part B, Medi-Cal, TennCare)."""
    text = re.sub(r"\s+", " ", payer.lower())
    if "medicare" in text:
        return "medicare"
    if "medicaid" in text or any(plan in text for plan in STATE_MEDICAID_PLANS):
        return "medicaid"
    return None


def _t(default: Any, doc: str, type_: object = None) -> Any:
    """A threshold: its default from DOMAIN.md, what it means, and (where it is not the default's
    type) what the config may give."""
    return field(default=default, metadata={"doc": doc, "type": type_ or type(default)})


@dataclass(frozen=True)
class Thresholds:
    # billing
    unbilled_after_days: int = _t(3, "days after a completed session before a missing claim is reported")
    timely_filing_days: int = _t(90, "days from the date of service to the payer's filing limit")
    filing_warning_days: int = _t(14, "days before the filing limit at which an unsubmitted claim is at risk")
    filing_urgent_days: int = _t(3, "days before the filing limit from which an unsubmitted claim is urgent")
    appeal_days: int = _t(180, "days from the denial date in which the payer accepts an appeal (Medicare: 120)")
    overpayment_refund_days: int = _t(0, "days in which an identified overpayment must be returned (0: no "
                                         "statutory window; Medicare and Medicaid are always 60)")
    unpaid_after_days: int = _t(30, "days after submission before an unpaid claim needs a follow-up")
    appeal_decision_days: int = _t(60, "days the payer takes to decide an appeal, from the appeal (or, with no "
                                       "appeal date, the denial), before it is followed up (Medicare "
                                       "redetermination: 60)")
    balance_after_days: int = _t(30, "days a client balance may stand before a notice")
    telehealth_pos: str | tuple[str, ...] = _t(("02", "10"), "place(s) of service the payer accepts for video and "
                                                          "phone sessions, one code or a list (\"\": none; bill "
                                                          "the office POS)", str | list[str])
    telehealth_modifier: str = _t("", "modifier the payer wants on video sessions, e.g. 95 or GT (empty: none, as "
                                      "Medicare professional claims since 2024)")
    audio_modifier: str = _t("", "modifier the payer wants on audio-only sessions, e.g. 93 (empty: none)")
    office_pos: str = _t("11", "place of service for in-person sessions")
    psychotherapy_min_minutes: int = _t(16, "fewest minutes billable as 90832")
    code_90834_min_minutes: int = _t(38, "fewest minutes for 90834/90836")
    code_90837_min_minutes: int = _t(53, "fewest minutes for 90837/90838")
    crisis_min_minutes: int = _t(30, "fewest minutes for 90839")
    crisis_addon_minutes: int = _t(75, "total minutes at which the first +90840 is due")
    family_min_minutes: int = _t(26, "fewest minutes for 90846/90847")
    # scheduling
    default_session_minutes: int = _t(50, "length assumed for an appointment with no duration")
    telehealth_link_days: int = _t(3, "days ahead in which a video session must have its link")
    status_update_days: int = _t(1, "days after an appointment by which its status must be updated")
    intake_forms_days: int = _t(2, "days before a first appointment by which intake forms are due")
    insurance_verify_days: int = _t(3, "days before a first appointment by which insurance is verified")
    waitlist_stale_days: int = _t(14, "days a waitlisted prospect may go without contact")
    # credentialing
    credentials_associates: bool = _t(False, "whether the payer credentials pre-licensed clinicians to bill "
                                             "under their own name")
    caqh_attestation_days: int = _t(120, "days between CAQH attestations (180 in Illinois)")
    caqh_warning_days: int = _t(15, "days before the CAQH attestation falls due at which to warn")
    recredential_warning_days: int = _t(60, "days before recredential_due at which to warn")
    license_warning_days: int = _t(60, "days before a license expires at which to warn")
    license_urgent_days: int = _t(14, "days before a license expires at which the warning is urgent")
    malpractice_warning_days: int = _t(30, "days before malpractice cover expires at which to warn")
    application_followup_days: int = _t(14, "days a pending application may go without a follow-up")
    # authorizations
    auth_required: bool = _t(False, "whether the payer requires a prior authorization")
    near_limit_sessions: int = _t(2, "sessions left at or under which an authorization is near its limit")
    auth_expiring_days: int = _t(14, "days before an authorization's end date at which to warn")
    eap_report_warning_days: int = _t(7, "days before an EAP utilization report is due at which to warn")
    eap_report_overdue_days: int = _t(30, "days after an EAP report's due date that it is still reported as overdue")
    # compliance
    baa_warning_days: int = _t(60, "days before a BAA expires at which to warn")
    roi_warning_days: int = _t(30, "days before a release of information expires at which to warn")
    referral_open_days: int = _t(14, "days after its receipt a contacted referral may stay without an outcome")
    age_of_consent: int = 18
    """From ``[practice] age_of_consent``: a state's fact, not a payer's, so not a [rules] key."""
    reminder_hours: int = 48
    """From ``[reminders] hours_before`` (its earliest reminder): when the reminders job sends one is
    when a reminder that cannot go is due, one setting for both."""
    referral_contact_business_days: int = 1
    """From ``[referrals] contact_business_days``: a referral's first contact is due this many business
    days after it arrives."""
    recall_days: int = 21
    """From ``[recall] days``: an active client with nothing booked this long after their last session
    (unless their own rhythm says otherwise) is called."""
    reminder_channels: tuple[str, ...] = ("email",)
    """From ``[reminders] channels`` (``sms`` only with an [sms] table): a client any of them can reach
    is not the VA's to phone."""
    payer_overrides: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)
    payer_aliases: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    """Folded alias -> folded canonical payer name, from the config's ``aliases`` lists."""
    payer_programs: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    """Folded payer name or alias -> ``program`` from its config table (a plan whose name does not say so)."""

    def payer_key(self, payer: str | None) -> str:
        """One key per payer, however the trackers spell it (`BCBS`, `BlueCross BlueShield`)."""
        folded = fold(payer or "")
        return self.payer_aliases.get(folded, folded)

    def identity(self) -> str:
        """Everything a rule's answer rests on, payers' tables included: what a kept check is keyed by."""
        return repr((self, sorted(self.payer_overrides.items(), key=repr), sorted(self.payer_aliases.items()),
                     sorted(self.payer_programs.items())))

    def program_of(self, payer: str | None) -> str | None:
        """``medicare``, ``medicaid`` or None: the payer's ``program`` key, else what its name says."""
        if not payer:
            return None
        folded = fold(payer)
        return (self.payer_programs.get(folded) or self.payer_programs.get(self.payer_key(payer))
                or program_by_name(payer))

    def for_payer(self, payer: str | None) -> Thresholds:
        """The practice's thresholds for this payer: DOMAIN.md's defaults, the ``[rules]`` table, the
        defaults of the payer's program (Medicare, Medicaid), then the payer's own table (names folded)."""
        if not payer:
            return self
        program = self.program_of(payer)
        override = self.payer_overrides.get(fold(payer)) or self.payer_overrides.get(self.payer_key(payer))
        changes = {**PROGRAM_DEFAULTS.get(program or "", {}), **(override or {})}
        return replace(self, **changes) if changes else self


    def telehealth_places(self) -> tuple[str, ...]:
        """The POS codes the payer accepts for telehealth; the office POS where it wants none."""
        from .codes import normalise_pos

        wanted = (self.telehealth_pos,) if isinstance(self.telehealth_pos, str) else tuple(self.telehealth_pos)
        places = tuple(p for p in (normalise_pos(w) for w in wanted) if p)
        return places or (self.office_pos,)


def threshold_fields() -> list[Any]:
    return [f for f in fields(Thresholds) if f.metadata]


def threshold_names() -> list[str]:
    return [f.name for f in threshold_fields()]
