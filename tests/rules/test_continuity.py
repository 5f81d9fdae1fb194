"""Referrals, recall, benefits re-verification and supplies, each at its boundaries: the business day
after a Friday is Monday (and holidays are skipped), the 14th and 15th day, 1.5 times an interval of
14 days is 21, a verification dated December 31 before a session on January 2."""

from datetime import date, time, timedelta

import pytest

from automations.rules import Thresholds
from automations.rules.dates import business_days_after
from automations.trackers.records import Authorization, Referral, Supply
from tests.rules.builders import appt, client, findings, practice

FRIDAY = date(2026, 11, 20)


@pytest.mark.parametrize(("received", "count", "due"), [
    (FRIDAY, 1, date(2026, 11, 23)),                          # Friday -> Monday
    (date(2026, 11, 25), 1, date(2026, 11, 27)),              # Wednesday before Thanksgiving -> Friday
    (date(2026, 12, 24), 1, date(2026, 12, 28)),              # Christmas Eve -> Monday (Christmas is Friday)
    (date(2026, 7, 2), 1, date(2026, 7, 6)),                  # Thursday -> Monday: July 3 is the observed holiday
    (FRIDAY, 2, date(2026, 11, 24))])
def test_business_days_skip_weekends_and_federal_holidays(received, count, due):
    assert business_days_after(received, count) == due


def referrals(*rows, columns=("contacted_on", "outcome")):
    p = practice(referrals=list(rows), present=("referrals",))
    p.columns["referrals"] = frozenset({"referral_id", "received_on", *columns})
    return p


@pytest.mark.parametrize(("today", "severity"), [
    (date(2026, 11, 23), None),                 # Monday: the day it is due
    (date(2026, 11, 24), "warning"),            # the day after it was due
    (date(2026, 11, 25), "urgent")])            # the second business day passed too
def test_a_friday_referral_is_due_a_first_call_by_monday(today, severity):
    found = findings(referrals(Referral("R-1", FRIDAY, name="Jo Doe", phone="555-0181")), today,
                     "scheduling.referral_not_contacted")
    assert [f.severity for f in found] == ([severity] if severity else [])
    if found:
        assert found[0].details["call"] == "Jo Doe, 555-0181" and "Jo Doe" not in found[0].message


def test_a_contacted_or_settled_referral_waits_for_no_call():
    rows = [Referral("R-1", FRIDAY, contacted_on=FRIDAY), Referral("R-2", FRIDAY, outcome="declined")]
    assert findings(referrals(*rows), date(2026, 12, 1), "scheduling.referral_not_contacted") == []


def test_more_business_days_from_the_config():
    found = findings(referrals(Referral("R-1", FRIDAY)), date(2026, 11, 24), "scheduling.referral_not_contacted",
                     Thresholds(referral_contact_business_days=2))
    assert found == []


@pytest.mark.parametrize(("day", "fires"), [(14, False), (15, True)])
def test_a_contacted_referral_without_an_outcome_from_the_15th_day(day, fires):
    row = Referral("R-1", FRIDAY, contacted_on=FRIDAY)
    found = findings(referrals(row), FRIDAY + timedelta(days=day), "scheduling.referral_open")
    assert bool(found) is fires


def test_referral_rules_are_quiet_where_the_tracker_lacks_their_column():
    quiet = referrals(Referral("R-1", FRIDAY), columns=())
    assert findings(quiet, date(2026, 12, 20), "scheduling.referral_not_contacted") == []


def test_a_scheduled_referral_names_a_client_the_trackers_have():
    rows = [Referral("R-1", FRIDAY, outcome="scheduled", client_id="C-9"),
            Referral("R-2", FRIDAY, outcome="scheduled", client_id="C-1")]
    found = findings(referrals(*rows), FRIDAY, "data.unknown_reference")
    assert [f.refs for f in found] == [{"referral": "R-1"}]


TODAY = date(2026, 12, 6)


def every(days: int, count: int, last: date, client_id="C-1"):
    return [appt(f"A-{client_id}-{k}", client=client_id, day=last - timedelta(days=days * k), status="completed")
            for k in range(count)]


def recall(sessions, today=TODAY, status="active", **kw):
    p = practice(sessions, clients=[client("C-1", status=status, phone="555-0101", first_name="Rosa")], **kw)
    p.columns["clients"] = frozenset({"client_id", "status"})
    return findings(p, today, "scheduling.no_next_appointment")


@pytest.mark.parametrize(("since", "fires"), [(21, False), (22, True)])
def test_half_again_an_interval_of_14_days_is_21(since, fires):
    assert bool(recall(every(14, 4, TODAY - timedelta(days=since)))) is fires


