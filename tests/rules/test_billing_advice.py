"""The second pass over the billing rules: advice a biller can act on without checking it."""

from datetime import date, timedelta

import pytest

from automations.rules import Thresholds
from automations.trackers.records import Authorization
from tests.rules.builders import DAY, appt, claim, client, findings, practice

TODAY = DAY + timedelta(days=5)
PAIR = "billing.code_pair_conflict"
MISMATCH = "billing.cpt_time_mismatch"


# code pairs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("first, second, remove", [
    (("90791",), ("90834",), "90834"), (("90792",), ("90837",), "90837"), (("90791",), ("90839",), "90839"),
    (("90791",), ("90847",), "90847"), (("90791", "90832"), None, "90832"), (("90839", "90785"), None, "90785"),
    (("90839", "90840", "90785"), None, "90785")])
def test_code_pairs_name_the_code_to_remove(first, second, remove):
    claims = [claim(cpt=first)] + ([claim(id="CL-2", cpt=second)] if second else [])
    found = findings(practice([appt(minutes=45)], claims), TODAY, PAIR)
    assert [f.details["remove"] for f in found] == [remove]
    assert f"Remove {remove}" in found[0].message and "never replace it with a longer code" in found[0].message


@pytest.mark.parametrize("change", [
    dict(provider="Bo Diaz", appointment=None),          # another provider
    dict(day=DAY + timedelta(days=1), appointment=None),  # another date
    dict(client="C-2", appointment=None),                 # another client
    dict(status="void")])                                 # a voided claim
def test_code_pairs_need_one_client_provider_and_date(change):
    claims = [claim(cpt=("90791",)), claim(id="CL-2", cpt=("90834",), **change)]
    assert findings(practice([appt()], claims, clients=[client(), client("C-2")]), TODAY, PAIR) == []


def test_only_visits_a_code_pair_can_touch_are_indexed_and_their_claims_in_any_order():
    """A large practice's every visit is not kept for code pairs: only those billing 90791, 90792
    or 90785, with all their claims, whichever claim comes first."""
    from automations.rules.context import RuleContext

    claims = [claim(id="CL-1", cpt=("90834",)), claim(id="CL-2", cpt=("90791",)),
              claim(id="CL-3", cpt=("90837",), day=DAY + timedelta(days=1), appointment=None)]
    p = practice([appt(), appt("A-2", day=DAY + timedelta(days=1))], claims)
    visits = RuleContext(p, Thresholds(), TODAY).pair_coded_visits
    assert [[c.claim_id for c in visit] for visit in visits.values()] == [["CL-1", "CL-2"]]
    assert [f.details["remove"] for f in findings(p, TODAY, PAIR)] == ["90834"]


def test_90785_with_psychotherapy_is_no_conflict():
    assert findings(practice([appt()], [claim(cpt=("90834", "90785"))]), TODAY, PAIR) == []


def test_an_intake_with_therapy_is_never_answered_with_a_longer_code():
    """The harm seen in review: 90791 + 90834 on one day was advised 'under-billed: bill 90837'."""
    p = practice([appt(minutes=90)], [claim(cpt=("90791",)), claim(id="CL-2", cpt=("90834",))])
    found = findings(p, TODAY)
    assert [f.rule for f in found if f.rule.startswith("billing.")] == [PAIR]
    assert not any("bill 90837" in f.message for f in found)


# time ---------------------------------------------------------------------------------------

def test_scheduled_length_alone_is_not_documented_time():
    p = practice([appt(actual_min=None, duration_min=50)], [claim(cpt=("90837",))])
    found = findings(p, TODAY, MISMATCH)
    assert len(found) == 1
    message = found[0].message
    assert "no actual time recorded" in message and "50-minute session" not in message
    assert "Record the face-to-face time" in message and found[0].details["documented"] is False


def test_documented_time_says_so():
    found = findings(practice([appt(minutes=45)], [claim(cpt=("90837",))]), TODAY, MISMATCH)
    assert "for a 45-minute session" in found[0].message and "no actual time" not in found[0].message


@pytest.mark.parametrize("status", ["no_show", "late_cancel"])
def test_a_missed_session_claim_is_no_show_billed_not_a_time_mismatch(status):
    p = practice([appt(status=status, minutes=0)], [claim(cpt=("90837",))])
    rules = {f.rule for f in findings(p, TODAY)}
    assert "billing.no_show_billed" in rules
    assert not rules & {MISMATCH, "billing.below_minimum_time", "billing.claim_without_session"}


def test_no_show_wording_follows_domain_md():
    found = findings(practice([appt(status="no_show")], [claim(payer="Medicare")],
                              clients=[client(payer="Medicare")]), TODAY, "billing.no_show_billed")
    message = found[0].message
    assert "policy that applies to all patients" in message and "Medicare is never billed for it" in message
    assert "Medicaid generally forbids" in message and "never charge Medicare patients" not in message


# where the claim stands --------------------------------------------------------------------

