"""The writers' bench looks at a workbook for what a VA would meet (a row number twice or out of
order, a sheet without even its header), and finds none of it in the queue either writer makes."""

import zipfile
from datetime import date, timedelta

import pytest

from automations.reports.work_queue import _write_fresh, plan
from automations.reports.workbooks import installed_writers
from automations.rules.findings import Finding
from bench.queue_writers import what_a_va_would_meet

TODAY = date(2026, 11, 26)
SHEET = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{}</worksheet>')


def book(path, *sheets: str):
    with zipfile.ZipFile(path, "w") as made:
        for n, data in enumerate(sheets, start=1):
            made.writestr(f"xl/worksheets/sheet{n}.xml", SHEET.format(data))
    return path


def test_a_row_written_twice_or_out_of_order_and_a_sheet_without_its_header_are_met(tmp_path):
    rows = '<sheetData><row r="1"><c r="A1"/></row><row r="2"/><row r="2" ht="17.25"/></sheetData>'
    met = what_a_va_would_meet(book(tmp_path / "rust.xlsx", rows, "<sheetData/>",
                                    '<sheetData><row r="1"/><row r="2"/></sheetData>',
                                    '<sheetData><row r="2"/><row r="1"/></sheetData>'))
    assert met == ["xl/worksheets/sheet1.xml: 1 row number(s) written twice",
                   "xl/worksheets/sheet2.xml: no rows at all, not even the header",
                   "xl/worksheets/sheet4.xml: rows out of order"]


@pytest.mark.parametrize("writer", installed_writers())
def test_the_queue_practice_ops_writes_has_none_of_it(tmp_path, writer):
    findings = [Finding("billing.unbilled_session", "warning", "billing", f"Session A-{n} has no claim.",
                        refs={"appointment": f"A-{n}"}, due=TODAY + timedelta(days=n % 5)) for n in range(80)]
    _write_fresh(str(tmp_path / "queue.xlsx"), plan(findings, {}, {}, TODAY), TODAY, writer)
    assert what_a_va_would_meet(tmp_path / "queue.xlsx") == []
