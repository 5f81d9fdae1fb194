"""billing.* rules: sessions that were never billed, claims without sessions, codes that do not
fit the minutes. Owner: the biller."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Iterator

from ..trackers.values import is_self_pay, person_key
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
      when="a completed insured appointment has no claim `unbilled_after_days` days after it (urgent within "
           "`filing_warning_days` of the filing limit)",
      thresholds=("unbilled_after_days", "timely_filing_days", "filing_warning_days"))
def unbilled_session(ctx: RuleContext) -> Iterator[Finding]:
    if "claims" not in ctx.practice.present:
        return
    for appt in ctx.practice.appointments:
        if appt.status != "completed" or not ctx.is_insured(appt):
            continue
        payer = ctx.payer_of(appt)
        t = ctx.t(payer)
        overdue_from = appt.date + timedelta(days=t.unbilled_after_days)
        if ctx.today < overdue_from:
            continue
        if any(c.status != "void" for c in ctx.claims_by_appointment.get(appt.appointment_id, [])):
            continue
        deadline = appt.date + timedelta(days=t.timely_filing_days)
        near_limit = ctx.days_until(deadline) <= t.filing_warning_days
        yield Finding("billing.unbilled_session", "urgent" if near_limit else "warning", "billing",
                      f"Session {appt.appointment_id} on {appt.date:%Y-%m-%d} ({appt.provider}, {payer}) was "
                      f"completed {(ctx.today - appt.date).days} days ago and has no claim. Bill it: "
                      f"{payer}'s filing limit is {deadline:%Y-%m-%d}.",
                      refs=_refs(appt=appt), due=overdue_from)


@rule("billing.claim_without_session", owner="billing", severity="warning",
      when="a claim matches no completed appointment (same client, provider, date)")
def claim_without_session(ctx: RuleContext) -> Iterator[Finding]:
    if "appointments" not in ctx.practice.present:
        return
    for claim in ctx.live_claims:
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


def _minimum(code: str, t: Thresholds) -> int | None:
    """The fewest minutes a time-based code needs."""
    for table in (codes.PSYCHOTHERAPY_CODES, codes.EM_ADDON_CODES):
        if code in table:
            return (t.psychotherapy_min_minutes, t.code_90834_min_minutes, t.code_90837_min_minutes)[table.index(code)]
    return {codes.CRISIS_CODE: t.crisis_min_minutes, "90846": t.family_min_minutes,
            "90847": t.family_min_minutes}.get(code)


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
    for claim in ctx.live_claims:
        if not codes.TIME_BASED_CODES.intersection(claim.cpt):
            continue
        appt = ctx.appointment_of(claim)
        minutes = ctx.minutes_of(appt) if appt is not None else None
        if minutes is None:
            continue
        t = ctx.t(claim.payer)
        for billed, fix in time_code_problems(claim.cpt, minutes, t):
            under = _minimum(billed, t) is not None and minutes >= _minimum(billed, t)
            why = ("The minutes support a longer code: the session is under-billed." if under else
                   "The minutes do not support it: payers recoup upcoded sessions on audit.")
            yield Finding("billing.cpt_time_mismatch", "warning", "billing",
                          f"Claim {claim.claim_id} bills {billed} ({_range(billed, t)}) for a {minutes}-minute "
                          f"session: {fix}. {why}",
                          refs=_refs(claim, appt), due=ctx.today + timedelta(days=1), key=billed,
                          details={"billed": billed, "minutes": minutes, "fix": fix})


@rule("billing.no_show_billed", owner="billing", severity="urgent",
      when="a claim bills insurance for a no-show or late cancel")
def no_show_billed(ctx: RuleContext) -> Iterator[Finding]:
    for claim, appt in ctx.billed_sessions:
        if appt.status not in ("no_show", "late_cancel") or is_self_pay(claim.payer):
            continue
        yield Finding("billing.no_show_billed", "urgent", "billing",
                      f"Claim {claim.claim_id} bills {claim.payer} for session {appt.appointment_id} on "
                      f"{appt.date:%Y-%m-%d}, which was a {appt.status.replace('_', ' ')}. Insurers never pay for "
                      f"missed sessions: void the claim (a missed-session fee, where policy allows, is billed to "
                      f"the client; never to Medicare or Medicaid).",
                      refs=_refs(claim, appt), due=ctx.today)


@rule("billing.below_minimum_time", owner="billing", severity="warning",
      when="psychotherapy billed for a session under `psychotherapy_min_minutes` minutes",
      thresholds=("psychotherapy_min_minutes",))
def below_minimum_time(ctx: RuleContext) -> Iterator[Finding]:
    for claim in ctx.live_claims:
        billed = [c for c in claim.cpt if c in codes.PSYCHOTHERAPY_CODES or c in codes.EM_ADDON_CODES]
        appt = ctx.appointment_of(claim) if billed else None
        minutes = ctx.minutes_of(appt) if appt is not None else None
        t = ctx.t(claim.payer)
        if minutes is None or minutes >= t.psychotherapy_min_minutes:
            continue
        yield Finding("billing.below_minimum_time", "warning", "billing",
                      f"Claim {claim.claim_id} bills {'+'.join(billed)} for a {minutes}-minute session: under "
                      f"{t.psychotherapy_min_minutes} minutes is not billable as psychotherapy. Void the code or "
                      f"correct the minutes if the note shows more.",
                      refs=_refs(claim, appt), due=ctx.today + timedelta(days=1))


@rule("billing.multiple_time_codes", owner="billing", severity="warning",
      when="more than one of 90832/90834/90837 (or one of them with 90839) for a client on one date")
def multiple_time_codes(ctx: RuleContext) -> Iterator[Finding]:
    by_day: dict[tuple, list] = {}
    for claim in ctx.live_claims:
        for code in claim.cpt:
            if code in codes.PSYCHOTHERAPY_CODES or code == codes.CRISIS_CODE:
                by_day.setdefault((claim.client_id, claim.date_of_service), []).append((code, claim))
    for (client, day), billed in by_day.items():
        therapy = [code for code, _ in billed if code in codes.PSYCHOTHERAPY_CODES]
        crisis = any(code == codes.CRISIS_CODE for code, _ in billed)
        if len(therapy) < 2 and not (therapy and crisis):
            continue
        claims = sorted({claim.claim_id for _, claim in billed})
        yield Finding("billing.multiple_time_codes", "warning", "billing",
                      f"Client {client} has {' + '.join(code for code, _ in billed)} billed for {day:%Y-%m-%d} "
                      f"(claims {', '.join(claims)}). Only one of 90832/90834/90837 per day, and none beside "
                      f"90839: add the minutes into one code and void the rest.",
                      refs={"client": client, "claim": claims[0], "date_of_service": day.isoformat()},
                      due=ctx.today + timedelta(days=1))


_ADDON_BASES = {
    "90785": (frozenset({"90791", "90792", "90832", "90833", "90834", "90836", "90837", "90838", "90853"}),
              "an evaluation, psychotherapy or group code (90791, 90792, 90832-90838, 90853)"),
    "90833": (codes.EM_CODES, "an E/M code (99202-99215)"),
    "90836": (codes.EM_CODES, "an E/M code (99202-99215)"),
    "90838": (codes.EM_CODES, "an E/M code (99202-99215)"),
    "90840": (frozenset({codes.CRISIS_CODE}), "90839"),
}


@rule("billing.addon_without_base", owner="billing", severity="warning",
      when="an add-on code (90785, 90833/90836/90838, 90840) without the code it needs")
def addon_without_base(ctx: RuleContext) -> Iterator[Finding]:
    for claim in ctx.live_claims:
        for addon in dict.fromkeys(claim.cpt):
            if addon in _ADDON_BASES and not _ADDON_BASES[addon][0].intersection(claim.cpt):
                yield Finding("billing.addon_without_base", "warning", "billing",
                              f"Claim {claim.claim_id} bills add-on +{addon} without {_ADDON_BASES[addon][1]}. "
                              f"The payer will deny it: add the base code or remove the add-on.",
                              refs=_refs(claim), key=addon, due=ctx.today + timedelta(days=1))


@rule("billing.telehealth_pos_mismatch", owner="billing", severity="warning",
      when="the POS does not fit the modality and the payer's rules",
      thresholds=("telehealth_pos", "office_pos"))
def telehealth_pos_mismatch(ctx: RuleContext) -> Iterator[Finding]:
    for claim, appt in ctx.billed_sessions:
        pos = codes.normalise_pos(claim.pos)
        if appt.modality is None or pos is None:
            continue
        t = ctx.t(claim.payer)
        wanted = t.office_pos if appt.modality == "in_person" else codes.normalise_pos(t.telehealth_pos)
        if pos == wanted:
            continue
        yield Finding("billing.telehealth_pos_mismatch", "warning", "billing",
                      f"Claim {claim.claim_id} uses place of service {pos} for a "
                      f"{appt.modality.replace('_', '-')} session ({appt.appointment_id}); {claim.payer} wants "
                      f"{wanted}. Correct it before submission (or it is denied with CARC 5).",
                      refs=_refs(claim, appt), due=ctx.today + timedelta(days=1), details={"wanted": wanted})


@rule("billing.telehealth_modifier_missing", owner="billing", severity="warning",
      when="the payer wants a telehealth modifier (95, 93, GT) that the claim lacks",
      thresholds=("telehealth_modifier", "audio_modifier"))
def telehealth_modifier_missing(ctx: RuleContext) -> Iterator[Finding]:
    for claim, appt in ctx.billed_sessions:
        if appt.modality not in ("video", "phone"):
            continue
        t = ctx.t(claim.payer)
        wanted = (t.telehealth_modifier if appt.modality == "video" else t.audio_modifier).strip().upper()
        if not wanted or wanted in claim.modifiers:
            continue
        yield Finding("billing.telehealth_modifier_missing", "warning", "billing",
                      f"Claim {claim.claim_id} is for a {appt.modality} session ({appt.appointment_id}) and lacks "
                      f"modifier {wanted}, which {claim.payer} wants. Add it (or it is denied with CARC 4).",
                      refs=_refs(claim, appt), due=ctx.today + timedelta(days=1), details={"wanted": wanted})


@rule("billing.duplicate_claim", owner="billing", severity="warning",
      when="two live claims for one client, provider, date and code")
def duplicate_claim(ctx: RuleContext) -> Iterator[Finding]:
    groups: dict[tuple, list] = {}
    for claim in ctx.live_claims:
        if claim.status == "denied":
            continue
        for code in dict.fromkeys(claim.cpt):
            groups.setdefault((claim.client_id, person_key(claim.provider), claim.date_of_service, code), []).append(claim)
    for (client, _, day, code), claims in groups.items():
        if len(claims) < 2:
            continue
        ids = sorted(c.claim_id for c in claims)
        yield Finding("billing.duplicate_claim", "warning", "billing",
                      f"Claims {', '.join(ids)} all bill {code} for client {client} on {day:%Y-%m-%d}. Keep one and "
                      f"void the rest before the payer denies them as duplicates (CARC 18).",
                      refs={"claim": ids[0], "duplicate_claim": ids[1], "client": client}, key=code,
                      due=ctx.today + timedelta(days=1))


@rule("billing.timely_filing_risk", owner="billing", severity="warning",
      when="an unsubmitted claim is within `filing_warning_days` days of the payer's filing limit (urgent once past)",
      thresholds=("timely_filing_days", "filing_warning_days"))
def timely_filing_risk(ctx: RuleContext) -> Iterator[Finding]:
    for claim in ctx.live_claims:
        unsubmitted = claim.status == "draft" or (claim.status is None and claim.submitted_on is None)
        if not unsubmitted:
            continue
        t = ctx.t(claim.payer)
        deadline = claim.date_of_service + timedelta(days=t.timely_filing_days)
        if ctx.days_until(deadline) > t.filing_warning_days:
            continue
        past = ctx.today > deadline
        yield Finding("billing.timely_filing_risk", "urgent" if past else "warning", "billing",
                      f"Claim {claim.claim_id} ({claim.payer}, {claim.date_of_service:%Y-%m-%d}) is not submitted and "
                      + (f"missed {claim.payer}'s filing limit on {deadline:%Y-%m-%d}: submit with any proof of "
                         f"timely filing, or it will be denied with CARC 29, which cannot be appealed."
                         if past else f"{claim.payer}'s filing limit is {deadline:%Y-%m-%d}. Submit it now."),
                      refs=_refs(claim), due=deadline)


@rule("billing.unpaid_followup", owner="billing", severity="warning",
      when="a submitted claim is unpaid more than `unpaid_after_days` days after submission",
      thresholds=("unpaid_after_days",))
def unpaid_followup(ctx: RuleContext) -> Iterator[Finding]:
    for claim in ctx.live_claims:
        if claim.status not in ("submitted", "appealed"):
            continue
        sent = claim.submitted_on or claim.date_of_service
        days = ctx.t(claim.payer).unpaid_after_days
        if (ctx.today - sent).days <= days:
            continue
        yield Finding("billing.unpaid_followup", "warning", "billing",
                      f"Claim {claim.claim_id} ({claim.payer}, {claim.date_of_service:%Y-%m-%d}) was "
                      f"{'appealed' if claim.status == 'appealed' else 'submitted'} on {sent:%Y-%m-%d} and is unpaid "
                      f"after {(ctx.today - sent).days} days, past the 30 days prompt-pay laws expect. Call "
                      f"{claim.payer} or check the portal: a claim the payer never received must be refiled before "
                      f"the filing limit.",
                      refs=_refs(claim), due=sent + timedelta(days=days + 1))


@rule("billing.denial_open", owner="billing", severity="warning",
      when="a denied claim is not appealed, corrected or written off; carries the CARC meaning and the records "
           "an appeal needs")
def denial_open(ctx: RuleContext) -> Iterator[Finding]:
    for claim in ctx.practice.claims:
        if claim.status != "denied":
            continue
        appt = ctx.appointment_of(claim)
        reasons = []
        for part in (claim.denial_code or "").replace(",", ";").split(";"):
            parsed = codes.split_carc(part) if part.strip() else None
            if parsed:
                meaning, fix = codes.CARC_MEANINGS.get(parsed[1], ("see the remittance advice", "Read the ERA."))
                reasons.append((f"{(parsed[0] + '-') if parsed[0] else ''}{parsed[1]}", meaning, fix))
        panel = ctx.panel_status(claim.provider, claim.payer, claim.date_of_service) \
            if ctx.practice.keeps("credentialing") else None
        auth = None
        if appt is not None:
            auth = next((a for a, sessions in ctx.sessions_by_authorization.items()
                         if any(s.appointment_id == appt.appointment_id for s in sessions)), None)
        said = "; ".join(f"{code}: {meaning}. {fix}" for code, meaning, fix in reasons) or \
            "no reason code recorded: get it from the remittance advice."
        records = [f"session {appt.appointment_id} ({appt.status}, {ctx.minutes_of(appt) or '?'} min)" if appt else
                   "no matching session", f"authorization {auth}" if auth else "no authorization",
                   f"{claim.provider} was {panel.replace('_', ' ')} with {claim.payer} on that date" if panel else None]
        refs = _refs(claim, appt)
        if auth:
            refs["authorization"] = auth
        yield Finding("billing.denial_open", "warning", "billing",
                      f"Claim {claim.claim_id} ({claim.payer}, {'+'.join(claim.cpt)}, {claim.date_of_service:%Y-%m-%d}) "
                      f"was denied. {said} Records: {'; '.join(r for r in records if r)}.",
                      refs=refs, due=ctx.today + timedelta(days=7),
                      details={"carc": [code for code, _, _ in reasons], "panel_status": panel,
                               "authorization": auth, "appointment": appt.appointment_id if appt else None})


@rule("billing.balance_due", owner="va", severity="warning",
      when="a client balance over 0 is older than `balance_after_days` days (a PHI-free notice goes to the client)",
      thresholds=("balance_after_days",))
def balance_due(ctx: RuleContext) -> Iterator[Finding]:
    days = ctx.thresholds.balance_after_days
    for client in ctx.practice.clients:
        if not client.balance or client.balance <= 0 or client.balance_since is None:
            continue
        if (ctx.today - client.balance_since).days <= days:
            continue
        yield Finding("billing.balance_due", "warning", "va",
                      f"Client {client.client_id} has owed ${client.balance:,.2f} since {client.balance_since:%Y-%m-%d}. "
                      f"A balance notice (no clinical detail) goes by email where the client allows it; otherwise call.",
                      refs={"client": client.client_id}, due=client.balance_since + timedelta(days=days + 1),
                      details={"balance": str(client.balance)})


@rule("billing.gfe_missing", owner="va", severity="warning",
      when="a self-pay client has an upcoming appointment and no Good Faith Estimate on file before it")
def gfe_missing(ctx: RuleContext) -> Iterator[Finding]:
    if not ctx.practice.keeps("clients", "good_faith_estimate"):
        return
    seen: set[str] = set()
    for appt in sorted(ctx.practice.appointments, key=lambda a: (a.date, a.time)):
        client = ctx.clients.get(appt.client_id)
        if client is None or appt.client_id in seen or not ctx.is_upcoming(appt) or ctx.is_insured(appt):
            continue
        payer = ctx.payer_of(appt)
        if payer is None:
            continue
        seen.add(appt.client_id)
        on_file = client.good_faith_estimate
        if on_file is True or (isinstance(on_file, date) and on_file <= appt.date):
            continue
        yield Finding("billing.gfe_missing", "warning", "va",
                      f"Self-pay client {client.client_id} is booked on {appt.date:%Y-%m-%d} ({appt.appointment_id}) "
                      f"with no Good Faith Estimate on file. The No Surprises Act requires one before the service "
                      f"(within 1 business day of scheduling when it is 3-9 business days away).",
                      refs={"client": client.client_id, "appointment": appt.appointment_id},
                      due=max(ctx.today, appt.date - timedelta(days=1)))