@pytest.mark.parametrize("status, says, never", [
    ("draft", "before submission", "corrected claim"),
    ("submitted", "corrected claim (frequency code 7)", "before submission"),
    ("paid", "refund the overpayment", "before submission"),
    ("rejected", "resubmit", "before submission")])
def test_an_upcoded_claim_is_fixed_as_its_status_allows(status, says, never):
    found = findings(practice([appt(minutes=45)], [claim(cpt=("90837",), status=status)]), TODAY, MISMATCH)
    assert says in found[0].message and never not in found[0].message


@pytest.mark.parametrize("payer, window", [("Medicare", True), ("Texas Medicaid", True), ("Aetna", False)])
def test_a_paid_overpayment_names_the_60_day_refund_window_for_medicare_and_medicaid(payer, window):
    p = practice([appt(minutes=45)], [claim(cpt=("90837",), status="paid", payer=payer)],
                 clients=[client(payer=payer)])
    found = findings(p, TODAY, MISMATCH)[0]
    assert ("within 60 days" in found.message) is window
    assert found.due == (TODAY + timedelta(days=60) if window else TODAY + timedelta(days=1))


def test_an_under_billed_paid_claim_gets_a_corrected_claim_not_a_refund():
    found = findings(practice([appt(minutes=55)], [claim(cpt=("90834",), status="paid")]), TODAY, MISMATCH)[0]
    assert "corrected claim" in found.message and "refund" not in found.message


# telehealth ----------------------------------------------------------------------------------

@pytest.mark.parametrize("modality, pos, fires", [
    ("video", "02", False), ("video", "10", False), ("phone", "10", False), ("video", "11", True),
    ("in_person", "11", False), ("in_person", "10", True)])
def test_a_payer_with_no_config_accepts_pos_02_or_10(modality, pos, fires):
    p = practice([appt(modality=modality)], [claim(pos=pos)])
    assert bool(findings(p, TODAY, "billing.telehealth_pos_mismatch")) is fires


def test_a_payer_with_no_config_wants_no_modifier():
    p = practice([appt(modality="video")], [claim(pos="10")])
    assert findings(p, TODAY, "billing.telehealth_modifier_missing") == []
    p = practice([appt(modality="phone")], [claim(pos="10")])
    assert findings(p, TODAY, "billing.telehealth_modifier_missing") == []


def test_telehealth_pos_may_be_a_list():
    t = Thresholds(payer_overrides={"aetna": {"telehealth_pos": ["02"]}})
    p = practice([appt(modality="video")], [claim(pos="10")])
    assert findings(p, TODAY, "billing.telehealth_pos_mismatch", t)
    t = Thresholds(payer_overrides={"aetna": {"telehealth_pos": ["02", "10"]}})
    assert findings(p, TODAY, "billing.telehealth_pos_mismatch", t) == []


def test_an_empty_telehealth_pos_means_the_office_pos():
    t = Thresholds(payer_overrides={"aetna": {"telehealth_pos": "", "telehealth_modifier": "95"}})
    assert findings(practice([appt(modality="video")], [claim(pos="11", modifiers=("95",))]), TODAY,
                    "billing.telehealth_pos_mismatch", t) == []


@pytest.mark.parametrize("modality, pos, modifiers, fires", [
    ("in_person", "11", ("95",), True), ("in_person", "11", ("GT",), True), ("in_person", "11", ("FQ",), True),
    ("in_person", "11", ("93",), True), ("in_person", "11", (), False), ("video", "10", ("95",), False),
    (None, "11", ("95",), True), (None, "10", ("95",), False)])
def test_telehealth_modifier_on_in_person(modality, pos, modifiers, fires):
    p = practice([appt(modality=modality)], [claim(pos=pos, modifiers=modifiers)])
    found = findings(p, TODAY, "billing.telehealth_modifier_on_in_person")
    assert bool(found) is fires
    if fires:
        assert "remove it" in found[0].message


# deadlines ------------------------------------------------------------------------------------

@pytest.mark.parametrize("age_days, severity, says", [
    (86, "warning", "Submit it now"), (87, "urgent", "Submit it now"), (90, "urgent", "last day to file"),
    (91, "urgent", "contractual adjustment")])
def test_the_last_days_to_file(age_days, severity, says):
    found = findings(practice([appt()], [claim(status="draft")]), DAY + timedelta(days=age_days),
                     "billing.timely_filing_risk")
    assert found[0].severity == severity and says in found[0].message


def test_past_the_limit_the_client_is_never_billed():
    found = findings(practice([appt()], [claim(status="draft")]), DAY + timedelta(days=120),
                     "billing.timely_filing_risk")[0]
    assert "never bill the client" in found.message and "bill the client for" not in found.message


def test_an_unbilled_session_past_the_limit_is_a_write_off():
    found = findings(practice([appt()]), DAY + timedelta(days=95), "billing.unbilled_session")[0]
    assert "contractual adjustment" in found.message and found.severity == "urgent"


