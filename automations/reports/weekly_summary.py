"""The owner's weekly summary workbook: money, risk and capacity, every figure traceable.

Figures are computed here from the records (pure ``figures``), then written (``write``). The
definitions the owner can check by hand:

- **the week** is the last full Monday-to-Sunday before the run's date;
- **sessions** count appointments on the week's days by status; the no-show rate is
  (no-shows + late cancels) / (completed + no-shows + late cancels);
- **billed** and **collected** sum the claims whose date of service falls in the week
  (billed_amount) and the payments dated in the week (paid_amount by paid_on);
- **A/R** is what is still owed on live claims: billed minus paid, for claims that are submitted,
  partial, denied or appealed (drafts are not yet receivable; paid, written off and void are
  closed). Its age counts from the date of service, in the buckets 0-30, 31-60, 61-90, 91-120 and
  over 120 days; a healthy practice keeps the share over 90 days under about 20-30%.
- **the trend** sets the week beside the four before it: sessions, no-show rate, billed and
  collected are counted from the records for each week; A/R is a snapshot, so earlier weeks show
  what the summary recorded in the ledger when it ran (blank before the first);
- **denial rate** by payer: denied claims among the claims with a date of service in the last 90
  days (void ones left out);
- **unbilled** sums the sessions `billing.unbilled_session` reports, at the practice's typical fee
  for the planned code (marked estimated); **at filing risk** sums the claims that
  `billing.timely_filing_risk` and `billing.claim_rejected` report;
- **the front desk's throughput**: findings resolved in the week, and open ones past their due date;
- **referrals** count those received in the four weeks to the week's end, by who referred them:
  how many became clients (outcome scheduled), how many still wait for a first call, and the days
  from receipt to the first call (the median over those called: the front desk's response time);
- **drifted off** counts the clients `scheduling.no_next_appointment` reports whose call fell due
  since the first of the month the week ends in;
- **hours saved** is an estimate, with its assumptions on its sheet (minutes a person would spend on
  each reminder, invitation, digest and finding found).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from ..messages.kinds import kind_title
from ..rules.catalogue import problem_of
from ..rules.context import RuleContext
from ..rules.findings import OWNER_NAMES, OWNERS, SEVERITIES, SEVERITY_NAMES, Finding
from ..trackers.records import MISSED_STATUSES
from ..trackers.values import person_key
from .workbooks import (
    PEOPLES_DATE,
    RowWriter,
    detail_sheet,
    print_like_the_rest,
    save_atomically,
    titled_book,
    wrapped_lines,
)

BUCKETS = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("91-120", 91, 120), ("over 120", 121, None))
RECEIVABLE = frozenset({"submitted", "partial", "denied", "appealed"})
HEALTHY_OVER_90 = Decimal("0.25")
MONEY = '"$"#,##0.00'


def week_before(today: date) -> tuple[date, date]:
    monday = today - timedelta(days=today.weekday() + 7)
    return monday, monday + timedelta(days=6)


def bucket_of(age_days: int) -> str:
    for name, low, high in BUCKETS:
        if age_days >= low and (high is None or age_days <= high):
            return name
    return BUCKETS[0][0]  # a date of service in the future: not yet aged


@dataclass
class Figures:
    week: tuple[date, date]
    sessions: Counter = field(default_factory=Counter)
    no_show_rate: Decimal | None = None
    billed: Decimal = Decimal(0)
    collected: Decimal = Decimal(0)
    ar_rows: list[dict] = field(default_factory=list)
    ar_by_bucket: dict[str, Decimal] = field(default_factory=dict)
    ar_total: Decimal = Decimal(0)
    ar_over_90_share: Decimal | None = None
    by_payer: list[dict] = field(default_factory=list)
    capacity: list[dict] = field(default_factory=list)
    findings: Counter = field(default_factory=Counter)
    risks: list[Finding] = field(default_factory=list)
    trend: list[dict] = field(default_factory=list)
    denials: list[dict] = field(default_factory=list)
    unbilled: list[dict] = field(default_factory=list)
    unbilled_total: Decimal = Decimal(0)
    filing_risk: list[dict] = field(default_factory=list)
    filing_risk_total: Decimal = Decimal(0)
    credentialing: list[list] = field(default_factory=list)
    throughput: dict = field(default_factory=dict)
    messages: dict = field(default_factory=dict)
    hours_saved: list[tuple[str, int, int]] = field(default_factory=list)
    referrals: list[dict] = field(default_factory=list)
    referrals_received: int = 0
    referrals_became_clients: int = 0
    first_contact_days: Decimal | None = None
    drifted: list[dict] = field(default_factory=list)


MINUTES_SAVED = {"appointment_reminder": 3, "calendar_invite": 2, "intake_forms_reminder": 3, "balance_notice": 5,
                 "waitlist_opening": 5, "clinician_digest": 10, "billing_escalation": 15, "credentialing_reminder": 5,
                 "weekly_summary": 60, "finding": 6, "text_reminder": 2, "referral_acknowledgment": 10}
"""Minutes a person would spend doing each by hand (writing a reminder, assembling a digest, finding
one problem across the trackers): the assumptions behind the hours-saved estimate."""


def _week_counts(ctx: RuleContext, start: date, end: date) -> dict:
    in_week = [a for a in ctx.practice.appointments if start <= a.date <= end]
    statuses = Counter(a.status for a in in_week)
    missed = sum(statuses[s] for s in MISSED_STATUSES)
    attended = statuses["completed"] + missed
    claims = [c for c in ctx.practice.claims if c.status != "void"]
    return {"week": start, "sessions": statuses["completed"],
            "no_show_rate": (Decimal(missed) / Decimal(attended)).quantize(Decimal("0.001")) if attended else None,
            "billed": sum((c.billed_amount or Decimal(0) for c in claims if start <= c.date_of_service <= end),
                          Decimal(0)),
            "collected": sum((c.paid_amount or Decimal(0) for c in claims
                              if c.paid_on and start <= c.paid_on <= end), Decimal(0))}


def figures(ctx: RuleContext, findings: list[Finding], history: dict | None = None) -> Figures:
    """Every figure of the owner's week. ``history`` is what only the ledger knows: A/R snapshots of
    earlier weeks (``ar`` by week start), the queue's states and the messages of the week."""
    history = history or {}
    start, end = week_before(ctx.today)
    result = Figures((start, end))
    in_week = [a for a in ctx.practice.appointments if start <= a.date <= end]
    result.sessions = Counter(a.status or "unknown" for a in in_week)
    attended = sum(result.sessions[s] for s in ("completed", *MISSED_STATUSES))
    if attended:
        missed = sum(result.sessions[s] for s in MISSED_STATUSES)
        result.no_show_rate = (Decimal(missed) / Decimal(attended)).quantize(Decimal("0.001"))
    payers: dict[str, dict] = defaultdict(lambda: {"billed": Decimal(0), "collected": Decimal(0), "ar": Decimal(0)})
    for claim in ctx.practice.claims:
        if claim.status == "void":
            continue
        billed, paid = claim.billed_amount or Decimal(0), claim.paid_amount or Decimal(0)
        if start <= claim.date_of_service <= end:
            result.billed += billed
            payers[claim.payer]["billed"] += billed
        if claim.paid_on and start <= claim.paid_on <= end:
            result.collected += paid
            payers[claim.payer]["collected"] += paid
        if claim.status in RECEIVABLE and billed > paid:
            age = (ctx.today - claim.date_of_service).days
            owed = billed - paid
            result.ar_rows.append({"claim": claim.claim_id, "payer": claim.payer, "client": claim.client_id,
                                   "provider": claim.provider, "date_of_service": claim.date_of_service,
                                   "status": claim.status, "billed": billed, "paid": paid, "outstanding": owed,
                                   "age": age, "bucket": bucket_of(age)})
            payers[claim.payer]["ar"] += owed
    result.ar_rows.sort(key=lambda r: (-r["age"], r["claim"]))
    result.ar_by_bucket = {name: sum((r["outstanding"] for r in result.ar_rows if r["bucket"] == name), Decimal(0))
                           for name, _, _ in BUCKETS}
    result.ar_total = sum(result.ar_by_bucket.values(), Decimal(0))
    if result.ar_total:
        over_90 = result.ar_by_bucket["91-120"] + result.ar_by_bucket["over 120"]
        result.ar_over_90_share = (over_90 / result.ar_total).quantize(Decimal("0.001"))
    result.by_payer = [{"payer": name, **values} for name, values in sorted(payers.items())]
    next_start = ctx.today
    for provider in ctx.practice.providers:
        key = person_key(provider.provider)
        booked = sum(1 for a in ctx.live_appointments if person_key(a.provider) == key
                     and next_start <= a.date < next_start + timedelta(days=7))
        seen = sum(1 for a in in_week if person_key(a.provider) == key and a.status == "completed")
        cap = provider.weekly_capacity
        result.capacity.append({"provider": provider.provider, "capacity": cap, "seen_last_week": seen,
                                "booked_next_7_days": booked,
                                "utilization": (Decimal(booked) / Decimal(cap)).quantize(Decimal("0.001"))
                                if cap else None, "accepting_new": provider.accepting_new})
    result.findings = Counter((f.owner, f.severity) for f in findings)
    result.risks = [f for f in findings if f.severity == "urgent" or f.owner == "owner"]
    _trend(ctx, result, history.get("ar", {}))
    _money_at_stake(ctx, result, findings)
    _denials(ctx, result)
    _credentialing(ctx, result)
    _people(result, findings, history, start, end)
    _referrals(ctx, result, start - timedelta(weeks=3), end)
    _drifted(ctx, result, findings, end)
    return result


