"""Workbooks that are damaged, special or hostile are refused with one line, never read or hung on."""

import os
import subprocess
import sys
import zipfile

import pytest

from automations.errors import TrackerUnavailable
from automations.trackers import excel
from automations.trackers.excel import ExcelWorkbook
from tests.conftest import MINIMAL, ROOT, make_workbook, write_config


def cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True, timeout=60)


def damaged(tmp_path):
    good = make_workbook(tmp_path / "good.xlsx", MINIMAL)
    with zipfile.ZipFile(good) as book:
        parts = {name: book.read(name) for name in book.namelist()}
    parts["xl/worksheets/sheet3.xml"] = b"<worksheet><sheetData><row r='1'><c r='A1' t='inlineStr'><is><t>A"
    path = tmp_path / "tracker.xlsx"
    with zipfile.ZipFile(path, "w") as book:
        for name, data in parts.items():
            book.writestr(name, data)
    return path


def bomb(path, megabytes=60):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/worksheets/sheet1.xml", b"\0" * (megabytes * 2**20))
    return path


def test_damaged_sheet_xml_is_one_clear_line(tmp_path):
    with pytest.raises(TrackerUnavailable) as refused:
        list(ExcelWorkbook(damaged(tmp_path)).rows("Appointments"))
    assert "\n" not in str(refused.value) and "tracker.xlsx" in str(refused.value)


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(tmp_path):
    path = bomb(tmp_path / "tracker.xlsx")
    assert path.stat().st_size < 1_000_000
    with pytest.raises(TrackerUnavailable, match="unpacked"):
        ExcelWorkbook(path)


def test_a_file_beyond_the_size_limit_is_refused(tmp_path, monkeypatch):
    path = make_workbook(tmp_path / "tracker.xlsx", MINIMAL)
    monkeypatch.setattr(excel, "MAX_FILE_BYTES", 1000)
    with pytest.raises(TrackerUnavailable, match="MB"):
        ExcelWorkbook(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
@pytest.mark.timeout(60)
def test_a_fifo_is_refused_and_never_hangs_the_run(tmp_path):
    os.mkfifo(tmp_path / "tracker.xlsx")
    config = write_config(tmp_path, tmp_path / "tracker.xlsx")
    done = cli("--config", str(config), "check", "--today", "2026-11-26")
    assert done.returncode == 2 and "is not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.timeout(60)
def test_check_refuses_a_damaged_workbook_with_one_line_and_exit_2(tmp_path):
    config = write_config(tmp_path, damaged(tmp_path))
    done = cli("--config", str(config), "check", "--today", "2026-11-26")
    assert done.returncode == 2 and "Traceback" not in done.stderr + done.stdout
    assert "tracker.xlsx" in done.stdout + done.stderr


@pytest.mark.timeout(60)
def test_run_refuses_a_zip_bomb_with_exit_2(tmp_path):
    config = write_config(tmp_path, bomb(tmp_path / "tracker.xlsx"))
    done = cli("--config", str(config), "run", "all", "--today", "2026-11-26")
    assert done.returncode == 2 and "unpacked" in done.stderr and "Traceback" not in done.stderr


def test_calamine_rows_keep_their_sheet_positions_and_formula_errors(tmp_path):
    """A table starting at C3, an error cell from a formula: numbered and placed as Excel shows them."""
    import xlsxwriter

    path = tmp_path / "offset.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Sessions & notes")
    sheet.write(2, 2, "Appointment ID")
    sheet.write(2, 3, "Client ID")
    sheet.write(3, 2, "A-1")
    sheet.write_formula(3, 3, "=1/0", None, "#DIV/0!")
    sheet.write(5, 2, "A-2")
    sheet.write(5, 3, "C-2")
    book.close()
    rows = {number: tuple(cells) for number, cells in ExcelWorkbook(path).rows("Sessions & notes")}
    assert rows[3][2:] == ("Appointment ID", "Client ID")
    assert rows[4][2:] == ("A-1", "#DIV/0!") and rows[6][2:] == ("A-2", "C-2") and rows[5] == (None,) * 4


@pytest.mark.parametrize("budget", [0, 128 * 2**20])
def test_reading_the_next_sheet_ahead_or_not_gives_the_same_rows(tmp_path, monkeypatch, budget):
    """A small workbook is read a sheet ahead in a worker thread; a large one (beyond the memory
    budget) a sheet at a time. The rows are the same either way, errors included."""
    import xlsxwriter

    from automations.trackers import excel

    path = tmp_path / "three.xlsx"
    book = xlsxwriter.Workbook(str(path))
    for name in ("One", "Two", "Three"):
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, ["Appointment ID", "Client ID"])
        sheet.write_row(1, 0, [f"{name}-1", "C-1"])
        sheet.write_formula(2, 1, "=1/0", None, "#DIV/0!")
    book.close()
    plain = {name: [list(cells) for _, cells in excel.ExcelWorkbook(path).rows(name)]
             for name in ("One", "Two", "Three")}
    monkeypatch.setattr(excel, "READ_AHEAD_BYTES", budget)
    ahead = excel.ExcelWorkbook(path, ("One", "Two", "Three"))
    assert (ahead._workers is not None) == (budget > 0)
    try:
        # Three is not yet read ahead while One and Two are: it is taken from the handle there too
        assert {name: [list(cells) for _, cells in ahead.rows(name)] for name in ("Three", "Two", "One")} == plain
        assert plain["One"][2] == [None, "#DIV/0!"]
        with pytest.raises(TrackerUnavailable):
            list(ahead.rows("Four"))
    finally:
        ahead.close()


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 4, 5, 7, 64, 1 << 20])
def test_an_error_cell_is_found_wherever_the_sheet_is_cut_while_looking(tmp_path, chunk_size):
    """The sheet XML is searched a piece at a time; the marker split across two pieces still counts."""
    path = tmp_path / "parts.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("with.xml", b'<row><c r="A1" t="s"><v>0</v></c><c r="B1" t="e"><v>#REF!</v></c></row>')
        archive.writestr("without.xml", b'<row><c r="A1" t="s"><v>0</v></c><c r="B1" t="n"><v>3</v></c></row>')
    with zipfile.ZipFile(path) as archive:
        assert excel._has_error_cells(archive, "with.xml", chunk_size)
        assert not excel._has_error_cells(archive, "without.xml", chunk_size)
