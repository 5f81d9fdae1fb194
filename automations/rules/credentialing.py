"""credentialing.* rules: CAQH, recredentialing, licenses, malpractice cover, applications and
panel gaps. Owner: the VA, except a session outside the network, which is the owner's."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ..trackers.records import Practice, is_pre_licensed, license_standing
from ..trackers.values import is_self_pay, person_key
from .catalogue import Rule, rule
from .context import RuleContext
from .dates import people_date
from .findings import Finding


@rule("credentialing.caqh_attestation_due", owner="va", severity="warning", title="CAQH attestation due",
      when="CAQH attestation falls due within `caqh_warning_days` days (every `caqh_attestation_days` days from "
           "caqh_attested_on; urgent once expired)", thresholds=("caqh_attestation_days", "caqh_warning_days"))
def caqh_attestation_due(ctx: RuleContext) -> Iterator[Finding]:
    latest: dict[str, tuple[date, str]] = {}
    for row in ctx.practice.credentialing:
        if row.caqh_attested_on is None:
            continue
        key = person_key(row.provider)
        if key not in latest or row.caqh_attested_on > latest[key][0]:
            latest[key] = (row.caqh_attested_on, row.provider)
    t = ctx.thresholds
    for attested, provider in latest.values():
        due = attested + timedelta(days=t.caqh_attestation_days)
        if ctx.days_until(due) > t.caqh_warning_days:
            continue
        expired = ctx.today > due
        yield caqh_attestation_due.found(
            f"{provider}'s CAQH ProView attestation (last {people_date(attested)}) "
            + (f"expired after {people_date(due)}: payers may suspend claims. Re-attest today."
               if expired else f"falls due on {people_date(due)}; payers suspend claims once it expires. "
                  f"Re-attest in ProView before then."), refs={"provider": provider}, due=due,
            severity="urgent" if expired else "warning")


@rule("credentialing.recredentialing_due", owner="va", severity="warning", title="Recredentialing due",
      when="recredential_due within `recredential_warning_days` days", thresholds=("recredential_warning_days",))
def recredentialing_due(ctx: RuleContext) -> Iterator[Finding]:
    for row in ctx.practice.credentialing:
        if row.recredential_due is None or row.status != "in_network":
            continue
        if ctx.days_until(row.recredential_due) > ctx.t(row.payer).recredential_warning_days:
            continue
        yield recredentialing_due.found(
            f"{row.provider}'s recredentialing with {row.payer} is due on {people_date(row.recredential_due)} "
                  f"(there is no grace period). Send the payer's packet now.",
            refs={"provider": row.provider, "payer": row.payer}, due=row.recredential_due,
            severity="urgent" if ctx.today > row.recredential_due else "warning")


def _expiring(ctx: RuleContext, its_rule: Rule, what: str, column: str, warn: int, urgent: int | None,
              booked_after: bool = False) -> Iterator[Finding]:
    for provider in ctx.practice.providers:
        expires = getattr(provider, column)
        if expires is None or ctx.days_until(expires) > warn:
            continue
        left = ctx.days_until(expires)
        booked = [a for a in ctx.live_sessions_by_provider.get(person_key(provider.provider), ())
                  if a.date >= expires and a.date >= ctx.today and a.status != "completed"] if booked_after else []
        severity = "urgent" if left < 0 or booked or (urgent is not None and left <= urgent) else "warning"
        state = f"expired on {people_date(expires)}" if left < 0 else f"expires on {people_date(expires)} ({left} days)"
        sessions = (f" {len(booked)} session(s) are booked on or after that date: "
                    f"{', '.join(f'{a.appointment_id} ({a.date:%b} {a.date.day})' for a in booked[:20])}"
                    f"{' ...' if len(booked) > 20 else ''}; move them or renew first." if booked else "")
        yield its_rule.found(
            f"{provider.provider}'s {what} {state}.{sessions} "
            + ("Sessions after it cannot be billed: renew it and send the new copy to every payer."
               if what == "license" else "Payer contracts require active cover: renew the policy and "
                                         "file the new certificate."),
            refs={"provider": provider.provider}, due=min([expires, *(a.date for a in booked)]), severity=severity,
            details={**({"booked_after_expiry": [a.appointment_id for a in booked]} if booked else {}),
                     **({"title": f"{what[:1].upper()}{what[1:]} expired"} if left < 0 else {})})


@rule("credentialing.license_expiring", owner="va", severity="warning", title="License expiring",
      when="a provider's license expires within `license_warning_days` days (urgent within `license_urgent_days`, "
           "or when sessions are booked on or after the expiry date, which it lists)",
      thresholds=("license_warning_days", "license_urgent_days"))
def license_expiring(ctx: RuleContext) -> Iterator[Finding]:
    t = ctx.thresholds
    yield from _expiring(ctx, license_expiring, "license", "license_expires",
                         t.license_warning_days, t.license_urgent_days, booked_after=True)


@rule("credentialing.malpractice_expiring", owner="va", severity="warning", title="Malpractice cover expiring",
      when="malpractice cover expires within `malpractice_warning_days` days", thresholds=("malpractice_warning_days",))
def malpractice_expiring(ctx: RuleContext) -> Iterator[Finding]:
    yield from _expiring(ctx, malpractice_expiring, "malpractice cover", "malpractice_expires",
                         ctx.thresholds.malpractice_warning_days, None)


@rule("credentialing.application_followup", owner="va", severity="warning", title="Panel application follow-up",
      when="a pending application has had no follow-up for `application_followup_days` days",
      thresholds=("application_followup_days",))
def application_followup(ctx: RuleContext) -> Iterator[Finding]:
    for row in ctx.practice.credentialing:
        if ctx.practice.cannot_read(row, "last_follow_up_on"):
            continue  # data.bad_value asks for the date; the submission date does not stand in for it
        last = row.last_follow_up_on or row.application_submitted_on
        if row.status != "pending" or last is None:
            continue
        days = ctx.t(row.payer).application_followup_days
        if (ctx.today - last).days < days:
            continue
        yield application_followup.found(
            f"{row.provider}'s application with {row.payer} has had no follow-up since {people_date(last)} "
            f"({(ctx.today - last).days} days). Call the payer's provider relations and note the reference.",
            refs={"provider": row.provider, "payer": row.payer}, due=last + timedelta(days=days))


def money_at_risk(amount: Decimal, estimated: bool, unknown: int, sessions: int) -> str:
    """The sentence an owner trusts: an amount only where one is known, never "$0.00" for "no fee on file"."""
    if unknown == sessions:
        which = "this session" if sessions == 1 else f"these {sessions} sessions"
        return f"The amount at risk is unknown: no claim or typical fee is on file for {which}."
    known = f"About ${amount:,.2f}{' (partly estimated)' if estimated else ''} is at risk"
    if unknown:
        return (f"{known}, plus {unknown} session{'s' if unknown > 1 else ''} whose amount is unknown (no claim or fee "
                f"on file).")
    return known + "."


def unknown_license_types(practice: Practice) -> list[str]:
    """What ``check`` says of each clinician whose license type is no title practice-ops knows: such a
    clinician is judged as licensed, so an associate written that way would bill alone unnoticed."""
    return [f"{p.source or 'providers'}: {p.provider}'s license type {p.license_type!r} is not a title practice-ops "
            f"knows, so their sessions are judged as an independently licensed clinician's. If they practise under "
            f"a supervisor, write their state title (LPC-A, ACSW, LMSW, LMFT-Associate, ...) or add the word "
            f"associate; if licensed, write the license (LCSW, LPC, LMFT, PhD, ...)"
            for p in practice.providers if license_standing(p.license_type) == "unknown"]


def billing_clinician(ctx: RuleContext, provider_name: str, payer: str) -> str:
    """Whose panel a session is billed under: a pre-licensed clinician's sessions go under the
    supervisor where the payer does not credential associates (once per name and payer a run)."""
    known = ctx.memo("billing_clinician")
    if (provider_name, payer) not in known:
        known[provider_name, payer] = _billing_clinician(ctx, provider_name, payer)
    billed_under: str = known[provider_name, payer]
    return billed_under


def _billing_clinician(ctx: RuleContext, provider_name: str, payer: str) -> str:
    provider = ctx.providers.get(person_key(provider_name))
    if (provider is not None and is_pre_licensed(provider.license_type) and provider.supervisor
            and not ctx.t(payer).credentials_associates):
        return str(provider.supervisor)
    return provider_name


@rule("credentialing.not_in_network_for_session", owner="owner", severity="urgent", title="Seeing clients out of network",
      when="a provider sees a client of a payer with whom the provider is not in_network on that date, past or "
           "future; lists every affected appointment and the revenue at risk. Never for self-pay clients, never for a "
           "provider name that matches no provider (data.unknown_reference); an associate's sessions are judged by "
           "the supervisor's panel where the payer does not credential associates")
def not_in_network_for_session(ctx: RuleContext) -> Iterator[Finding]:
    if not ctx.practice.keeps("credentialing"):
        return
    check_names = ctx.practice.keeps("providers")
    affected: dict[tuple[str, str], list[Any]] = defaultdict(list)
    names: dict[tuple[str, str], tuple[str, str]] = {}
    for appt in ctx.live_appointments:
        payer = ctx.payer_of(appt)
        if not payer or is_self_pay(payer):
            continue
        if check_names and person_key(appt.provider) not in ctx.providers:
            continue
        billed_as = billing_clinician(ctx, appt.provider, payer)
        status = ctx.panel_status(billed_as, payer, appt.date)
        if status == "in_network":
            continue
        key = (person_key(billed_as), ctx.thresholds.payer_key(payer))
        affected[key].append((appt, status))
        names.setdefault(key, (billed_as, payer))
    for key, rows in affected.items():
        provider, payer = names[key]
        rows.sort(key=lambda r: (r[0].date, r[0].time))
        at_risk = Decimal(0)
        estimated = False
        unknown = 0
        for appt, _ in rows:
            billed = [c.billed_amount for c in ctx.claims_by_appointment.get(appt.appointment_id, [])
                      if c.billed_amount and c.status != "void"]
            if billed:
                at_risk += sum(billed)
            elif appt.cpt and appt.cpt[0] in ctx.typical_fee:
                at_risk += ctx.typical_fee[appt.cpt[0]]
                estimated = True
            else:
                unknown += 1
        statuses = sorted({status.replace("_", " ") for _, status in rows})
        past = [a for a, _ in rows if a.date < ctx.today]
        ahead = [a for a, _ in rows if a.date >= ctx.today]
        listing = ", ".join(f"{a.appointment_id} ({a.date:%b} {a.date.day})" for a, _ in rows)
        if "medicare" in payer.lower() and "not enrolled" in statuses:
            settle = ("Enroll in Medicare through PECOS (form CMS-855I, and CMS-855R to reassign payment to the "
                      "practice) now: Medicare lets a newly enrolled clinician bill back 30 days before the "
                      "effective date, no further.")
        else:
            settle = "Most payers do not pay for a lapse retroactively (CARC 185): settle the panel."
        yield not_in_network_for_session.found(
            f"{provider} is {' / '.join(statuses)} with {payer} but has {len(rows)} session(s) with its "
            f"clients ({len(past)} past, {len(ahead)} ahead): {listing}. "
            f"{money_at_risk(at_risk, estimated, unknown, len(rows))} Reassign or reschedule the sessions "
            f"ahead. {settle}", refs={"provider": provider, "payer": payer}, due=ahead[0].date if ahead else ctx.today,
            details={"appointments": [a.appointment_id for a, _ in rows], "revenue_at_risk": str(at_risk),
                     "estimated": estimated, "sessions_of_unknown_amount": unknown})


@rule("credentialing.associate_billing", owner="va", severity="warning", title="Associate billed under own name",
      when="a pre-licensed clinician's (license_type by its state title: ACSW, AMFT, APCC, LMSW, LPC-A, LMFT-A, "
           "LPC-Associate, LGPC, LAPC, LCMHC-A, an associate, intern, resident or trainee; a supervisor's -S title, "
           "LCSW-S, is licensed) session is billed under their own name to a payer that does not credential "
           "associates (`credentials_associates`), or they have no supervisor on file; `check` names a license "
           "type it does not know", thresholds=("credentials_associates",),
      needs=(("providers", "license_type"),))
def associate_billing(ctx: RuleContext) -> Iterator[Finding]:
    if not ctx.practice.keeps("providers", "license_type"):
        return
    associates = {person_key(p.provider): p for p in ctx.practice.providers if is_pre_licensed(p.license_type)}
    for provider in associates.values():
        if not (provider.supervisor or "").strip():
            yield associate_billing.found(
                f"{provider.provider} is pre-licensed ({provider.license_type}) and has no supervisor on "
                f"file. Associates practise under a named supervisor: record the supervisor before any "
                f"more sessions are billed.", refs={"provider": provider.provider}, key="supervisor", due=ctx.today,
                severity="urgent")
    billed: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for claim in ctx.live_claims:
        billed_as = associates.get(person_key(claim.provider))
        if billed_as is None or is_self_pay(claim.payer) or ctx.t(claim.payer).credentials_associates:
            continue
        billed[(person_key(claim.provider), ctx.thresholds.payer_key(claim.payer))].append(claim)
    for (key, _), claims in billed.items():
        provider = associates[key]
        claims.sort(key=lambda c: (c.date_of_service, c.claim_id))
        payer = claims[0].payer
        under = f"under the supervisor, {provider.supervisor}," if provider.supervisor else "under the supervisor"
        yield associate_billing.found(
            f"{len(claims)} claim(s) to {payer} bill {provider.provider} ({provider.license_type}, "
            f"pre-licensed) as the rendering clinician: {', '.join(c.claim_id for c in claims[:20])}"
            f"{' ...' if len(claims) > 20 else ''}. {payer} does not credential associates: bill {under} "
            f"where {payer} allows it, or not to {payer} at all; correct the claims not yet paid.",
            refs={"provider": provider.provider, "payer": payer}, key="billing", due=ctx.today + timedelta(days=1),
            details={"claims": [c.claim_id for c in claims]})
