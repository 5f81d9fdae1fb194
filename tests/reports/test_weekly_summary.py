from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest

from automations.reports.weekly_summary import MONEY as MONEY_FORMAT
from automations.reports.weekly_summary import bucket_of, figures, week_before, write
from automations.rules import Thresholds
from automations.rules.context import RuleContext
from automations.rules.findings import Finding
from automations.trackers.records import Provider
from tests.rules.builders import appt, claim, practice

TODAY = date(2026, 11, 30)  # a Monday


@pytest.mark.parametrize("today, week", [
    (date(2026, 11, 30), (date(2026, 11, 23), date(2026, 11, 29))),     # Monday: the week just ended
    (date(2026, 12, 6), (date(2026, 11, 23), date(2026, 11, 29))),      # Sunday: still the last full week
    (date(2026, 12, 7), (date(2026, 11, 30), date(2026, 12, 6)))])
def test_the_week_is_the_last_full_monday_to_sunday(today, week):
    assert week_before(today) == week


@pytest.mark.parametrize("age, bucket", [(0, "0-30"), (30, "0-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"),
                                         (90, "61-90"), (91, "91-120"), (120, "91-120"), (121, "over 120"),
                                         (-3, "0-30")])
def test_aging_buckets_at_their_boundaries(age, bucket):
    assert bucket_of(age) == bucket


def money(text):
    return Decimal(text)


def test_every_figure_from_the_records():
    in_week = TODAY - timedelta(days=3)
    appointments = [appt("A-1", day=in_week), appt("A-2", day=in_week, status="no_show"),
                    appt("A-3", day=in_week, status="late_cancel"), appt("A-4", day=in_week),
                    appt("A-5", day=TODAY - timedelta(days=10)),
                    appt("A-6", day=TODAY + timedelta(days=2), status="scheduled")]
    claims = [
        claim("CL-1", "A-1", day=in_week, billed_amount=money("130"), status="submitted"),
        claim("CL-2", "A-4", day=in_week, billed_amount=money("170"), status="partial", paid_amount=money("100"),
              paid_on=TODAY - timedelta(days=1)),
        claim("CL-3", "A-5", day=TODAY - timedelta(days=95), billed_amount=money("200"), status="denied"),
        claim("CL-4", None, day=TODAY - timedelta(days=40), billed_amount=money("90"), status="draft"),
        claim("CL-5", None, day=TODAY - timedelta(days=40), billed_amount=money("90"), status="paid",
              paid_amount=money("72"), paid_on=TODAY - timedelta(days=20)),
        claim("CL-6", None, day=in_week, billed_amount=money("500"), status="void"),
    ]
    p = practice(appointments, claims, providers=[Provider("Ann Lee", weekly_capacity=20, accepting_new=True)])
    found = [Finding("billing.no_show_billed", "urgent", "billing", "x", {"claim": "CL-9"}),
             Finding("billing.unpaid_followup", "warning", "billing", "y", {"claim": "CL-8"})]
    f = figures(RuleContext(p, Thresholds(), TODAY), found)
    assert f.sessions["completed"] == 2 and f.sessions["no_show"] == 1 and f.sessions["late_cancel"] == 1
    assert f.no_show_rate == Decimal("0.500")
    assert f.billed == money("300")                        # CL-1 + CL-2; the void claim is not billing
    assert f.collected == money("100")                     # only payments dated in the week
    assert [r["claim"] for r in f.ar_rows] == ["CL-3", "CL-1", "CL-2"]          # oldest first
    assert f.ar_by_bucket["0-30"] == money("200") and f.ar_by_bucket["91-120"] == money("200")
    assert f.ar_total == money("400") and f.ar_over_90_share == Decimal("0.500")
    assert f.capacity == [{"provider": "Ann Lee", "capacity": 20, "seen_last_week": 2, "booked_next_7_days": 1,
                           "utilization": Decimal("0.050"), "accepting_new": True, "no_shows_last_week": 2}]
    assert [r.rule for r in f.risks] == ["billing.no_show_billed"]


