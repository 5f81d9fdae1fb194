"""The `reminders` job: everything addressed to clients (appointment reminders, corrected ones,
intake-form reminders, balance notices, waitlist openings the VA approved) inside the sending
hours, and the calendar invitations (invitations.py) at any hour."""

from __future__ import annotations

from datetime import timedelta

from ..messages import contexts
from ..messages.delivery import HANDED_OVER, Delivery
from ..messages.postman import Sent
from ..messages.reminders import (
    ReminderBatch,
    changed_since_reminded,
    due_reminders,
    reminder_fingerprint,
    within_sending_hours,
)
from ..messages.replies import reply_token
from ..messages.texts import texts_used_up
from ..reports.queue_sheets import APPROVED, DONE
from ..rules.dates import clock_time
from ..rules.scheduling import reminder_blocked_finding
from ..trackers.records import Client
from ..trackers.values import text_number
from . import invitations, replies
from .run_state import RunState


def run(work: RunState) -> None:
    """Client messages inside the sending hours; calendar invitations at any hour."""
    config = work.config
    zone = config.zone
    if within_sending_hours(work.now.astimezone(zone), config.reminders.sending_hours):
        _appointment_reminders(work)
        _intake_form_reminders(work)
        _balance_notices(work)
        _waitlist_openings(work)
    else:
        work.result.notices.append(f"{clock_time(work.now.astimezone(zone))} is outside the sending hours "
                                   f"({config.reminders.sending_hours}): no client messages this run")
    invitations.calendar_invites(work)
    replies.raise_answer_findings(work)


def _appointment_reminders(work: RunState) -> None:
    """Each due reminder by every channel the practice uses and the client consented to (email, texts);
    a session no channel can reach is the VA's to phone (``scheduling.reminder_blocked``). With
    ``ask_to_confirm`` each asks for an answer, and the ledger keeps what was asked of whom."""
    config, ctx = work.config, work.ctx
    zone = config.zone
    batches = due_reminders(ctx.practice.appointments, work.now, config.reminders.hours_before,
                            config.reminders.sending_hours, zone, ctx.thresholds.default_session_minutes)
    channels = " and ".join("email" if c == "email" else "text" for c in config.reminders.channels)
    work.progress(f"{len(batches)} appointment reminder{'s' if len(batches) != 1 else ''} due: each goes by {channels} "
                  f"where it may, the others to the VA to phone")
    just_reminded: set[str] = set()
    for batch in batches:
        client = ctx.clients.get(batch.client_id)
        first = batch.appointments[0]
        if batch.client_id in ctx.ambiguous_clients:
            work.raise_finding(reminder_blocked_finding(first, f"client id {batch.client_id} is on two rows of the "
                                                               f"clients tracker, so which address is right is unknown"),
                               first.date)
            continue
        unlinked = [a for a in batch.appointments if a.modality == "video" and not a.telehealth_link]
        if unlinked:  # a video reminder without its link is held, never sent empty
            held = unlinked[0]
            work.raise_finding(reminder_blocked_finding(
                held, "its video session has no working link, so the client could not join", client,
                severity="urgent", key="video_link", instead="Add the link to the tracker (the next run sends the "
                                                            "reminder with it), or phone the client with it"),
                held.date)
            continue
        outcomes = [_remind(work, batch, client, channel) for channel in config.reminders.channels]
        if any(isinstance(outcome, Sent) and outcome.outcome.status in HANDED_OVER for outcome in outcomes):
            for appt in batch.appointments:  # what the client was told, now
                work.ledger.record_reminded(appt.appointment_id, reminder_fingerprint(appt), work.now)
                just_reminded.add(appt.appointment_id)
        if all(isinstance(outcome, str) or outcome.outcome.status == Delivery.BLOCKED for outcome in outcomes):
            whys = "; ".join(outcome if isinstance(outcome, str) else outcome.why_blocked for outcome in outcomes)
            colon = ":" if isinstance(outcomes[0], Sent) else ""
            for appt in batch.appointments if any(isinstance(o, Sent) for o in outcomes) else [first]:
                work.raise_finding(reminder_blocked_finding(appt, f"client {batch.client_id}{colon} {whys}", client),
                                   appt.date)
    _corrected_reminders(work, just_reminded)


