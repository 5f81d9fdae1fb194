"""What each message kind says about its record: the template context, built in one place for
the jobs that send and for ``preview``, which shows the same message without sending it."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..config import Config
from ..rules.context import RuleContext
from ..rules.dates import clock_time, people_date
from ..rules.findings import OWNER_NAMES, Finding, overdue
from ..trackers.records import Appointment, Client, Referral, start_of
from . import invites
from .texts import CONFIRM_ASK


def when(appt: Appointment, zone: ZoneInfo) -> str:
    return when_at(start_of(appt, zone))


def when_at(start: datetime) -> str:
    """`Friday, November 27 at 9:05 AM`, built by hand: the no-padding strftime flag is glibc's, not Windows'."""
    return f"{start:%A, %B} {start.day} at {clock_time(start)}"


def appointment_reminder(config: Config, appointments: tuple[Appointment, ...] | list[Appointment],
                         updated: bool = False, client: Client | None = None, ref: str = "") -> dict[str, Any]:
    """``updated``: a correction of a reminder already sent (a new time, place or video link).
    ``client``: greeted by first name where they chose plain email (as SimplePractice and TherapyNotes
    greet); a video session's time carries its zone, as the client may be elsewhere."""
    zone = config.zone
    in_person = any(a.modality in (None, "in_person") for a in appointments)
    return {"sessions": [{"when": when(a, zone) + (f" ({start_of(a, zone):%Z})" if a.modality != "in_person" else ""),
                          "video": a.modality == "video", "phone": a.modality == "phone",
                          "link": a.telehealth_link or ""} for a in appointments],
            "office_phone": config.practice.phone, "office_address": config.practice.address if in_person else "",
            "updated": updated, "first_name": greeting_name(client), "ask": CONFIRM_ASK if ref else "", "ref": ref}


def text_reminder(config: Config, appointments: tuple[Appointment, ...] | list[Appointment], updated: bool = False,
                  ask: bool = False) -> dict[str, Any]:
    """The text of a reminder: the first session's day and time as a phone shows it (`Thu Dec 10,
    3:00 PM`, with its zone for a session away from the office), its video link, and the question."""
    zone = config.zone
    first = appointments[0]
    start = start_of(first, zone)
    shown = f"{start:%a %b} {start.day}, {clock_time(start)}" + (f" {start:%Z}" if first.modality != "in_person" else "")
    return {"when": shown, "link": (first.telehealth_link or "") if first.modality == "video" else "",
            "phone_session": first.modality == "phone", "updated": updated, "ask": CONFIRM_ASK if ask else ""}


def text_help(config: Config) -> dict[str, Any]:
    return {"office_phone": config.practice.phone}


def greeting_name(client: Client | None) -> str:
    """A client's first name for "Hello Rosa,", only where they chose plain email (else "Hello,")."""
    if client is None or client.email_consent != "plain_ok" or not client.first_name:
        return ""
    return " ".join(client.first_name.split())


def intake_forms_reminder(config: Config, appt: Appointment) -> dict[str, Any]:
    return {"when": when(appt, config.zone), **office_only(config)}


def office_only(config: Config) -> dict[str, Any]:
    """balance_notice and waitlist_opening say nothing about the person: only how to reach the office
    (and the client portal, where the practice has one)."""
    return {"office_phone": config.practice.phone, "portal_url": config.practice.portal_url}


def where(config: Config, appt: Appointment) -> str:
    if appt.modality == "video" and appt.telehealth_link:
        return f"Video: {appt.telehealth_link}"
    return "Phone" if appt.modality == "phone" else config.practice.address or "Office"


def invite_shown(config: Config, ctx: RuleContext, appt: Appointment) -> dict[str, Any]:
    """What an attendee's calendar shows of a session: kept in the ledger with the invitation, so a
    CANCEL can follow a session whose row, or whose clinician, has gone."""
    from .digests import initials

    client = ctx.clients.get(appt.client_id)
    label = (invites.label_for(appt, initials(client.first_name, client.last_name) if client else "")
             if config.invites.detail == "initials" else "")
    return {"start": start_of(appt, config.zone).isoformat(), "minutes": ctx.length_of(appt),
            "where": where(config, appt), "label": label}