def test_the_workbook_holds_the_figures(tmp_path):
    p = practice([appt(day=TODAY - timedelta(days=2))],
                 [claim(day=TODAY - timedelta(days=2), billed_amount=money("130"))])
    path = write(tmp_path / "w.xlsx", figures(RuleContext(p, Thresholds(), TODAY), []), "Lakeside")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:3] == ["Summary", "Charts", "Trend"] and "Receivables" in book.sheetnames
    labels = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert labels["Billed (claims for sessions in the week)"] == 130 and labels["Owed to the practice (A/R)"] == 130
    assert book["Summary"]["A1"].value == "Lakeside: week of November 23 to November 29, 2026"


def test_the_new_figures_match_hand_computation():
    from automations.trackers.records import Credential

    week_start = date(2026, 11, 23)
    appointments = [appt("A-1", day=week_start), appt("A-2", day=week_start + timedelta(days=1), status="no_show"),
                    appt("A-3", day=week_start - timedelta(days=7)), appt("A-4", day=week_start - timedelta(days=7)),
                    appt("A-5", day=week_start - timedelta(days=14), status="late_cancel"),
                    appt("A-6", day=week_start - timedelta(days=2), cpt=("90834",))]
    claims = [claim("CL-1", "A-1", day=week_start, billed_amount=money("130"), payer="Aetna"),
              claim("CL-2", "A-3", day=week_start - timedelta(days=7), billed_amount=money("170"), status="denied",
                    payer="Aetna"),
              claim("CL-3", "A-4", day=week_start - timedelta(days=7), billed_amount=money("90"), payer="Cigna",
                    status="paid", paid_amount=money("80"), paid_on=week_start + timedelta(days=2)),
              claim("CL-7", None, day=date(2026, 8, 1), billed_amount=money("200"), status="draft", payer="Cigna"),
              claim("CL-8", None, day=date(2026, 9, 1), billed_amount=money("130"), status="submitted",
                    payer="Aetna")]
    p = practice(appointments, claims, providers=[Provider("Ann Lee", weekly_capacity=20)],
                 credentialing=[Credential("Ann Lee", "Aetna", "in_network"), Credential("Ann Lee", "Cigna", "lapsed",
                                                                                    effective_date=date(2026, 1, 1))],
                 present=("credentialing",))
    found = [Finding("billing.unbilled_session", "warning", "billing", "x", {"appointment": "A-6", "client": "C-1"}),
             Finding("billing.timely_filing_risk", "urgent", "billing", "y", {"claim": "CL-7"},
                     details={"filing_limit": "2026-10-30"}),
             Finding("scheduling.status_not_updated", "warning", "va", "z", {"appointment": "A-9"},
                     due=date(2026, 11, 20))]
    history = {"ar": {"2026-11-16": {"ar_total": "300.00", "ar_over_90_share": "0.100"}},
               "queue": {"f-1": {"resolved_on": "2026-11-25"}, "f-2": {"resolved_on": "2026-11-10"}},
               "messages": {"sent": {"appointment_reminder": 10, "clinician_digest": 5}, "blocked": {"calendar_invite": 1}}}
    f = figures(RuleContext(p, Thresholds(), TODAY), found, history)
    assert [r["week"] for r in f.trend] == [week_start - timedelta(weeks=n) for n in (4, 3, 2, 1, 0)]
    this_week, last_week, two_ago = f.trend[-1], f.trend[-2], f.trend[-3]
    assert (this_week["sessions"], this_week["no_show_rate"], this_week["billed"]) == (1, Decimal("0.500"), money("130"))
    assert this_week["collected"] == money("80")                     # CL-3 paid on 11/25
    assert (last_week["sessions"], last_week["billed"]) == (3, money("260"))   # held; CL-2 + CL-3
    assert two_ago["no_show_rate"] == Decimal("1.000")
    assert last_week["ar_total"] == money("300.00") and f.trend[0]["ar_total"] is None
    assert this_week["ar_total"] == f.ar_total
    assert f.denials == [{"payer": "Aetna", "claims": 3, "denied": 1, "rate": Decimal("0.333")},
                         {"payer": "Cigna", "claims": 1, "denied": 0, "rate": Decimal("0.000")}]
    assert f.unbilled_total == money("130") and f.filing_risk_total == money("200")   # typical 90834 fee: CL-1
    assert f.credentialing == [["Clinician", "Aetna", "Cigna"], ["Ann Lee", "in network", "lapsed"]]
    assert f.throughput == {"resolved in the week": 1, "open and past due": 1, "open": 1}
    assert {what: minutes for what, _, minutes in f.hours_saved} == {
        "Appointment reminders": 30, "Clinicians' morning digests": 50, "Problems found": 18}