@pytest.mark.parametrize(("since", "fires"), [(14, False), (15, True)])
def test_a_weekly_client_waits_at_least_14_days(since, fires):
    assert bool(recall(every(7, 5, TODAY - timedelta(days=since)))) is fires


@pytest.mark.parametrize(("since", "fires"), [(21, False), (22, True)])
def test_without_a_rhythm_recall_days_decide(since, fires):
    assert bool(recall(every(30, 2, TODAY - timedelta(days=since)))) is fires


@pytest.mark.parametrize("why_quiet", ["booked", "discharged", "inactive", "authorization used up"])
def test_recall_is_quiet_for_a_booked_discharged_or_inactive_client_or_a_used_up_authorization(why_quiet):
    sessions = every(14, 4, TODAY - timedelta(days=40))
    kw = {}
    if why_quiet == "booked":
        sessions.append(appt("A-next", day=TODAY + timedelta(days=3), status="scheduled"))
    if why_quiet == "authorization used up":
        kw["authorizations"] = [Authorization("AU-1", "C-1", "Aetna", kind="eap", sessions_authorized=4,
                                              start_date=TODAY - timedelta(90),
                                              end_date=TODAY + timedelta(90))]
    status = why_quiet if why_quiet in ("discharged", "inactive") else "active"
    assert recall(sessions, status=status, **kw) == []


def test_the_recall_finding_says_whom_to_call():
    found = recall(every(14, 4, TODAY - timedelta(days=30)))
    assert found[0].details["call"] == "Rosa, 555-0101" and "Rosa" not in found[0].message


def reverify(verified, session_day, today, status="scheduled", held=()):
    sessions = [appt("A-1", day=session_day, at=time(10), status=status),
                *(appt(f"A-h{k}", day=d, status="completed") for k, d in enumerate(held))]
    p = practice(sessions, clients=[client("C-1", insurance_verified=verified)])
    return findings(p, today, "scheduling.insurance_reverify")


def test_a_verification_dated_december_31_does_not_cover_a_session_on_january_2():
    found = reverify(date(2026, 12, 31), date(2027, 1, 2), date(2026, 12, 31))
    assert found and found[0].due == date(2027, 1, 2) and found[0].key == "2027"
    assert reverify(date(2027, 1, 1), date(2027, 1, 2), date(2026, 12, 31)) == []


def test_a_plain_yes_is_said_before_the_years_first_session_not_all_year():
    assert reverify(True, date(2027, 1, 8), date(2027, 1, 4))                      # the year's first session ahead
    assert reverify(True, date(2027, 1, 8), date(2027, 1, 7), held=[date(2027, 1, 5)]) == []
    assert reverify(False, date(2027, 1, 8), date(2027, 1, 4)) == []               # never verified: another rule


def test_self_pay_clients_are_not_reverified():
    p = practice([appt("A-1", day=date(2027, 1, 2), status="scheduled", payer="Self-pay")],
                 clients=[client("C-1", payer="Self-pay", insurance_verified=date(2026, 3, 1))])
    assert findings(p, date(2026, 12, 20), "scheduling.insurance_reverify") == []


@pytest.mark.parametrize(("on_hand", "reorder_at", "status", "fires"), [
    (10, 10, "ok", True), (11, 10, "ok", False), (0, 2, None, True), (1, 5, "ordered", False),
    (0, 5, "discontinued", False), (0, None, "ok", False)])
def test_a_supply_at_or_below_its_reorder_level_and_not_on_order(on_hand, reorder_at, status, fires):
    p = practice(supplies=[Supply("Intake packets", on_hand, reorder_at, status=status)], present=("supplies",))
    found = findings(p, TODAY, "operations.supply_low")
    assert bool(found) is fires
    if fires:
        assert found[0].owner == "va" and found[0].refs == {"supply": "Intake packets"}


def test_a_waitlisted_referral_the_waitlist_does_not_hold_sends_the_va_there():
    from automations.trackers.records import WaitlistEntry

    rows = [Referral("R-1", FRIDAY, outcome="waitlisted", name="Jo Doe"),
            Referral("R-2", FRIDAY, outcome="waitlisted", name="Al Roe")]
    p = practice(referrals=rows, waitlist=[WaitlistEntry("W-1", name="al roe")], present=("referrals", "waitlist"))
    found = findings(p, FRIDAY, "scheduling.referral_open")
    assert [(f.refs, f.key) for f in found] == [({"referral": "R-1"}, "waitlist")]