def _referrals(ctx: RuleContext, result: Figures, since: date, end: date) -> None:
    """Referrals received in the four weeks to the week's end, by who sent them: how many, how many
    became clients (outcome scheduled), and the days from receipt to the first contact (the median,
    over those contacted)."""
    received = [r for r in ctx.practice.referrals if since <= r.received_on <= end]
    by_source: dict[str, list] = defaultdict(list)
    for referral in received:
        by_source[referral.referred_by or (referral.source_type or "not recorded").replace("_", " ")].append(referral)

    def days_to_contact(rows: list) -> Decimal | None:
        waits = sorted((r.contacted_on - r.received_on).days for r in rows if r.contacted_on)
        if not waits:
            return None
        middle = len(waits) // 2
        return Decimal(waits[middle]) if len(waits) % 2 else (Decimal(waits[middle - 1] + waits[middle]) / 2)

    result.referrals = [{"source": source, "type": _source_type(rows[0].source_type),
                         "received": len(rows), "became_clients": sum(1 for r in rows if r.outcome == "scheduled"),
                         "waiting": sum(1 for r in rows if r.contacted_on is None and r.outcome is None),
                         "days_to_first_contact": days_to_contact(rows)}
                        for source, rows in sorted(by_source.items(), key=lambda item: (-len(item[1]), item[0]))]
    result.referrals_received = len(received)
    result.referrals_became_clients = sum(1 for r in received if r.outcome == "scheduled")
    result.first_contact_days = days_to_contact(received)


