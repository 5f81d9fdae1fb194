"""billing.* rules: sessions that were never billed, claims without sessions, codes that do not
fit the minutes. Owner: the biller."""

from __future__ import annotations

from datetime import timedelta
from typing import Iterator

from . import codes
from .catalogue import rule
from .context import RuleContext
from .findings import Finding
from .thresholds import Thresholds


def _refs(claim=None, appt=None) -> dict[str, str]:
    refs: dict[str, str] = {}
    if claim is not None:
        refs["claim"] = claim.claim_id
    if appt is not None:
        refs["appointment"] = appt.appointment_id
    source = claim if claim is not None else appt
    refs["client"] = source.client_id
    return refs


@rule("billing.unbilled_session", owner="billing", severity="warning",
      when="a completed insured appointment has no claim `unbilled_after_days` days after it",
      thresholds=("unbilled_after_days", "timely_filing_days"))
def unbilled_session(ctx: RuleContext) -> Iterator[Finding]:
    if "claims" not in ctx.practice.present:
        return
    for appt in ctx.practice.appointments:
        if appt.status != "completed" or not ctx.is_insured(appt):
            continue
        payer = ctx.payer_of(appt)
        t = ctx.thresholds.for_payer(payer)
        overdue_from = appt.date + timedelta(days=t.unbilled_after_days)
        if ctx.today < overdue_from:
            continue
        if any(c.status != "void" for c in ctx.claims_by_appointment.get(appt.appointment_id, [])):
            continue
        deadline = appt.date + timedelta(days=t.timely_filing_days)
        yield Finding("billing.unbilled_session", "warning", "billing",
                      f"Session {appt.appointment_id} on {appt.date:%Y-%m-%d} ({appt.provider}, {payer}) was "
                      f"completed {(ctx.today - appt.date).days} days ago and has no claim. Bill it: "
                      f"{payer}'s filing limit is {deadline:%Y-%m-%d}.",
                      refs=_refs(appt=appt), due=overdue_from)


@rule("billing.claim_without_session", owner="billing", severity="warning",
      when="a claim matches no completed appointment (same client, provider, date)")
def claim_without_session(ctx: RuleContext) -> Iterator[Finding]:
    if "appointments" not in ctx.practice.present:
        return
    for claim in ctx.practice.claims:
        if claim.status == "void":
            continue
        appt = ctx.appointment_of(claim)
        if appt is not None and appt.status in ("no_show", "late_cancel"):
            continue  # billing.no_show_billed speaks for these
        if appt is None:
            why = (f"no appointment for client {claim.client_id} with {claim.provider} on "
                   f"{claim.date_of_service:%Y-%m-%d}")
        elif appt.client_id != claim.client_id:
            why = f"its appointment {appt.appointment_id} belongs to client {appt.client_id}, not {claim.client_id}"
        elif appt.status != "completed":
            why = f"appointment {appt.appointment_id} is {appt.status or 'without a status'}, not completed"
        else:
            continue
        yield Finding("billing.claim_without_session", "warning", "billing",
                      f"Claim {claim.claim_id} ({claim.payer}, {'+'.join(claim.cpt)}) matches no completed session: "
                      f"{why}. Check the appointment tracker; void the claim if the session did not happen.",
                      refs=_refs(claim, appt if appt is not None and appt.client_id == claim.client_id else None),
                      due=ctx.today + timedelta(days=1))


def psychotherapy_code_for(minutes: int, t: Thresholds, with_em: bool = False) -> str | None:
    """The time rule: 16-37 -> 90832, 38-52 -> 90834, 53+ -> 90837 (E/M add-ons alike)."""
    table = codes.EM_ADDON_CODES if with_em else codes.PSYCHOTHERAPY_CODES
    if minutes < t.psychotherapy_min_minutes:
        return None
    if minutes < t.code_90834_min_minutes:
        return table[0]
    if minutes < t.code_90837_min_minutes:
        return table[1]
    return table[2]


