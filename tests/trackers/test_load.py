"""Whole workbooks, written by two different programs, read through the config."""

from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from automations import config as config_module
from automations.trackers.load import load_practice
from tests.conftest import lines_executed, make_workbook, write_config


def write_with_xlsxwriter(path, sheets):
    """XlsxWriter lays out its XML unlike openpyxl (shared strings, cached formula results)."""
    book = xlsxwriter.Workbook(str(path))
    date_format = book.add_format({"num_format": "mm/dd/yyyy"})
    time_format = book.add_format({"num_format": "h:mm AM/PM"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, (date, datetime)) and not isinstance(value, time):
                    sheet.write_datetime(r, c, datetime.combine(value, time()) if type(value) is date else value,
                                         date_format)
                elif isinstance(value, time):
                    sheet.write_datetime(r, c, value, time_format)
                elif isinstance(value, str) and value.startswith("#"):
                    sheet.write_formula(r, c, "=1/0", None, value)  # a formula whose cached result is an error
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    return path


SHEETS = {
    "Sessions": [
        ["Lakeside Therapy, sessions", None, None, None, None, None, None],
        [],
        ["Visit", "Pt", "Therapist", "When", "At", "Mins", "Fee check"],
        ["V-1", "P-1", "Ann Lee", date(2026, 11, 2), time(9), "53 min", 1],
        ["V-2", "P-2", "Ann Lee", "11/03/2026", "10:00 AM", "0:45", "#DIV/0!"],
        [None] * 7,
        ["V-3", "P-1", "Ann Lee", "2026-11-04", time(11), 30, 1],
        ["Updated by the front desk every Friday afternoon"],
    ],
    "Patients": [["Pt", "Insurance"], ["P-1", "Aetna"], ["P-2", "Cigna"]],
}
COLUMNS = {"appointments": {"appointment_id": "Visit", "client_id": "Pt", "provider": "Therapist", "date": "When",
                            "time": "At", "actual_min": "Mins", "authorization_id": "Fee check"},
           "clients": {"client_id": "Pt"}}


def _load(tmp_path, writer):
    book = writer(tmp_path / "lakeside.xlsx", SHEETS)
    cfg = write_config(tmp_path, book, {"appointments": "Sessions", "clients": "Patients"}, columns=COLUMNS)
    return load_practice(config_module.load(cfg))


def test_a_practice_with_its_own_headers_reads_correctly_whichever_program_wrote_it(tmp_path):
    for writer in (make_workbook, write_with_xlsxwriter):
        loaded = _load(tmp_path, writer)
        appts = loaded.practice.appointments
        assert [(a.appointment_id, a.date, a.time, a.actual_min) for a in appts] == [
            ("V-1", date(2026, 11, 2), time(9), 53), ("V-2", date(2026, 11, 3), time(10), 45),
            ("V-3", date(2026, 11, 4), time(11), 30)], writer.__name__
        assert [c.payer for c in loaded.practice.clients] == ["Aetna", "Cigna"]
        assert [str(i) for i in loaded.issues] == [
            "lakeside.xlsx:Sessions: row 5: Fee check: '#DIV/0!' is a formula error: fix the formula or type the value"]
        assert loaded.practice.present == {"appointments", "clients"}


def test_hidden_rows_filters_and_formatting_do_not_break_a_read(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", {"Providers": [["Provider", "Accepting New"], ["Ann", "Y"],
                                                             ["Bo", "N"], ["Cy", "x"]]})
    book = openpyxl.load_workbook(path)
    sheet = book["Providers"]
    sheet.row_dimensions[3].hidden = True
    sheet.auto_filter.ref = "A1:B4"
    sheet["A1"].font = openpyxl.styles.Font(bold=True, color="FF0000")
    sheet.freeze_panes = "A2"
    book.save(path)
    loaded = load_practice(config_module.load(write_config(tmp_path, path, {"providers": "Providers"})))
    assert [(p.provider, p.accepting_new) for p in loaded.practice.providers] == [
        ("Ann", True), ("Bo", False), ("Cy", True)]


def test_a_tracker_that_cannot_be_read_is_listed_and_the_others_still_read(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", {"Providers": [["Provider"], ["Ann"]],
                                               "Clients": [["Nothing useful"], ["x"]]})
    loaded = load_practice(config_module.load(write_config(tmp_path, path, {"providers": "Providers",
                                                                             "clients": "Clients"})))
    assert [p.provider for p in loaded.practice.providers] == ["Ann"]
    assert len(loaded.unavailable) == 1 and "client_id" in str(loaded.unavailable[0])


def test_a_tracker_saved_by_libreoffice_reads_the_same(tmp_path):
    import shutil

    from tests.conftest import ROOT

    book = tmp_path / "lakeside.xlsx"
    shutil.copy(ROOT / "tests" / "fixtures" / "libreoffice-sessions.xlsx", book)
    cfg = write_config(tmp_path, book, {"appointments": "sessions"}, columns=COLUMNS)
    loaded = load_practice(config_module.load(cfg))
    assert [(a.appointment_id, a.date, a.time, a.actual_min) for a in loaded.practice.appointments] == [
        ("V-1", date(2026, 11, 2), time(9), 53), ("V-2", date(2026, 11, 3), time(10), 45),
        ("V-3", date(2026, 11, 4), time(11), 30)]
    assert [str(i) for i in loaded.issues] == [
        "lakeside.xlsx:sessions: row 5: Fee check: '#DIV/0!' is a formula error: fix the formula or type the value"]


def reading_lines(tmp_path, appointments: int, monkeypatch) -> int:
    """Lines practice-ops executes reading a generated practice (a third of its rows troubled), all
    of it in this process; calamine's own work is Rust's, linear in the file."""
    from automations.trackers import second_process
    from bench.bench_practice import generate

    monkeypatch.setattr(second_process.os, "cpu_count", lambda: 1)
    folder = tmp_path / str(appointments)
    folder.mkdir()
    config = config_module.load(generate(folder, appointments, problems=0.33))
    ours = str(Path(load_practice.__code__.co_filename).parent.parent)
    lines, loaded = lines_executed(lambda: load_practice(config), within=ours)
    assert len(loaded.practice.appointments) == appointments
    return lines


@pytest.mark.timeout(120)
def test_doubling_a_practice_about_doubles_the_reading_work(tmp_path, monkeypatch):
    """Issue 11: reading stays linear (each column's distinct values parsed once, never a row
    searched for per row)."""
    small, large = reading_lines(tmp_path, 10_000, monkeypatch), reading_lines(tmp_path, 20_000, monkeypatch)
    assert large <= 2.3 * small, (small, large)


def test_a_tracker_open_in_excel_is_read_as_saved_and_the_run_says_so(tmp_path):
    from automations import config as config_module
    from automations.trackers.load import load_practice
    from tests.conftest import MINIMAL, make_workbook, write_config

    book = make_workbook(tmp_path / "tracker.xlsx", MINIMAL)
    config = config_module.load(write_config(tmp_path, book))
    assert not any("open in a spreadsheet program" in n for n in load_practice(config).notices)
    (tmp_path / "~$acker.xlsx").write_bytes(b"owner")
    notices = load_practice(config).notices
    assert sum("tracker.xlsx is open in a spreadsheet program" in n for n in notices) == 1