def _source_type(kind: str | None) -> str:
    """`Physician`, `EAP`: a referral's source type as the practice writes it."""
    return "EAP" if kind == "eap" else (kind or "").replace("_", " ").capitalize()


def _drifted(ctx: RuleContext, result: Figures, findings: list[Finding], end: date) -> None:
    """Clients who drifted off this month: the recall findings that fell due since the first of the
    month the week ends in."""
    first = end.replace(day=1)
    result.drifted = [{"client": f.refs.get("client"), "due": f.due, "what": f.message}
                      for f in findings if f.rule == "scheduling.no_next_appointment" and f.due and f.due >= first]


def _trend(ctx: RuleContext, result: Figures, ar_history: dict) -> None:
    start = result.week[0]
    for back in range(4, -1, -1):
        week_start = start - timedelta(weeks=back)
        row = _week_counts(ctx, week_start, week_start + timedelta(days=6))
        snapshot = ar_history.get(week_start.isoformat(), {}) if back else {
            "ar_total": str(result.ar_total),
            "ar_over_90_share": "" if result.ar_over_90_share is None else str(result.ar_over_90_share)}
        row["ar_total"] = Decimal(snapshot["ar_total"]) if snapshot.get("ar_total") else None
        row["ar_over_90_share"] = Decimal(snapshot["ar_over_90_share"]) if snapshot.get("ar_over_90_share") else None
        result.trend.append(row)
    no_shows = Counter(person_key(a.provider) for a in ctx.practice.appointments
                       if start <= a.date <= result.week[1] and a.status in MISSED_STATUSES)
    for row in result.capacity:
        row["no_shows_last_week"] = no_shows[person_key(row["provider"])]


