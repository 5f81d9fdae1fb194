from datetime import date, timedelta

import pytest

from automations.rules import Thresholds
from automations.rules.billing import crisis_addons_for, psychotherapy_code_for
from tests.rules.builders import DAY, appt, claim, client, findings, practice

UNBILLED = "billing.unbilled_session"
MISMATCH = "billing.cpt_time_mismatch"
NO_SESSION = "billing.claim_without_session"


@pytest.mark.parametrize("days_after, fires", [(2, False), (3, True), (30, True)])
def test_unbilled_session_fires_from_the_third_day(days_after, fires):
    found = findings(practice([appt()]), DAY + timedelta(days=days_after), UNBILLED)
    assert bool(found) is fires
    if fires:
        assert found[0].refs == {"appointment": "A-1", "client": "C-1"}
        assert found[0].due == DAY + timedelta(days=3)
        assert "filing limit is Jan 31, 2027" in found[0].message


def test_unbilled_session_threshold_is_per_payer():
    t = Thresholds(payer_overrides={"aetna": {"unbilled_after_days": 7}})
    assert findings(practice([appt()]), DAY + timedelta(days=6), UNBILLED, t) == []
    assert findings(practice([appt()]), DAY + timedelta(days=7), UNBILLED, t)


@pytest.mark.parametrize("case", ["billed", "billed_without_appointment_id", "self_pay", "no_show", "scheduled"])
def test_unbilled_session_stays_quiet(case):
    appointments, claims, clients = [appt()], [], None
    if case == "billed":
        claims = [claim()]
    elif case == "billed_without_appointment_id":
        claims = [claim(appointment=None, provider="ann lee")]
    elif case == "self_pay":
        clients = [client("C-1", payer="Self pay")]
    elif case == "no_show":
        appointments = [appt(status="no_show")]
    elif case == "scheduled":
        appointments = [appt(status="scheduled")]
    assert findings(practice(appointments, claims, clients=clients), DAY + timedelta(days=10), UNBILLED) == []


def test_a_void_claim_does_not_bill_a_session():
    assert findings(practice([appt()], [claim(status="void")]), DAY + timedelta(days=5), UNBILLED)


def test_the_appointments_payer_wins_over_the_clients():
    p = practice([appt(payer="Private pay")])
    assert findings(p, DAY + timedelta(days=5), UNBILLED) == []


@pytest.mark.parametrize("minutes, code", [
    (15, None), (16, "90832"), (37, "90832"), (38, "90834"), (52, "90834"), (53, "90837"), (90, "90837")])
def test_the_time_rule_boundaries(minutes, code):
    assert psychotherapy_code_for(minutes, Thresholds()) == code


@pytest.mark.parametrize("minutes, addons", [(74, 0), (75, 1), (104, 1), (105, 2)])
def test_crisis_addon_boundaries(minutes, addons):
    assert crisis_addons_for(minutes, Thresholds()) == addons


@pytest.mark.parametrize("billed, minutes, fix, why", [
    ("90837", 45, "bill 90834", "recoup"),
    ("90837", 52, "bill 90834", "recoup"),
    ("90834", 53, "bill 90837", "under-billed"),
    ("90832", 38, "bill 90834", "under-billed"),
    ("90834", 37, "bill 90832", "recoup"),
    ("90838", 40, "bill 90836", "recoup"),
])
def test_cpt_time_mismatch_names_the_right_code_and_why_it_matters(billed, minutes, fix, why):
    found = findings(practice([appt(minutes=minutes)], [claim(cpt=(billed,))]), DAY + timedelta(days=1), MISMATCH)
    assert len(found) == 1
    assert f"for a {minutes}-minute session: {fix}. " in found[0].message and why in found[0].message
    assert found[0].refs == {"claim": "CL-1", "appointment": "A-1", "client": "C-1"}


@pytest.mark.parametrize("billed, minutes", [("90837", 53), ("90834", 38), ("90834", 52), ("90832", 16),
                                             ("90832", 15), ("90847", 26), ("90791", 10)])
def test_cpt_time_mismatch_stays_quiet_when_the_code_fits(billed, minutes):
    assert findings(practice([appt(minutes=minutes)], [claim(cpt=(billed,))]), DAY, MISMATCH) == []


def test_actual_minutes_win_over_scheduled_minutes():
    p = practice([appt(duration_min=60, actual_min=45)], [claim(cpt=("90837",))])
    assert findings(p, DAY, MISMATCH)[0].details["minutes"] == 45
    p = practice([appt(duration_min=45, actual_min=None)], [claim(cpt=("90837",))])
    assert findings(p, DAY, MISMATCH)[0].details["minutes"] == 45


@pytest.mark.parametrize("codes, minutes, fires", [
    (("90839",), 74, False), (("90839",), 75, True), (("90839", "90840"), 75, False), (("90839",), 29, True),
    (("90847",), 25, True), (("90846",), 25, True)])
def test_crisis_and_family_minutes(codes, minutes, fires):
    found = findings(practice([appt(minutes=minutes)], [claim(cpt=codes)]), DAY, MISMATCH)
    assert bool(found) is fires


def test_payer_specific_time_thresholds():
    t = Thresholds(payer_overrides={"aetna": {"code_90837_min_minutes": 55}})
    p = practice([appt(minutes=54)], [claim(cpt=("90837",))])
    assert "bill 90834." in findings(p, DAY, MISMATCH, t)[0].message
    assert findings(p, DAY, MISMATCH) == []


@pytest.mark.parametrize("case, fires", [
    ("matches_by_id", False), ("matches_by_client_provider_date", False), ("no_appointment", True),
    ("other_day", True), ("scheduled_only", True), ("void", False), ("no_show", False)])
def test_claim_without_session(case, fires):
    appointments = [appt()]
    c = claim()
    if case == "matches_by_client_provider_date":
        c = claim(appointment=None, provider="ANN LEE.")
    elif case == "no_appointment":
        appointments = []
    elif case == "other_day":
        c = claim(appointment=None, day=DAY + timedelta(days=1))
    elif case == "scheduled_only":
        appointments = [appt(status="scheduled")]
    elif case == "void":
        appointments, c = [], claim(status="void")
    elif case == "no_show":
        appointments = [appt(status="no_show")]
    assert bool(findings(practice(appointments, [c]), DAY + timedelta(days=5), NO_SESSION)) is fires


def test_finding_ids_are_stable_and_differ_between_records():
    p = practice([appt(), appt(id="A-2", client="C-2")], clients=[client("C-1", payer="Aetna"),
                                                                    client("C-2", payer="Aetna")])
    first = findings(p, date(2026, 11, 10), UNBILLED)
    again = findings(p, date(2026, 11, 20), UNBILLED)
    assert [f.id for f in first] == [f.id for f in again]
    assert len({f.id for f in first}) == 2
    assert all(f.id.startswith("f-") for f in first)
