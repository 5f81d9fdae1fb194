"""scheduling.* rules: the calendar itself. Owner: the VA."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from ..trackers.records import UPCOMING_STATUSES, Appointment, Client, Provider, WaitlistEntry
from ..trackers.values import is_self_pay, person_key, text_number
from .catalogue import rule
from .context import RuleContext
from .dates import clock_time, people_date
from .findings import Finding

WAITING = {"", "waiting", "waitlisted", "active", "open", "new", "pending"}


def _overlaps(ctx: RuleContext, group_by: Callable[[Appointment], str]) -> Iterator[tuple[Appointment, Appointment]]:
    """Pairs of live appointments, today or later, in one group whose times overlap (the past
    cannot be moved)."""
    groups = defaultdict(list)
    for appt in ctx.live_appointments:
        if appt.date >= ctx.today:
            groups[group_by(appt)].append(appt)
    for appts in groups.values():
        appts.sort(key=lambda a: (a.date, a.time, a.appointment_id))
        for i, first in enumerate(appts):
            first_end = ctx.start_of(first) + timedelta(minutes=ctx.length_of(first))
            for second in appts[i + 1:]:
                if second.date != first.date or ctx.start_of(second) >= first_end:
                    break
                yield first, second


JOINT_SERVICES = frozenset({"group", "family", "family_without_client"})


def _is_joint_session(a: Appointment, b: Appointment) -> bool:
    """Two rows for one session: a group, or a family or couple whose members each have a row."""
    return a.service in JOINT_SERVICES and a.service == b.service and a.time == b.time


@rule("scheduling.provider_double_booked", owner="va", severity="warning", title="Clinician double-booked",
      when="two live appointments of one provider overlap, today or later (a group or family session's rows "
           "at one time excepted)",
      thresholds=("default_session_minutes",))
def provider_double_booked(ctx: RuleContext) -> Iterator[Finding]:
    for first, second in _overlaps(ctx, lambda a: person_key(a.provider)):
        if _is_joint_session(first, second):
            continue
        yield provider_double_booked.found(
            f"{first.provider} is booked twice on {people_date(first.date)}: {first.appointment_id} at "
            f"{clock_time(first.time)} ({ctx.length_of(first)} min) overlaps {second.appointment_id} at "
            f"{clock_time(second.time)}. Move one of them and tell the client.",
            refs={"appointment": first.appointment_id, "other_appointment": second.appointment_id,
                  "provider": first.provider}, due=first.date)


@rule("scheduling.client_double_booked", owner="va", severity="warning", title="Client double-booked",
      when="two live appointments of one client overlap, today or later", thresholds=("default_session_minutes",))
def client_double_booked(ctx: RuleContext) -> Iterator[Finding]:
    for first, second in _overlaps(ctx, lambda a: a.client_id):
        yield client_double_booked.found(
            f"Client {first.client_id} has two sessions at once on {people_date(first.date)}: "
            f"{first.appointment_id} with {first.provider} at {clock_time(first.time)} and "
            f"{second.appointment_id} with {second.provider} at {clock_time(second.time)}. Keep one.",
            refs={"appointment": first.appointment_id, "other_appointment": second.appointment_id,
                  "client": first.client_id}, due=first.date)


@rule("scheduling.missing_telehealth_link", owner="va", severity="warning", title="Video link missing",
      when="a video appointment in the next `telehealth_link_days` days has no link",
      thresholds=("telehealth_link_days",),
      needs=(("appointments", "modality"),))
def missing_telehealth_link(ctx: RuleContext) -> Iterator[Finding]:
    if not ctx.practice.keeps("appointments", "modality"):
        return
    for appt in ctx.practice.appointments:
        if (appt.modality == "video" and not appt.telehealth_link and ctx.is_upcoming(appt)
                and ctx.days_until(appt.date) <= ctx.t(ctx.payer_of(appt)).telehealth_link_days):
            what = ("a telehealth link that is not a web link (http:// or https://)"
                    if ctx.practice.cannot_read(appt, "telehealth_link") else "no telehealth link")
            yield missing_telehealth_link.found(
                f"Video session {appt.appointment_id} ({appt.provider}, {people_date(appt.date)} "
                      f"{clock_time(appt.time)}) has {what}: the client cannot join without it. Add it so "
                      f"the reminder carries it.", refs={"appointment": appt.appointment_id, "client": appt.client_id},
                due=appt.date, severity="urgent" if appt.date == ctx.today else "warning")


@rule("scheduling.status_not_updated", owner="va", severity="warning", title="Session status not updated",
      when="an appointment more than `status_update_days` day(s) past is still scheduled/confirmed",
      thresholds=("status_update_days",))
def status_not_updated(ctx: RuleContext) -> Iterator[Finding]:
    for appt in ctx.practice.appointments:
        if appt.status not in UPCOMING_STATUSES:
            continue
        days = ctx.t(ctx.payer_of(appt)).status_update_days
        if (ctx.today - appt.date).days > days:
            yield status_not_updated.found(
                f"Appointment {appt.appointment_id} on {people_date(appt.date)} ({appt.provider}) is still "
                f"'{appt.status}'. Mark it completed, no-show, late cancel or cancelled: billing waits on it.",
                refs={"appointment": appt.appointment_id, "client": appt.client_id},
                due=appt.date + timedelta(days=days + 1))


def _first_visit_due(ctx: RuleContext, days_field: str, column: str) -> Iterator[tuple[Client, Appointment]]:
    if not ctx.practice.keeps("clients", column):
        return
    for client_id, appt in ctx.first_appointment.items():
        client = ctx.clients.get(client_id)
        if client is None or not ctx.is_upcoming(appt):
            continue
        if 0 <= ctx.days_until(appt.date) <= getattr(ctx.t(ctx.payer_of(appt)), days_field):
            yield client, appt


@rule("scheduling.intake_forms_missing", owner="va", severity="warning", title="Intake forms missing",
      when="a client's first appointment is within `intake_forms_days` days and forms are not received",
      thresholds=("intake_forms_days",),
      needs=(("clients", "intake_forms_received"),))
def intake_forms_missing(ctx: RuleContext) -> Iterator[Finding]:
    for client, appt in _first_visit_due(ctx, "intake_forms_days", "intake_forms_received"):
        if not client.intake_forms_received:
            yield intake_forms_missing.found(
                f"Client {client.client_id}'s first session ({appt.appointment_id}, {people_date(appt.date)}) "
                f"is close and the intake forms are not in. Send the forms reminder or call.",
                refs={"client": client.client_id, "appointment": appt.appointment_id},
                due=appt.date - timedelta(days=1))


@rule("scheduling.insurance_unverified", owner="va", severity="warning", title="Insurance not verified",
      when="an insured client's first appointment is within `insurance_verify_days` days and insurance is not verified",
      thresholds=("insurance_verify_days",),
      needs=(("clients", "insurance_verified"),))
def insurance_unverified(ctx: RuleContext) -> Iterator[Finding]:
    for client, appt in _first_visit_due(ctx, "insurance_verify_days", "insurance_verified"):
        if ctx.is_insured(appt) and not client.insurance_verified:
            yield insurance_unverified.found(
                f"Client {client.client_id} ({ctx.payer_of(appt)}) starts on {people_date(appt.date)} "
                f"({appt.appointment_id}) and insurance is not verified. Verify eligibility and benefits "
                f"before the first session.", refs={"client": client.client_id, "appointment": appt.appointment_id},
                due=appt.date - timedelta(days=1))


@rule("scheduling.reminder_blocked", owner="va", severity="warning", title="Reminder cannot go out",
      when="a reminder is due (within `[reminders] hours_before`) but no channel may carry it (no email, no consent, "
           "no number that takes texts): call instead")
def reminder_blocked(ctx: RuleContext) -> Iterator[Finding]:
    """The part of the rule that records alone decide; the reminders job adds the cases where the
    consent is `encrypted` but no certificate or gateway is on file, and a channel a client closed."""
    if not ctx.practice.keeps("clients"):
        return
    channels = ctx.thresholds.reminder_channels
    for appt in ctx.practice.appointments:
        client = ctx.clients.get(appt.client_id)
        if client is None or not ctx.is_upcoming(appt):
            continue
        if ctx.days_until(appt.date) * 24 > ctx.t(ctx.payer_of(appt)).reminder_hours:
            continue
        whys = [why for channel in channels if (why := _why_not(ctx, client, channel))]
        if len(whys) == len(channels):
            yield reminder_blocked_finding(appt, f"client {client.client_id} {'; '.join(whys)}", client)


def _why_not(ctx: RuleContext, client: Client, channel: str) -> str:
    """Why this channel cannot carry the client's reminder, or ""."""
    if channel == "sms":
        if client.sms_consent in (None, False):
            return "has not consented to texts"
        return "" if text_number(client.phone) else "has no phone number a text can go to"
    if ("client", client.client_id, "email") in ctx.practice.unreadable:
        return "has an email address that cannot be used (see the data finding for its cell)"
    if not client.email:
        return "has no email address"
    return "declined email" if client.email_consent == "none" else ""


