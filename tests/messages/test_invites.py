from datetime import date, datetime, time, UTC
from zoneinfo import ZoneInfo

from icalendar import Calendar

from automations.messages import invites
from automations.trackers.records import Appointment

ZONE = ZoneInfo("America/Chicago")


def build(appt, method="REQUEST", sequence=0):
    return Calendar.from_ical(invites.build(
        appt, method=method, uid=invites.uid_for(appt.appointment_id, "Office <o@lake.example>"), sequence=sequence,
        organizer="Lakeside <o@lake.example>", attendees=[("Ann Lee", "ann@lake.example")],
        label=invites.label_for(appt, "R.D."), minutes=50, where="Office", zone=ZONE,
        now=datetime(2026, 11, 26, 12, tzinfo=UTC)))


APPT = Appointment("A-7", "C-1", "Ann Lee", date(2026, 11, 27), time(14, 30), 50, status="scheduled")


def test_a_request_in_the_imip_layout():
    cal = build(APPT)
    assert cal["method"] == "REQUEST"
    event = cal.walk("VEVENT")[0]
    assert str(event["uid"]) == "appointment-A-7@lake.example"
    assert event["sequence"] == 0 and str(event["status"]) == "CONFIRMED"
    assert event.decoded("dtstart") == datetime(2026, 11, 27, 14, 30, tzinfo=ZONE)
    assert event["dtstart"].params["TZID"] == "America/Chicago"
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["America/Chicago"]
    assert str(event["organizer"]) == "mailto:o@lake.example"
    assert str(event["attendee"]) == "mailto:ann@lake.example"
    assert str(event["summary"]) == "Session R.D. (C-1)"


def test_a_cancel_keeps_the_uid_and_raises_the_sequence():
    cal = build(APPT, method="CANCEL", sequence=2)
    event = cal.walk("VEVENT")[0]
    assert cal["method"] == "CANCEL" and event["sequence"] == 2 and str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == "appointment-A-7@lake.example"


def test_the_fingerprint_changes_only_with_what_the_calendar_shows():
    moved = Appointment("A-7", "C-1", "Ann Lee", date(2026, 11, 27), time(15, 30), 50, status="scheduled")
    confirmed = Appointment("A-7", "C-1", "Ann Lee", date(2026, 11, 27), time(14, 30), 50, status="confirmed")
    assert invites.fingerprint(APPT, 50) != invites.fingerprint(moved, 50)
    assert invites.fingerprint(APPT, 50) == invites.fingerprint(confirmed, 50)
