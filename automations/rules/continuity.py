"""The rest of the VA's week (DOMAIN.md "Referrals", "Continuity (recall)", "Benefits
re-verification"): referrals answered within a business day and closed with an outcome, clients
who drifted off with nothing booked, insured clients whose benefits were last verified before a
new year, and office supplies running out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from itertools import islice, takewhile
from statistics import median

from ..trackers.records import UPCOMING_STATUSES, Appointment, Referral
from ..trackers.values import fold
from .catalogue import rule
from .compliance import is_active
from .context import RuleContext
from .dates import business_days_after, people_date
from .findings import Finding
from .scheduling import call_details, call_words

RECALL_AT_LEAST = 14
"""Days: however close a client's usual rhythm, recall waits at least two weeks."""
RECALL_FACTOR = 1.5
"""Half again a client's usual interval between sessions."""
RHYTHM_SESSIONS = 3
"""Completed sessions a client needs before their own interval says when they drifted off."""
RHYTHM_WINDOW = 7
"""The latest completed sessions a client's usual interval is taken from."""


def _call(name: str | None, phone: str | None) -> dict[str, str]:
    """Whom the VA phones, as the queue shows it (never in a finding's message)."""
    return {"call": call_words(name or "the person referred", phone)} if name or phone else {}


def _open(referral: Referral) -> bool:
    return referral.outcome is None


@rule("scheduling.referral_not_contacted", owner="va", severity="warning", title="Referral waiting for a first call",
      when="a referral has no first contact by the end of the `[referrals] contact_business_days`-th business day "
           "after it was received (weekends and US federal holidays skipped); urgent once the next business day has "
           "passed too", needs=(("referrals", "contacted_on"),))
def referral_not_contacted(ctx: RuleContext) -> Iterator[Finding]:
    days = ctx.thresholds.referral_contact_business_days
    for referral in ctx.practice.referrals:
        if referral.contacted_on is not None or not _open(referral) or ctx.practice.cannot_read(referral, "contacted_on"):
            continue
        due = business_days_after(referral.received_on, days)
        if ctx.today <= due:
            continue
        late = ctx.today > business_days_after(referral.received_on, days + 1)
        who = f" from {referral.referred_by}" if referral.referred_by else ""
        yield referral_not_contacted.found(
            f"Referral {referral.referral_id}{who}, received {people_date(referral.received_on)}, has had no first "
            f"contact: it was due by {people_date(due)}. Call today (each day of waiting loses prospects) and enter "
            f"the date in First Contact.", refs={"referral": referral.referral_id}, due=due,
            severity="urgent" if late else None, details=_call(referral.name, referral.phone))


@rule("scheduling.referral_open", owner="va", severity="warning", title="Referral without an outcome",
      when="a contacted referral has no outcome more than `referral_open_days` (14) days after it was received",
      thresholds=("referral_open_days",), needs=(("referrals", "outcome"),))
def referral_open(ctx: RuleContext) -> Iterator[Finding]:
    yield from _waitlisted_elsewhere(ctx)
    days = ctx.thresholds.referral_open_days
    for referral in ctx.practice.referrals:
        if referral.contacted_on is None or not _open(referral) or ctx.practice.cannot_read(referral, "outcome"):
            continue
        waited = (ctx.today - referral.received_on).days
        if waited <= days:
            continue
        yield referral_open.found(
            f"Referral {referral.referral_id}, received {people_date(referral.received_on)} and first contacted "
            f"{people_date(referral.contacted_on)}, has no outcome after {waited} days. Record what became of it "
            f"(scheduled, waitlisted, declined, no response, referred out, not a fit).",
            refs={"referral": referral.referral_id}, due=referral.received_on + timedelta(days=days + 1))


def _waitlisted_elsewhere(ctx: RuleContext) -> Iterator[Finding]:
    """A referral marked waitlisted whose person the waitlist does not hold: the VA adds them there
    (practice-ops never copies a row from one tracker to another)."""
    if not ctx.practice.keeps("waitlist"):
        return
    waiting = {fold(p.name or "") for p in ctx.practice.waitlist} | {
        fold(p.email or "") for p in ctx.practice.waitlist if p.email}
    for referral in ctx.practice.referrals:
        if referral.outcome != "waitlisted" or not (referral.name or referral.email):
            continue
        if fold(referral.name or "") in waiting or (referral.email and fold(referral.email) in waiting):
            continue
        yield referral_open.found(
            f"Referral {referral.referral_id} is marked waitlisted, but the waitlist has no row for the person: add "
            f"them to the waitlist (practice-ops never copies rows between trackers), so a freed hour can reach "
            f"them.", refs={"referral": referral.referral_id}, key="waitlist", due=ctx.today)


def recall_after(ctx: RuleContext, completed: list[Appointment]) -> int:
    """Days after a client's last completed session that they count as drifted off: half again their
    usual interval (the median gap between their last sessions, with at least three), never under two
    weeks; without a rhythm, ``[recall] days``. ``completed``: their latest completed sessions."""
    days = sorted({a.date for a in completed})[-RHYTHM_WINDOW:]
    if len(days) < RHYTHM_SESSIONS:
        return ctx.thresholds.recall_days
    gaps = [(b - a).days for a, b in zip(days, days[1:], strict=False)]
    return max(RECALL_AT_LEAST, round(RECALL_FACTOR * median(gaps)))


