"""billing.* rules: sessions that were never billed, claims without sessions, codes that do not
fit the minutes, deadlines, denials. Owner: the biller.

Advice depends on where a claim stands: a draft is corrected before submission; a submitted or
denied one by a corrected claim (frequency code 7); a paid one by a refund or a corrected claim,
within 60 days for Medicare and Medicaid; past the filing limit, a contractual write-off that is
never billed to the client.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from datetime import date, timedelta
from typing import TypeVar

from ..trackers.records import CANCELLED_STATUSES, MISSED_STATUSES, Appointment, Claim
from ..trackers.values import NotApplicable, is_self_pay, person_key
from . import codes
from .catalogue import rule
from .context import RuleContext
from .dates import people_date
from .findings import Finding
from .thresholds import Thresholds

PAID_STATUSES = frozenset({"paid", "partial"})
GFE_VALID_DAYS = 365
MISSED_SESSION_POLICY = ("Insurers never pay for missed sessions. A missed-session fee is billed to the client only "
                         "under the practice's written policy: Medicare patients only under a policy that applies to "
                         "all patients, and Medicare is never billed for it; Medicaid generally forbids such fees.")


Key = TypeVar("Key", bound=Hashable)
Item = TypeVar("Item")


def _repeated(keyed: Iterable[tuple[Key, Item]]) -> dict[Key, list[Item]]:
    """Key -> its items, in order, for the keys that come more than once. Nearly every claim of a
    large practice has a visit, a day and a code of its own: a list for each was tens of MB."""
    first: dict[Key, Item] = {}
    repeated: dict[Key, list[Item]] = {}
    for key, item in keyed:
        if key in repeated:
            repeated[key].append(item)
        elif key in first:
            repeated[key] = [first[key], item]
        else:
            first[key] = item
    return repeated


def _refs(claim: Claim | None = None, appt: Appointment | None = None) -> dict[str, str]:
    refs: dict[str, str] = {}
    if claim is not None:
        refs["claim"] = claim.claim_id
    if appt is not None:
        refs["appointment"] = appt.appointment_id
    source = claim if claim is not None else appt
    if source is not None:
        refs["client"] = source.client_id
    return refs


def refund_days(ctx: RuleContext, payer: str | None) -> int:
    """Days to return an identified overpayment: Medicare's and Medicaid's statutory 60 (their program
    defaults), else the payer's ``overpayment_refund_days``."""
    return ctx.t(payer).overpayment_refund_days


def correction(ctx: RuleContext, claim: Claim, *, overpaid: bool = False) -> str:
    """How this claim is put right, by where it stands. ``overpaid``: the payer paid for more than
    was done, so money goes back."""
    status = claim.status
    if status in (None, "draft"):
        return "Correct it before submission"
    if status == "rejected":
        return "Correct it and resubmit (a rejected claim was never filed: the filing clock keeps running)"
    if status in PAID_STATUSES and overpaid:
        days = refund_days(ctx, claim.payer)
        window = (f"; {claim.payer} overpayments must be returned within {days} days of being identified "
                  f"(by {people_date(ctx.today + timedelta(days=days))})" if days else "")
        return f"It was paid: refund the overpayment to {claim.payer} or send a corrected claim (frequency code 7){window}"
    if status in PAID_STATUSES:
        return "It was paid: send a corrected claim (frequency code 7)"
    return "It was submitted: send a corrected claim (frequency code 7), not a new one"


def _due_for_fix(ctx: RuleContext, claim: Claim, *, overpaid: bool = False) -> date:
    if claim.status in PAID_STATUSES and overpaid and refund_days(ctx, claim.payer):
        return ctx.today + timedelta(days=refund_days(ctx, claim.payer))
    return ctx.today + timedelta(days=1)


def _write_off(payer: str) -> str:
    return (f"write it off as a contractual adjustment with {payer} and never bill the client (unless an exception "
            f"applies: retroactive eligibility or coordination of benefits)")


@rule("billing.unbilled_session", owner="billing", severity="warning", title="Session not billed",
      when="a completed insured appointment has no claim `unbilled_after_days` days after it (urgent within "
           "`filing_warning_days` of the filing limit; past it, a write-off never billed to the client)",
      thresholds=("unbilled_after_days", "timely_filing_days", "filing_warning_days"))
