"""Findings about clients' answers (DOMAIN.md "Replies and texts"): the records and what the ledger
knows of the answers in (which sessions were asked about, confirmed, which channels a client
closed), findings out. The `replies` job reads the answers; these say what the VA must do.

A client's own words are PHI: they travel in a finding's details (the queue shows them, which holds
PHI already), never in its message, which the terminal and the logs may show.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..trackers.records import UPCOMING_STATUSES, Appointment, Client, start_of
from ..trackers.values import person_key, text_number
from .catalogue import declare
from .context import RuleContext
from .dates import clock_time, people_date
from .findings import Finding
from .scheduling import call_details, is_waiting, prospect_fits, waitlist_match

reply_needs_action = declare(
    "scheduling.reply_needs_action", owner="va", severity="warning", title="Client's reply needs you",
    when="a client's reply asks to cancel or reschedule, or could not be read with confidence; names the session "
         "and the waitlist prospects who fit the freed time (urgent when the session is within 48 hours)")
unconfirmed_session = declare(
    "scheduling.unconfirmed_session", owner="va", severity="warning", title="Session not confirmed",
    when="a client was asked to confirm and has not, `confirm_hours` before the session: the VA's call list")
channel_opted_out = declare(
    "compliance.channel_opted_out", owner="va", severity="warning", title="Client opted out of a channel",
    when="a client opted out of texts or email (STOP, an unsubscribe, a reply saying so); nothing more goes by "
         "that channel; record it in the tracker")
URGENT_WITHIN = timedelta(hours=48)
CHANNEL_WORDS = {"sms": "texts", "email": "email"}


def session_words(appt: Appointment) -> str:
    return f"{appt.appointment_id} ({people_date(appt.date)} {clock_time(appt.time)}, {appt.provider})"


def reply_finding(*, reply_id: str, why: str, words: str, client: Client | None, client_id: str,
                  sessions: Iterable[Appointment], now: datetime, zone: ZoneInfo,
                  prospects: Mapping[str, list[str]] | None = None) -> Finding:
    """One reply the VA must act on: who wrote (by id; name and number in the details for her call),
    about which sessions, why it is hers, and the prospects who could take a freed hour."""
    sessions = sorted(sessions, key=lambda a: (a.date, a.time))
    soon = any(start_of(a, zone) - now <= URGENT_WITHIN for a in sessions)
    who = f"Client {client_id}" if client_id else "Someone the trackers do not know"
    about = f" about {', '.join(session_words(a) for a in sessions)}" if sessions else ""
    fits = [p for a in sessions for p in (prospects or {}).get(a.appointment_id, [])]
    offer = (f" Waitlisted prospects who fit the hour: {', '.join(dict.fromkeys(fits))} (their waitlist match rows "
             f"are in the queue: mark one Approved to send the opening)." if fits else "")
    refs = {"client": client_id} if client_id else {"reply": reply_id}
    if sessions:
        refs = {"appointment": sessions[0].appointment_id, **refs}
    details = {"words": words}
    if call := call_details(client):
        details["call"] = call
    return reply_needs_action.found(f"{who} replied{about}: {why}.{offer}", refs=refs, key=reply_id,
                                    due=now.date(), severity="urgent" if soon else "warning", details=details)


def freed_hour_matches(ctx: RuleContext, appt: Appointment) -> list[Finding]:
    """The waitlisted prospects who fit a session a client asked to cancel or move: the same provider
    (a prospect's preferred one, if any), the requested specialty, in network with the prospect's
    payer on that day. Each a waitlist match row the VA can approve for an opening notice."""
    provider = ctx.providers.get(person_key(appt.provider))
    if provider is None or provider.accepting_new is False:
        return []
    found = []
    for prospect in ctx.practice.waitlist:
        if not is_waiting(prospect) or not prospect_fits(ctx, prospect, provider, appt.date):
            continue
        wanted = (prospect.requested_specialty or "").strip().lower()
        found.append(waitlist_match.found(
            f"Waitlisted prospect {prospect.prospect_id} ({wanted or 'any need'}, {prospect.payer or 'payer unknown'}) "
            f"fits the hour {provider.provider} may have free on {people_date(appt.date)} at {clock_time(appt.time)} "
            f"(session {appt.appointment_id}: its client asked to cancel or move it). Once the session is moved, mark "
            f"this row Approved to send the prospect an opening notice.",
            refs={"prospect": prospect.prospect_id, "provider": provider.provider, "appointment": appt.appointment_id},
            key="freed", due=ctx.today))
    return found


def unconfirmed_sessions(ctx: RuleContext, asked: Mapping[str, str], confirmed: Mapping[str, str], now: datetime,
                         zone: ZoneInfo, confirm_hours: int) -> Iterator[Finding]:
    """Sessions whose client was asked to confirm and has not (by reply, or the tracker's status),
    from ``confirm_hours`` before the session until it starts: the VA's call list, with name and phone."""
    window = timedelta(hours=confirm_hours)
    for appointment_id in asked:
        appt = ctx.appointments.get(appointment_id)
        if appt is None or appt.status not in UPCOMING_STATUSES or appt.status == "confirmed":
            continue
        if appointment_id in confirmed:
            continue
        start = start_of(appt, zone)
        if not timedelta(0) < start - now <= window:
            continue
        client = ctx.clients.get(appt.client_id)
        call = call_details(client)
        yield unconfirmed_session.found(
            f"Session {session_words(appt)}: the client was asked to confirm and has not answered. Call them to "
            f"confirm; if they cannot come, the hour may go to the waitlist.",
            refs={"appointment": appt.appointment_id, "client": appt.client_id}, due=now.date(),
            details={"call": call} if call else {})


def opted_out_findings(ctx: RuleContext, opted_out: Iterable[Mapping[str, str]], today: date) -> Iterator[Finding]:
    """A channel a client closed (STOP, an unsubscribe) that the tracker still shows as open: the VA
    records it there. Nothing more goes by that channel meanwhile (the ledger holds it)."""
    for row in opted_out:
        client = ctx.clients.get(row["client_id"]) if row["client_id"] else None
        if row["channel"] == "sms":
            still_open = client is not None and client.sms_consent not in (None, False) \
                and text_number(client.phone) == row["recipient"]
            fix = "set their text consent to No"
        else:
            still_open = client is not None and client.email_consent not in (None, "none") \
                and (client.email or "").lower() == row["recipient"]
            fix = "set their email consent to None"
        if not still_open:
            continue
        since = datetime.fromisoformat(row["at"])
        yield channel_opted_out.found(
            f"Client {row['client_id']} opted out of {CHANNEL_WORDS[row['channel']]} on {people_date(since)} "
            f"({row['via']}); nothing more goes to them that way. Record it in the clients tracker: {fix}.",
            refs={"client": row["client_id"]}, key=row["channel"], due=today)