def reminder_blocked_finding(appt: Appointment, why: str, client: Client | None = None, *, severity: str = "warning", key: str = "",
                             instead: str = "Phone the client instead") -> Finding:
    """``client``: who to call, by name and number, kept in the finding's details for the VA's queue
    (which holds PHI), never in its message (which the terminal shows)."""
    call = call_details(client)
    return reminder_blocked.found(
        f"No reminder can go out for {appt.appointment_id} ({people_date(appt.date)} {clock_time(appt.time)}, "
        f"{appt.provider}): {why}. {instead}.", refs={"appointment": appt.appointment_id, "client": appt.client_id},
        key=key, due=appt.date if severity == "urgent" else appt.date - timedelta(days=1),
        details={"call": call} if call else {}, severity=severity)


def call_details(client: Client | None) -> str:
    """`Rosa Diaz, 555-0101`: who the VA phones instead of a message, as the queue shows it."""
    if client is None:
        return ""
    name = " ".join(part for part in (client.first_name, client.last_name) if part)
    return call_words(name or client.client_id, client.phone)


def call_words(name: str, phone: str | None) -> str:
    return f"{name}, {phone or 'no phone number on file'}"


def prospect_fits(ctx: RuleContext, prospect: WaitlistEntry, provider: Provider, on: date) -> bool:
    """A waitlisted prospect fits a clinician: the one they asked for (if any), the specialty they
    need, in network with their payer on that day (self-pay: any)."""
    if prospect.preferred_provider and person_key(prospect.preferred_provider) != person_key(provider.provider):
        return False
    wanted = (prospect.requested_specialty or "").strip().lower()
    if wanted and wanted not in (provider.specialties or "").lower():
        return False
    return not (prospect.payer and not is_self_pay(prospect.payer)
                and ctx.panel_status(provider.provider, prospect.payer, on) != "in_network")


