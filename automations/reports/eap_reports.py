"""EAP utilization reports: for each EAP case whose report is due (authorizations.eap_report_due),
a small workbook the VA completes and sends to the vendor: the vendor, the case, the sessions
authorized and used with their dates, the case's status and the follow-up date vendors ask for
(2-4 weeks after the last session; 3 weeks is proposed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ..rules.context import RuleContext
from ..rules.findings import Finding
from .workbooks import PEOPLES_DATE, save_atomically, titled_book

FOLLOW_UP_AFTER = timedelta(weeks=3)


@dataclass
class EapReport:
    authorization_id: str
    vendor: str
    client_id: str
    provider: str
    authorized: int
    sessions: list[tuple[date, str, str]]  # (date, status, appointment id)
    status: str
    follow_up: date | None
    due: date | None


def file_name_of(report: EapReport) -> str:
    """The report's workbook's name, as the run writes it and the note names it."""
    from ..folders import file_name

    return file_name("eap-report", report.authorization_id, suffix=".xlsx")


def reports(ctx: RuleContext, findings: list[Finding]) -> list[EapReport]:
    due = {f.refs.get("authorization"): f.due for f in findings if f.rule == "authorizations.eap_report_due"}
    made = []
    for auth in ctx.practice.authorizations:
        if auth.authorization_id not in due:
            continue
        counted = sorted(ctx.sessions_by_authorization.get(auth.authorization_id, []), key=lambda a: (a.date, a.time))
        held = [a for a in counted if a.status == "completed"]
        ahead = [a for a in counted if a.status in ("scheduled", "confirmed") and a.date >= ctx.today]
        status = ("open: sessions ahead" if ahead else "all sessions used" if len(held) >= auth.sessions_authorized
                  else "closing")
        made.append(EapReport(auth.authorization_id, auth.payer, auth.client_id, auth.provider or "",
                              auth.sessions_authorized,
                              [(a.date, (a.status or "").replace("_", " "), a.appointment_id) for a in counted], status,
                              held[-1].date + FOLLOW_UP_AFTER if held and not ahead else None,
                              due[auth.authorization_id]))
    return made


def write(path: Path, report: EapReport, practice_name: str) -> Path:
    from openpyxl.styles import Font  # only when a report is written: most runs never load openpyxl

    book, sheet, rows = titled_book("Utilization report", f"{practice_name}: EAP utilization report")
    rows.append([])
    used = sum(1 for _, status, _ in report.sessions if status == "completed")
    for label, value, number_format in (
            ("EAP vendor", report.vendor, None), ("Case / authorization", report.authorization_id, None),
            ("Client", report.client_id, None), ("Clinician", report.provider, None),
            ("Sessions authorized", report.authorized, None), ("Sessions used", used, None),
            ("Case status", report.status, None), ("Report due", report.due, PEOPLES_DATE),
            ("Follow-up contact (proposed)", report.follow_up, PEOPLES_DATE)):
        rows.append([label, value], {2: number_format} if number_format else None)
    rows.append([])
    rows.append(["Date", "Status", "Session"])
    for cell in sheet[rows.row]:
        cell.font = Font(bold=True)
    for day, status, appointment in report.sessions:
        rows.append([day, status, appointment], {1: PEOPLES_DATE})
    rows.append([])
    rows.append(["Clinical summary and recommendations: (the clinician completes this before it is sent)"])
    sheet.column_dimensions["A"].width = 32
    sheet.column_dimensions["B"].width = 24
    sheet.column_dimensions["C"].width = 14
    return save_atomically(book, path, "EAP report")
