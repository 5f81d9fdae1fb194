"""compliance.* rules: BAAs, releases of information, privacy notices. Owner: the practice owner,
except client paperwork, which is the VA's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from ..trackers.records import Appointment, Client
from .catalogue import declare, rule
from .context import RuleContext
from .dates import people_date
from .findings import Finding

INACTIVE = {"terminated", "revoked", "inactive", "closed", "expired", "replaced", "superseded", "discharged",
            "former", "archived", "ended"}

message_blocked = declare(
    "compliance.message_blocked", owner="va", severity="warning", title="Message not sent (no secure channel)",
    when="a message carrying PHI had no secure channel and was not sent (raised by the message jobs); says why: "
         "no certificate, or the one on file is expired, not yet valid or for another address")
message_failed = declare(
    "compliance.message_failed", owner="va", severity="warning", title="Message could not be delivered",
    when="a message could not be delivered: refused permanently, or failing for 24 hours (raised by the message "
         "jobs)")
TELEHEALTH = frozenset({"video", "phone"})


def is_active(status: str | None) -> bool:
    """A client or a document the practice still counts on (blank: active): one reading of a status."""
    return (status or "").strip().lower() not in INACTIVE


def _expiring(ctx: RuleContext, kind: str, warning_days: int, after_expiry: bool) -> Iterator[tuple[Any, ...]]:
    """(item, days left, "expires on ..." or "expired on ...") for active documents of one kind;
    documents already expired only when ``after_expiry``."""
    for item in ctx.practice.compliance:
        if item.item != kind or item.expires_on is None or not is_active(item.status):
            continue
        left = ctx.days_until(item.expires_on)
        if left <= warning_days and (after_expiry or left >= 0):
            verb = "expired" if left < 0 else "expires"
            yield item, left, f"{verb} on {people_date(item.expires_on)}"


@rule("compliance.baa_renewal_due", owner="owner", severity="warning", title="BAA renewal due",
      when="a BAA expires within `baa_warning_days` days, or has expired", thresholds=("baa_warning_days",))
def baa_renewal_due(ctx: RuleContext) -> Iterator[Finding]:
    for item, left, state in _expiring(ctx, "baa", ctx.thresholds.baa_warning_days, after_expiry=True):
        yield baa_renewal_due.found(
            f"The business associate agreement with {item.party} {state}; sharing PHI with a vendor "
            f"without one breaches HIPAA. Renew it"
            + (", and stop sending PHI to them until it is signed." if left < 0 else " before then."),
            refs={"party": item.party}, due=item.expires_on, severity="urgent" if left < 0 else "warning")


@rule("compliance.roi_expiring", owner="va", severity="warning", title="Release of information expiring",
      when="a client's release of information expires within `roi_warning_days` days (until the day it expires)",
      thresholds=("roi_warning_days",))
def roi_expiring(ctx: RuleContext) -> Iterator[Finding]:
    for item, _, state in _expiring(ctx, "roi", ctx.thresholds.roi_warning_days, after_expiry=False):
        refs = {"party": item.party}
        if item.client_id:
            refs["client"] = item.client_id
        yield roi_expiring.found(
            f"Client {item.client_id or '(no id)'}'s release of information to {item.party} {state}. "
            f"Ask the client whether to renew it; share nothing under it after that date.", refs=refs,
            due=item.expires_on)


@rule("compliance.privacy_notice_missing", owner="va", severity="warning", title="Privacy notice not signed",
      when="an active client has no privacy notice acknowledgment",
      needs=(("clients", "privacy_notice_ack"),))
def privacy_notice_missing(ctx: RuleContext) -> Iterator[Finding]:
    if not ctx.practice.keeps("clients", "privacy_notice_ack"):
        return
    for client in ctx.practice.clients:
        if client.privacy_notice_ack or not is_active(client.status):
            continue
        yield privacy_notice_missing.found(
            f"Client {client.client_id} has no privacy notice acknowledgment on file. Have them sign the "
            f"Notice of Privacy Practices at the next session.", refs={"client": client.client_id},
            due=ctx.first_appointment[client.client_id].date
            if client.client_id in ctx.first_appointment and ctx.is_upcoming(ctx.first_appointment[client.client_id])
            else ctx.today)


def _sessions_by_client(ctx: RuleContext) -> dict[str, list[Appointment]]:
    """Each active client's live sessions (booked or held), in date order."""
    return {client_id: sessions for client_id, sessions in ctx.live_sessions_by_client.items()
            if (client := ctx.clients.get(client_id)) is not None and is_active(client.status)}


