"""Calendar invitations that follow the tracker: what each attendee was last shown is in the
ledger, and each session's invitation moves from nothing to REQUEST (new or changed) to CANCEL
(cancelled, reassigned away, or its row gone) and back."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from ..ledger import Ledger
from ..messages import contexts, invites
from ..messages.delivery import HANDED_OVER, Delivery
from ..trackers.records import CANCELLED_STATUSES, UPCOMING_STATUSES
from ..trackers.values import person_key
from .run_state import RunState

MASS_CANCEL_FLOOR = 5
"""More invitations than this vanishing at once, and more than half of them, looks like a damaged or
filtered tracker, not a VA's edits: nothing is cancelled on that evidence."""


def calendar_invites(work: RunState) -> None:
    """Invitations that follow the tracker: a REQUEST for a new or changed session, a CANCEL for a
    cancelled one, for one reassigned away from a clinician (the new one gets a REQUEST), and for a
    future session whose row was deleted. What each attendee was last shown is in the ledger."""
    config, ctx = work.config, work.ctx
    blocked: Counter = Counter()
    why: dict[str, str] = {}
    attending: set[tuple[str, str]] = set()
    for appt in sorted(ctx.practice.appointments, key=lambda a: (a.date, a.time)):
        if appt.date < work.today or (appt.status not in UPCOMING_STATUSES
                                      and appt.status not in CANCELLED_STATUSES):
            continue
        shown = contexts.invite_shown(config, ctx, appt)
        for name, email, consent, to_client in _attendees(work, appt):
            attending.add((appt.appointment_id, email.lower()))
            planned = _invite_to_send(work.ledger, appt, email, ctx.length_of(appt), config.email.from_)
            if planned is None:
                continue
            method, uid, sequence, fingerprint = planned
            status, reason = _invite(work, appt.appointment_id, shown, (name, email), method, uid, sequence,
                                     fingerprint, consent, to_client)
            if status == Delivery.BLOCKED and not to_client:
                blocked[name] += 1
                why[name] = reason
    _cancel_what_is_gone(work, attending)
    for name, count in blocked.items():
        work.message_blocked("calendar_invite", name, why[name], "calendar invitation(s)", count)


def _attendees(work: RunState, appt) -> list[tuple[str, str, str | None, bool]]:
    ctx = work.ctx
    provider = ctx.providers.get(person_key(appt.provider))
    client = ctx.clients.get(appt.client_id)
    found: list[tuple[str, str, str | None, bool]] = []
    if provider is not None and provider.email:
        found.append((provider.provider, provider.email, None, False))
    if (work.config.invites.to_clients and client is not None and client.email
            and client.client_id not in ctx.ambiguous_clients):
        found.append((appt.client_id, client.email, client.email_consent, True))
    return found


def _invite(work: RunState, appointment_id: str, shown: dict, attendee: tuple[str, str], method: str, uid: str,
            sequence: int, fingerprint: str, consent: str | None = None, to_client: bool = False) -> tuple[str, str]:
    config = work.config
    name, email = attendee
    ics = contexts.calendar_body(config, shown, method=method, uid=uid, sequence=sequence, attendee=attendee,
                                 now=work.now)
    sent = work.postman.send("calendar_invite", email, contexts.calendar_invite(config, shown, method),
                             key=f"{appointment_id}:{sequence}:{method}", consent=consent, to_client=to_client,
                             calendar=(ics, method))
    if sent.outcome.status in HANDED_OVER:
        work.ledger.record_invite(appointment_id, email, uid, sequence, fingerprint, method, work.now, shown)
    return sent.outcome.status, sent.why_blocked


def _invite_to_send(ledger: Ledger, appt, email: str, minutes: int, sender: str):
    """(method, uid, sequence, fingerprint) to send now, or None when the attendee is up to date."""
    fingerprint = invites.fingerprint(appt, minutes)
    cancelled = appt.status in CANCELLED_STATUSES
    state = ledger.invite_state(appt.appointment_id, email)
    if state is None:
        return None if cancelled else ("REQUEST", invites.uid_for(appt.appointment_id, sender,
                                                                  ledger.practice_key("invite-uid")), 0, fingerprint)
    uid, sequence, old_fingerprint, old_method = state
    if cancelled:
        return None if old_method == "CANCEL" else ("CANCEL", uid, sequence + 1, fingerprint)
    if fingerprint != old_fingerprint or old_method == "CANCEL":
        return "REQUEST", uid, sequence + 1, fingerprint
    return None


def _cancel_what_is_gone(work: RunState, attending: set[tuple[str, str]]) -> None:
    """A calendar still showing a future session it should not: the session was reassigned to
    someone else, or its row deleted. Cancelled from what the ledger says it shows."""
    ahead = [i for i in work.ledger.live_invites()
             if i["shown"].get("start") and datetime.fromisoformat(i["shown"]["start"]) >= work.now]
    gone = [i for i in ahead if (i["appointment_id"], i["recipient"]) not in attending]
    if len(gone) > MASS_CANCEL_FLOOR and len(gone) > len(ahead) / 2:
        work.result.notices.append(f"{len(gone)} of {len(ahead)} future sessions with invitations are gone from the "
                                   f"appointments tracker at once, which looks like a damaged or filtered sheet; no "
                                   f"invitation was cancelled. Check the tracker: restore the rows, or, if the "
                                   f"sessions were really removed, remove them from the clinicians' calendars")
        return
    for invite in gone:
        _invite(work, invite["appointment_id"], invite["shown"], (invite["recipient"], invite["recipient"]), "CANCEL",
                invite["uid"], invite["sequence"] + 1, "gone")