@pytest.mark.parametrize("age_days, severity", [(75, "warning"), (76, "urgent"), (95, "urgent")])
def test_a_rejected_claim_is_its_own_rule_and_its_clock_runs(age_days, severity):
    p = practice([appt()], [claim(status="rejected", denial_code="invalid member id")])
    today = DAY + timedelta(days=age_days)
    found = findings(p, today, "billing.claim_rejected")
    assert [f.severity for f in found] == [severity]
    assert found[0].due == max(DAY + timedelta(days=90), today)
    assert findings(p, today, "billing.denial_open") == [] and findings(p, today, "billing.unpaid_followup") == []


@pytest.mark.parametrize("word", ["Rejected", "rejected", "Clearinghouse rejected"])
def test_rejected_is_read_as_its_own_status(word, tmp_path):
    from automations.trackers.records import CLAIM_STATUSES, columns_of
    from automations.trackers.values import parse_enum

    synonyms = next(c for c in columns_of("claims") if c.name == "status").synonyms
    assert parse_enum(word, CLAIM_STATUSES, synonyms) == "rejected"


@pytest.mark.parametrize("carc, denied_days_ago, appeal_days, due_in", [
    ("CO-50", 10, 180, 170),      # appeal window
    ("CO-50", 10, 120, 110),      # Medicare's 120 days
    ("CO-4", 10, 180, 85),        # correctable: the filing limit (DOS + 90) comes first
])
def test_denial_open_is_due_by_the_earlier_deadline(carc, denied_days_ago, appeal_days, due_in):
    t = Thresholds(payer_overrides={"aetna": {"appeal_days": appeal_days}})
    p = practice([appt()], [claim(status="denied", denial_code=carc, denied_on=TODAY - timedelta(days=denied_days_ago))])
    found = findings(p, TODAY, "billing.denial_open", t)[0]
    assert found.due == TODAY + timedelta(days=due_in)


def test_a_197_denial_with_an_authorization_on_file_says_appeal_with_it():
    p = practice([appt(authorization_id="AU-7")], [claim(status="denied", denial_code="CO-197", denied_on=TODAY)],
                 authorizations=[Authorization("AU-7", "C-1", "Aetna", sessions_authorized=8)])
    message = findings(p, TODAY, "billing.denial_open")[0].message
    assert "Appeal with authorization AU-7" in message and "retro-authorization" not in message


def test_a_197_denial_without_an_authorization_asks_for_a_retro_authorization():
    p = practice([appt()], [claim(status="denied", denial_code="CO-197", denied_on=TODAY)])
    assert "retro-authorization" in findings(p, TODAY, "billing.denial_open")[0].message


# self-pay ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("payer", ["Sliding scale", "Superbill", "Out of network", "OON", "OOP", "Uninsured",
                                   "Self pay", "Cash", "Out-of-network (superbill)"])
def test_self_pay_clients_get_no_claim_or_network_alarms(payer):
    from automations.trackers.records import Credential

    p = practice([appt()], clients=[client(payer=payer)], credentialing=[Credential("Ann Lee", "Aetna", "in_network")],
                 present=("credentialing",))
    rules = {f.rule for f in findings(p, DAY + timedelta(days=30))}
    assert not rules & {"billing.unbilled_session", "credentialing.not_in_network_for_session"}


@pytest.mark.parametrize("gfe_age_days, fires", [(365, False), (366, True), (30, False)])
def test_a_gfe_covers_at_most_12_months(gfe_age_days, fires):
    visit = TODAY + timedelta(days=7)
    p = practice([appt(day=visit, status="scheduled")],
                 clients=[client(payer="Sliding scale", good_faith_estimate=visit - timedelta(days=gfe_age_days))])
    found = findings(p, TODAY, "billing.gfe_missing")
    assert bool(found) is fires
    if fires:
        assert "more than 12 months" in found[0].message


def test_na_in_the_gfe_column_stays_quiet():
    from automations.trackers.values import NOT_APPLICABLE

    p = practice([appt(day=TODAY + timedelta(days=7), status="scheduled")],
                 clients=[client(payer="Self-pay", good_faith_estimate=NOT_APPLICABLE)])
    assert findings(p, TODAY, "billing.gfe_missing") == []


# duplicates and multiple codes ------------------------------------------------------------------

def test_multiple_time_codes_stays_quiet_where_duplicate_claim_speaks():
    p = practice([appt()], [claim(), claim(id="CL-2")])
    rules = [f.rule for f in findings(p, TODAY)]
    assert "billing.duplicate_claim" in rules and "billing.multiple_time_codes" not in rules


def test_multiple_time_codes_still_fires_for_two_different_codes():
    p = practice([appt()], [claim(), claim(id="CL-2", cpt=("90837",))])
    assert findings(p, TODAY, "billing.multiple_time_codes")


def test_a_paid_duplicate_asks_for_a_refund():
    p = practice([appt()], [claim(status="paid"), claim(id="CL-2", status="paid")])
    assert "refund" in findings(p, TODAY, "billing.duplicate_claim")[0].message


def test_denial_dates_may_be_missing():
    p = practice([appt()], [claim(status="denied", denial_code="CO-50")])
    found = findings(p, date(2026, 11, 20), "billing.denial_open")[0]
    assert "record the Denied On date" in found.message
