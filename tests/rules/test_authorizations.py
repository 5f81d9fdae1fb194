from dataclasses import replace
from datetime import date, timedelta

import pytest

from automations.rules import Thresholds
from tests.rules.builders import DAY, appt, auth, findings, practice

NEAR = "authorizations.near_limit"
TODAY = date(2026, 11, 10)


def sessions(completed: int, scheduled: int, auth_id: str | None = "AU-1", client="C-1"):
    done = [appt(id=f"A-{client}-{n}", client=client, day=DAY - timedelta(weeks=n + 1), authorization_id=auth_id)
            for n in range(completed)]
    ahead = [appt(id=f"B-{client}-{n}", client=client, day=TODAY + timedelta(weeks=n + 1), status="scheduled",
                  authorization_id=auth_id) for n in range(scheduled)]
    return done + ahead


@pytest.mark.parametrize("completed, scheduled, fires, left", [
    (5, 2, False, 3), (5, 3, True, 2), (6, 3, True, 1), (7, 3, True, 0), (8, 3, False, -1)])
def test_near_limit_counts_completed_and_scheduled(completed, scheduled, fires, left):
    found = findings(practice(sessions(completed, scheduled), authorizations=[auth(authorized=10)]), TODAY, NEAR)
    assert bool(found) is fires
    if fires:
        assert found[0].details["left"] == left
        assert found[0].owner == "clinician"
        assert found[0].due == TODAY + timedelta(weeks=1)


def test_no_shows_and_cancellations_do_not_use_sessions():
    appointments = sessions(5, 3) + [appt(id="X", day=DAY, status="no_show", authorization_id="AU-1"),
                                     appt(id="Y", day=DAY, status="cancelled", authorization_id="AU-1")]
    assert findings(practice(appointments, authorizations=[auth(authorized=11)]), TODAY, NEAR) == []


def test_sessions_match_by_payer_and_dates_when_the_appointment_names_no_authorization():
    inside = sessions(8, 0, auth_id=None)
    a = auth(authorized=10, start_date=DAY - timedelta(weeks=20), end_date=TODAY + timedelta(days=60))
    assert findings(practice(inside, authorizations=[a]), TODAY, NEAR)[0].details["completed"] == 8
    other_payer = [replace(x, payer="Cigna") for x in inside]
    assert findings(practice(other_payer, authorizations=[a]), TODAY, NEAR) == []


def test_several_authorizations_of_one_client_are_counted_separately():
    eap = auth(id="EAP-1", payer="ComPsych", authorized=6, kind="eap")
    insurance = auth(id="AU-1", authorized=20)
    appointments = sessions(5, 0, auth_id="EAP-1") + [
        appt(id=f"I-{n}", day=TODAY + timedelta(days=n + 1), status="scheduled", authorization_id="AU-1")
        for n in range(10)]
    found = findings(practice(appointments, authorizations=[eap, insurance]), TODAY, NEAR)
    assert [f.refs["authorization"] for f in found] == ["EAP-1"]
    assert "EAP case EAP-1" in found[0].message and "1 left" in found[0].message


def test_an_eap_case_at_its_last_session_says_so():
    found = findings(practice(sessions(5, 1, "EAP-1"), authorizations=[auth(id="EAP-1", authorized=6, kind="eap")]),
                     TODAY, NEAR)
    assert "last authorized session is booked" in found[0].message and "report" in found[0].message


def test_an_ended_authorization_is_not_near_its_limit():
    a = auth(authorized=6, end_date=TODAY - timedelta(days=1))
    assert findings(practice(sessions(5, 0), authorizations=[a]), TODAY, NEAR) == []


def test_near_limit_threshold_from_config():
    t = Thresholds(near_limit_sessions=4)
    assert findings(practice(sessions(6, 0), authorizations=[auth(authorized=10)]), TODAY, NEAR, t)
    assert findings(practice(sessions(6, 0), authorizations=[auth(authorized=10)]), TODAY, NEAR) == []
