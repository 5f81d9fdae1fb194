from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from icalendar import Calendar

from automations.messages import invites
from automations.trackers.records import Appointment

ZONE = ZoneInfo("America/Chicago")


def build(appt, method="REQUEST", sequence=0):
    return Calendar.from_ical(invites.build(
        datetime.combine(appt.date, appt.time, tzinfo=ZONE), method=method,
        uid=invites.uid_for(appt.appointment_id, "Office <o@lake.example>", b"k" * 32), sequence=sequence,
        organizer="Lakeside <o@lake.example>", attendees=[("Ann Lee", "ann@lake.example")],
        label=invites.label_for(appt, "R.D."), minutes=50, where="Office", zone=ZONE,
        now=datetime(2026, 11, 26, 12, tzinfo=UTC)))


APPT = Appointment("A-7", "C-1", "Ann Lee", date(2026, 11, 27), time(14, 30), 50, status="scheduled")
UID = invites.uid_for("A-7", "Office <o@lake.example>", b"k" * 32)


def test_a_request_in_the_imip_layout():
    cal = build(APPT)
    assert cal["method"] == "REQUEST"
    event = cal.walk("VEVENT")[0]
    assert str(event["uid"]) == UID
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
    assert str(event["uid"]) == UID


def test_the_uid_is_stable_opaque_and_keyed_by_the_practice():
    """No record id in clear: the UID is a keyed hash of the appointment id, the same every run for
    one practice's key, different for another practice's."""
    assert "A-7" not in UID and UID.endswith("@lake.example") and len(UID.partition("@")[0]) == 32
    assert invites.uid_for("A-7", "Office <o@lake.example>", b"k" * 32) == UID
    assert invites.uid_for("A-8", "Office <o@lake.example>", b"k" * 32) != UID
    assert invites.uid_for("A-7", "Office <o@lake.example>", b"j" * 32) != UID


def test_the_fingerprint_changes_only_with_what_the_calendar_shows():
    moved = Appointment("A-7", "C-1", "Ann Lee", date(2026, 11, 27), time(15, 30), 50, status="scheduled")
    confirmed = Appointment("A-7", "C-1", "Ann Lee", date(2026, 11, 27), time(14, 30), 50, status="confirmed")
    assert invites.fingerprint(APPT, 50) != invites.fingerprint(moved, 50)
    assert invites.fingerprint(APPT, 50) == invites.fingerprint(confirmed, 50)


def test_the_vtimezone_carries_the_zones_yearly_rules_and_is_the_same_every_time():
    first, second = build(APPT).walk("VTIMEZONE"), build(APPT, method="CANCEL", sequence=3).walk("VTIMEZONE")
    assert first[0].to_ical() == second[0].to_ical()
    rules = {c.name: c for c in first[0].subcomponents}
    assert str(rules["DAYLIGHT"]["rrule"].to_ical().decode()) in ("FREQ=YEARLY;BYDAY=2SU;BYMONTH=3",
                                                                  "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU")
    assert rules["STANDARD"]["tzoffsetto"].td.total_seconds() == -6 * 3600
    assert rules["DAYLIGHT"]["tzoffsetto"].td.total_seconds() == -5 * 3600


def test_a_zone_without_daylight_saving_has_one_standard_rule():
    from automations.messages.vtimezone import vtimezone

    zone = vtimezone("America/Phoenix")
    assert [c.name for c in zone.subcomponents] == ["STANDARD"]


def test_a_zone_whose_rule_is_not_a_plain_weekday_falls_back_to_transitions():
    from automations.messages.vtimezone import vtimezone

    assert vtimezone("America/Santiago") is None
    cal = Calendar.from_ical(invites.build(
        datetime(2026, 11, 27, 14, 30, tzinfo=ZoneInfo("America/Santiago")), method="REQUEST", uid="u", sequence=0,
        organizer="o@lake.example", attendees=[("A", "a@lake.example")], label="", minutes=50, where="Office",
        zone=ZoneInfo("America/Santiago"), now=datetime(2026, 11, 26, 12, tzinfo=UTC)))
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["America/Santiago"]