def _money_at_stake(ctx: RuleContext, result: Figures, findings: list[Finding]) -> None:
    claims = {c.claim_id: c for c in ctx.practice.claims}
    for finding in findings:
        if finding.rule == "billing.unbilled_session":
            appt = ctx.appointments.get(finding.refs.get("appointment", ""))
            fee = ctx.typical_fee.get(appt.cpt[0]) if appt is not None and appt.cpt else None
            result.unbilled.append({"appointment": finding.refs.get("appointment"), "client": finding.refs.get("client"),
                                    "date": appt.date if appt else None, "provider": appt.provider if appt else "",
                                    "estimate": fee})
        elif finding.rule in ("billing.timely_filing_risk", "billing.claim_rejected"):
            claim = claims.get(finding.refs.get("claim", ""))
            if claim is not None:
                result.filing_risk.append({"claim": claim.claim_id, "payer": claim.payer,
                                           "date_of_service": claim.date_of_service, "status": claim.status or "",
                                           "billed": claim.billed_amount, "filing_limit": finding.details.get(
                                               "filing_limit", "")})
    result.unbilled_total = sum((r["estimate"] for r in result.unbilled if r["estimate"]), Decimal(0))
    result.filing_risk_total = sum((r["billed"] for r in result.filing_risk if r["billed"]), Decimal(0))


def _denials(ctx: RuleContext, result: Figures) -> None:
    since = ctx.today - timedelta(days=90)
    by_payer: dict[str, list] = defaultdict(lambda: [0, 0])
    for claim in ctx.practice.claims:
        if claim.status in (None, "void", "draft") or claim.date_of_service < since:
            continue
        by_payer[claim.payer][0] += 1
        by_payer[claim.payer][1] += claim.status == "denied"
    result.denials = [{"payer": payer, "claims": total, "denied": denied,
                       "rate": (Decimal(denied) / Decimal(total)).quantize(Decimal("0.001"))}
                      for payer, (total, denied) in sorted(by_payer.items())]


def _credentialing(ctx: RuleContext, result: Figures) -> None:
    payers = sorted({row.payer for row in ctx.practice.credentialing})
    if not payers:
        return
    result.credentialing = [["Clinician", *payers]]
    for provider in ctx.practice.providers:
        result.credentialing.append([provider.provider, *(
            ctx.panel_status(provider.provider, payer, ctx.today).replace("_", " ") for payer in payers)])


def _people(result: Figures, findings: list[Finding], history: dict, start: date, end: date) -> None:
    states = history.get("queue", {})
    resolved = sum(1 for s in states.values() if s.get("resolved_on") and start.isoformat() <= s["resolved_on"]
                   <= end.isoformat())
    overdue = sum(1 for f in findings if f.owner == "va" and f.due and f.due < end)
    result.throughput = {"resolved in the week": resolved, "open and past due": overdue,
                         "open": sum(1 for f in findings if f.owner == "va")}
    result.messages = dict(history.get("messages", {}))
    sent = result.messages.get("sent", Counter())
    for kind, minutes in MINUTES_SAVED.items():
        count = len(findings) if kind == "finding" else sent.get(kind, 0)
        if count:
            result.hours_saved.append((kind_title(kind), count, count * minutes))


SUMMARY_LABEL_WIDTH = 52
"""The first sheet's label column, where the owner's decisions wrap."""


