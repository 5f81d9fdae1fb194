"""Workbooks practice-ops writes: text stays text, nothing becomes a formula, nothing half-written."""

import zipfile
from datetime import date

import openpyxl
import pytest

from automations.ledger import Ledger
from automations.reports import queue_in_place
from automations.reports.work_queue import update_work_queue
from automations.reports.workbooks import RowWriter, save_atomically
from automations.rules.findings import Finding

TODAY = date(2026, 11, 26)
POISON = ['=HYPERLINK("http://evil.example","Aetna")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
          "-2+3+cmd|' /C calc'!A0", "=1+1", "Aet\x00na\x1b"]


def formulas_in(path) -> list[str]:
    """Every <f> element in every sheet: what Excel would evaluate."""
    with zipfile.ZipFile(path) as book:
        sheets = [name for name in book.namelist() if name.startswith("xl/worksheets/")]
        return [name for name in sheets if b"<f>" in book.read(name) or b"<f " in book.read(name)]


@pytest.mark.parametrize("writer", ["openpyxl", "xlsxwriter"])
def test_text_is_always_text(tmp_path, writer):
    from automations.reports.workbooks import FreshBook, replace_atomically

    if writer == "openpyxl":
        book = openpyxl.Workbook()
        rows = RowWriter(book.active)
        for value in POISON:
            rows.append([value])
        path = save_atomically(book, tmp_path / "out.xlsx", "test")
    else:
        def write(temp: str) -> None:
            with FreshBook(temp) as fresh:
                sheet = fresh.sheet("Sheet")
                for value in POISON:
                    sheet.append([value])

        path = replace_atomically(tmp_path / "out.xlsx", "test", write)
    assert formulas_in(path) == []
    read = [c.value for c in openpyxl.load_workbook(path).active["A"]]
    assert read[:5] == POISON[:5] and read[5] == "Aetna"


def test_a_poisoned_finding_and_a_note_starting_with_equals_come_back_as_typed(tmp_path):
    ledger = Ledger(tmp_path / "var")
    path = tmp_path / "queue.xlsx"
    poisoned = Finding("billing.unbilled_session", "warning", "billing", f"Session for {POISON[0]} has no claim.",
                       refs={"appointment": POISON[1]}, due=TODAY)
    update_work_queue(path, [poisoned], TODAY, ledger)
    book = openpyxl.load_workbook(path)
    sheet = book["Work queue"]
    header = [c.value for c in sheet[1]]
    sheet.cell(2, header.index("Notes") + 1).value = "=called; left a message"
    sheet.cell(2, header.index("Notes") + 1).data_type = "s"
    book.save(path)
    update_work_queue(path, [poisoned], TODAY, ledger)
    assert formulas_in(path) == []
    row = [c.value for c in openpyxl.load_workbook(path)["Work queue"][2]]
    assert "=called; left a message" in row and any(POISON[0] in str(v) for v in row)


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    from automations.errors import PracticeOpsError
    from automations.reports import workbooks

    target = save_atomically(openpyxl.Workbook(), tmp_path / "queue.xlsx", "work queue")
    before = target.read_bytes()

    def locked(*_):                          # as Windows answers while Excel has the file open
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(workbooks.os, "replace", locked)
    with pytest.raises(PracticeOpsError, match="open in Excel"):
        save_atomically(openpyxl.Workbook(), target, "work queue")
    assert [p.name for p in tmp_path.iterdir()] == ["queue.xlsx"] and target.read_bytes() == before


def test_a_workbook_practice_ops_did_not_write_is_never_replaced(tmp_path):
    from automations.errors import PracticeOpsError

    theirs = tmp_path / "budget.xlsx"
    openpyxl.Workbook().save(theirs)
    before = theirs.read_bytes()
    with pytest.raises(PracticeOpsError, match="not written by practice-ops"):
        save_atomically(openpyxl.Workbook(), theirs, "weekly summary")
    assert theirs.read_bytes() == before


def test_writing_the_queue_is_linear_in_its_rows(tmp_path, monkeypatch):
    """Counted, not timed: the cells the writer visits grow with the rows, never with their square."""
    visits = {"n": 0}
    original = openpyxl.worksheet.worksheet.Worksheet.max_row.fget

    def counting(sheet):
        visits["n"] += 1
        return original(sheet)

    monkeypatch.setattr(openpyxl.worksheet.worksheet.Worksheet, "max_row", property(counting))

    def visits_for(n: int) -> int:
        from tests.reports.test_work_queue import edit

        path, ledger = tmp_path / f"q{n}.xlsx", Ledger(tmp_path / f"var{n}")
        findings = [Finding("billing.unbilled_session", "warning", "billing", "x", refs={"appointment": f"A-{i}"},
                            due=TODAY) for i in range(n)]
        update_work_queue(path, findings, TODAY, ledger)  # from nothing (XlsxWriter: one pass by design)
        edit(path, findings[0].id, Notes="called the payer")  # worked in: the next write edits it in place
        visits["n"] = 0
        update_work_queue(path, findings, TODAY, ledger)
        ledger.close()
        return visits["n"]

    assert visits_for(400) <= visits_for(100) + 10      # max_row is no longer asked per row
    assert queue_in_place.RowWriter is RowWriter


def test_a_cell_drops_exactly_the_characters_openpyxl_refuses():
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from automations.reports.workbooks import cell_text

    every = "".join(map(chr, range(0x80))) + "\u00e9\u2014\ufffd"
    assert cell_text(every) == ILLEGAL_CHARACTERS_RE.sub("", every)
    assert "\t" in cell_text(every) and "\n" in cell_text(every)


