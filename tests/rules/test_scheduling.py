from datetime import date, time, timedelta

import pytest

from automations.trackers.records import Credential, Provider, WaitlistEntry
from tests.rules.builders import appt, client, findings, practice

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize("second_at, minutes, fires", [
    (time(9, 49), 50, True), (time(9, 50), 50, False), (time(9, 0), 50, True), (time(9, 59), 60, True), (time(10, 0), 60, False)])
def test_provider_double_booked_at_the_boundary_minute(second_at, minutes, fires):
    p = practice([appt(id="A-1", day=TODAY, at=time(9), minutes=minutes, status="scheduled"),
                  appt(id="A-2", client="C-2", day=TODAY, at=second_at, status="scheduled")],
                 clients=[client("C-1"), client("C-2")])
    found = findings(p, TODAY, "scheduling.provider_double_booked")
    assert bool(found) is fires
    if fires:
        assert found[0].refs["appointment"] == "A-1" and found[0].refs["other_appointment"] == "A-2"


@pytest.mark.parametrize("case", ["cancelled", "other_provider", "group", "family", "past"])
def test_provider_double_booked_stays_quiet(case):
    second = dict(id="A-2", client="C-2", day=TODAY, at=time(9, 30), status="scheduled")
    first = dict(id="A-1", day=TODAY, status="scheduled")
    if case == "cancelled":
        second["status"] = "cancelled"
    elif case == "other_provider":
        second["provider"] = "Bo Diaz"
    elif case in ("group", "family"):
        first["service"] = second["service"] = case
        second["at"] = time(9)
    elif case == "past":
        first["day"] = second["day"] = TODAY - timedelta(days=1)
        first["status"] = second["status"] = "completed"
    p = practice([appt(**first), appt(**second)], clients=[client("C-1"), client("C-2")],
                 providers=[Provider("Ann Lee"), Provider("Bo Diaz")])
    assert findings(p, TODAY, "scheduling.provider_double_booked") == []


def test_client_double_booked_with_two_providers():
    p = practice([appt(id="A-1", day=TODAY, status="scheduled"),
                  appt(id="A-2", day=TODAY, at=time(9, 15), provider="Bo Diaz", status="scheduled")],
                 providers=[Provider("Ann Lee"), Provider("Bo Diaz")])
    assert [f.refs["client"] for f in findings(p, TODAY, "scheduling.client_double_booked")] == ["C-1"]
    p = practice([appt(id="A-1", day=TODAY, status="scheduled"),
                  appt(id="A-2", day=TODAY, at=time(10), provider="Bo Diaz", status="scheduled")],
                 providers=[Provider("Ann Lee"), Provider("Bo Diaz")])
    assert findings(p, TODAY, "scheduling.client_double_booked") == []


@pytest.mark.parametrize("days_ahead, link, modality, fires", [
    (0, None, "video", True), (3, None, "video", True), (4, None, "video", False), (1, "https://v/x", "video", False),
    (1, None, "in_person", False), (-1, None, "video", False)])
def test_missing_telehealth_link(days_ahead, link, modality, fires):
    p = practice([appt(day=TODAY + timedelta(days=days_ahead), status="scheduled", modality=modality,
                       telehealth_link=link)])
    assert bool(findings(p, TODAY, "scheduling.missing_telehealth_link")) is fires


@pytest.mark.parametrize("days_ago, status, fires", [
    (1, "scheduled", False), (2, "scheduled", True), (2, "confirmed", True), (10, "completed", False),
    (5, "no_show", False)])
def test_status_not_updated(days_ago, status, fires):
    p = practice([appt(day=TODAY - timedelta(days=days_ago), status=status)])
    assert bool(findings(p, TODAY, "scheduling.status_not_updated")) is fires


@pytest.mark.parametrize("days_ahead, received, fires", [(2, False, True), (3, False, False), (0, None, True),
                                                          (1, True, False)])
def test_intake_forms_missing_before_the_first_session(days_ahead, received, fires):
    p = practice([appt(day=TODAY + timedelta(days=days_ahead), status="scheduled")],
                 clients=[client(intake_forms_received=received)])
    assert bool(findings(p, TODAY, "scheduling.intake_forms_missing")) is fires


def test_intake_forms_only_matter_before_the_first_session():
    p = practice([appt(id="A-0", day=TODAY - timedelta(days=7)), appt(day=TODAY + timedelta(days=1), status="scheduled")],
                 [], clients=[client(intake_forms_received=False)])
    assert findings(p, TODAY, "scheduling.intake_forms_missing") == []


def test_a_practice_without_the_forms_column_is_not_nagged():
    p = practice([appt(day=TODAY + timedelta(days=1), status="scheduled")],
                 clients=[client(intake_forms_received=None)])
    p.columns = {"clients": frozenset({"client_id", "payer"})}
    assert findings(p, TODAY, "scheduling.intake_forms_missing") == []


