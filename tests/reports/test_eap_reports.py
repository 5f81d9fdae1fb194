"""EAP utilization reports: what the VA sends the vendor, assembled from the records."""

from datetime import date, timedelta

import openpyxl

from automations.reports.eap_reports import reports, write
from automations.rules import Thresholds, evaluate
from automations.rules.context import RuleContext
from tests.rules.builders import appt, auth, client, practice

TODAY = date(2026, 11, 26)


def test_a_used_up_eap_case_gets_a_report_with_its_sessions_and_a_follow_up(tmp_path):
    sessions = [appt(f"A-{n}", day=TODAY - timedelta(days=7 * n), authorization_id="EAP-1") for n in (3, 2, 1)]
    p = practice(sessions, clients=[client(payer="ComPsych")],
                 authorizations=[auth("EAP-1", payer="ComPsych", authorized=3, kind="eap", provider="Ann Lee")])
    found = evaluate(p, Thresholds(), TODAY)
    assert "authorizations.eap_report_due" in {f.rule for f in found}
    report, = reports(RuleContext(p, Thresholds(), TODAY), found)
    assert (report.vendor, report.authorized, report.status) == ("ComPsych", 3, "all sessions used")
    assert report.follow_up == TODAY - timedelta(days=7) + timedelta(weeks=3)
    sheet = openpyxl.load_workbook(write(tmp_path / "r.xlsx", report, "Lakeside")).active
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert values["EAP vendor"] == "ComPsych" and values["Sessions used"] == 3
    assert [row[2] for row in sheet.iter_rows(values_only=True) if row[2] and str(row[2]).startswith("A-")] == [
        "A-3", "A-2", "A-1"]


def test_no_report_for_a_case_that_needs_none():
    p = practice([appt(authorization_id="EAP-1")], clients=[client(payer="ComPsych")],
                 authorizations=[auth("EAP-1", payer="ComPsych", authorized=8, kind="eap")])
    assert reports(RuleContext(p, Thresholds(), TODAY), evaluate(p, Thresholds(), TODAY)) == []