def is_waiting(prospect: WaitlistEntry) -> bool:
    return (prospect.status or "").strip().lower() in WAITING


@rule("scheduling.waitlist_stale", owner="va", severity="warning", title="Waitlist follow-up due",
      when="a waitlisted prospect has not been contacted for `waitlist_stale_days` days",
      thresholds=("waitlist_stale_days",))
def waitlist_stale(ctx: RuleContext) -> Iterator[Finding]:
    days = ctx.thresholds.waitlist_stale_days
    for prospect in ctx.practice.waitlist:
        if ctx.practice.cannot_read(prospect, "last_contacted_on"):
            continue  # data.bad_value asks for the date; the day the prospect was added does not stand in for it
        last = prospect.last_contacted_on or prospect.added_on
        if is_waiting(prospect) and last is not None and (ctx.today - last).days >= days:
            since = (f"was last contacted on {people_date(last)}" if prospect.last_contacted_on else
                     f"was added on {people_date(last)} and has not been contacted since")
            yield waitlist_stale.found(
                f"Waitlisted prospect {prospect.prospect_id} {since} ({(ctx.today - last).days} days ago). "
                f"Check in: prospects who hear nothing book elsewhere.", refs={"prospect": prospect.prospect_id},
                due=last + timedelta(days=days))


def _booked_this_week(ctx: RuleContext) -> Counter[str]:
    """Provider key -> live sessions in the next 7 days."""
    end = ctx.today + timedelta(days=7)
    return Counter(person_key(a.provider) for a in ctx.live_appointments if ctx.today <= a.date < end)


@rule("scheduling.waitlist_match", owner="va", severity="info", title="Waitlist match",
      when="a waitlisted prospect fits a provider who accepts new clients, has capacity, matches the specialty "
           "and is in network with the prospect's payer")
def waitlist_match(ctx: RuleContext) -> Iterator[Finding]:
    booked = _booked_this_week(ctx)
    for prospect in ctx.practice.waitlist:
        if not is_waiting(prospect):
            continue
        for key, provider in ctx.providers.items():
            if provider.accepting_new is not True:
                continue
            if provider.weekly_capacity is not None and booked[key] >= provider.weekly_capacity:
                continue
            if not prospect_fits(ctx, prospect, provider, ctx.today):
                continue
            wanted = (prospect.requested_specialty or "").strip().lower()
            yield waitlist_match.found(
                f"Waitlisted prospect {prospect.prospect_id} ({wanted or 'any need'}, "
                f"{prospect.payer or 'payer unknown'}) fits {provider.provider}, who has room this week. "
                f"Mark this row Approved to send the prospect an opening notice.",
                refs={"prospect": prospect.prospect_id, "provider": provider.provider}, due=ctx.today)