def _latest_first(sessions: list[Appointment], since: date) -> Iterator[Appointment]:
    """A client's sessions (in date order) from the latest back to ``since``: recall and re-verification
    look at the recent ones only, so years of history cost nothing."""
    return takewhile(lambda a: a.date >= since, reversed(sessions))


def _used_up(ctx: RuleContext, client_id: str, sessions: list[Appointment]) -> bool:
    """The client's latest authorization or EAP case has every session used (that is its own finding):
    counted over the client's own sessions since it began, the ones that name it or fall in its dates."""
    auths = ctx.authorizations_by_client.get(client_id, [])
    if not auths:
        return False
    latest = max(auths, key=lambda a: (a.end_date or a.start_date or date.min, a.authorization_id))
    since = latest.start_date or date.min
    used = sum(1 for a in _latest_first(sessions, since)
               if a.status in UPCOMING_STATUSES | {"completed"}
               and (a.authorization_id == latest.authorization_id
                    or (a.authorization_id is None and (latest.end_date is None or a.date <= latest.end_date))))
    return used >= latest.sessions_authorized


@rule("scheduling.no_next_appointment", owner="va", severity="warning", title="Client with nothing booked",
      when="an active client has no live session booked and their last completed session is older than 1.5 times "
           "their usual interval (at least 14 days; with fewer than three sessions, `[recall] days`)",
      needs=(("clients", "status"),))  # without it a discharged client is not known from an active one
def no_next_appointment(ctx: RuleContext) -> Iterator[Finding]:
    for client_id, sessions in ctx.live_sessions_by_client.items():
        client = ctx.clients.get(client_id)
        if client is None or not is_active(client.status):
            continue
        if any(ctx.is_upcoming(a) for a in _latest_first(sessions, ctx.today)):
            continue
        completed = list(islice((a for a in reversed(sessions) if a.status == "completed" and a.date <= ctx.today),
                                RHYTHM_WINDOW))
        if not completed:
            continue
        last = max(a.date for a in completed)
        after = recall_after(ctx, completed)
        if (ctx.today - last).days <= after or _used_up(ctx, client_id, sessions):
            continue
        rhythm = (f"about every {round(after / RECALL_FACTOR)} days" if len(completed) >= RHYTHM_SESSIONS
                  else "not often enough yet to know their rhythm")
        yield no_next_appointment.found(
            f"Client {client_id} was last seen {people_date(last)} ({(ctx.today - last).days} days ago; they came "
            f"{rhythm}) and has nothing booked. Call to book the next session, or mark them inactive or "
            f"discharged in the clients tracker.", refs={"client": client_id},
            due=last + timedelta(days=after + 1), details={"call": call_details(client)})


@rule("scheduling.insurance_reverify", owner="va", severity="warning", title="Benefits to re-verify for the year",
      when="an insured client has a live session in a calendar year and their benefits were last verified before "
           "that year began (deductibles reset on 1 January); a plain yes counts as verified at an unknown date, "
           "said once a year (until the year's first session is held)", needs=(("clients", "insurance_verified"),))
def insurance_reverify(ctx: RuleContext) -> Iterator[Finding]:
    for client_id, sessions in ctx.live_sessions_by_client.items():
        client = ctx.clients.get(client_id)
        if client is None or client.insurance_verified in (None, False) or ctx.practice.cannot_read(
                client, "insurance_verified"):
            continue  # never verified at all: scheduling.insurance_unverified's
        verified = client.insurance_verified
        recent = list(_latest_first(sessions, date(ctx.today.year, 1, 1)))
        ahead = [a for a in recent if ctx.is_upcoming(a) and ctx.is_insured(a)]
        for year in sorted({a.date.year for a in ahead}):
            if isinstance(verified, date) and verified >= date(year, 1, 1):
                continue
            held = any(a.status == "completed" and a.date.year == year for a in recent)
            if not isinstance(verified, date) and held:
                continue  # a plain yes: said before the year's first session, not all year
            first = min(a.date for a in ahead if a.date.year == year)
            when = (f"last verified {people_date(verified)}" if isinstance(verified, date)
                    else "marked verified with no date")
            yield insurance_reverify.found(
                f"Client {client_id} has a session on {people_date(first)} and their benefits were {when}, before "
                f"{year} began: deductibles and benefits reset on January 1. Re-verify eligibility and benefits "
                f"before that session and enter the date in Insurance Verified.", refs={"client": client_id},
                key=str(year), due=first)


@rule("operations.supply_low", owner="va", severity="warning", title="Office supply running low",
      when="an office supply's on-hand count is at or below its reorder level and it is neither on order nor "
           "discontinued; quiet where no reorder level is set")
def supply_low(ctx: RuleContext) -> Iterator[Finding]:
    for supply in ctx.practice.supplies:
        if supply.on_hand is None or supply.reorder_at is None or supply.status in ("ordered", "discontinued"):
            continue
        if supply.on_hand > supply.reorder_at:
            continue
        unit = f" {supply.unit}" if supply.unit else ""
        vendor = f" from {supply.vendor}" if supply.vendor else ""
        yield supply_low.found(
            f"{supply.item}: {supply.on_hand}{unit} on hand, at or below the reorder level of {supply.reorder_at}. "
            f"Order more{vendor} and set its status to Ordered.", refs={"supply": supply.item}, due=ctx.today)