def unbilled_session(ctx: RuleContext) -> Iterator[Finding]:
    if "claims" not in ctx.practice.present:
        return
    billed = {appointment_id for appointment_id, claims in ctx.claims_by_appointment.items()
              if any(c.status != "void" for c in claims)}
    for appt in ctx.practice.appointments:
        if appt.status != "completed" or appt.appointment_id in billed:
            continue  # most sessions: billed, known with one lookup
        if not ctx.is_insured(appt):
            continue
        payer = ctx.payer_of(appt) or ""
        t = ctx.t(payer)
        overdue_from = appt.date + timedelta(days=t.unbilled_after_days)
        if ctx.today < overdue_from:
            continue
        deadline = appt.date + timedelta(days=t.timely_filing_days)
        left = ctx.days_until(deadline)
        if left < 0:
            advice = f"{payer}'s filing limit passed on {people_date(deadline)}: {_write_off(payer)}."
        elif left == 0:
            advice = f"Today is the last day to file with {payer}: submit it today."
        else:
            advice = f"Bill it: {payer}'s filing limit is {people_date(deadline)}."
        yield unbilled_session.found(
            f"Session {appt.appointment_id} on {people_date(appt.date)} ({appt.provider}, {payer}) was "
            f"completed {(ctx.today - appt.date).days} days ago and has no claim. {advice}", refs=_refs(appt=appt),
            due=overdue_from if left >= 0 else ctx.today, details={"lost": True} if left < 0 else {},
            severity="urgent" if left <= t.filing_warning_days else "warning")


@rule("billing.claim_without_session", owner="billing", severity="warning", title="Claim with no session",
      when="a claim matches no completed appointment (same client, provider, date)")