def calendar_invite(config: Config, shown: dict[str, Any], method: str) -> dict[str, Any]:
    start = datetime.fromisoformat(shown["start"]).astimezone(config.zone)
    return {"cancelled": method == "CANCEL", "label": shown.get("label", ""), "day": start.date().isoformat(),
            "when": when_at(start), "minutes": shown["minutes"], "where": shown["where"]}


def calendar_body(config: Config, shown: dict[str, Any], *, method: str, uid: str, sequence: int, attendee: tuple[str, str],
                  now: datetime) -> str:
    return invites.build(datetime.fromisoformat(shown["start"]), method=method, uid=uid, sequence=sequence,
                         organizer=config.email.from_, attendees=[attendee], label=shown.get("label", ""),
                         minutes=shown["minutes"], where=shown["where"], zone=config.zone, now=now).decode()


def eap_report(today: date, authorization_id: str, vendor: str, due: date | None, status: str, file: str) -> dict[str, Any]:
    """The note that carries an EAP case's utilization report (the workbook is attached)."""
    return {"today": today.isoformat(), "authorization_id": authorization_id, "vendor": vendor,
            "due": due.isoformat() if due else "-", "status": status, "file": file}


def weekly_summary(figures: Any) -> dict[str, Any]:
    """The owner's email beside the workbook: the week's headline figures, money as the owner reads it."""
    start, end = figures.week
    return {"week_start": start.isoformat(), "week_end": end.isoformat(),
            "completed": figures.sessions["completed"],
            "no_show_rate": f"{figures.no_show_rate:.0%}" if figures.no_show_rate is not None else "-",
            "billed": f"${figures.billed:,.2f}", "collected": f"${figures.collected:,.2f}",
            "ar_total": f"${figures.ar_total:,.2f}",
            "ar_over_90": f"{figures.ar_over_90_share:.0%}" if figures.ar_over_90_share is not None else "-",
            "urgent": sum(1 for r in figures.risks if r.severity == "urgent" and r.owner != "owner"),
            "urgent_items": [r.message for r in figures.risks if r.severity == "urgent" and r.owner != "owner"][:10],
            "decisions": [r.message for r in figures.risks if r.owner == "owner"][:10]}


def va_work_queue(config: Config, today: date, waiting: list[Finding], data_issues: int, resolved: int,
                  replies: dict[str, int] | None = None) -> dict[str, Any]:
    """The VA's PHI-free morning note: how many items wait, for whom, how many are urgent, how many
    were resolved since her last note, and how clients answered since yesterday (``replies``: intent
    -> count, from the ledger): confirmations, and the answers that wait for her."""
    replies = replies or {}
    answered = {"confirmed": replies.get("confirm", 0),
                "for_you": sum(replies.get(i, 0) for i in ("reschedule", "unclear")),
                "opted_out": replies.get("stop", 0)}
    by_owner = Counter(OWNER_NAMES[f.owner] for f in waiting)
    return {"today": today.isoformat(), "open": len(waiting), "by_owner": sorted(by_owner.items()),
            "urgent": sum(1 for f in waiting if f.severity == "urgent"),
            "overdue": sum(1 for f in waiting if f.severity != "urgent" and overdue(f, today)), "data_issues": data_issues,
            "queue_name": config.work_queue.path.name, "resolved": resolved, "link": config.work_queue.link,
            "replies": answered if any(answered.values()) else {},
            "referrals_waiting": sum(1 for f in waiting if f.rule == "scheduling.referral_not_contacted")}


def referrals_seen(ctx: RuleContext) -> list[tuple[Referral, date]]:
    """Physicians' referrals whose person became a client and has been seen, with the client's release
    on file: (referral, the first session held since it arrived). A physician expects word back."""
    seen = []
    for referral in ctx.practice.referrals:
        if referral.source_type != "physician" or referral.outcome != "scheduled" or not referral.client_id:
            continue
        if referral.release_on_file in (None, False):
            continue
        held = [a.date for a in ctx.live_sessions_by_client.get(referral.client_id, ())
                if a.status == "completed" and referral.received_on <= a.date <= ctx.today]
        if held:
            seen.append((referral, min(held)))
    return seen


def referral_acknowledgment(config: Config, referral: Referral, seen: date) -> dict[str, Any]:
    """That the person was seen, and when: no diagnosis, no reason, nothing clinical."""
    return {"source": referral.referred_by or "Colleague", "referred": referral.name or "the person you referred",
            "received": people_date(referral.received_on), "seen": people_date(seen),
            "office_phone": config.practice.phone}