def write(path: Path, f: Figures, practice_name: str) -> Path:
    from openpyxl.styles import (  # only when the summary is written: most runs never load openpyxl
        Alignment,
        Font,
        PatternFill,
    )

    start, end = f.week
    bold = Font(bold=True)
    book, summary, lines = titled_book("Summary", f"{practice_name}: week of {start:%B} {start.day} to "
                                                  f"{end:%B} {end.day}, {end.year}")
    lines.append(["Each figure is explained on the sheet named beside it, beside last week's and the change."])
    lines.append([])
    lines.append(["", "This week", "Explained on", "Last week", "Change"])
    for cell in summary[lines.row]:
        cell.font = bold
        if cell.column in (2, 4, 5):
            cell.alignment = Alignment(horizontal="right")
    summary.cell(lines.row, 3).alignment = Alignment(horizontal="left", indent=1)  # apart from the right-set figures beside it
    before = f.trend[-2] if len(f.trend) >= 2 else {}
    last_week = {"Sessions held (completed)": before.get("sessions"),
                 "Missed share (no-shows + late cancels of sessions due)": before.get("no_show_rate"),
                 "Billed (claims for sessions in the week)": before.get("billed"),
                 "Collected (payments dated in the week)": before.get("collected"),
                 "Owed to the practice (A/R)": before.get("ar_total"),
                 "Share of A/R over 90 days (healthy: under 20-30%)": before.get("ar_over_90_share")}
    saved = sum(minutes for _, _, minutes in f.hours_saved) / 60
    rows: list[tuple[str, object, str | None, str]] = [
            ("Sessions held (completed)", f.sessions["completed"], None, "Trend"),
            ("No-shows", f.sessions["no_show"], None, "Trend"), ("Late cancels", f.sessions["late_cancel"], None, ""),
            ("Cancelled", f.sessions["cancelled"], None, ""),
            ("Missed share (no-shows + late cancels of sessions due)", f.no_show_rate, "0.0%", "Trend"),
            ("Billed (claims for sessions in the week)", f.billed, MONEY, "By payer"),
            ("Collected (payments dated in the week)", f.collected, MONEY, "By payer"),
            ("Owed to the practice (A/R)", f.ar_total, MONEY, "Receivables")]
    rows += [(f"A/R {name} days old", f.ar_by_bucket[name], MONEY, "Receivables") for name, _, _ in BUCKETS]
    rows += [("Share of A/R over 90 days (healthy: under 20-30%)", f.ar_over_90_share, "0.0%", "Receivables"),
             ("Sessions held but not billed (estimate)", f.unbilled_total, MONEY, "Unbilled")]
    unknown_fees = sum(1 for u in f.unbilled if u["estimate"] is None)
    if unknown_fees:
        rows.append(("Sessions not billed whose fee is unknown (no typical fee on file)", unknown_fees, None,
                     "Unbilled"))
    rows += [("Claims near or past the filing limit", f.filing_risk_total, MONEY, "Filing risk"),
             ("Referrals received (four weeks to the week's end)", f.referrals_received, None, "Referrals"),
             ("Referrals that became clients", f.referrals_became_clients, None, "Referrals"),
             ("Front desk: days from a referral to its first call (median)", f.first_contact_days, "0.0",
              "Referrals"),
             ("Clients who drifted off this month (nothing booked)", len(f.drifted), None, "Drifted off"),
             ("Front desk: findings resolved in the week", f.throughput.get("resolved in the week", 0), None, ""),
             ("Front desk: open findings past due", f.throughput.get("open and past due", 0), None, ""),
             ("Messages sent in the week", sum(f.messages.get("sent", {}).values()), None, "Messages"),
             ("Messages blocked (no secure channel) in the week", sum(f.messages.get("blocked", {}).values()), None,
              "Messages"),
             ("Hours of admin the automations saved (estimate)", round(saved, 1), "0.0", "Hours saved")]
    for label, value, number_format, sheet in rows:
        last = last_week.get(label)
        lines.append([label, value, f"see {sheet}" if sheet else None, last, change(value, last, number_format)],
                     {2: number_format, 4: number_format} if number_format else None)
        summary.cell(lines.row, 3).alignment = Alignment(horizontal="left", indent=1)
        summary.cell(lines.row, 5).alignment = Alignment(horizontal="right")
        if "healthy" in label and f.ar_over_90_share is not None and f.ar_over_90_share > HEALTHY_OVER_90:
            summary.cell(lines.row, 2).fill = PatternFill("solid", fgColor="F8D7DA")
    lines.append([])
    most_pressing_first = tuple(reversed(SEVERITIES))
    lines.append(["Open findings", *(SEVERITY_NAMES[s] for s in most_pressing_first)])
    for cell in summary[lines.row]:
        cell.font = bold
        if cell.column > 1:  # each heading over its numbers, which sit right
            cell.alignment = Alignment(horizontal="right")
    for owner in OWNERS:
        lines.append([OWNER_NAMES[owner], *(f.findings[(owner, s)] for s in most_pressing_first)])
    lines.append([])
    lines.append(["Decisions for you (only the owner can make these)"])
    summary.cell(lines.row, 1).font = bold
    decisions = [r for r in f.risks if r.owner == "owner"]
    for risk in decisions:
        decision = f"{problem_of(risk)}: {risk.message}"
        lines.append([decision], wrap=(1,))
        summary.row_dimensions[lines.row].height = 15 * wrapped_lines(decision, SUMMARY_LABEL_WIDTH)
    if not decisions:
        lines.append(["None this week."])
    summary.column_dimensions["A"].width = SUMMARY_LABEL_WIDTH
    summary.column_dimensions["B"].width = 16
    summary.column_dimensions["C"].width = 20
    summary.column_dimensions["D"].width = 14
    summary.column_dimensions["E"].width = 14
    print_like_the_rest(summary, landscape=False, header=False)

    trend = detail_sheet(book, "Trend", ["Week of", "Sessions held", "Missed share", "Billed", "Collected",
                                   "Owed (A/R)", "A/R over 90 days"],
                   [[r["week"], r["sessions"], r["no_show_rate"], r["billed"], r["collected"], r["ar_total"],
                     r["ar_over_90_share"]] for r in f.trend],
                   {1: PEOPLES_DATE, 3: "0.0%", 4: MONEY, 5: MONEY, 6: MONEY, 7: "0.0%"})
    _charts(book, trend, len(f.trend), f)
    detail_sheet(book, "Receivables", ["Claim", "Payer", "Client", "Clinician", "Date of service", "Status", "Billed", "Paid",
                                 "Outstanding", "Age (days)", "Bucket"],
           [[r["claim"], r["payer"], r["client"], r["provider"], r["date_of_service"], r["status"], r["billed"],
             r["paid"], r["outstanding"], r["age"], r["bucket"]] for r in f.ar_rows], {5: PEOPLES_DATE, 7: MONEY,
                                                                                      8: MONEY, 9: MONEY})
    detail_sheet(book, "By payer", ["Payer", "Billed in the week", "Collected in the week", "Owed (A/R)"],
           [[p["payer"], p["billed"], p["collected"], p["ar"]] for p in f.by_payer], {2: MONEY, 3: MONEY, 4: MONEY})
    detail_sheet(book, "Denials", ["Payer", "Claims (last 90 days)", "Denied", "Denial rate"],
           [[d["payer"], d["claims"], d["denied"], d["rate"]] for d in f.denials], {4: "0.0%"})
    detail_sheet(book, "Capacity", ["Clinician", "Weekly capacity", "Held last week", "No-shows last week",
                              "Booked next 7 days", "Booked share of capacity", "Accepting new"],
           [[c["provider"], c["capacity"], c["seen_last_week"], c.get("no_shows_last_week", 0), c["booked_next_7_days"],
             c["utilization"], "yes" if c["accepting_new"] is True else "no" if c["accepting_new"] is False else ""]
            for c in f.capacity], {6: "0%"})
    detail_sheet(book, "Unbilled", ["Session", "Client", "Date", "Clinician", "Typical fee (estimate)"],
           [[u["appointment"], u["client"], u["date"], u["provider"], u["estimate"]] for u in f.unbilled],
           {3: PEOPLES_DATE, 5: MONEY})
    detail_sheet(book, "Filing risk", ["Claim", "Payer", "Date of service", "Status", "Billed", "Filing limit"],
           [[r["claim"], r["payer"], r["date_of_service"], r["status"], r["billed"], r["filing_limit"]]
            for r in f.filing_risk], {3: PEOPLES_DATE, 5: MONEY})
    if f.credentialing:
        detail_sheet(book, "Credentialing", f.credentialing[0], f.credentialing[1:], {})
    detail_sheet(book, "Messages", ["Kind", "Sent", "Blocked", "Failed"],
           [[kind_title(kind), f.messages.get("sent", {}).get(kind, 0), f.messages.get("blocked", {}).get(kind, 0),
             f.messages.get("failed", {}).get(kind, 0)]
            for kind in sorted({k for counts in f.messages.values() for k in counts})], {})
    detail_sheet(book, "Referrals", ["Referred by", "Type", "Received", "Became clients", "Waiting for a first call",
                                     "Days to first call (median)"],
                 [[r["source"], r["type"], r["received"], r["became_clients"], r["waiting"], r["days_to_first_contact"]]
                  for r in f.referrals], {6: "0.0"})
    detail_sheet(book, "Drifted off", ["Client", "Called for since", "What to do"],
                 [[d["client"], d["due"], d["what"]] for d in f.drifted], {2: PEOPLES_DATE}, wrap=3)
    detail_sheet(book, "Hours saved", ["Done automatically", "How many", "Minutes a person would spend"],
           [[what, count, minutes] for what, count, minutes in f.hours_saved], {})
    detail_sheet(book, "Risks", ["Due", "Urgency", "For", "Problem", "What to do", "Finding ID"],
           [[r.due, SEVERITY_NAMES[r.severity], OWNER_NAMES[r.owner], problem_of(r), r.message, r.id]
            for r in f.risks], {1: PEOPLES_DATE}, wrap=5)
    for (cell,) in summary.iter_rows(min_col=3, max_col=3):
        named = cell.value[4:] if isinstance(cell.value, str) and cell.value.startswith("see ") else None
        if named in book.sheetnames and book[named].sheet_state == "hidden":
            cell.value = "nothing to list"  # an empty sheet is hidden: never send the owner to it
    return save_atomically(book, path, "weekly summary")


