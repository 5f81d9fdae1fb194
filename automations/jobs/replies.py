"""The `replies` job: clients' answers read, each once, and turned into what they ask for.

Texts come from the text service (Twilio's Messages list), emails from the practice's mailbox
through the service it sends with (transports.reply_sources). Each reply is matched to the reminder
it answers (an email by In-Reply-To/References, else the reminder's own ``Ref`` token, else its
sender; a text by its number and the latest reminder to it) and read with care
(messages/replies.what_it_says): a confirmation is recorded in the ledger; anything else for the VA
(``scheduling.reply_needs_action``, with the client's words in the queue and the waitlist prospects
who fit a freed hour); STOP closes the channel at once, START reopens it, HELP gets the practice's
name and phone. The trackers are never written. Then what became of recent texts (undelivered,
failed: ``compliance.message_failed``), and the sessions still unconfirmed close to their start
(``scheduling.unconfirmed_session``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from ..errors import TransportError
from ..messages import contexts
from ..messages.replies import Intent, Reply, ReplySource, quoted_words, refs_in, what_it_says
from ..rules.replies import freed_hour_matches, opted_out_findings, reply_finding, unconfirmed_sessions
from ..trackers.records import UPCOMING_STATUSES, Appointment, Client, start_of
from ..trackers.values import text_number
from ..transports import open_texts, reply_sources
from .run_state import RunState

log = logging.getLogger("practice_ops.replies")

POSITION = "replies.position:"
"""The ledger's key (in ``kept``) for where each source's last poll ended."""
RECEIPTS_FOR = timedelta(days=7)
"""How long after a text was sent its fate is still asked after."""


def run(work: RunState) -> None:
    sources = reply_sources(work.config)
    if not sources:
        work.progress("No replies are read: no [sms] text service, and reminders do not ask for answers")
    try:
        for source in sources:
            _read(work, source)
    finally:
        for source in sources:
            try:
                source.close()
            except TransportError:
                pass
    if work.config.sms is not None:
        _text_receipts(work)
    raise_answer_findings(work)


def raise_answer_findings(work: RunState) -> None:
    """The sessions asked about and still unconfirmed close to their start, and the channels a client
    closed that the tracker still shows open (the reminders job raises them too)."""
    config, ledger = work.config, work.ledger
    asked = ledger.asked_appointments()
    if asked:
        for finding in unconfirmed_sessions(work.ctx, asked, ledger.confirmed(), work.now, config.zone,
                                            config.reminders.confirm_hours):
            work.raise_finding(finding, work.today)
    opted_out = ledger.opted_out()
    if opted_out:
        for finding in opted_out_findings(work.ctx, opted_out, work.today):
            work.raise_finding(finding, work.today)


def _read(work: RunState, source: ReplySource) -> None:
    positions = work.ledger.kept(POSITION)
    try:
        replies, position = source.fetch_replies(positions.get(source.name, {}), work.now)
    except TransportError as exc:
        work.result.notices.append(f"replies through {source.name} could not be read ({exc}); the next run tries "
                                   f"again")
        return
    fresh = [r for r in replies if not work.ledger.reply_handled(r.source, r.provider_id)]
    work.progress(f"{len(fresh)} new repl{'y' if len(fresh) == 1 else 'ies'} through {source.name}")
    unread = 0
    for reply in sorted(fresh, key=lambda r: r.received_at):
        if work.ledger.reply_handled(reply.source, reply.provider_id):  # the same reply twice in one poll
            continue
        try:
            intent, client_id = handle(work, reply)
        except Exception as exc:  # the boundary of one reply: the next run reads it again
            unread += 1
            log.warning("a reply through %s was not handled (%s)", source.name, exc.__class__.__name__)
            continue
        work.ledger.record_reply(reply.source, reply.provider_id, reply.received_at, intent, client_id, work.now)
    if unread:
        work.result.notices.append(f"{unread} repl{'y' if unread == 1 else 'ies'} through {source.name} could not be "
                                   f"handled; the next run tries again")
    if not unread:
        work.ledger.keep(POSITION + source.name, position)


def handle(work: RunState, reply: Reply) -> tuple[str, str]:
    """Do what one reply asks; (its intent, the client it came from, or "")."""
    intent = what_it_says(reply)
    asked = _asked(work, reply)
    client_id = asked[0]["client_id"] if asked else _client_by_sender(work, reply)
    client = work.ctx.clients.get(client_id) if client_id else None
    if intent == Intent.AUTO_REPLY:
        return intent, client_id
    if intent == Intent.STOP:
        work.ledger.opt_out(reply.channel, reply.sender, client_id, f"replied {_said(reply)}", work.now)
        if reply.channel == "sms" and reply.body.strip().lower() == "cancel" and asked:
            _for_the_va(work, reply, asked, client, client_id,
                        "CANCEL, which closes texts from the practice (carriers read it so) and may also mean the "
                        "session: texts stopped; call to ask about the session")
        return intent, client_id
    if intent == Intent.START:
        work.ledger.opt_in(reply.channel, reply.sender, work.now)
        return intent, client_id
    if intent == Intent.HELP:
        if reply.channel == "sms":
            work.postman.send_text("text_help", reply.sender, contexts.text_help(work.config),
                                   key=f"help:{reply.provider_id}")
        else:
            _for_the_va(work, reply, asked, client, client_id, "asks for help")
        return intent, client_id
    sessions = _live_sessions(work, asked)
    if intent == Intent.CONFIRM and sessions:
        for appt in sessions:
            work.ledger.confirm(appt.appointment_id, f"{reply.channel} reply", work.now)
        return intent, client_id
    if intent == Intent.CONFIRM:  # a confirmation of nothing upcoming is the VA's to read, recorded as such
        why = ("confirms, but the session it answers has passed or is no longer booked" if asked else
               "confirms, but no reminder it answers was found")
        intent = Intent.UNCLEAR
    elif intent == Intent.RESCHEDULE:
        why = "asks to cancel or reschedule" + ("" if sessions else " (no upcoming session of theirs was asked about)")
    else:
        why = "could not be read with confidence"
    _for_the_va(work, reply, asked, client, client_id, why, sessions)
    return intent, client_id


def _for_the_va(work: RunState, reply: Reply, asked: list[dict], client: Client | None, client_id: str, why: str,
                sessions: list[Appointment] | None = None) -> None:
    """A reply the VA must read: kept in the queue until the session (a week when there is none), and,
    when it would free an hour, the waitlist prospects who fit it as rows she can approve."""
    sessions = _live_sessions(work, asked) if sessions is None else sessions
    prospects: dict[str, list[str]] = {}
    if "cancel" in why or "reschedule" in why:
        for appt in sessions:
            matches = freed_hour_matches(work.ctx, appt)
            prospects[appt.appointment_id] = [m.refs["prospect"] for m in matches]
            for match in matches:
                work.raise_finding(match, appt.date)
    finding = reply_finding(reply_id=reply.provider_id, why=why, words=quoted_words(reply), client=client,
                            client_id=client_id, sessions=sessions, now=work.now, zone=work.config.zone,
                            prospects=prospects)
    until = max([a.date for a in sessions], default=work.today + timedelta(days=7))
    work.raise_finding(finding, until)


def _asked(work: RunState, reply: Reply) -> list[dict]:
    """What was asked of the client this reply answers, the latest first: an email by the Message-IDs
    it names, else the reminder's token in its text, else its sender; a text by its number."""
    ledger = work.ledger
    if reply.channel == "email":
        found = ledger.asked_by_message(list(reply.answers))
        for token in refs_in(reply) if not found else []:
            found = ledger.asked_by_token(token)
            if found:
                break
        return found or ledger.asked_of("email", reply.sender)
    return ledger.asked_of("sms", reply.sender)


