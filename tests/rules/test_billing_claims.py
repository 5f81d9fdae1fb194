"""The billing rules about claims' codes, places, modifiers, money and paperwork."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from automations.rules import Thresholds
from automations.trackers.records import Authorization, Credential
from tests.rules.builders import DAY, appt, claim, client, findings, practice

TODAY = DAY + timedelta(days=5)


@pytest.mark.parametrize("status, claim_status, payer, fires", [
    ("no_show", "submitted", "Aetna", True), ("late_cancel", "draft", "Aetna", True),
    ("no_show", "void", "Aetna", False), ("completed", "submitted", "Aetna", False),
    ("no_show", "submitted", "Self-pay", False)])
def test_no_show_billed(status, claim_status, payer, fires):
    p = practice([appt(status=status)], [claim(status=claim_status, payer=payer)])
    found = findings(p, TODAY, "billing.no_show_billed")
    assert bool(found) is fires
    if fires:
        assert found[0].severity == "urgent"


@pytest.mark.parametrize("minutes, codes, fires", [
    (15, ("90832",), True), (16, ("90832",), False), (10, ("90791",), False), (12, ("90833", "99213"), True)])
def test_below_minimum_time(minutes, codes, fires):
    p = practice([appt(minutes=minutes)], [claim(cpt=codes)])
    assert bool(findings(p, TODAY, "billing.below_minimum_time")) is fires


def test_below_minimum_time_is_not_also_a_time_mismatch():
    p = practice([appt(minutes=15)], [claim(cpt=("90834",))])
    assert findings(p, TODAY, "billing.cpt_time_mismatch") == []


@pytest.mark.parametrize("claims, fires", [
    ([claim(cpt=("90834",)), claim(id="CL-2", cpt=("90832",))], True),
    ([claim(cpt=("90834", "90837"))], True),
    ([claim(cpt=("90834",)), claim(id="CL-2", cpt=("90839",))], True),
    ([claim(cpt=("90834",)), claim(id="CL-2", cpt=("90832",), day=DAY + timedelta(days=1), appointment=None)], False),
    ([claim(cpt=("90834",)), claim(id="CL-2", cpt=("90832",), status="void")], False),
    ([claim(cpt=("90834", "90785"))], False)])
def test_multiple_time_codes(claims, fires):
    assert bool(findings(practice([appt()], claims), TODAY, "billing.multiple_time_codes")) is fires


@pytest.mark.parametrize("codes, missing", [
    (("90785",), ["90785"]), (("90834", "90785"), []), (("90853", "90785"), []), (("90833",), ["90833"]),
    (("99213", "90833"), []), (("90840",), ["90840"]), (("90839", "90840"), []), (("90846", "90785"), ["90785"])])
def test_addon_without_base(codes, missing):
    found = findings(practice([appt(minutes=80)], [claim(cpt=codes)]), TODAY, "billing.addon_without_base")
    assert sorted(f.key for f in found) == missing


@pytest.mark.parametrize("modality, pos, payer_pos, fires", [
    ("video", "10", "10", False), ("video", "02", "10", True), ("video", "02", "02", False), ("video", "11", "10", True),
    ("in_person", "11", "10", False), ("in_person", "10", "10", True), ("phone", "2", "02", False)])
def test_telehealth_pos_mismatch(modality, pos, payer_pos, fires):
    t = Thresholds(payer_overrides={"aetna": {"telehealth_pos": payer_pos}})
    p = practice([appt(modality=modality)], [claim(pos=pos, modifiers=("95", "93"))])
    assert bool(findings(p, TODAY, "billing.telehealth_pos_mismatch", t)) is fires


@pytest.mark.parametrize("modality, modifiers, payer_modifier, fires", [
    ("video", ("95",), "95", False), ("video", (), "95", True), ("video", ("95",), "GT", True),
    ("video", ("GT",), "GT", False), ("phone", ("95",), "95", True), ("phone", ("93",), "95", False),
    ("in_person", (), "95", False), ("video", (), "", False)])
def test_telehealth_modifier_missing(modality, modifiers, payer_modifier, fires):
    t = Thresholds(payer_overrides={"aetna": {"telehealth_modifier": payer_modifier, "audio_modifier": "93"}})
    p = practice([appt(modality=modality)], [claim(modifiers=modifiers, pos="11" if modality == "in_person" else "10")])
    found = findings(p, TODAY, "billing.telehealth_modifier_missing", t)
    assert bool(found) is fires


def test_another_payers_telehealth_rules_do_not_leak():
    t = Thresholds(payer_overrides={"cigna": {"telehealth_modifier": "GT"}})
    p = practice([appt(modality="video")], [claim(modifiers=("95",), pos="10")])
    assert findings(p, TODAY, "billing.telehealth_modifier_missing", t) == []


@pytest.mark.parametrize("second, fires", [
    (dict(id="CL-2"), True), (dict(id="CL-2", status="void"), False), (dict(id="CL-2", status="denied"), False),
    (dict(id="CL-2", cpt=("90837",)), False), (dict(id="CL-2", provider="Bo Diaz", appointment=None), False)])
def test_duplicate_claim(second, fires):
    found = findings(practice([appt()], [claim(), claim(**second)]), TODAY, "billing.duplicate_claim")
    assert bool(found) is fires
    if fires:
        assert found[0].refs == {"claim": "CL-1", "duplicate_claim": "CL-2", "client": "C-1"}


@pytest.mark.parametrize("others, named", [
    ([], None), ([claim(id="CL-2")], "CL-1, CL-2"), ([claim(id="CL-2"), claim(id="CL-3")], "CL-1, CL-2, CL-3"),
    ([claim(id="CL-2", cpt=("90837",)), claim(id="CL-3")], "CL-1, CL-3")])
def test_every_claim_of_a_duplicate_is_named_however_many(others, named):
    found = findings(practice([appt()], [claim(), *others]), TODAY, "billing.duplicate_claim")
    assert [f.message.split(" all bill")[0] for f in found] == ([f"Claims {named}"] if named else [])


def test_a_third_time_code_on_the_day_is_in_the_same_finding():
    claims = [claim(cpt=("90834",)), claim(id="CL-2", cpt=("90832",)), claim(id="CL-3", cpt=("90837",))]
    (found,) = findings(practice([appt()], claims), TODAY, "billing.multiple_time_codes")
    assert "90834 + 90832 + 90837" in found.message and "(claims CL-1, CL-2, CL-3)" in found.message


@pytest.mark.parametrize("age_days, status, submitted, severity", [
    (75, "draft", None, None), (76, "draft", None, "warning"), (86, "draft", None, "warning"),
    (87, "draft", None, "urgent"), (90, "draft", None, "urgent"), (91, "draft", None, "urgent"),
    (91, None, None, "urgent"), (100, "submitted", date(2026, 11, 5), None)])
def test_timely_filing_risk_at_the_boundary_day(age_days, status, submitted, severity):
    today = DAY + timedelta(days=age_days)
    p = practice([appt()], [claim(status=status, submitted_on=submitted)])
    found = findings(p, today, "billing.timely_filing_risk")
    assert [f.severity for f in found] == ([severity] if severity else [])


def test_timely_filing_limit_is_per_payer():
    t = Thresholds(payer_overrides={"aetna": {"timely_filing_days": 120}})
    p = practice([appt()], [claim(status="draft")])
    assert findings(p, DAY + timedelta(days=100), "billing.timely_filing_risk", t) == []
    assert findings(p, DAY + timedelta(days=106), "billing.timely_filing_risk", t)


def test_an_unbilled_session_near_its_filing_limit_is_urgent():
    p = practice([appt()])
    assert findings(p, DAY + timedelta(days=75), "billing.unbilled_session")[0].severity == "warning"
    assert findings(p, DAY + timedelta(days=76), "billing.unbilled_session")[0].severity == "urgent"


@pytest.mark.parametrize("days, status, fires", [(30, "submitted", False), (31, "submitted", True),
                                                 (45, "paid", False), (45, "appealed", True), (45, "denied", False)])
def test_unpaid_followup_after_thirty_days(days, status, fires):
    p = practice([appt()], [claim(status=status, submitted_on=DAY)])
    assert bool(findings(p, DAY + timedelta(days=days), "billing.unpaid_followup")) is fires


def test_denial_open_assembles_the_appeal():
    p = practice([appt(authorization_id="AU-1")],
                 [claim(status="denied", denial_code="CO-185", payer="Aetna")],
                 authorizations=[Authorization("AU-1", "C-1", "Aetna", sessions_authorized=10)],
                 credentialing=[Credential("Ann Lee", "Aetna", "lapsed", effective_date=DAY - timedelta(days=3))],
                 present=("credentialing",))
    found = findings(p, TODAY, "billing.denial_open")
    assert len(found) == 1
    message = found[0].message
    assert "CO-185: The rendering provider is not eligible" in message
    assert "session A-1 (completed, 45 min)" in message and "authorization AU-1" in message
    assert "Ann Lee was lapsed with Aetna on that date" in message
    assert found[0].refs == {"claim": "CL-1", "appointment": "A-1", "client": "C-1", "authorization": "AU-1"}
    assert found[0].details["carc"] == ["CO-185"]


@pytest.mark.parametrize("status, fires", [("denied", True), ("appealed", False), ("written_off", False),
                                           ("paid", False)])
def test_denial_open_only_while_nothing_is_done(status, fires):
    p = practice([appt()], [claim(status=status, denial_code="CO-29")])
    assert bool(findings(p, TODAY, "billing.denial_open")) is fires


def test_a_timely_filing_denial_says_it_cannot_be_appealed():
    p = practice([appt()], [claim(status="denied", denial_code="29")])
    message = findings(p, TODAY, "billing.denial_open")[0].message
    assert "cannot be appealed" in message and "contractual adjustment" in message
    assert "never bill the client" in message


@pytest.mark.parametrize("balance, days, fires", [(Decimal(50), 30, False), (Decimal(50), 31, True),
                                                  (Decimal(0), 90, False), (Decimal(-20), 90, False)])
def test_balance_due(balance, days, fires):
    p = practice(clients=[client(balance=balance, balance_since=TODAY - timedelta(days=days))])
    found = findings(p, TODAY, "billing.balance_due")
    assert bool(found) is fires
    if fires:
        assert found[0].owner == "va"


@pytest.mark.parametrize("gfe, fires", [(None, True), (TODAY + timedelta(days=1), False), (TODAY, False),
                                        (TODAY + timedelta(days=30), True), (True, False), (False, True)])
def test_gfe_missing_for_self_pay(gfe, fires):
    p = practice([appt(day=TODAY + timedelta(days=7), status="scheduled")],
                 clients=[client(payer="Self-pay", good_faith_estimate=gfe)])
    assert bool(findings(p, TODAY, "billing.gfe_missing")) is fires


def test_gfe_is_not_asked_of_insured_clients():
    p = practice([appt(day=TODAY + timedelta(days=7), status="scheduled")], clients=[client(good_faith_estimate=None)])
    assert findings(p, TODAY, "billing.gfe_missing") == []


APPEAL = "billing.unpaid_followup"


@pytest.mark.parametrize("appealed_on, days_after_denial, fires, since", [
    (None, 60, False, None),                    # the payer's 60 days since the denial: not yet
    (None, 61, True, "denied on Nov 25, 2026"),  # the 61st day
    (date(2026, 11, 28), 62, False, None),      # 59 days since the appeal
    (date(2026, 11, 28), 64, True, "appealed on Nov 28, 2026"),
])
def test_an_appealed_claim_is_followed_from_the_appeal_or_the_denial(appealed_on, days_after_denial, fires, since):
    denied = date(2026, 11, 25)
    c = claim(status="appealed", day=date(2026, 11, 2), submitted_on=date(2026, 11, 6), denied_on=denied,
              appealed_on=appealed_on, denial_code="CO-50")
    found = findings(practice([appt(day=date(2026, 11, 2))], [c]), denied + timedelta(days=days_after_denial), APPEAL)
    assert bool(found) is fires
    if fires:
        assert since in found[0].message and "Nov 6, 2026" not in found[0].message


def test_an_appeal_is_never_counted_from_the_submission():
    """Submitted 11/6, denied 11/25, 'Appeal Pending' on 1/12: 48 days since the denial, no follow-up yet."""
    c = claim(status="appealed", submitted_on=date(2026, 11, 6), denied_on=date(2026, 11, 25))
    assert findings(practice([appt()], [c]), date(2027, 1, 12), APPEAL) == []


def test_an_appeal_with_no_date_asks_for_one():
    c = claim(status="appealed", submitted_on=date(2026, 11, 6))
    found = findings(practice([appt()], [c]), date(2027, 1, 12), APPEAL)
    assert len(found) == 1 and "no appeal or denial date" in found[0].message and found[0].key == "no_date"


def test_the_decision_time_is_a_payer_threshold():
    c = claim(status="appealed", denied_on=date(2026, 11, 1), payer="Cigna")
    t = Thresholds(payer_overrides={"cigna": {"appeal_decision_days": 30}})
    assert findings(practice([appt()], [c]), date(2026, 12, 2), APPEAL, t)
    assert findings(practice([appt()], [c]), date(2026, 12, 2), APPEAL) == []


def test_a_submitted_claim_with_no_date_is_not_said_to_be_submitted_on_its_date_of_service():
    c = claim(status="submitted", day=date(2026, 10, 1))
    message = findings(practice([appt(day=date(2026, 10, 1))], [c]), date(2026, 11, 26), APPEAL)[0].message
    assert "has no submission date" in message and "submitted on Oct 1, 2026" not in message


@pytest.mark.parametrize("payer, modifiers, fires", [
    ("Medicare", (), True), ("Medicare", ("93",), False), ("Medicare Part B", (), True),
    ("Humana Gold", (), False), ("Humana Gold (program medicare)", (), True)])
def test_medicare_by_name_or_program_wants_93_on_audio_only(payer, modifiers, fires):
    """The practice's [payers."Medicare"] table sets only its filing limit; DOMAIN.md's Medicare defaults
    fill every other key. A Medicare Advantage plan whose name does not say so gets them from `program`."""
    overrides = {"medicare": {"timely_filing_days": 365}}
    programs = {"humanagoldprogrammedicare": "medicare"}
    t = Thresholds(payer_overrides=overrides, payer_programs=programs)
    p = practice([appt(modality="phone", payer=payer)], [claim(payer=payer, modifiers=modifiers, pos="10")])
    found = findings(p, TODAY, "billing.telehealth_modifier_missing", t)
    assert bool(found) is fires
    if fires:
        assert found[0].details["wanted"] == "93"


@pytest.mark.parametrize("payer, programs, fires", [
    ("Superior HealthPlan", {}, True),                                # a commercial 90 days: past it
    ("Superior HealthPlan", {"superiorhealthplan": "medicaid"}, False),  # a Medicaid plan: 365
    ("Medi-Cal", {}, False), ("TennCare", {}, False), ("Texas Medicaid", {}, False),
    ("Medical Mutual", {}, True),                                     # not Medi-Cal
])
def test_medicaid_by_name_or_program_files_within_365_days(payer, programs, fires):
    day = TODAY - timedelta(days=100)
    p = practice([appt(day=day, payer=payer)], [claim(day=day, payer=payer, status="draft")])
    found = findings(p, TODAY, "billing.timely_filing_risk", Thresholds(payer_programs=programs))
    assert bool(found) is fires


def test_the_payers_own_table_wins_over_the_program_defaults():
    t = Thresholds(payer_overrides={"medicare": {"timely_filing_days": 90}})
    assert t.for_payer("Medicare").timely_filing_days == 90 and t.for_payer("Medicare").appeal_days == 120
    assert Thresholds(timely_filing_days=60).for_payer("Medicare").timely_filing_days == 365


def test_a_program_key_in_the_config(tmp_path):
    from automations import config as config_module

    (tmp_path / "p.toml").write_text('[practice]\nname = "X"\n[payers."Superior HealthPlan"]\nprogram = "medicaid"\n'
                                     'aliases = ["Superior"]\n')
    t = config_module.load(tmp_path / "p.toml").thresholds()
    assert t.program_of("Superior") == "medicaid" and t.for_payer("Superior").timely_filing_days == 365
    (tmp_path / "p.toml").write_text('[practice]\nname = "X"\n[payers."Superior HealthPlan"]\nprogram = "tricare"\n')
    with pytest.raises(config_module.ConfigError, match="program"):
        config_module.load(tmp_path / "p.toml")


@pytest.mark.parametrize("codes, pair, addon", [
    (("90839", "90785"), True, False),      # remove 90785: never also "add the base code"
    (("90791", "90833"), True, False),      # remove 90833: never also "add an E/M code"
    (("90785",), False, True), (("90833",), False, True)])
def test_one_problem_one_piece_of_advice(codes, pair, addon):
    p = practice([appt(minutes=60)], [claim(cpt=codes)])
    assert bool(findings(p, TODAY, "billing.code_pair_conflict")) is pair
    assert bool(findings(p, TODAY, "billing.addon_without_base")) is addon