def _remind(work: RunState, batch: ReminderBatch, client: Client | None, channel: str) -> Sent | str:
    """The reminder by one channel: what became of it, or why it could not go that way."""
    config, ledger = work.config, work.ledger
    ask = config.reminders.ask_to_confirm
    appointments = [a.appointment_id for a in batch.appointments]
    if channel == "email":
        if client is None or not client.email:
            return ("has an email address that cannot be used (see the data finding for its cell)"
                    if ("client", batch.client_id, "email") in work.ctx.practice.unreadable else "has no email address")
        if ledger.is_opted_out("email", client.email, client.client_id):
            return "opted out of email"
        token = reply_token(ledger.practice_key("replies"), batch.key) if ask else ""
        sent = work.postman.send("appointment_reminder", client.email,
                                 contexts.appointment_reminder(config, batch.appointments, client=client, ref=token),
                                 key=batch.key, consent=client.email_consent, to_client=True)
        if ask and sent.outcome.status == Delivery.SENT:
            ledger.record_asked(sent.outcome.message_id, token, "email", client.email, client.client_id, appointments,
                                work.now)
        if sent.outcome.status == Delivery.BLOCKED:
            sent.why_blocked = sent.why_blocked or "its email could not be sent securely"
        return sent
    number = text_number(client.phone) if client is not None else None
    if client is None or client.sms_consent in (None, False):
        return "has not consented to texts"
    if number is None:
        return "has no phone number a text can go to"
    if ledger.is_opted_out("sms", number, client.client_id):
        return "opted out of texts"
    if ledger.message_status(work.postman.text_id("text_reminder", number, batch.key)) is None and \
            (full := texts_used_up(ledger.texts_since(number, work.now - timedelta(days=7)), work.now, config.zone)):
        return full
    sent = work.postman.send_text("text_reminder", number, contexts.text_reminder(config, batch.appointments, ask=ask),
                                  key=batch.key)
    if ask and sent.outcome.status == Delivery.SENT:
        ledger.record_asked(sent.outcome.message_id, "", "sms", number, client.client_id, appointments, work.now)
    return sent


def _corrected_reminders(work: RunState, just_reminded: set[str]) -> None:
    """One corrected reminder for a session whose time, place or video link changed after its
    reminder went (so "add the link so the reminder carries it" comes true)."""
    config, ctx = work.config, work.ctx
    changed = changed_since_reminded(ctx.practice.appointments, work.ledger.reminded(), work.now, config.zone,
                                     config.reminders.sending_hours)
    for appt in changed:
        client = ctx.clients.get(appt.client_id)
        if appt.appointment_id in just_reminded or client is None or not client.email \
                or client.client_id in ctx.ambiguous_clients:
            continue
        fingerprint = reminder_fingerprint(appt)
        sent = work.postman.send("appointment_reminder", client.email,
                                 contexts.appointment_reminder(config, [appt], updated=True, client=client),
                                 key=f"{appt.appointment_id}:changed:{fingerprint}", consent=client.email_consent,
                                 to_client=True)
        if sent.outcome.status in HANDED_OVER:
            work.ledger.record_reminded(appt.appointment_id, fingerprint, work.now)


def _intake_form_reminders(work: RunState) -> None:
    ctx = work.ctx
    for finding in work.result.findings:
        if finding.rule != "scheduling.intake_forms_missing":
            continue
        client = ctx.clients.get(finding.refs["client"])
        appt = ctx.appointments.get(finding.refs["appointment"])
        if client is None or appt is None or not client.email or client.client_id in ctx.ambiguous_clients:
            continue
        work.postman.send("intake_forms_reminder", client.email, contexts.intake_forms_reminder(work.config, appt),
                          key=f"{client.client_id}:{appt.appointment_id}", consent=client.email_consent,
                          to_client=True)


def _balance_notices(work: RunState) -> None:
    for finding in work.result.findings:
        if finding.rule != "billing.balance_due":
            continue
        client = work.ctx.clients.get(finding.refs["client"])
        if client is None or not client.email or client.client_id in work.ctx.ambiguous_clients:
            continue
        work.postman.send("balance_notice", client.email, contexts.office_only(work.config),
                          key=f"{client.client_id}:{client.balance_since}", consent=client.email_consent,
                          to_client=True)


def _waitlist_openings(work: RunState) -> None:
    """A PHI-free note to a prospect whose waitlist match the VA marked Approved; then the match is Done."""
    current = {f.id: f for f in work.all_findings() if f.rule == "scheduling.waitlist_match"}   # a freed hour's too
    prospects = {p.prospect_id: p for p in work.ctx.practice.waitlist}
    done = []
    for state in work.ledger.queue_rows().values():
        finding = current.get(state["finding_id"])
        if finding is None or state["status"] != APPROVED:
            continue
        prospect = prospects.get(finding.refs["prospect"])
        if prospect is None or not prospect.email:
            continue
        sent = work.postman.send("waitlist_opening", prospect.email, contexts.office_only(work.config), key=finding.id)
        if sent.outcome.status in HANDED_OVER:
            note = f"opening notice sent {work.today.isoformat()}"
            done.append({**state, "status": DONE, "status_since": work.today.isoformat(),
                         "notes": f"{state['notes']} ({note})".strip() if state["notes"] else note})
    if done:
        work.ledger.save_queue_rows(done)