@pytest.mark.parametrize("days_ahead, payer, verified, fires", [
    (3, "Aetna", False, True), (4, "Aetna", False, False), (1, "Self-pay", False, False), (1, "Aetna", True, False)])
def test_insurance_unverified(days_ahead, payer, verified, fires):
    p = practice([appt(day=TODAY + timedelta(days=days_ahead), status="scheduled")],
                 clients=[client(payer=payer, insurance_verified=verified)])
    assert bool(findings(p, TODAY, "scheduling.insurance_unverified")) is fires


@pytest.mark.parametrize("days_ahead, email, consent, fires", [
    (1, None, "plain_ok", True), (2, "x@y.org", "none", True), (3, "x@y.org", "none", False),
    (1, "x@y.org", "plain_ok", False), (1, "x@y.org", "encrypted", False)])
def test_reminder_blocked(days_ahead, email, consent, fires):
    p = practice([appt(day=TODAY + timedelta(days=days_ahead), status="scheduled")],
                 clients=[client(email=email, email_consent=consent)])
    assert bool(findings(p, TODAY, "scheduling.reminder_blocked")) is fires


def prospect(**kw):
    defaults = dict(prospect_id="W-1", requested_specialty="anxiety", payer="Aetna", added_on=TODAY - timedelta(days=30),
                    last_contacted_on=TODAY - timedelta(days=2), status="Waiting")
    return WaitlistEntry(**{**defaults, **kw})


@pytest.mark.parametrize("days, status, fires", [(13, "Waiting", False), (14, "Waiting", True),
                                                 (30, "Placed", False), (20, None, True)])
def test_waitlist_stale(days, status, fires):
    p = practice(waitlist=[prospect(last_contacted_on=TODAY - timedelta(days=days), status=status)])
    assert bool(findings(p, TODAY, "scheduling.waitlist_stale")) is fires


PANEL = [Credential("Ann Lee", "Aetna", "in_network", effective_date=date(2024, 1, 1))]


@pytest.mark.parametrize("change, fires", [
    ({}, True), ({"accepting_new": False}, False), ({"specialties": "couples"}, False),
    ({"weekly_capacity": 1}, False), ({"panel": "lapsed"}, False), ({"prospect_payer": "Self-pay", "panel": "lapsed"}, True)])
def test_waitlist_match(change, fires):
    provider = Provider("Ann Lee", accepting_new=change.get("accepting_new", True),
                        specialties=change.get("specialties", "Anxiety; trauma"),
                        weekly_capacity=change.get("weekly_capacity", 20))
    panel = [Credential("Ann Lee", "Aetna", change.get("panel", "in_network"), effective_date=date(2024, 1, 1))]
    p = practice([appt(day=TODAY + timedelta(days=1), status="scheduled")], providers=[provider],
                 credentialing=panel, present=("credentialing",),
                 waitlist=[prospect(payer=change.get("prospect_payer", "Aetna"))])
    found = findings(p, TODAY, "scheduling.waitlist_match")
    assert bool(found) is fires
    if fires:
        assert found[0].refs == {"prospect": "W-1", "provider": "Ann Lee"} and found[0].severity == "info"


def test_waitlist_match_honours_the_preferred_provider():
    providers = [Provider("Ann Lee", accepting_new=True, specialties="anxiety"),
                 Provider("Bo Diaz", accepting_new=True, specialties="anxiety")]
    panel = PANEL + [Credential("Bo Diaz", "Aetna", "in_network")]
    p = practice(providers=providers, credentialing=panel, waitlist=[prospect(preferred_provider="Dr. Bo Diaz, LPC")])
    assert [f.refs["provider"] for f in findings(p, TODAY, "scheduling.waitlist_match")] == ["Bo Diaz"]


@pytest.mark.parametrize("last_contacted, stale, bad", [
    ("Jan 5", False, True),              # cannot be read: the Date Added never stands in for it
    (None, True, False),                 # blank: the prospect was never contacted since being added
    ("11/20/2026", False, False), ("11/12/2026", True, False)])  # the 14th day
def test_a_cell_that_cannot_be_read_borrows_nothing(tmp_path, last_contacted, stale, bad):
    from automations import config as config_module
    from automations import jobs
    from tests.conftest import make_workbook

    make_workbook(tmp_path / "t.xlsx", {"Waitlist": [
        ["Prospect ID", "Name", "Date Added", "Last Contacted", "Status"],
        ["W-1", "Sam Poe", "10/01/2026", last_contacted, "waiting"]]})
    (tmp_path / "p.toml").write_text('[practice]\nname = "X"\n[trackers.waitlist]\npath = "t.xlsx"\n'
                                     'sheet = "Waitlist"\n[state]\ndir = "var"\n')
    result = jobs.check(config_module.load(tmp_path / "p.toml"), TODAY)
    rules = [f.rule for f in result.findings]
    assert ("scheduling.waitlist_stale" in rules) is stale
    assert ("data.bad_value" in rules) is bad
    assert not any("last contacted on Oct 1, 2026" in f.message for f in result.findings)
