from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest

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
                           "utilization": Decimal("0.050"), "accepting_new": True}]
    assert [r.rule for r in f.risks] == ["billing.no_show_billed"]


def test_the_workbook_holds_the_figures(tmp_path):
    p = practice([appt(day=TODAY - timedelta(days=2))],
                 [claim(day=TODAY - timedelta(days=2), billed_amount=money("130"))])
    path = write(tmp_path / "w.xlsx", figures(RuleContext(p, Thresholds(), TODAY), []), "Lakeside")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "Receivables", "By payer", "Capacity", "Risks"]
    labels = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert labels["Billed (dates of service in the week)"] == 130 and labels["A/R outstanding"] == 130
    assert book["Summary"]["A1"].value == "Lakeside: week of November 23 to November 29, 2026"
