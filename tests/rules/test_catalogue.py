"""The rule catalogue of DOMAIN.md is a contract: every id is implemented, documented and tested."""

import re

import pytest

from automations.docs import generated
from automations.rules import RULES
from tests.conftest import ROOT

CATALOGUE = {
    "data.missing_required", "data.bad_value", "data.duplicate_id", "data.unknown_reference", "data.formula_error",
    "data.unknown_code",
    "scheduling.provider_double_booked", "scheduling.client_double_booked", "scheduling.missing_telehealth_link",
    "scheduling.status_not_updated", "scheduling.intake_forms_missing", "scheduling.insurance_unverified",
    "scheduling.reminder_blocked", "scheduling.waitlist_stale", "scheduling.waitlist_match",
    "billing.unbilled_session", "billing.claim_without_session", "billing.no_show_billed", "billing.cpt_time_mismatch",
    "billing.below_minimum_time", "billing.multiple_time_codes", "billing.addon_without_base",
    "billing.telehealth_pos_mismatch", "billing.telehealth_modifier_missing", "billing.duplicate_claim",
    "billing.timely_filing_risk", "billing.unpaid_followup", "billing.denial_open", "billing.balance_due",
    "billing.gfe_missing", "billing.code_pair_conflict", "billing.telehealth_modifier_on_in_person",
    "billing.claim_rejected",
    "credentialing.caqh_attestation_due", "credentialing.recredentialing_due", "credentialing.license_expiring",
    "credentialing.malpractice_expiring", "credentialing.application_followup",
    "credentialing.not_in_network_for_session", "credentialing.associate_billing",
    "authorizations.near_limit", "authorizations.exceeded", "authorizations.expiring",
    "authorizations.session_outside_dates", "authorizations.missing", "authorizations.count_mismatch",
    "authorizations.eap_report_due",
    "compliance.baa_renewal_due", "compliance.roi_expiring", "compliance.privacy_notice_missing",
    "compliance.message_blocked", "compliance.message_failed", "compliance.consent_missing",
    "compliance.minor_consent_missing",
    "scheduling.reply_needs_action", "scheduling.unconfirmed_session", "compliance.channel_opted_out",
    "scheduling.referral_not_contacted", "scheduling.referral_open", "scheduling.no_next_appointment",
    "scheduling.insurance_reverify", "operations.supply_low",
}
DOMAIN = ROOT.parent / "shared" / "DOMAIN.md"


def test_the_registry_holds_exactly_the_catalogue():
    assert set(RULES) == CATALOGUE


@pytest.mark.skipif(not DOMAIN.exists(), reason="../shared/DOMAIN.md is not beside this checkout")
def test_the_catalogue_here_is_the_one_in_domain_md():
    """Every rule of DOMAIN.md's catalogue is here; the rules its "Next" table writes in backticks join
    as their issues land, and nothing else does."""
    families = r"(?:data|scheduling|billing|credentialing|authorizations|compliance|operations)"
    ids = set(re.findall(rf"^\| ({families}\.[a-z_]+) \|", DOMAIN.read_text(), flags=re.M))
    coming = set(re.findall(rf"^\| `({families}\.[a-z_]+)` \|", DOMAIN.read_text(), flags=re.M))
    assert ids <= CATALOGUE <= ids | coming


def test_every_rule_is_in_the_reference():
    text = generated()["rules.md"]
    assert [r for r in CATALOGUE if f"`{r}`" not in text] == []


def test_every_rule_is_exercised_by_a_test():
    tests = "".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py") if p.name != "test_catalogue.py")
    assert sorted(r for r in CATALOGUE if r not in tests) == []


def test_owners_and_severities_match_the_catalogue():
    owners = {r.id: r.owner for r in RULES.values()}
    assert owners["credentialing.not_in_network_for_session"] == "owner"
    assert owners["billing.balance_due"] == owners["billing.gfe_missing"] == "va"
    assert owners["authorizations.count_mismatch"] == "va"
    assert owners["compliance.roi_expiring"] == owners["compliance.privacy_notice_missing"] == "va"
    assert owners["compliance.baa_renewal_due"] == "owner"
    assert RULES["billing.no_show_billed"].severity == RULES["authorizations.exceeded"].severity == "urgent"
    assert RULES["scheduling.waitlist_match"].severity == "info"
    assert owners["compliance.consent_missing"] == owners["compliance.minor_consent_missing"] == "va"
    assert owners["compliance.message_failed"] == owners["credentialing.associate_billing"] == "va"
    assert owners["billing.claim_rejected"] == owners["billing.code_pair_conflict"] == "billing"


def test_every_rule_has_a_plain_title():
    assert all(0 < len(r.title) <= 40 and "." not in r.title and "_" not in r.title for r in RULES.values())


def test_a_finding_takes_its_rules_owner_severity_and_title():
    from automations.rules.billing import unbilled_session
    from automations.rules.catalogue import problem_of

    found = unbilled_session.found("Session A-1 has no claim.", refs={"appointment": "A-1"})
    assert (found.rule, found.owner, found.severity, problem_of(found)) == (
        "billing.unbilled_session", "billing", "warning", "Session not billed")
    assert unbilled_session.found("x", refs={}, severity="urgent").severity == "urgent"