def test_the_workbook_has_native_charts_and_a_detail_sheet_behind_each_figure(tmp_path):
    p = practice([appt(day=TODAY - timedelta(days=2))], [claim(day=TODAY - timedelta(days=2), billed_amount=money("130"))])
    path = write(tmp_path / "w.xlsx", figures(RuleContext(p, Thresholds(), TODAY), []), "Lakeside")
    book = openpyxl.load_workbook(path)
    charts = book["Charts"]._charts
    assert len(charts) == 4
    for sheet in ("Trend", "Receivables", "By payer", "Denials", "Capacity", "Unbilled", "Filing risk", "Messages",
                  "Hours saved", "Risks", "AR aging"):
        assert sheet in book.sheetnames
    summary = book["Summary"]
    pointers = {row[2][4:] for row in summary.iter_rows(min_row=4, values_only=True)
                if isinstance(row[2], str) and row[2].startswith("see ")}
    assert pointers <= {s.title for s in book if s.sheet_state == "visible"}, "an empty sheet is hidden: never pointed to"
    assert book["Messages"].sheet_state == "hidden" and "Messages" not in pointers
    assert summary.column_dimensions["A"].width >= 50
    assert len(list(book["Trend"].iter_rows(min_row=2))) == 5
    for printed in (s for s in book if s.sheet_state == "visible"):
        assert printed.oddFooter.right.text == "Page &P of &N" and printed.page_setup.fitToWidth == 1, printed.title


@pytest.mark.parametrize("value, last, fmt, said", [
    (42, 40, None, "▲ 2"), (Decimal("1200"), Decimal("1500"), MONEY_FORMAT, "▼ $300"),
    (Decimal("0.125"), Decimal("0.11"), "0.0%", "▲ 1.5 pts"), (5, 5, None, "= no change"), (5, None, None, None)])
def test_each_figure_says_its_change_from_last_week(value, last, fmt, said):
    from automations.reports.weekly_summary import change

    assert change(value, last, fmt) == said


def test_the_first_sheet_puts_last_week_beside_each_figure_and_the_owners_decisions_below(tmp_path):
    p = practice([appt(day=TODAY - timedelta(days=2))], [claim(day=TODAY - timedelta(days=2), billed_amount=money("130"))])
    ctx = RuleContext(p, Thresholds(), TODAY)
    lapse = Finding("credentialing.not_in_network_for_session", "urgent", "owner", "Ann Lee is lapsed with Aetna.",
                    refs={"provider": "Ann Lee", "payer": "Aetna"}, due=TODAY)
    path = write(tmp_path / "s.xlsx", figures(ctx, [lapse], {}), "Lakeside")
    sheet = openpyxl.load_workbook(path)["Summary"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert ["", "This week", "Explained on", "Last week", "Change"] == [c or "" for c in rows[3][:5]]
    assert all(sheet.cell(row, 3).alignment.indent >= 1 and sheet.cell(row, 3).alignment.horizontal == "left"
               for row in (4, 5)), "the sheet names touch the figures (LibreOffice indents only left-set text)"
    held = next(r for r in rows if r[0] == "Sessions held (completed)")
    assert held[3] is not None and held[4] is not None
    at = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith("Decisions for you"))
    assert rows[at + 1][0] == "Seeing clients out of network: Ann Lee is lapsed with Aetna."