def _due(ctx: RuleContext, sessions: list[Appointment]) -> date:
    """Before the next session, or now when every one of them is past."""
    ahead = [a.date for a in sessions if a.date >= ctx.today]
    return ahead[0] if ahead else ctx.today


@rule("compliance.consent_missing", owner="va", severity="warning", title="Consent missing",
      when="a client with a session booked or held has no consent to treatment on file, or no telehealth consent "
           "for a video or phone session (quiet where the sheet has no such column)",
      needs=(("clients", "consent_to_treat"), ("clients", "telehealth_consent")))
def consent_missing(ctx: RuleContext) -> Iterator[Finding]:
    treatment = ctx.practice.keeps("clients", "consent_to_treat")
    telehealth = ctx.practice.keeps("clients", "telehealth_consent")
    if not (treatment or telehealth):
        return
    for client_id, sessions in _sessions_by_client(ctx).items():
        client = ctx.clients[client_id]
        first = sessions[0]
        if treatment and not client.consent_to_treat:
            yield consent_missing.found(
                f"Client {client_id} has no informed consent to treatment on file"
                f"{' and has already been seen' if first.date < ctx.today else ''} (first session "
                f"{first.appointment_id}, {people_date(first.date)}). Have it signed before the next session.",
                refs={"client": client_id, "appointment": first.appointment_id}, key="treatment",
                due=_due(ctx, sessions), severity="urgent" if first.date <= ctx.today else "warning")
        remote = [a for a in sessions if a.modality in TELEHEALTH]
        if telehealth and remote and not client.telehealth_consent:
            yield consent_missing.found(
                f"Client {client_id} has {len(remote)} video or phone session(s) (first "
                f"{remote[0].appointment_id}, {people_date(remote[0].date)}) and no telehealth consent on "
                f"file; most states require it. Have it signed before the next remote session.",
                refs={"client": client_id, "appointment": remote[0].appointment_id}, key="telehealth",
                due=_due(ctx, remote))


def age_on(born: date, day: date) -> int:
    """Whole years of age on a date (a birthday on 29 February counts on 1 March in other years)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _minor_sessions(client: Client, sessions: list[Appointment], age_of_consent: int, today: date) -> list[Appointment]:
    """The sessions at which the client is a minor; none for a birth date in the future (a bad value:
    data.bad_value says so), which is never a child."""
    born = client.date_of_birth
    if born is None or born > today:
        return []
    return [a for a in sessions if age_on(born, a.date) < age_of_consent]


@rule("compliance.minor_consent_missing", owner="va", severity="warning", title="Guardian consent missing",
      when="a client under `[practice] age_of_consent` (default 18) on a session's date has no guardian consent on "
           "file (quiet where the sheet has no date of birth or guardian consent column)",
      needs=(("clients", "date_of_birth"), ("clients", "guardian_consent")))
def minor_consent_missing(ctx: RuleContext) -> Iterator[Finding]:
    if not (ctx.practice.keeps("clients", "date_of_birth") and ctx.practice.keeps("clients", "guardian_consent")):
        return
    age = ctx.thresholds.age_of_consent
    for client_id, sessions in _sessions_by_client(ctx).items():
        client = ctx.clients[client_id]
        minor = _minor_sessions(client, sessions, age, ctx.today)
        if not minor or client.guardian_consent:
            continue
        first = minor[0]
        yield minor_consent_missing.found(
            f"Client {client_id} is under {age} (the age of consent for outpatient care here) on "
            f"{people_date(first.date)} ({first.appointment_id}) and has no parent's or guardian's consent on "
            f"file. Have a parent or guardian sign before the next session.",
            refs={"client": client_id, "appointment": first.appointment_id}, due=_due(ctx, minor),
            details={"sessions_as_minor": len(minor)}, severity="urgent" if first.date <= ctx.today else "warning")