def crisis_addons_for(minutes: int, t: Thresholds) -> int:
    """+90840 for each further 30 minutes once the total reaches `crisis_addon_minutes`."""
    if minutes < t.crisis_addon_minutes:
        return 0
    return (minutes - t.crisis_addon_minutes) // 30 + 1


def _range(code: str, t: Thresholds) -> str:
    ranges = {0: f"{t.psychotherapy_min_minutes}-{t.code_90834_min_minutes - 1} min",
              1: f"{t.code_90834_min_minutes}-{t.code_90837_min_minutes - 1} min",
              2: f"{t.code_90837_min_minutes}+ min"}
    for table in (codes.PSYCHOTHERAPY_CODES, codes.EM_ADDON_CODES):
        if code in table:
            return ranges[table.index(code)]
    if code == codes.CRISIS_CODE:
        return f"{t.crisis_min_minutes}-{t.crisis_addon_minutes - 1} min"
    return f"{t.family_min_minutes}+ min"


def time_code_problems(billed: tuple[str, ...], minutes: int, t: Thresholds) -> list[tuple[str, str]]:
    """(billed code, what to bill instead) for each time-based code that does not fit the minutes.
    Sessions under the psychotherapy minimum are billing.below_minimum_time's, not listed here."""
    problems: list[tuple[str, str]] = []
    for code in dict.fromkeys(billed):
        if code in codes.PSYCHOTHERAPY_CODES or code in codes.EM_ADDON_CODES:
            right = psychotherapy_code_for(minutes, t, with_em=code in codes.EM_ADDON_CODES)
            if right is not None and right != code:
                problems.append((code, f"bill {right}"))
        elif code == codes.CRISIS_CODE:
            if minutes < t.crisis_min_minutes:
                right = psychotherapy_code_for(minutes, t)
                problems.append((code, f"bill {right} (90839 needs {t.crisis_min_minutes}+ min)" if right
                                 else f"90839 needs {t.crisis_min_minutes}+ min"))
                continue
            wanted, have = crisis_addons_for(minutes, t), billed.count(codes.CRISIS_ADDON)
            if wanted != have:
                problems.append((code, f"bill 90839 with {wanted} x +90840" if wanted else "bill 90839 without +90840"))
        elif code in codes.FAMILY_CODES and minutes < t.family_min_minutes:
            right = psychotherapy_code_for(minutes, t) if code == "90847" else None
            problems.append((code, f"{code} needs {t.family_min_minutes}+ min"
                             + (f"; bill {right} if the client was seen" if right else "")))
    return problems


@rule("billing.cpt_time_mismatch", owner="billing", severity="warning",
      when="a time-based code does not fit the minutes (actual_min, else duration_min); suggests the right code",
      thresholds=("psychotherapy_min_minutes", "code_90834_min_minutes", "code_90837_min_minutes",
                  "crisis_min_minutes", "crisis_addon_minutes", "family_min_minutes"))
def cpt_time_mismatch(ctx: RuleContext) -> Iterator[Finding]:
    for claim in ctx.practice.claims:
        if claim.status == "void" or not codes.TIME_BASED_CODES.intersection(claim.cpt):
            continue
        appt = ctx.appointment_of(claim)
        minutes = ctx.minutes_of(appt) if appt is not None else None
        if minutes is None:
            continue
        t = ctx.thresholds.for_payer(claim.payer)
        for billed, fix in time_code_problems(claim.cpt, minutes, t):
            yield Finding("billing.cpt_time_mismatch", "warning", "billing",
                          f"Claim {claim.claim_id} bills {billed} ({_range(billed, t)}) for a {minutes}-minute "
                          f"session: {fix}.",
                          refs=_refs(claim, appt), due=ctx.today + timedelta(days=1), key=billed,
                          details={"billed": billed, "minutes": minutes, "fix": fix})
