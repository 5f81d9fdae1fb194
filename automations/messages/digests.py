"""What goes into the clinicians' digests, the billing escalation and the credentialing reminders.

Pure: records, findings and the date in; template contexts out. These messages carry full PHI and
travel only encrypted (S/MIME or the practice's gateway); the privacy policy decides, not this
module.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ..rules.context import RuleContext
from ..rules.dates import clock_time, people_date
from ..rules.findings import OWNER_NAMES, SEVERITIES, Finding, urgency_name
from ..trackers.records import LIVE_STATUSES, Appointment, Claim
from ..trackers.values import person_key

AGING_DAYS = 7
_AUTH_RULES = ("authorizations.near_limit", "authorizations.exceeded", "authorizations.expiring")
_RISK_RULES = ("compliance.consent_missing", "compliance.minor_consent_missing")
"""Beside every credentialing rule: risks to a clinician's own sessions that someone else fixes."""
OWNER_WORDS = {owner: ("you" if owner == "clinician" else f"the {name.lower()}" if owner in ("va", "owner")
                       else name.lower()) for owner, name in OWNER_NAMES.items()}


def next_working_day(day: date) -> date:
    """The next weekday: a Friday's digest looks ahead to Monday, not to an empty Saturday."""
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def day_title(day: date, today: date) -> str:
    name = "Today" if day == today else "Tomorrow" if day == today + timedelta(days=1) else f"{day:%A}"
    return f"{name}, {day:%A %B} {day.day}" if name in ("Today", "Tomorrow") else f"{name}, {day:%B} {day.day}"


def initials(first: str | None, last: str | None) -> str:
    return "".join(f"{part.strip()[0].upper()}." for part in (first, last) if part and part.strip())


def concerns(finding: Finding, provider_key: str, ctx: RuleContext) -> bool:
    """Whether a finding is about this clinician's work: named, or through a session or client."""
    refs = finding.refs
    if "provider" in refs and person_key(refs["provider"]) == provider_key:
        return True
    appt = ctx.appointments.get(refs.get("appointment", ""))
    if appt is not None:
        return person_key(appt.provider) == provider_key
    auth = next((a for a in ctx.practice.authorizations if a.authorization_id == refs.get("authorization")), None)
    if auth is not None and auth.provider:
        return person_key(auth.provider) == provider_key
    client = ctx.clients.get(refs.get("client", ""))
    return client is not None and person_key(client.primary_provider or "") == provider_key


def clinician_digest(ctx: RuleContext, provider: str, findings: list[Finding], asked: Collection[str] = (),
                     confirmed: Collection[str] = ()) -> dict[str, Any]:
    """``asked``, ``confirmed``: the sessions whose clients were asked to confirm, and those who did
    (the ledger's); each session says which, beside the tracker's own "confirmed"."""
    key = person_key(provider)
    today = ctx.today
    days = []
    for day in (today, next_working_day(today)):
        sessions = sorted((a for a in ctx.practice.appointments
                           if a.date == day and person_key(a.provider) == key and a.status in LIVE_STATUSES),
                          key=lambda a: a.time)
        days.append({"title": day_title(day, today), "sessions": [
            {**_session(ctx, a), "confirmation": confirmation(a, asked, confirmed)} for a in sessions]})
    mine = [f for f in findings if concerns(f, key, ctx)]
    auths = [f.message for f in mine if f.rule in _AUTH_RULES]
    own = [{"severity": f.severity, "urgency": urgency_name(f, today), "message": f.message} for f in mine
           if f.owner == "clinician" and f.rule not in _AUTH_RULES]
    risks = [{"severity": f.severity, "urgency": urgency_name(f, today), "owner": OWNER_WORDS[f.owner],
              "message": f.message} for f in mine
             if f.owner != "clinician" and (f.rule.startswith("credentialing.") or f.rule in _RISK_RULES)]
    return {"provider": provider, "today": today.isoformat(), "days": days,
            "authorizations": auths, "findings": own, "risks": risks}


WHERE = {"in_person": "in the office", "video": "by video", "phone": "by phone"}


def confirmation(appt: Appointment, asked: Collection[str], confirmed: Collection[str]) -> str:
    """Whether the client confirmed: by a reply, or as the tracker says; not yet, when they were asked."""
    if appt.status == "confirmed" or appt.appointment_id in confirmed:
        return "Confirmed"
    return "Not confirmed yet" if appt.appointment_id in asked else ""


def _session(ctx: RuleContext, appt: Appointment) -> dict[str, Any]:
    """One session as a block a clinician reads on a phone: time, client, service, where, and the
    video link (or, missing, that it is missing, in words)."""
    client = ctx.clients.get(appt.client_id)
    name = " ".join(p for p in ((client.first_name, client.last_name) if client else ()) if p) or appt.client_id
    service = (appt.service or "session").replace("_", " ")
    where = WHERE.get(appt.modality or "in_person", "in the office")
    first = ctx.first_appointment.get(appt.client_id) is appt
    missing = appt.modality == "video" and not appt.telehealth_link
    return {"time": clock_time(appt.time), "client": name, "client_id": appt.client_id,
            "service": service + (" (first session)" if first else ""), "where": where,
            "link": appt.telehealth_link or "",
            "missing_link": "No video link yet: the front desk has been asked to add it." if missing else ""}


