"""Calendar invitations (iMIP, RFC 6047) built with the icalendar package.

One stable UID per appointment; SEQUENCE goes up with each change (the ledger remembers the last
one sent to each attendee); METHOD:REQUEST for new and moved sessions, METHOD:CANCEL for cancelled
ones; the practice's VTIMEZONE; ORGANIZER and ATTENDEE. The summary says "Session" and names no
client, unless ``[invites] detail = "initials"`` adds the initials and id; never a full name or a
diagnosis.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from ..trackers.records import CANCELLED_STATUSES, Appointment
from .vtimezone import vtimezone


def uid_for(appointment_id: str, sender: str, key: bytes) -> str:
    """A new invitation's UID: stable for the appointment, opaque (a keyed hash, ``key`` the practice's
    own from the ledger), so an invitation in clear carries no record id. An appointment invited before
    keeps the UID the ledger recorded, so every calendar goes on updating the same event."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "practice-ops.invalid"
    opaque = hmac.new(key, appointment_id.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{opaque}@{domain}"


def fingerprint(appt: Appointment, minutes: int) -> str:
    """What an attendee's calendar shows: a change here means a new SEQUENCE."""
    shown = "|".join(str(x) for x in (appt.date, appt.time, minutes, appt.provider.lower(), appt.modality,
                                      appt.telehealth_link, appt.status in CANCELLED_STATUSES))
    return hashlib.sha256(shown.encode()).hexdigest()[:16]


def label_for(appt: Appointment, initials: str) -> str:
    """With ``[invites] detail = "initials"``: the client's initials and id (limited PHI)."""
    return f"{initials} ({appt.client_id})" if initials else appt.client_id


def build(start: datetime, *, method: str, uid: str, sequence: int, organizer: str, attendees: list[tuple[str, str]],
          label: str, minutes: int, where: str, zone: ZoneInfo, now: datetime) -> bytes:
    """One iMIP message's calendar part. ``start`` is aware, in the practice's zone."""
    from icalendar import Calendar, Event, vCalAddress, vText  # loaded when an invitation is built

    calendar = Calendar()
    calendar.add("prodid", "-//practice-ops//calendar invites//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    start = start.astimezone(zone)
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", now.astimezone(ZoneInfo("UTC")))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=minutes))
    event.add("summary", f"Session {label}".strip())
    event.add("location", vText(where))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    name, address = parseaddr(organizer)
    organizer_address = vCalAddress(f"mailto:{address}")
    if name:
        organizer_address.params["cn"] = vText(name)
    event["organizer"] = organizer_address
    for display, email in attendees:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = vText(display)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("FALSE")
        event.add("attendee", attendee, encode=False)
    rules = vtimezone(str(zone.key))
    if rules is not None:
        calendar.add_component(rules)
    calendar.add_component(event)
    if rules is None:  # a zone whose yearly rule is not a plain one: its transitions around the session
        calendar.add_missing_timezones(first_date=start.date() - timedelta(days=366),
                                       last_date=start.date() + timedelta(days=366))
    return bytes(calendar.to_ical())