def change(value: object, last: object, number_format: str | None) -> str | None:
    """This week against last week as an owner reads it: an arrow and how much (▲ $120, ▼ 1.5 pts, = )."""
    if not isinstance(value, (int, float, Decimal)) or not isinstance(last, (int, float, Decimal)):
        return None
    diff = Decimal(str(value)) - Decimal(str(last))
    arrow = "▲" if diff > 0 else "▼" if diff < 0 else "="
    if not diff:
        return "= no change"
    if number_format == MONEY:
        return f"{arrow} ${abs(diff):,.0f}"
    if number_format and "%" in number_format:
        return f"{arrow} {abs(diff) * 100:.1f} pts"
    return f"{arrow} {abs(diff):,}"


def _charts(book, trend, weeks: int, f: Figures) -> None:
    from openpyxl.chart import BarChart, LineChart, Reference

    """Native Excel charts on their own sheet, drawn from the Trend and Receivables figures."""
    sheet = book.create_sheet("Charts", 1)
    print_like_the_rest(sheet, header=False, pages_high=1)
    dates = Reference(trend, min_col=1, min_row=2, max_row=weeks + 1)

    def chart(kind, title: str, column: int, anchor: str, y_title: str, number_format: str = "General",
              key: str = ""):
        made = kind()
        made.title, made.y_axis.title = title, y_title
        made.add_data(Reference(trend, min_col=column, min_row=1, max_row=weeks + 1), titles_from_data=True)
        made.set_categories(dates)
        made.y_axis.number_format = number_format
        made.x_axis.number_format = "mmm d"  # Nov 2, on one line (an ISO date wrapped: 2026-10-/19)
        made.y_axis.scaling.min = 0
        if not any(r.get(key) for r in f.trend):  # a new practice: an honest empty axis, not $0 $1 $1
            made.y_axis.scaling.max = 1 if number_format == "0%" else 10
        for series in made.series:
            series.smooth = False  # a line through the weeks' own values, never past values no week had
        made.height, made.width = 7.5, 15
        sheet.add_chart(made, anchor)

    chart(BarChart, "Sessions held per week", 2, "A1", "sessions", key="sessions")
    chart(LineChart, "Missed share (no-shows + late cancels)", 3, "J1", "share", "0%", key="no_show_rate")
    chart(BarChart, "Collected per week", 5, "A17", "dollars", '"$"#,##0', key="collected")
    aging = book.create_sheet("AR aging")
    lines = RowWriter(aging)
    lines.append(["Days since the date of service", "Owed"])
    for name, _, _ in BUCKETS:
        lines.append([name, f.ar_by_bucket.get(name, Decimal(0))], {2: MONEY})
    aging.column_dimensions["A"].width = 32
    aging.column_dimensions["B"].width = 16
    print_like_the_rest(aging)
    bars = BarChart()
    bars.title, bars.y_axis.title = "A/R by age", "dollars"
    bars.add_data(Reference(aging, min_col=2, min_row=1, max_row=len(BUCKETS) + 1), titles_from_data=True)
    bars.set_categories(Reference(aging, min_col=1, min_row=2, max_row=len(BUCKETS) + 1))
    bars.y_axis.number_format = '"$"#,##0'  # as Collected per week: whole dollars on an axis
    bars.height, bars.width = 7.5, 15
    sheet.add_chart(bars, "J17")