def _live_sessions(work: RunState, asked: list[dict]) -> list[Appointment]:
    """The sessions of the latest reminder that asked which are still booked and ahead."""
    zone = work.config.zone
    for question in asked:
        sessions = [work.ctx.appointments.get(a) for a in question["appointments"]]
        live = [a for a in sessions if a is not None and a.status in UPCOMING_STATUSES
                and start_of(a, zone) > work.now]
        if live:
            return live
    return []


def _client_by_sender(work: RunState, reply: Reply) -> str:
    """The client whose number or address this is, when exactly one has it."""
    if reply.channel == "sms":
        found = {c.client_id for c in work.ctx.clients.values() if text_number(c.phone) == reply.sender}
    else:
        found = {c.client_id for c in work.ctx.clients.values() if (c.email or "").lower() == reply.sender.lower()}
    return found.pop() if len(found) == 1 else ""


def _said(reply: Reply) -> str:
    return f"by {'text' if reply.channel == 'sms' else 'email'} on {reply.received_at:%b} {reply.received_at.day}"


def _text_receipts(work: RunState) -> None:
    """What became of recent texts: one the carrier could not deliver is the VA's to follow up
    (``compliance.message_failed``), once."""
    since = work.now - RECEIPTS_FOR
    awaiting = work.ledger.texts_awaiting_receipt(since)
    if not awaiting:
        return
    try:
        texts = open_texts(work.config)
        receipts = {r.provider_id: r for r in texts.receipts([provider_id for _, provider_id, _, _ in awaiting], since)}
    except TransportError as exc:
        work.result.notices.append(f"what became of recent texts could not be asked ({exc}); the next run asks again")
        return
    for message_id, provider_id, kind, to in awaiting:
        receipt = receipts.get(provider_id)
        if receipt is None:
            continue
        work.ledger.record_receipt(message_id, receipt.status, work.now)
        if receipt.status in ("undelivered", "failed"):
            work.message_failed(kind, to, message_id, f"the carrier did not deliver it ({receipt.error or receipt.status})",
                                None)
