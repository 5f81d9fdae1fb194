"""The findings about clients' answers: the call list from `confirm_hours` before a session, a reply
urgent within 48 hours, a closed channel until the tracker records it, the prospects for a freed hour."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from automations.rules import Thresholds
from automations.rules.context import RuleContext
from automations.rules.replies import freed_hour_matches, opted_out_findings, reply_finding, unconfirmed_sessions
from automations.trackers.records import Provider, WaitlistEntry
from tests.rules.builders import appt, client, findings, practice

ZONE = ZoneInfo("America/New_York")
DAY = date(2026, 12, 9)
SESSION = datetime(2026, 12, 9, 14, 0, tzinfo=ZONE)


def context(*appointments, clients=None, providers=None, waitlist=()):
    p = practice(list(appointments), clients=clients or [client("C-1", first_name="Rosa", last_name="Diaz",
                                                                phone="(555) 210-0101", sms_consent=True)],
                 providers=providers, waitlist=list(waitlist), present=("waitlist",))
    return RuleContext(p, Thresholds(), SESSION.date() - timedelta(days=1))


@pytest.mark.parametrize(("before", "fires"), [(timedelta(hours=24, minutes=1), False), (timedelta(hours=24), True),
                                               (timedelta(minutes=1), True), (timedelta(0), False)])
def test_an_unconfirmed_session_is_on_the_call_list_from_24_hours_before_it(before, fires):
    ctx = context(appt("A-1", day=DAY, at=time(14), status="scheduled"))
    found = list(unconfirmed_sessions(ctx, {"A-1": "2026-12-07T14:30:00-05:00"}, {}, SESSION - before, ZONE, 24))
    assert bool(found) is fires
    if fires:
        assert found[0].refs == {"appointment": "A-1", "client": "C-1"}
        assert found[0].details["call"] == "Rosa Diaz, (555) 210-0101" and "Rosa" not in found[0].message


@pytest.mark.parametrize("why_quiet", ["confirmed by reply", "confirmed in the tracker", "not asked", "cancelled"])
def test_a_session_that_is_confirmed_or_was_never_asked_about_is_not_on_it(why_quiet):
    status = {"confirmed in the tracker": "confirmed", "cancelled": "cancelled"}.get(why_quiet, "scheduled")
    ctx = context(appt("A-1", day=DAY, at=time(14), status=status))
    asked = {} if why_quiet == "not asked" else {"A-1": "2026-12-07T14:30:00-05:00"}
    confirmed = {"A-1": "2026-12-08T09:00:00-05:00"} if why_quiet == "confirmed by reply" else {}
    assert list(unconfirmed_sessions(ctx, asked, confirmed, SESSION - timedelta(hours=2), ZONE, 24)) == []


@pytest.mark.parametrize(("before", "severity"), [(timedelta(hours=48), "urgent"), (timedelta(hours=48, minutes=1),
                                                                                     "warning")])
def test_a_reply_is_urgent_when_its_session_is_within_48_hours(before, severity):
    ctx = context(appt("A-1", day=DAY, at=time(14), status="scheduled"))
    found = reply_finding(reply_id="SM1", why="asks to cancel or reschedule", words="cancel pls",
                          client=ctx.clients["C-1"], client_id="C-1", sessions=[ctx.appointments["A-1"]],
                          now=SESSION - before, zone=ZONE, prospects={"A-1": ["W-1"]})
    assert found.severity == severity and found.refs == {"appointment": "A-1", "client": "C-1"}
    assert "cancel pls" not in found.message and found.details["words"] == "cancel pls" and "W-1" in found.message


def test_a_reply_from_someone_unknown_is_known_by_the_reply():
    found = reply_finding(reply_id="SM9", why="could not be read with confidence", words="hi", client=None,
                          client_id="", sessions=[], now=SESSION, zone=ZONE)
    assert found.refs == {"reply": "SM9"} and found.message.startswith("Someone the trackers do not know replied")


def test_a_closed_channel_is_the_vas_until_the_tracker_records_it():
    rosa = client("C-1", phone="(555) 210-0101", sms_consent=True)
    stopped = [{"channel": "sms", "recipient": "+15552100101", "client_id": "C-1", "at": "2026-12-07T16:00:00-05:00",
                "via": "replied by text on Dec 7"}]
    found = list(opted_out_findings(context(clients=[rosa]), stopped, DAY))
    assert [f.refs for f in found] == [{"client": "C-1"}] and "set their text consent to No" in found[0].message
    recorded = client("C-1", phone="(555) 210-0101", sms_consent=False)
    assert list(opted_out_findings(context(clients=[recorded]), stopped, DAY)) == []


def test_the_freed_hour_goes_to_prospects_who_fit_the_clinician():
    providers = [Provider("Ann Lee", specialties="anxiety; grief", accepting_new=True)]
    waitlist = [WaitlistEntry("W-1", requested_specialty="anxiety", payer="Self-pay", status="waiting"),
                WaitlistEntry("W-2", requested_specialty="eating disorders", payer="Self-pay", status="waiting"),
                WaitlistEntry("W-3", requested_specialty="anxiety", payer="Self-pay", status="placed"),
                WaitlistEntry("W-4", requested_specialty="grief", payer="Self-pay", preferred_provider="Bo Diaz")]
    ctx = context(appt("A-1", day=DAY, at=time(14), status="scheduled"), providers=providers, waitlist=waitlist)
    found = freed_hour_matches(ctx, ctx.appointments["A-1"])
    assert [f.refs["prospect"] for f in found] == ["W-1"]
    assert found[0].rule == "scheduling.waitlist_match" and found[0].refs["appointment"] == "A-1"


@pytest.mark.parametrize(("channels", "fires"), [(("email",), True), (("email", "sms"), False), (("sms",), False)])
def test_reminder_blocked_knows_a_client_texts_can_reach(channels, fires):
    texted = client("C-1", email=None, phone="(555) 210-0101", sms_consent=date(2026, 1, 5))
    p = practice([appt("A-1", day=date(2026, 11, 27), at=time(10), status="scheduled")], clients=[texted])
    found = findings(p, date(2026, 11, 26), "scheduling.reminder_blocked", Thresholds(reminder_channels=channels))
    assert bool(found) is fires


def test_reminder_blocked_says_why_each_channel_cannot():
    nobody = client("C-1", email=None, phone="210-0101", sms_consent=True)
    p = practice([appt("A-1", day=date(2026, 11, 27), at=time(10), status="scheduled")], clients=[nobody])
    found = findings(p, date(2026, 11, 26), "scheduling.reminder_blocked", Thresholds(reminder_channels=("email", "sms")))
    assert "has no email address; has no phone number a text can go to" in found[0].message
