"""Which appointment reminders are due now: pure, so the windows and boundaries can be tested.

A reminder goes out once per appointment per window (``hours_before``, e.g. 48 and 24 hours).
When several windows are already due (the job did not run for a while), only the latest one is
sent. Nothing goes out outside the practice's sending hours; the next run inside them catches up.
A client's back-to-back appointments (the next starting within 15 minutes of the previous one's
end) travel in one message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..config import sending_window
from ..trackers.records import UPCOMING_STATUSES, Appointment, start_of

BACK_TO_BACK = timedelta(minutes=15)


@dataclass(frozen=True)
class ReminderBatch:
    client_id: str
    appointments: tuple[Appointment, ...]
    window: int  # hours before the first appointment

    @property
    def key(self) -> str:
        """One message per appointment set and window: the Message-ID's occasion."""
        return ",".join(a.appointment_id for a in self.appointments) + f"@{self.window}h"


def within_sending_hours(now: datetime, sending_hours: str) -> bool:
    start, end = sending_window(sending_hours)
    return start <= now.time() < end


def due_reminders(appointments: list[Appointment], now: datetime, hours_before: list[int], sending_hours: str,
                  zone: ZoneInfo, default_minutes: int = 50) -> list[ReminderBatch]:
    now = now.astimezone(zone)
    if not hours_before or not within_sending_hours(now, sending_hours):
        return []
    due: list[tuple[Appointment, int]] = []
    for appt in appointments:
        if appt.status not in UPCOMING_STATUSES:
            continue
        until = start_of(appt, zone) - now
        if until <= timedelta(0):
            continue
        windows = [h for h in hours_before if until <= timedelta(hours=h)]
        if windows:
            due.append((appt, min(windows)))
    due.sort(key=lambda pair: (pair[0].client_id, start_of(pair[0], zone)))
    batches: list[ReminderBatch] = []
    for appt, window in due:
        last = batches[-1] if batches else None
        if last is not None and last.client_id == appt.client_id:
            previous = last.appointments[-1]
            previous_end = start_of(previous, zone) + timedelta(minutes=previous.duration_min or default_minutes)
            if timedelta(0) <= start_of(appt, zone) - previous_end <= BACK_TO_BACK:
                batches[-1] = ReminderBatch(last.client_id, (*last.appointments, appt), last.window)
                continue
        batches.append(ReminderBatch(appt.client_id, (appt,), window))
    return batches


def reminder_fingerprint(appt: Appointment) -> str:
    """What a reminder told the client: when, how, and the link."""
    import hashlib

    shown = "|".join(str(x) for x in (appt.date, appt.time, appt.modality, appt.telehealth_link or ""))
    return hashlib.sha256(shown.encode()).hexdigest()[:16]


def changed_since_reminded(appointments: list[Appointment], reminded: dict[str, str], now: datetime,
                           zone: ZoneInfo, sending_hours: str) -> list[Appointment]:
    """Upcoming appointments whose client was reminded of other details (a new time, place or video
    link): each needs one corrected reminder, inside the sending hours."""
    now = now.astimezone(zone)
    if not within_sending_hours(now, sending_hours):
        return []
    return sorted((a for a in appointments if a.status in UPCOMING_STATUSES and a.appointment_id in reminded
                   and start_of(a, zone) > now and reminded[a.appointment_id] != reminder_fingerprint(a)),
                  key=lambda a: (start_of(a, zone), a.appointment_id))
