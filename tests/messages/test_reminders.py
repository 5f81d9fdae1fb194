from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from automations.messages.reminders import due_reminders, within_sending_hours
from automations.trackers.records import Appointment

ZONE = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=ZONE)


def appt(id="A-1", client="C-1", hours_ahead=30.0, status="scheduled", minutes=50):
    start = NOW + timedelta(hours=hours_ahead)
    return Appointment(id, client, "Ann Lee", start.date(), start.time(), minutes, status=status)


def due(*appointments, now=NOW, hours=(48, 24), sending="08:00-20:00"):
    return due_reminders(list(appointments), now, list(hours), sending, ZONE)


@pytest.mark.parametrize("hours_ahead, window", [
    (48.01, None), (48, 48), (30, 48), (24.01, 48), (24, 24), (1, 24), (0, None), (-2, None)])
def test_windows_at_their_boundaries_and_only_the_latest_due(hours_ahead, window):
    batches = due(appt(hours_ahead=hours_ahead))
    assert [b.window for b in batches] == ([window] if window else [])


@pytest.mark.parametrize("status", ["cancelled", "no_show", "late_cancel", "completed"])
def test_no_reminder_for_sessions_that_will_not_happen(status):
    assert due(appt(status=status)) == []


@pytest.mark.parametrize("clock, inside", [(time(7, 59), False), (time(8, 0), True), (time(19, 59), True),
                                           (time(20, 0), False)])
def test_sending_hours(clock, inside):
    now = datetime.combine(NOW.date(), clock, tzinfo=ZONE)
    assert within_sending_hours(now, "08:00-20:00") is inside
    assert bool(due(appt(hours_ahead=30), now=now)) is inside


def test_sending_hours_are_the_practices_whatever_the_callers_zone():
    utc_now = datetime(2026, 11, 26, 12, 30, tzinfo=ZoneInfo("UTC"))  # 07:30 in New York
    assert due(appt(hours_ahead=30), now=utc_now) == []


def test_back_to_back_sessions_of_one_client_travel_together():
    first = appt("A-1", hours_ahead=26, minutes=50)
    second = appt("A-2", hours_ahead=26 + 50 / 60 + 10 / 60)       # 10 minutes after the first ends
    later = appt("A-3", hours_ahead=30)                             # hours later: its own message
    other = appt("A-4", client="C-2", hours_ahead=26 + 50 / 60)
    batches = due(first, second, later, other)
    assert [[a.appointment_id for a in b.appointments] for b in batches] == [["A-1", "A-2"], ["A-3"], ["A-4"]]
    assert batches[0].key == "A-1,A-2@48h"


def test_the_key_differs_per_window_so_each_window_sends_once():
    a = appt(hours_ahead=30)
    first = due(a)[0].key
    later = due(a, now=NOW + timedelta(hours=7))[0].key
    assert (first, later) == ("A-1@48h", "A-1@24h")