def _claims_by_id(ctx: RuleContext) -> dict[str, Claim]:
    """Claim id -> claim, once per run (a lookup per finding, not a scan of every claim)."""
    known = ctx.memo("claims_by_id")
    if "index" not in known:
        known["index"] = {claim.claim_id: claim for claim in ctx.practice.claims}
    index: dict[str, Claim] = known["index"]
    return index


def _at_stake(ctx: RuleContext | None, finding: Finding) -> Decimal:
    claim = _claims_by_id(ctx).get(finding.refs.get("claim", "")) if ctx else None
    return claim.billed_amount or Decimal(0) if claim is not None else Decimal(0)


def claim_records(ctx: RuleContext | None, finding: Finding) -> list[str]:
    """The records a biller needs to act, assembled: the claim's date of service, amount, payer,
    member id, reason codes with their meaning, the session and its authorization."""
    from ..rules.codes import CARC_MEANINGS, split_carc

    refs = finding.refs
    claim = _claims_by_id(ctx).get(refs.get("claim", "")) if ctx else None
    if claim is None:
        records = [f"{kind.replace('_', ' ')}: {ref}" for kind, ref in refs.items() if kind != "sheet_row"]
    else:
        client = ctx.clients.get(claim.client_id) if ctx else None
        records = [f"claim {claim.claim_id}: {', '.join(claim.cpt)}, date of service {people_date(claim.date_of_service)}"
                   + (f", billed ${claim.billed_amount:,.2f}" if claim.billed_amount is not None else "")
                   + (f", status {claim.status}" if claim.status else ""),
                   f"payer {claim.payer}" + (f", member id {client.member_id}" if client and client.member_id else ""),
                   f"client {claim.client_id}, clinician {claim.provider}"]
        for part in (claim.denial_code or "").replace(",", ";").split(";"):
            parsed = split_carc(part) if part.strip() else None
            if parsed:
                records.append(f"CARC {part.strip()}: {CARC_MEANINGS.get(parsed[1], ('see the remittance',))[0]}")
        if "appointment" in refs:
            records.append(f"session {refs['appointment']}")
    if refs.get("authorization"):
        records.append(f"authorization {refs['authorization']}")
    return records


def billing_escalation(findings: list[Finding], first_seen: dict[str, str], today: date,
                       ctx: RuleContext | None = None) -> dict[str, Any]:
    """New billing findings (first seen today) and aging ones (open a week or more), grouped by
    problem, each with its records assembled. Urgent first, then what can still be saved before money
    already lost, then the most money, then the soonest deadline; the groups in the order of their
    most pressing item (a no-show billed to insurance once came sixth of seven, after five warnings)."""
    from ..rules.catalogue import problem_of

    items: list[dict[str, Any]] = []
    pressing = sorted(findings, key=lambda f: (-SEVERITIES.index(f.severity), bool(f.details.get("lost")),
                                               -_at_stake(ctx, f), f.due or date.max, f.rule, f.id))
    for finding in pressing:
        if finding.owner != "billing":
            continue
        seen = date.fromisoformat(first_seen.get(finding.id, today.isoformat()))
        aging = (today - seen).days >= AGING_DAYS
        if seen != today and not aging:
            continue
        items.append({"severity": finding.severity, "urgency": urgency_name(finding, today),
                      "rule": finding.rule, "problem": problem_of(finding),
                      "message": finding.message, "due": finding.due.isoformat() if finding.due else "-",
                      "aging": aging, "first_seen": seen.isoformat(), "records": claim_records(ctx, finding)})
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(item["problem"], []).append(item)
    return {"today": today.isoformat(), "items": items,
            "groups": [{"problem": problem, "items": grouped} for problem, grouped in groups.items()],
            "new": sum(1 for i in items if not i["aging"]), "aging": sum(1 for i in items if i["aging"])}


def credentialing_items(findings: list[Finding], today: date, provider: str | None = None) -> list[dict[str, Any]]:
    key = person_key(provider) if provider else None
    return [{"severity": f.severity, "urgency": urgency_name(f, today),
             "due": f.due.isoformat() if f.due else "-", "message": f.message}
            for f in findings if f.rule.startswith("credentialing.")
            and (key is None or person_key(f.refs.get("provider", "")) == key)]



def credentialing_reminder(findings: list[Finding], today: date, provider: str | None = None) -> dict[str, Any]:
    """The credentialing reminder's context: the VA's (every clinician's items) or one clinician's."""
    return {"today": today.isoformat(), "items": credentialing_items(findings, today, provider),
            "provider": provider or ""}
