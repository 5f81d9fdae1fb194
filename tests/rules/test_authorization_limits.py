"""authorizations.* beyond near_limit: exceeded, expiring, dates, missing, counts, EAP reports."""

from datetime import date, timedelta

import pytest

from automations.rules import Thresholds
from tests.rules.builders import appt, auth, findings, practice

TODAY = date(2026, 11, 26)


def booked(completed: int, scheduled: int, auth_id="AU-1"):
    return ([appt(id=f"D-{n}", day=TODAY - timedelta(weeks=n + 1), authorization_id=auth_id) for n in range(completed)]
            + [appt(id=f"S-{n}", day=TODAY + timedelta(weeks=n + 1), status="scheduled", authorization_id=auth_id)
               for n in range(scheduled)])


@pytest.mark.parametrize("completed, scheduled, fires", [(6, 4, False), (6, 5, True), (11, 0, True)])
def test_exceeded(completed, scheduled, fires):
    found = findings(practice(booked(completed, scheduled), authorizations=[auth(authorized=10)]), TODAY,
                     "authorizations.exceeded")
    assert bool(found) is fires
    if fires:
        assert found[0].severity == "urgent" and found[0].details["over"] == completed + scheduled - 10


@pytest.mark.parametrize("end_in, completed, scheduled, fires", [
    (14, 3, 1, True), (15, 3, 1, False), (5, 9, 1, False), (-1, 3, 0, False), (0, 3, 0, True)])
def test_expiring(end_in, completed, scheduled, fires):
    a = auth(authorized=10, start_date=TODAY - timedelta(days=100), end_date=TODAY + timedelta(days=end_in))
    appointments = list(booked(completed, 0)) + [
        appt(id=f"S-{n}", day=TODAY + timedelta(days=n), status="scheduled", authorization_id="AU-1")
        for n in range(scheduled)]
    assert bool(findings(practice(appointments, authorizations=[a]), TODAY, "authorizations.expiring")) is fires


def test_expiring_when_sessions_are_booked_after_the_end_even_if_none_remain():
    a = auth(authorized=2, start_date=TODAY - timedelta(days=100), end_date=TODAY + timedelta(days=5))
    appointments = booked(2, 0) + [appt(id="LATE", day=TODAY + timedelta(days=20), status="scheduled")]
    found = findings(practice(appointments, authorizations=[a]), TODAY, "authorizations.expiring")
    assert found and found[0].details["booked_after"] == 1


@pytest.mark.parametrize("day_offset, fires", [(0, False), (-1, True), (31, True), (30, False)])
def test_session_outside_dates(day_offset, fires):
    a = auth(start_date=TODAY, end_date=TODAY + timedelta(days=30))
    p = practice([appt(day=TODAY + timedelta(days=day_offset), status="scheduled", authorization_id="AU-1")],
                 authorizations=[a])
    assert bool(findings(p, TODAY, "authorizations.session_outside_dates")) is fires


REQUIRED = Thresholds(payer_overrides={"aetna": {"auth_required": True}})


@pytest.mark.parametrize("case, fires", [("none", True), ("named", False), ("covering", False),
                                         ("other_payer_rule", False), ("covering_ended", True)])
def test_missing_authorization(case, fires):
    appointments = [appt(day=TODAY + timedelta(days=3), status="scheduled",
                         authorization_id="AU-1" if case == "named" else None)]
    auths = []
    if case in ("named", "covering"):
        auths = [auth(start_date=TODAY, end_date=TODAY + timedelta(days=90))]
    if case == "covering_ended":
        auths = [auth(start_date=TODAY - timedelta(days=90), end_date=TODAY)]
    t = Thresholds(payer_overrides={"cigna": {"auth_required": True}}) if case == "other_payer_rule" else REQUIRED
    assert bool(findings(practice(appointments, authorizations=auths), TODAY, "authorizations.missing", t)) is fires


@pytest.mark.parametrize("used, fires", [(4, False), (3, True), (5, True), (None, False)])
def test_count_mismatch(used, fires):
    p = practice(booked(4, 2), authorizations=[auth(authorized=20, sessions_used=used)])
    assert bool(findings(p, TODAY, "authorizations.count_mismatch")) is fires


@pytest.mark.parametrize("kind, due_in, completed, fires", [
    ("eap", 7, 1, True), ("eap", 8, 1, False), ("eap", None, 6, True), ("eap", None, 5, False),
    ("prior_auth", 2, 1, False), ("eap", -3, 6, True), ("eap", -30, 6, True), ("eap", -31, 6, False)])
def test_eap_report_due(kind, due_in, completed, fires):
    a = auth(authorized=6, kind=kind, utilization_report_due=TODAY + timedelta(days=due_in) if due_in is not None else None)
    found = findings(practice(booked(completed, 0), authorizations=[a]), TODAY, "authorizations.eap_report_due")
    assert bool(found) is fires