def claim_without_session(ctx: RuleContext) -> Iterator[Finding]:
    if "appointments" not in ctx.practice.present:
        return
    for claim in ctx.live_claims:
        appt = ctx.appointment_of(claim)
        if appt is not None and appt.status in MISSED_STATUSES:
            continue  # billing.no_show_billed speaks for these
        if appt is None:
            why = (f"no appointment for client {claim.client_id} with {claim.provider} on "
                   f"{people_date(claim.date_of_service)}")
        elif appt.client_id != claim.client_id:
            why = f"its appointment {appt.appointment_id} belongs to client {appt.client_id}, not {claim.client_id}"
        elif appt.status != "completed":
            why = f"appointment {appt.appointment_id} is {appt.status or 'without a status'}, not completed"
        else:
            continue
        paid = claim.status in PAID_STATUSES
        yield claim_without_session.found(
            f"Claim {claim.claim_id} ({claim.payer}, {'+'.join(claim.cpt)}) matches no completed session: "
            f"{why}. Check the appointment tracker. If the session did not happen: "
            + (f"{correction(ctx, claim, overpaid=True)}." if paid else "void the claim."),
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


def _minutes(ctx: RuleContext, appt: Appointment) -> tuple[int | None, bool]:
    """(minutes, documented): face-to-face time where recorded, else the scheduled length, which
    is not documentation; none where the face-to-face cell cannot be read (data.bad_value asks for it:
    the booking does not stand in for it)."""
    if appt.actual_min is not None:
        return appt.actual_min, True
    if ctx.practice.cannot_read(appt, "actual_min"):
        return None, False
    return appt.duration_min, False


def _session_words(minutes: int, documented: bool) -> str:
    return (f"a {minutes}-minute session" if documented
            else f"a session scheduled for {minutes} minutes (no actual time recorded)")


def _time_coded_claims(ctx: RuleContext) -> list[tuple[Claim, Appointment, int, bool]]:
    """Claims whose codes the time rules judge: a held session with minutes, not a missed one
    (billing.no_show_billed) and not one caught in a code pair (billing.code_pair_conflict).
    Found once per run for both time rules."""
    known = ctx.memo("time_coded_claims")
    if "claims" not in known:
        known["claims"] = list(_find_time_coded_claims(ctx))
    claims: list[tuple[Claim, Appointment, int, bool]] = known["claims"]
    return claims


def _find_time_coded_claims(ctx: RuleContext) -> Iterator[tuple[Claim, Appointment, int, bool]]:
    for claim in ctx.live_claims:
        if not codes.TIME_BASED_CODES.intersection(claim.cpt) or claim.claim_id in ctx.code_pair_claims:
            continue
        appt = ctx.appointment_of(claim)
        if appt is None or appt.status in MISSED_STATUSES | CANCELLED_STATUSES:
            continue
        minutes, documented = _minutes(ctx, appt)
        if minutes is not None:
            yield claim, appt, minutes, documented


@rule("billing.cpt_time_mismatch", owner="billing", severity="warning", title="Code does not fit the minutes",
      when="a time-based code does not fit the minutes (actual_min, else duration_min, said to be undocumented); "
           "suggests the right code; leaves claims in a code-pair conflict and missed sessions to their own rules",
      thresholds=("psychotherapy_min_minutes", "code_90834_min_minutes", "code_90837_min_minutes",
                  "crisis_min_minutes", "crisis_addon_minutes", "family_min_minutes"))
def cpt_time_mismatch(ctx: RuleContext) -> Iterator[Finding]:
    for claim, appt, minutes, documented in _time_coded_claims(ctx):
        t = ctx.t(claim.payer)
        for billed, fix in time_code_problems(claim.cpt, minutes, t):
            under = _minimum(billed, t) is not None and minutes >= (_minimum(billed, t) or 0)
            if not documented:
                why = (f"Record the face-to-face time from the note first: if it was {minutes} minutes, {fix}; "
                       f"codes rest on documented time, not the booking.")
            elif under:
                why = f"The minutes support a longer code: the session is under-billed. {correction(ctx, claim)}."
            else:
                why = (f"The minutes do not support it: payers recoup upcoded sessions on audit. "
                       f"{correction(ctx, claim, overpaid=True)}.")
            yield cpt_time_mismatch.found(
                f"Claim {claim.claim_id} bills {billed} ({_range(billed, t)}) for "
                f"{_session_words(minutes, documented)}: {fix}. {why}", refs=_refs(claim, appt), key=billed,
                due=_due_for_fix(ctx, claim, overpaid=documented and not under),
                details={"billed": billed, "minutes": minutes, "fix": fix, "documented": documented})


@rule("billing.no_show_billed", owner="billing", severity="urgent", title="No-show billed to insurance",
      when="a claim bills insurance for a no-show or late cancel")
def no_show_billed(ctx: RuleContext) -> Iterator[Finding]:
    for claim, appt in ctx.billed_sessions:
        if appt.status not in MISSED_STATUSES or is_self_pay(claim.payer):
            continue
        paid = claim.status in PAID_STATUSES
        fix = (correction(ctx, claim, overpaid=True) + "." if paid else
               "Void the claim" + (" (withdraw it with the payer: it was submitted)." if claim.status not in
                                   (None, "draft") else "."))
        yield no_show_billed.found(
            f"Claim {claim.claim_id} bills {claim.payer} for session {appt.appointment_id} on "
            f"{people_date(appt.date)}, which was a {appt.status.replace('_', ' ')}. {fix} "
            f"{MISSED_SESSION_POLICY}", refs=_refs(claim, appt),
            due=_due_for_fix(ctx, claim, overpaid=True) if paid else ctx.today)


@rule("billing.below_minimum_time", owner="billing", severity="warning", title="Too short to bill as therapy",
      when="psychotherapy billed for a session under `psychotherapy_min_minutes` minutes",
      thresholds=("psychotherapy_min_minutes",))
def below_minimum_time(ctx: RuleContext) -> Iterator[Finding]:
    for claim, appt, minutes, documented in _time_coded_claims(ctx):
        billed = [c for c in claim.cpt if c in codes.PSYCHOTHERAPY_CODES or c in codes.EM_ADDON_CODES]
        t = ctx.t(claim.payer)
        if not billed or minutes >= t.psychotherapy_min_minutes:
            continue
        fix = (f"{correction(ctx, claim, overpaid=True)}: remove the code, or correct the minutes if the note shows "
               f"more" if documented else "Record the face-to-face time from the note; if it is under "
               f"{t.psychotherapy_min_minutes} minutes, remove the code")
        yield below_minimum_time.found(
            f"Claim {claim.claim_id} bills {'+'.join(billed)} for {_session_words(minutes, documented)}: "
            f"under {t.psychotherapy_min_minutes} minutes is not billable as psychotherapy. {fix}.",
            refs=_refs(claim, appt), due=_due_for_fix(ctx, claim, overpaid=documented))


@rule("billing.multiple_time_codes", owner="billing", severity="warning", title="Two therapy codes on one day",
      when="more than one of 90832/90834/90837 (or one of them with 90839) for a client on one date; quiet where "
           "billing.duplicate_claim already reports the same claims")
def multiple_time_codes(ctx: RuleContext) -> Iterator[Finding]:
    by_day = _repeated(((claim.client_id, claim.date_of_service), (code, claim)) for claim in ctx.live_claims
                       for code in claim.cpt if code in codes.PSYCHOTHERAPY_CODES or code == codes.CRISIS_CODE)
    for (client, day), billed in by_day.items():
        therapy = [code for code, _ in billed if code in codes.PSYCHOTHERAPY_CODES]
        crisis = any(code == codes.CRISIS_CODE for code, _ in billed)
        if len(therapy) < 2 and not (therapy and crisis):
            continue
        visits = {(code, person_key(claim.provider)) for code, claim in billed}
        if len(visits) == 1 and all(claim.status != "denied" for _, claim in billed):
            continue  # one code billed twice by one provider: billing.duplicate_claim
        claims = sorted({claim.claim_id for _, claim in billed})
        yield multiple_time_codes.found(
            f"Client {client} has {' + '.join(code for code, _ in billed)} billed for {people_date(day)} "
            f"(claims {', '.join(claims)}). Only one of 90832/90834/90837 per day, and none beside "
            f"90839: bill the one code the day's documented minutes support and void or correct the rest.",
            refs={"client": client, "claim": claims[0], "date_of_service": day.isoformat()},
            due=ctx.today + timedelta(days=1))


@rule("billing.code_pair_conflict", owner="billing", severity="warning", title="Codes that cannot go together",
      when="codes that may not be billed together for one client and date: 90791/90792 with 90832-90838, 90839 or "
           "90846/90847 by the same provider; 90785 with 90839/90840. The fix names the code to remove")
def code_pair_conflict(ctx: RuleContext) -> Iterator[Finding]:
    for (client, _, day), claims in ctx.pair_coded_visits.items():
        billed = {code for claim in claims for code in claim.cpt}
        for remove, besides in codes.code_pair_conflicts(billed).items():
            beside = "/".join(besides)
            holder = next(c for c in claims if remove in c.cpt)
            other = next(c for c in claims if besides[0] in c.cpt)
            ids = sorted({holder.claim_id, other.claim_id})
            if remove == codes.COMPLEXITY_ADDON:
                why = f"+90785 (interactive complexity) may not be billed with {beside} (crisis)"
            else:
                why = (f"{beside} (diagnostic evaluation) may not be billed with {remove} for the same client, "
                       f"provider and date (NCCI)")
            yield code_pair_conflict.found(
                f"Claim {holder.claim_id} ({holder.payer}, {people_date(day)}): {why}. Remove {remove} from "
                f"claim {holder.claim_id}"
                + ("" if remove == codes.COMPLEXITY_ADDON else
                   ", or, if the therapy was a separate visit, bill it on its own date")
                + f"; never replace it with a longer code. {correction(ctx, holder, overpaid=True)}.",
                refs={"claim": ids[0], **({"other_claim": ids[1]} if len(ids) > 1 else {}),
                      "client": client}, key=remove, due=_due_for_fix(ctx, holder, overpaid=True),
                details={"remove": remove, "conflicts_with": besides})


_ADDON_BASES = {
    "90785": (frozenset({"90791", "90792", "90832", "90833", "90834", "90836", "90837", "90838", "90853"}),
              "an evaluation, psychotherapy or group code (90791, 90792, 90832-90838, 90853)"),
    "90833": (codes.EM_CODES, "an E/M code (99202-99215)"),
    "90836": (codes.EM_CODES, "an E/M code (99202-99215)"),
    "90838": (codes.EM_CODES, "an E/M code (99202-99215)"),
    "90840": (frozenset({codes.CRISIS_CODE}), "90839"),
}


@rule("billing.addon_without_base", owner="billing", severity="warning", title="Add-on code without its base",
      when="an add-on code (90785, 90833/90836/90838, 90840) without the code it needs; quiet for an add-on that "
           "billing.code_pair_conflict says to remove")
def addon_without_base(ctx: RuleContext) -> Iterator[Finding]:
    for claim in ctx.live_claims:
        removed = ctx.removed_by_pair_conflict(claim)
        for addon in dict.fromkeys(claim.cpt):
            if addon in removed:
                continue
            if addon in _ADDON_BASES and not _ADDON_BASES[addon][0].intersection(claim.cpt):
                yield addon_without_base.found(
                    f"Claim {claim.claim_id} bills add-on +{addon} without {_ADDON_BASES[addon][1]}. "
                    f"The payer will deny it: add the base code or remove the add-on.", refs=_refs(claim), key=addon,
                    due=ctx.today + timedelta(days=1))


@rule("billing.telehealth_pos_mismatch", owner="billing", severity="warning", title="Wrong place of service",
      when="the POS does not fit the modality and the payer's rules (a payer with no config accepts POS 02 or 10 "
           "for telehealth; `telehealth_pos` may be one code or a list)",
      thresholds=("telehealth_pos", "office_pos"))
def telehealth_pos_mismatch(ctx: RuleContext) -> Iterator[Finding]:
    for claim, appt in ctx.billed_sessions:
        pos = codes.normalise_pos(claim.pos)
        if appt.modality is None or pos is None:
            continue
        t = ctx.t(claim.payer)
        wanted = (t.office_pos,) if appt.modality == "in_person" else t.telehealth_places()
        if pos in wanted:
            continue
        yield telehealth_pos_mismatch.found(
            f"Claim {claim.claim_id} uses place of service {pos} for a "
            f"{appt.modality.replace('_', '-')} session ({appt.appointment_id}); {claim.payer} wants "
            f"{' or '.join(wanted)}. {correction(ctx, claim)} (a wrong POS is denied with CARC 5).",
            refs=_refs(claim, appt), due=_due_for_fix(ctx, claim), details={"wanted": list(wanted)})


@rule("billing.telehealth_modifier_missing", owner="billing", severity="warning", title="Telehealth modifier missing",
      when="the payer wants a telehealth modifier (95, 93, GT) that the claim lacks (a payer with no config wants "
           "none, as Medicare professional claims since 2024)",
      thresholds=("telehealth_modifier", "audio_modifier"))
def telehealth_modifier_missing(ctx: RuleContext) -> Iterator[Finding]:
    for claim, appt in ctx.billed_sessions:
        if appt.modality not in ("video", "phone"):
            continue
        t = ctx.t(claim.payer)
        wanted = (t.telehealth_modifier if appt.modality == "video" else t.audio_modifier).strip().upper()
        if not wanted or wanted in claim.modifiers:
            continue
        yield telehealth_modifier_missing.found(
            f"Claim {claim.claim_id} is for a {appt.modality} session ({appt.appointment_id}) and lacks "
            f"modifier {wanted}, which {claim.payer} wants. {correction(ctx, claim)} with {wanted} "
            f"(or it is denied with CARC 4).", refs=_refs(claim, appt), due=_due_for_fix(ctx, claim),
            details={"wanted": wanted})


@rule("billing.telehealth_modifier_on_in_person", owner="billing", severity="warning", title="Telehealth modifier on office visit",
      when="a claim for an in-person session (POS 11 or an in-person appointment) carries 95, 93, GT or FQ")
def telehealth_modifier_on_in_person(ctx: RuleContext) -> Iterator[Finding]:
    for claim in ctx.live_claims:
        wrong = [m for m in claim.modifiers if m in codes.TELEHEALTH_MODIFIERS]
        if not wrong:
            continue
        appt = ctx.appointment_of(claim)
        t = ctx.t(claim.payer)
        pos = codes.normalise_pos(claim.pos)
        if appt is not None and appt.modality is not None:
            in_person = appt.modality == "in_person"
        else:
            in_person = pos == t.office_pos and t.office_pos not in t.telehealth_places()
        if not in_person:
            continue
        what = f"in-person session {appt.appointment_id}" if appt is not None and appt.modality else \
            f"place of service {pos} (office)"
        yield telehealth_modifier_on_in_person.found(
            f"Claim {claim.claim_id} ({claim.payer}) carries telehealth modifier {', '.join(wrong)} for "
            f"{what}. A telehealth modifier on an in-person claim is an error for every payer: remove it. "
            f"{correction(ctx, claim)}.", refs=_refs(claim, appt), due=_due_for_fix(ctx, claim),
            details={"remove": wrong})


@rule("billing.duplicate_claim", owner="billing", severity="warning", title="Duplicate claim",
      when="two live claims for one client, provider, date and code")
def duplicate_claim(ctx: RuleContext) -> Iterator[Finding]:
    groups = _repeated(((claim.client_id, person_key(claim.provider), claim.date_of_service, code), claim)
                       for claim in ctx.live_claims if claim.status != "denied" for code in dict.fromkeys(claim.cpt))
    for (client, _, day, code), claims in groups.items():
        ids = sorted(c.claim_id for c in claims)
        paid = [c.claim_id for c in claims if c.status in PAID_STATUSES]
        fix = ("Keep one and void the rest before the payer denies them as duplicates (CARC 18)." if len(paid) < 2
               else f"Claims {', '.join(paid)} were all paid: refund the duplicate payment to {claims[0].payer}.")
        yield duplicate_claim.found(
            f"Claims {', '.join(ids)} all bill {code} for client {client} on {people_date(day)}. {fix}",
            refs={"claim": ids[0], "duplicate_claim": ids[1], "client": client}, key=code,
            due=ctx.today + timedelta(days=1))


@rule("billing.timely_filing_risk", owner="billing", severity="warning", title="Filing deadline near",
      when="an unsubmitted claim is within `filing_warning_days` days of the payer's filing limit (urgent from "
           "`filing_urgent_days` days before, on the last day, and past it: then a write-off, never billed to the "
           "client)",
      thresholds=("timely_filing_days", "filing_warning_days", "filing_urgent_days"))
def timely_filing_risk(ctx: RuleContext) -> Iterator[Finding]:
    for claim in ctx.live_claims:
        unsubmitted = claim.status == "draft" or (claim.status is None and claim.submitted_on is None)
        if not unsubmitted:
            continue
        t = ctx.t(claim.payer)
        deadline = ctx.filing_deadline(claim)
        left = ctx.days_until(deadline)
        if left > t.filing_warning_days:
            continue
        if left < 0:
            advice = f"missed {claim.payer}'s filing limit on {people_date(deadline)}: {_write_off(claim.payer)}."
        elif left == 0:
            advice = f"today, {people_date(deadline)}, is the last day to file with {claim.payer}: submit it today."
        else:
            advice = f"{claim.payer}'s filing limit is {people_date(deadline)} ({left} days). Submit it now."
        yield timely_filing_risk.found(
            f"Claim {claim.claim_id} ({claim.payer}, {people_date(claim.date_of_service)}) is not submitted and "
            f"{advice}", refs=_refs(claim), due=max(deadline, ctx.today) if left < 0 else deadline,
            details={"filing_limit": deadline.isoformat(), "days_left": left, "lost": left < 0},
            severity="urgent" if left <= t.filing_urgent_days else "warning")


@rule("billing.claim_rejected", owner="billing", severity="warning", title="Claim rejected, resubmit",
      when="a rejected claim has not been corrected and resubmitted; due by the filing limit (urgent within "
           "`filing_warning_days` of it)",
      thresholds=("timely_filing_days", "filing_warning_days"))
def claim_rejected(ctx: RuleContext) -> Iterator[Finding]:
    for claim in ctx.practice.claims:
        if claim.status != "rejected":
            continue
        t = ctx.t(claim.payer)
        deadline = ctx.filing_deadline(claim)
        left = ctx.days_until(deadline)
        reason = f" ({claim.denial_code})" if claim.denial_code else ""
        if left < 0:
            advice = f"The filing limit passed on {people_date(deadline)}: {_write_off(claim.payer)}."
        else:
            advice = (f"Correct what was rejected and resubmit; it has no remittance and the filing clock keeps "
                      f"running: {claim.payer}'s limit is {people_date(deadline)}"
                      + (" (today)." if left == 0 else f" ({left} days)."))
        yield claim_rejected.found(
            f"Claim {claim.claim_id} ({claim.payer}, {'+'.join(claim.cpt)}, {people_date(claim.date_of_service)}) "
            f"was rejected{reason}: it was never filed. {advice}", refs=_refs(claim, ctx.appointment_of(claim)),
            due=max(deadline, ctx.today),
            details={"filing_limit": deadline.isoformat(), "days_left": left, "lost": left < 0},
            severity="urgent" if left <= t.filing_warning_days else "warning")


@rule("billing.unpaid_followup", owner="billing", severity="warning", title="Claim unpaid, follow up",
      when="a submitted claim is unpaid more than `unpaid_after_days` days after submission (with no submission "
           "date, after its date of service); an appealed claim once `appeal_decision_days` have passed since the "
           "appeal (or, with no appeal date, the denial), never counted from the submission",
      thresholds=("unpaid_after_days", "appeal_decision_days"))
def unpaid_followup(ctx: RuleContext) -> Iterator[Finding]:
    for claim in ctx.live_claims:
        if claim.status == "submitted":
            yield from _unpaid_submitted(ctx, claim)
        elif claim.status == "appealed":
            yield from _unanswered_appeal(ctx, claim)


def _unpaid_submitted(ctx: RuleContext, claim: Claim) -> Iterator[Finding]:
    if ctx.practice.cannot_read(claim, "submitted_on"):
        return  # data.bad_value asks for the date; the date of service does not stand in for it
    sent = claim.submitted_on or claim.date_of_service
    days = ctx.t(claim.payer).unpaid_after_days
    waited = (ctx.today - sent).days
    if waited <= days:
        return
    since = (f"was submitted on {people_date(sent)}" if claim.submitted_on else
             "has no submission date; from its date of service it")
    yield unpaid_followup.found(
        f"Claim {claim.claim_id} ({claim.payer}, {people_date(claim.date_of_service)}) {since} and is unpaid "
        f"after {waited} days, past the 30 days prompt-pay laws expect. Call {claim.payer} or check the "
        f"portal: a claim the payer never received must be refiled before the filing limit "
        f"({people_date(ctx.filing_deadline(claim))}).", refs=_refs(claim), due=sent + timedelta(days=days + 1))


def _unanswered_appeal(ctx: RuleContext, claim: Claim) -> Iterator[Finding]:
    """An appeal waits on the payer's decision: followed up once the decision time has passed since
    the appeal, or since the denial where no appeal date is recorded."""
    if ctx.practice.cannot_read(claim, "appealed_on") or (
            claim.appealed_on is None and ctx.practice.cannot_read(claim, "denied_on")):
        return  # data.bad_value asks for the date
    started, what = ((claim.appealed_on, "appealed") if claim.appealed_on else (claim.denied_on, "denied"))
    days = ctx.t(claim.payer).appeal_decision_days
    if started is None:
        yield unpaid_followup.found(
            f"Claim {claim.claim_id} ({claim.payer}, {people_date(claim.date_of_service)}) is under appeal with "
            f"no appeal or denial date recorded, so its follow-up cannot be timed. Record the date the "
            f"appeal was sent (an Appeal Date column) from the appeal's confirmation.", refs=_refs(claim),
            key="no_date", due=ctx.today)
        return
    waited = (ctx.today - started).days
    if waited <= days:
        return
    denial = f" (denied on {people_date(claim.denied_on)})" if claim.denied_on and what == "appealed" else ""
    yield unpaid_followup.found(
        f"Claim {claim.claim_id} ({claim.payer}, {people_date(claim.date_of_service)}) was {what} on "
        f"{people_date(started)}{denial} and the appeal has no decision after {waited} days; {claim.payer} "
        f"decides within {days} days. Call {claim.payer}'s appeals line or check the portal for the "
        f"decision, and record it (paid, or denied again: then the next level of appeal).", refs=_refs(claim),
        due=started + timedelta(days=days + 1), details={"appeal_from": what, "since": started.isoformat()})


def _denial_reasons(claim: Claim) -> list[tuple[str, str, str, str]]:
    """(shown code, CARC number, meaning, fix) for each reason code on the claim."""
    reasons = []
    for part in (claim.denial_code or "").replace(",", ";").split(";"):
        parsed = codes.split_carc(part) if part.strip() else None
        if parsed:
            meaning, fix = codes.CARC_MEANINGS.get(parsed[1], ("see the remittance advice", "Read the ERA."))
            reasons.append((f"{(parsed[0] + '-') if parsed[0] else ''}{parsed[1]}", parsed[1], meaning, fix))
    return reasons


@rule("billing.denial_open", owner="billing", severity="warning", title="Denied claim open",
      when="a denied claim is not appealed, corrected or written off; carries the CARC meaning and the records an "
           "appeal needs; due by the earlier of the appeal window (`appeal_days` from denied_on) and, for a "
           "correctable denial, the filing limit",
      thresholds=("appeal_days", "timely_filing_days", "filing_warning_days"))
def denial_open(ctx: RuleContext) -> Iterator[Finding]:
    for claim in ctx.practice.claims:
        if claim.status != "denied":
            continue
        t = ctx.t(claim.payer)
        appt = ctx.appointment_of(claim)
        reasons = _denial_reasons(claim)
        carcs = {number for _, number, _, _ in reasons}
        panel = ctx.panel_status(claim.provider, claim.payer, claim.date_of_service) \
            if ctx.practice.keeps("credentialing") else None
        auth = ctx.authorization_of_session.get(appt.appointment_id) if appt is not None else None
        fixes = []
        for shown, number, meaning, fix in reasons:
            if number == "197" and auth:
                fix = f"Appeal with authorization {auth}, which was on file for this session."
            fixes.append(f"{shown}: {meaning}. {fix}")
        said = "; ".join(fixes) or "no reason code recorded: get it from the remittance advice."
        deadlines = []
        appeal_by = claim.denied_on + timedelta(days=t.appeal_days) if claim.denied_on else None
        if appeal_by and not carcs & codes.NOT_APPEALABLE_CARCS:
            deadlines.append((appeal_by, f"the appeal window closes on {people_date(appeal_by)}"))
        if carcs & codes.CORRECTABLE_CARCS:
            limit = ctx.filing_deadline(claim)
            deadlines.append((limit, f"a corrected claim must reach {claim.payer} by the filing limit, "
                                     f"{people_date(limit)}"))
        deadlines.sort()
        if carcs & codes.NOT_APPEALABLE_CARCS:
            due, when = ctx.today + timedelta(days=7), "No appeal: adjust it off."
        elif deadlines:
            due, when = deadlines[0][0], f"Act by {people_date(deadlines[0][0])}: {deadlines[0][1]}."
        else:
            due = ctx.today + timedelta(days=7)
            when = "No denial date recorded: record the Denied On date so the appeal window is known."
        records = [f"session {appt.appointment_id} ({appt.status}, {ctx.minutes_of(appt) or '?'} min)" if appt else
                   "no matching session", f"authorization {auth}" if auth else "no authorization",
                   f"{claim.provider} was {panel.replace('_', ' ')} with {claim.payer} on that date" if panel else None]
        refs = _refs(claim, appt)
        if auth:
            refs["authorization"] = auth
        left = ctx.days_until(due)
        yield denial_open.found(
            f"Claim {claim.claim_id} ({claim.payer}, {'+'.join(claim.cpt)}, {people_date(claim.date_of_service)}) "
            f"was denied{f' on {people_date(claim.denied_on)}' if claim.denied_on else ''}. {said} {when} "
            f"Records: {'; '.join(r for r in records if r)}.", refs=refs, due=max(due, ctx.today) if left < 0 else due,
            details={"carc": [shown for shown, _, _, _ in reasons], "panel_status": panel,
                     "authorization": auth, "appointment": appt.appointment_id if appt else None,
                     "appeal_by": appeal_by.isoformat() if appeal_by else None},
            severity="urgent" if left <= t.filing_warning_days and not
            carcs & codes.NOT_APPEALABLE_CARCS else "warning")


@rule("billing.balance_due", owner="va", severity="warning", title="Client balance overdue",
      when="a client balance over 0 is older than `balance_after_days` days (a PHI-free notice goes to the client)",
      thresholds=("balance_after_days",))
def balance_due(ctx: RuleContext) -> Iterator[Finding]:
    days = ctx.thresholds.balance_after_days
    for client in ctx.practice.clients:
        if not client.balance or client.balance <= 0 or client.balance_since is None:
            continue
        if (ctx.today - client.balance_since).days <= days:
            continue
        yield balance_due.found(
            f"Client {client.client_id} has owed ${client.balance:,.2f} since {people_date(client.balance_since)}. "
            f"A balance notice (no clinical detail) goes by email where the client allows it; otherwise call.",
            refs={"client": client.client_id}, due=client.balance_since + timedelta(days=days + 1),
            details={"balance": str(client.balance)})


@rule("billing.gfe_missing", owner="va", severity="warning", title="Good Faith Estimate missing",
      when="a self-pay client has an upcoming appointment and no Good Faith Estimate on file before it, or the one "
           "on file is more than 12 months older than the appointment",
      needs=(("clients", "good_faith_estimate"),))
def gfe_missing(ctx: RuleContext) -> Iterator[Finding]:
    if not ctx.practice.keeps("clients", "good_faith_estimate"):
        return
    seen: set[str] = set()
    for appt in sorted(ctx.practice.appointments, key=lambda a: (a.date, a.time)):
        client = ctx.clients.get(appt.client_id)
        if client is None or appt.client_id in seen or not ctx.is_upcoming(appt) or ctx.is_insured(appt):
            continue
        if ctx.payer_of(appt) is None:
            continue
        seen.add(appt.client_id)
        on_file = client.good_faith_estimate
        if on_file is True or isinstance(on_file, NotApplicable):
            continue
        if isinstance(on_file, date) and on_file <= appt.date:
            if (appt.date - on_file).days <= GFE_VALID_DAYS:
                continue
            why = (f"the Good Faith Estimate on file is from {people_date(on_file)}, more than 12 months before it; a "
                   f"GFE for recurring services covers at most 12 months, so a new one is due")
        else:
            why = "no Good Faith Estimate on file"
        yield gfe_missing.found(
            f"Self-pay client {client.client_id} is booked on {people_date(appt.date)} ({appt.appointment_id}) "
            f"with {why}. The No Surprises Act requires one before the service (within 1 business day of "
            f"scheduling when it is 3-9 business days away, within 3 when 10 or more).",
            refs={"client": client.client_id, "appointment": appt.appointment_id},
            due=max(ctx.today, appt.date - timedelta(days=1)))