@pytest.mark.parametrize("fails_at", ["rows", "writing"])
def test_a_queue_that_fails_midway_leaves_the_last_one_whole_and_no_litter(tmp_path, monkeypatch, fails_at):
    from automations.reports import work_queue, workbooks

    path, ledger = tmp_path / "out" / "queue.xlsx", Ledger(tmp_path / "var")
    first = [Finding("billing.unbilled_session", "warning", "billing", "x", refs={"appointment": "A-1"}, due=TODAY)]
    update_work_queue(path, first, TODAY, ledger)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk unplugged")

    if fails_at == "rows":
        monkeypatch.setattr(work_queue, "finding_cells", broken)
    else:
        monkeypatch.setattr(workbooks.FreshSheet, "freeze", broken)
    second = [*first, Finding("billing.unbilled_session", "urgent", "billing", "y", refs={"appointment": "A-2"},
                              due=TODAY)]
    with pytest.raises(RuntimeError):
        update_work_queue(path, second, TODAY, ledger)
    ledger.close()
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["queue.xlsx"]


def test_rows_handed_over_together_come_out_as_rows_appended_one_by_one(tmp_path):
    """``append_rows`` writes exactly what ``append`` would:
    the same values, formats, fills and heights, empty cells kept only where a look needs them."""
    from datetime import datetime
    from decimal import Decimal

    from automations.reports.workbooks import FreshBook

    rows = [(["=1+1", None, date(2026, 11, 2), "", True], {4: "FFC7CE"}, 30.0),
            (["Aet\x00na", "", datetime(2026, 11, 3, 9, 30), "long " * 20, 3], {4: "FFC7CE"}, None),
            ([None, "wrapped", None, None, Decimal("12.50")], {4: "FFEB9C"}, 45.0),
            ([7.5, None, date(2026, 11, 4), "x", False], None, None)]
    looks = {}
    for how in ("append", "append_rows"):
        path = tmp_path / f"{how}.xlsx"
        with FreshBook(str(path)) as book:
            sheet = book.sheet("Sheet")
            sheet.append(["A", "B", "C", "D", "E"], bold=range(1, 6))
            if how == "append":
                for values, fills, height in rows:
                    sheet.append(values, {3: "yyyy-mm-dd"}, wrap=(2, 4), fills=fills, top=True, height=height)
            else:
                sheet.append_rows(rows, {3: "yyyy-mm-dd"}, wrap=(2, 4), top=True)
            sheet.append(["after"])
            assert sheet.row == len(rows) + 2
        read = openpyxl.load_workbook(path)["Sheet"]
        looks[how] = ({c.coordinate: (c.value, c.number_format, c.alignment.wrap_text, c.alignment.vertical,
                                      c.font.b, c.fill.fgColor.rgb if c.fill.fill_type else None, c.has_style)
                       for row in read.iter_rows() for c in row},
                      {n: d.height for n, d in read.row_dimensions.items() if d.height})
    assert looks["append_rows"] == looks["append"]
    cells, heights = looks["append"]
    assert cells["A2"][0] == "=1+1" and cells["A3"][0] == "Aetna" and cells["E4"][0] == "12.50"
    assert cells["D2"][5].endswith("FFC7CE") and cells["D4"][5].endswith("FFEB9C") and cells["B2"][2]
    assert cells["A6"][0] == "after" and round(heights[2]) == 30 and round(heights[4]) == 45


def test_a_detail_sheet_shows_every_text_whole_and_no_row_over_the_next(tmp_path):
    """The summary's Risks sheet once cut "Guardian conse" and laid long advice over the next rows."""
    from automations.reports.workbooks import detail_sheet

    book = openpyxl.Workbook()
    long = "Claim CL-5903 bills BlueCross BlueShield for a no-show. " * 6
    sheet = detail_sheet(book, "Risks", ["Due", "Problem", "What to do"],
                         [[None, "Guardian consent missing", long], [None, "BAA renewal due", "Renew it."]], {}, wrap=3)
    assert sheet.column_dimensions["B"].width >= len("Guardian consent missing")
    assert sheet.row_dimensions[2].height >= 15 * 4 and sheet.row_dimensions[3].height == 15
    assert sheet.cell(2, 2).alignment.vertical == "top", "a short text sits level with the long one beside it"
    assert sheet.print_title_rows == "$1:$1" and sheet.oddFooter.right.text == "Page &P of &N"


@pytest.mark.parametrize(("rows", "state"), [([], "hidden"), ([["Acme", 3]], "visible")])
def test_a_detail_sheet_with_nothing_under_its_header_is_hidden_not_printed_blank(rows, state):
    from automations.reports.workbooks import detail_sheet

    book = openpyxl.Workbook()
    assert detail_sheet(book, "Messages", ["Kind", "Sent"], rows, {}).sheet_state == state


@pytest.mark.parametrize(("text", "lines"), [
    ("", 1), ("0" * 60, 1), ("0" * 61, 2),                     # a column 60 wide holds 60 digits (Excel's unit)
    ("W" * 32, 1), ("W" * 33, 2),                               # capitals are wider than digits
    ("0" * 40 + " " + "0" * 19, 1), ("0" * 40 + " " + "0" * 20, 2),   # a word that does not fit moves whole
    ("first\nsecond", 2), ("0" * 130, 3)])                      # a line break; a word longer than two lines
def test_a_row_is_as_tall_as_excel_wraps_its_text_and_no_taller(text, lines):
    from automations.reports.workbooks import wrapped_lines

    assert wrapped_lines(text, 60) == lines
