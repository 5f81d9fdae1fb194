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
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from ..rules.context import RuleContext
from ..rules.findings import OWNERS, SEVERITIES, Finding
from ..trackers.values import person_key
from .workbooks import RowWriter, save_atomically

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


def figures(ctx: RuleContext, findings: list[Finding]) -> Figures:
    start, end = week_before(ctx.today)
    result = Figures((start, end))
    in_week = [a for a in ctx.practice.appointments if start <= a.date <= end]
    result.sessions = Counter(a.status or "unknown" for a in in_week)
    attended = sum(result.sessions[s] for s in ("completed", "no_show", "late_cancel"))
    if attended:
        missed = result.sessions["no_show"] + result.sessions["late_cancel"]
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
    return result


def write(path: Path, f: Figures, practice_name: str) -> Path:
    book = openpyxl.Workbook()
    summary = book.active
    summary.title = "Summary"
    start, end = f.week
    bold = Font(bold=True)
    lines = RowWriter(summary)
    lines.append([f"{practice_name}: week of {start:%B} {start.day} to {end:%B} {end.day}, {end.year}"])
    summary["A1"].font = Font(bold=True, size=14)
    lines.append([])
    rows = [("Sessions completed", f.sessions["completed"], None),
            ("No-shows", f.sessions["no_show"], None), ("Late cancels", f.sessions["late_cancel"], None),
            ("Cancelled", f.sessions["cancelled"], None),
            ("No-show and late-cancel rate", f.no_show_rate, "0.0%"),
            ("Billed (dates of service in the week)", f.billed, MONEY),
            ("Collected (payments dated in the week)", f.collected, MONEY),
            ("A/R outstanding", f.ar_total, MONEY)]
    rows += [(f"A/R {name} days", f.ar_by_bucket[name], MONEY) for name, _, _ in BUCKETS]
    rows += [("Share of A/R over 90 days", f.ar_over_90_share, "0.0%")]
    for label, value, number_format in rows:
        lines.append([label, value], {2: number_format} if number_format else None)
    if f.ar_over_90_share is not None and f.ar_over_90_share > HEALTHY_OVER_90:
        summary.cell(lines.row, 2).fill = PatternFill("solid", fgColor="F8D7DA")
        lines.append(["", "over the healthy 20-30%: see the Receivables sheet, oldest first"])
    lines.append([])
    lines.append(["Open findings", *SEVERITIES])
    for cell in summary[lines.row]:
        cell.font = bold
    for owner in OWNERS:
        lines.append([owner, *(f.findings[(owner, s)] for s in SEVERITIES)])
    summary.column_dimensions["A"].width = 42
    summary.column_dimensions["B"].width = 18

    _table(book, "Receivables", ["Claim", "Payer", "Client", "Provider", "Date of service", "Status", "Billed", "Paid",
                         "Outstanding", "Age (days)", "Bucket"],
           [[r["claim"], r["payer"], r["client"], r["provider"], r["date_of_service"], r["status"], r["billed"],
             r["paid"], r["outstanding"], r["age"], r["bucket"]] for r in f.ar_rows], {5: "yyyy-mm-dd", 7: MONEY,
                                                                                      8: MONEY, 9: MONEY})
    _table(book, "By payer", ["Payer", "Billed in the week", "Collected in the week", "A/R outstanding"],
           [[p["payer"], p["billed"], p["collected"], p["ar"]] for p in f.by_payer], {2: MONEY, 3: MONEY, 4: MONEY})
    _table(book, "Capacity", ["Provider", "Weekly capacity", "Seen last week", "Booked next 7 days", "Utilization",
                              "Accepting new"],
           [[c["provider"], c["capacity"], c["seen_last_week"], c["booked_next_7_days"], c["utilization"],
             "yes" if c["accepting_new"] else "no" if c["accepting_new"] is False else ""] for c in f.capacity],
           {5: "0%"})
    _table(book, "Risks", ["Due", "Severity", "Owner", "Rule", "What to do", "Finding ID"],
           [[r.due, r.severity, r.owner, r.rule, r.message, r.id] for r in f.risks], {1: "yyyy-mm-dd"}, wrap=5)
    return save_atomically(book, path, "weekly summary")


def _table(book, title: str, header: list[str], rows: list[list], formats: dict[int, str], wrap: int | None = None):
    sheet = book.create_sheet(title)
    lines = RowWriter(sheet)
    lines.append(header)
    for index, name in enumerate(header, start=1):
        sheet.cell(1, index).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = 80 if index == wrap else max(12, len(name) + 4)
    for row in rows:
        lines.append(row, formats, wrap=(wrap,) if wrap else ())
    sheet.freeze_panes = "A2"
