"""The rule registry: each rule registers its id (from DOMAIN.md), owner, severity, when it
fires and the thresholds it reads. ``python run.py rules`` and docs/rules.md are generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable, Iterable

from .context import RuleContext
from .findings import Finding


@dataclass(frozen=True)
class Rule:
    id: str
    owner: str
    severity: str
    when: str
    thresholds: tuple[str, ...]
    check: Callable[[RuleContext], Iterable[Finding]] | None
    needs: tuple[tuple[str, str], ...] = ()
    """(tracker, column) pairs without which the rule stays quiet rather than read blanks as 'no'."""

    @property
    def family(self) -> str:
        return self.id.split(".")[0]


RULES: dict[str, Rule] = {}


def rule(id: str, *, owner: str, severity: str, when: str, thresholds: tuple[str, ...] = (),
         needs: tuple[tuple[str, str], ...] = ()):
    """Register a check. A check takes the context and yields findings; ``needs`` names the optional
    columns it reads, so that ``check`` can say which rules a practice's sheets switch off."""

    def register(check: Callable[[RuleContext], Iterable[Finding]]):
        RULES[id] = Rule(id, owner, severity, when, thresholds, check, needs)
        return check

    return register


def declare(id: str, *, owner: str, severity: str, when: str, thresholds: tuple[str, ...] = ()) -> None:
    """A rule whose findings come from elsewhere (the reader, the message policy), listed all the same."""
    RULES[id] = Rule(id, owner, severity, when, thresholds, None)


def rules_switched_off(present: frozenset[str], columns: dict[str, frozenset[str]]) -> list[str]:
    """One line per optional column a kept tracker lacks, with the rules that stay quiet for it."""
    missing: dict[tuple[str, str], list[str]] = {}
    for registered in RULES.values():
        for tracker, column in registered.needs:
            if tracker in present and tracker in columns and column not in columns[tracker]:
                missing.setdefault((tracker, column), []).append(registered.id)
    return [f"the {tracker} tracker has no {column} column, so {', '.join(sorted(ids))} "
            f"{'is' if len(ids) == 1 else 'are'} off; add the column (or map it in [trackers.{tracker}.columns]) "
            f"to switch {'it' if len(ids) == 1 else 'them'} on"
            for (tracker, column), ids in sorted(missing.items())]


TITLES = {
    "data.missing_required": "Required cell empty", "data.bad_value": "Cell cannot be read",
    "data.duplicate_id": "Same id on two rows", "data.unknown_reference": "Id or name not found",
    "data.formula_error": "Formula error in a cell", "data.unknown_code": "Code does not exist",
    "scheduling.provider_double_booked": "Clinician double-booked", "scheduling.client_double_booked":
    "Client double-booked", "scheduling.missing_telehealth_link": "Video link missing",
    "scheduling.status_not_updated": "Session status not updated", "scheduling.intake_forms_missing":
    "Intake forms missing", "scheduling.insurance_unverified": "Insurance not verified",
    "scheduling.reminder_blocked": "Reminder cannot be emailed", "scheduling.waitlist_stale": "Waitlist follow-up due",
    "scheduling.waitlist_match": "Waitlist match", "billing.unbilled_session": "Session not billed",
    "billing.claim_without_session": "Claim with no session", "billing.no_show_billed": "No-show billed to insurance",
    "billing.cpt_time_mismatch": "Code does not fit the minutes", "billing.below_minimum_time":
    "Too short to bill as therapy", "billing.multiple_time_codes": "Two therapy codes on one day",
    "billing.addon_without_base": "Add-on code without its base", "billing.telehealth_pos_mismatch":
    "Wrong place of service", "billing.telehealth_modifier_missing": "Telehealth modifier missing",
    "billing.duplicate_claim": "Duplicate claim", "billing.timely_filing_risk": "Filing deadline near",
    "billing.unpaid_followup": "Claim unpaid, follow up", "billing.denial_open": "Denied claim open",
    "billing.balance_due": "Client balance overdue", "billing.gfe_missing": "Good Faith Estimate missing",
    "billing.code_pair_conflict": "Codes that cannot go together", "billing.telehealth_modifier_on_in_person":
    "Telehealth modifier on office visit", "billing.claim_rejected": "Claim rejected, resubmit",
    "credentialing.caqh_attestation_due": "CAQH attestation due", "credentialing.recredentialing_due":
    "Recredentialing due", "credentialing.license_expiring": "License expiring",
    "credentialing.associate_billing": "Associate billed under own name", "credentialing.malpractice_expiring":
    "Malpractice cover expiring", "credentialing.application_followup": "Panel application follow-up",
    "credentialing.not_in_network_for_session": "Seeing clients out of network",
    "authorizations.near_limit": "Authorization nearly used", "authorizations.exceeded": "Authorization exceeded",
    "authorizations.expiring": "Authorization ending", "authorizations.session_outside_dates":
    "Session outside authorization dates", "authorizations.missing": "Authorization missing",
    "authorizations.count_mismatch": "Sessions-used count wrong", "authorizations.eap_report_due": "EAP report due",
    "compliance.baa_renewal_due": "BAA renewal due", "compliance.roi_expiring": "Release of information expiring",
    "compliance.privacy_notice_missing": "Privacy notice not signed", "compliance.message_blocked":
    "Message not sent (no secure channel)", "compliance.message_failed": "Message could not be delivered",
    "compliance.consent_missing": "Consent missing", "compliance.minor_consent_missing": "Guardian consent missing",
}
"""A plain title per rule, in the practice's words: the work queue's first words for each finding."""


def title_of(rule_id: str) -> str:
    return TITLES.get(rule_id, rule_id)


def problem_of(finding: Finding) -> str:
    """The plain title of one finding: its rule's, unless the finding says better (a license that
    already expired is "License expired", not "License expiring")."""
    return str(finding.details.get("title") or title_of(finding.rule))
