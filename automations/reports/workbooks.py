"""Writing the workbooks practice-ops makes (the work queue, the weekly summary, blank trackers):
openpyxl's RowWriter for a workbook edited in place or a report, FreshBook (XlsxWriter) for a work
queue written from nothing.

Two promises hold for every one of them:
- **Nothing read from a tracker becomes a formula.** A payer typed as `=HYPERLINK(...)`, or a VA's
  note starting with `=`, is stored as text (a string cell, never a formula or a link) and reads
  back exactly as typed.
  Characters no workbook may hold (control characters from Google Sheets) are dropped.
- **A reader never finds half a file.** The workbook is written to a temporary file beside the
  target, flushed to disk, then renamed over it; a failed write leaves the old one and no litter.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from copy import copy
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import PracticeOpsError

if TYPE_CHECKING:  # openpyxl is loaded only by what writes with it
    import openpyxl

log = logging.getLogger("practice_ops.workbooks")

MAX_CELL_TEXT = 32_767
ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""The control characters XML 1.0, so no workbook, may hold (openpyxl refuses the same set)."""


def cell_text(value: str) -> str:
    if value.isprintable() and len(value) <= MAX_CELL_TEXT:  # most text: nothing to take out (asked in C)
        return value
    return ILLEGAL_CHARACTERS.sub("", value)[:MAX_CELL_TEXT]


PEOPLES_DATE = "mmm d, yyyy"
"""How every workbook practice-ops writes shows a date (Nov 26, 2026): as people write them, never ISO."""
PRINT_FOOTER = "&L&A&CPrinted &D&RPage &P of &N"
"""Every printed page of a workbook practice-ops writes says its sheet, the day it was printed, and
the page of how many."""
EXCEL_ROWS = 1_048_576
"""The most rows a sheet holds in Excel: a row past it is never written (Excel would not open the
file, or would drop the rows silently); the writer counts them in ``past_the_last_row``."""


class KeptFormula(str):
    """A formula the VA typed in a column of her own in a workbook practice-ops edits (`=TODAY()` in
    her queue): written back as the formula it was. Nothing read from a tracker is ever one."""


class RowWriter:
    """Appends rows to one sheet. It counts rows itself (``sheet.max_row`` walks every cell, which
    made a large queue quadratic), stores every string as text, and builds each cell look (number
    format, wrapping, fill) once: openpyxl registers a style by hashing it, which costs more than
    the cell itself when done for every one of thousands of rows."""

    def __init__(self, sheet: Any, next_row: int = 1):
        self.sheet = sheet
        self.row = next_row - 1
        self.past_the_last_row = 0
        self._looks: dict[tuple, Any] = {}

    def append(self, values: Iterable[Any], formats: dict[int, str] | None = None,
               wrap: Iterable[int] = (), fills: dict[int, str] | None = None, top: bool = False) -> int:
        """``fills``: column -> a solid background colour (RRGGBB); ``top``: every cell at the top of
        the row, level with the wrapped ones (which always are). Past Excel's last row nothing is
        written: the row is counted in ``past_the_last_row``."""
        if self.row >= EXCEL_ROWS:
            self.past_the_last_row += 1
            return self.row
        self.row += 1
        wrap = tuple(wrap)
        for column, value in enumerate(values, start=1):
            if value is None:
                if column not in wrap and not (fills and column in fills):
                    continue
                cell = self.sheet.cell(row=self.row, column=column)
            elif value.__class__ is KeptFormula:
                cell = self.sheet.cell(row=self.row, column=column, value=str(value))
            elif isinstance(value, str):
                cell = self.sheet.cell(row=self.row, column=column, value=cell_text(value))
                cell.data_type = "s"  # never "f": text is text
            else:
                cell = self.sheet.cell(row=self.row, column=column, value=value)
            look = ((formats or {}).get(column), column in wrap, (fills or {}).get(column), top)
            if look != (None, False, None, False):
                self._dress(cell, look)
        return self.row

    def _dress(self, cell: Any, look: tuple) -> None:
        number_format, wrapped, fill, top = look
        # a date's value gives its cell a number format; the look's own replaces it, so such a cell
        # is as plain as one without a style (else every date cell took the slow road below)
        plain = not cell.has_style or (number_format is not None and _only_number_format(cell._style))
        known = self._looks.get(look)
        if known is not None and plain:
            cell._style = copy(known)
            return
        from openpyxl.styles import Alignment, PatternFill

        if number_format:
            cell.number_format = number_format
        if wrapped or top:
            cell.alignment = Alignment(wrap_text=wrapped or None, vertical="top")
        if fill:
            cell.fill = PatternFill("solid", fgColor=fill)
        if known is None and plain:
            self._looks[look] = copy(cell._style)


def _only_number_format(style: Any) -> bool:
    """An openpyxl style array that sets a number format and nothing else."""
    return not (style.fontId or style.fillId or style.borderId or style.alignmentId or style.protectionId
                or style.quotePrefix or style.pivotButton or style.xfId)


def titled_book(sheet_title: str, heading: str) -> tuple[openpyxl.Workbook, Any, RowWriter]:
    """A new workbook whose first sheet opens with a large heading: (book, sheet, its row writer)."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = sheet_title
    rows = RowWriter(sheet)
    rows.append([heading])
    sheet["A1"].font = Font(bold=True, size=14)
    return book, sheet, rows


def detail_sheet(book: openpyxl.Workbook, title: str, header: list[str], data: list[list], formats: dict[int, str],
                 wrap: int | None = None, index: int | None = None) -> Any:
    """A sheet of rows behind a figure: bold header, widths that fit, frozen header, printed
    landscape one page wide."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title, index)
    rows = RowWriter(sheet)
    rows.append(header)
    for column, name in enumerate(header, start=1):
        sheet.cell(1, column).font = Font(bold=True)
        if _numbers_in(data, column - 1):  # a heading sits over its numbers, on the right
            sheet.cell(1, column).alignment = Alignment(horizontal="right")
        texts = [len(row[column - 1]) for row in data if column - 1 < len(row) and isinstance(row[column - 1], str)]
        fits = max([len(name) + 4, *(t + 2 for t in texts)])  # every text whole ("Guardian conse" once)
        sheet.column_dimensions[get_column_letter(column)].width = WRAPPED_WIDTH if column == wrap else max(12, min(
            fits, 40))
    for row in data:
        at = rows.append(row, formats, wrap=(wrap,) if wrap else (), top=bool(wrap))
        if wrap and wrap - 1 < len(row) and isinstance(row[wrap - 1], str):  # tall enough: no row over the next
            sheet.row_dimensions[at].height = 15 * wrapped_lines(row[wrap - 1], WRAPPED_WIDTH)
    sheet.freeze_panes = "A2"
    hide_when_empty(sheet, len(data))
    print_like_the_rest(sheet)
    return sheet


def print_like_the_rest(sheet: Any, landscape: bool = True, header: bool = True, pages_high: int = 0) -> None:
    """An openpyxl sheet printed as every sheet practice-ops writes: one page wide (landscape for a
    table, portrait for a cover page), a table's ``header`` row on every page, the sheet's name, the
    day and the page in the footer. ``pages_high``: 1 keeps a page of charts on one page."""
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, pages_high
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if header:
        sheet.print_title_rows = "1:1"
    left, rest = PRINT_FOOTER.removeprefix("&L").split("&C")
    center, right = rest.split("&R")
    sheet.oddFooter.left.text, sheet.oddFooter.center.text, sheet.oddFooter.right.text = left, center, right


def hide_when_empty(sheet: Any, rows: int) -> None:
    """A secondary sheet with no rows under its header is hidden, and shown again once it has
    some: printed, a heading alone is a blank page, and a reader pages past it for nothing. It is
    still in the workbook (Excel's Unhide shows it), so whatever reads the workbook finds it."""
    sheet.sheet_state = "visible" if rows else "hidden"


def wrapped_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes wrapped in a column ``width`` characters wide, as Excel wraps
    it: whole words, each as wide as Excel's 11-point Calibri draws it (XlsxWriter's table of
    Excel's character widths). Neither Excel nor LibreOffice sizes a row it did not lay out itself,
    so a row must be given its height: too short hides text, too tall wastes the printed page.
    LibreOffice draws the same text a little narrower, so there a row keeps a little room."""
    room = int(width * DIGIT_PIXELS)
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        if len(paragraph) * WIDEST_PIXELS <= room:
            continue
        used = -SPACE_PIXELS
        for word in paragraph.split(" "):
            pixels = _pixels(word)
            if used + SPACE_PIXELS + pixels <= room:
                used += SPACE_PIXELS + pixels
                continue
            if used > 0:
                lines, used = lines + 1, 0
            while pixels > room:  # a word longer than a line is broken where the line ends
                lines, pixels = lines + 1, pixels - room
            used = pixels
    return max(lines, 1)


DIGIT_PIXELS, SPACE_PIXELS, WIDEST_PIXELS = 7, 3, 13
"""Excel's 11-point Calibri at 96 dpi: a unit of column width is one digit, 7 pixels; the widest
character ("W", "@") takes 13."""


@functools.lru_cache(maxsize=1 << 16)
def _pixels(word: str) -> int:
    from xlsxwriter.utility import xl_pixel_width

    return xl_pixel_width(word)


WRAPPED_WIDTH = 80
"""The width of a detail sheet's one wrapped column (its long text: what to do, the message)."""


def _numbers_in(data: list[list], index: int) -> bool:
    from decimal import Decimal

    values = [row[index] for row in data if index < len(row) and row[index] is not None]
    return bool(values) and all(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in values)


def save_atomically(book: openpyxl.Workbook, path: Path, what: str) -> Path:
    """Replace ``path`` with ``book``; only a workbook practice-ops wrote is ever replaced."""
    from ..folders import WORKBOOK_CREATOR

    book.properties.creator = WORKBOOK_CREATOR
    return replace_atomically(path, what, book.save)


def replace_atomically(path: Path, what: str, write: Callable[[str], None]) -> Path:
    """Replace ``path`` with what ``write`` writes to the temporary file it is given; only a
    workbook practice-ops wrote is ever replaced."""
    from ..folders import is_our_workbook

    if path.exists() and not (path.is_file() and is_our_workbook(path)):
        raise PracticeOpsError(f"{path}: exists and was not written by practice-ops, so the {what} will not "
                               f"replace it; name a new file in the config")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".~", suffix=".xlsx")
    os.close(fd)
    try:
        write(temp)
        with open(temp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temp, path)
    except OSError as exc:
        raise PracticeOpsError(f"{path}: cannot write the {what} ({exc.strerror or exc}); is it open in Excel?") \
            from None
    finally:
        Path(temp).unlink(missing_ok=True)
    return path


class FreshBook:
    """A workbook written whole, from nothing, in one pass, by XlsxWriter (openpyxl, three times
    slower, stays for a workbook edited in place, where what the VA added must be kept). The
    module's two promises hold here too: a string is stored as text (never a formula or a link),
    without characters no workbook may hold. Use as a context manager; the file is written when it
    closes."""

    def __init__(self, path: str):
        import xlsxwriter

        from ..folders import WORKBOOK_CREATOR

        self._book = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False,
                                                "strings_to_numbers": False})
        self._book.set_properties({"author": WORKBOOK_CREATOR})
        self._looks: dict[tuple, Any] = {}

    def __enter__(self) -> FreshBook:
        return self

    def __exit__(self, failed: type[BaseException] | None, *_: object) -> None:
        if failed is None:  # a failure is not written (nor hidden by a second one from writing)
            self._book.close()

    def sheet(self, title: str) -> FreshSheet:
        return FreshSheet(self, self._book.add_worksheet(title))

    def look(self, number_format: str | None = None, wrap: bool = False, fill: str | None = None,
             bold: bool = False, top: bool = False, right: bool = False) -> Any:
        """One writer's format per look, as RowWriter builds one openpyxl style per look."""
        key = (number_format, wrap, fill, bold, top, right)
        if key == (None, False, None, False, False, False):
            return None
        if key not in self._looks:
            self._looks[key] = self._xlsxwriter_look(*key)
        return self._looks[key]

    def _xlsxwriter_look(self, number_format: str | None, wrap: bool, fill: str | None, bold: bool,
                         top: bool, right: bool) -> Any:
        spec: dict[str, Any] = {"align": "right"} if right else {}
        if number_format:
            spec["num_format"] = number_format
        if wrap:
            spec["text_wrap"] = True
        if wrap or top:
            spec["valign"] = "top"
        if fill:
            spec.update(pattern=1, bg_color=f"#{fill}")
        if bold:
            spec["bold"] = True
        return self._book.add_format(spec)


class FreshSheet:
    """One sheet of a FreshBook, appended row by row as RowWriter appends to an openpyxl sheet.
    Written with XlsxWriter's calls."""

    def __init__(self, book: FreshBook, sheet: Any):
        self.book, self.sheet = book, sheet
        self.row = 0
        self.past_the_last_row = 0
        self._kinds: dict[tuple, list[tuple[Any, bool]]] = {}

    def append(self, values: Iterable[Any], formats: dict[int, str] | None = None, wrap: Iterable[int] = (),
               fills: dict[int, str] | None = None, top: bool = False, bold: Iterable[int] = (),
               height: float | None = None, right: Iterable[int] = ()) -> int:
        """Like RowWriter.append (``formats``: column -> number format; ``wrap``: wrapped columns;
        ``fills``: column -> background colour; ``top``: every cell top-aligned), plus ``bold``
        columns, the row's ``height`` and columns set to the ``right`` (a heading over numbers or
        dates). Past Excel's last row nothing is written (counted in ``past_the_last_row``)."""
        if self.row >= EXCEL_ROWS:
            self.past_the_last_row += 1
            return self.row
        self.row += 1
        values = list(values)
        looks = self._looks(len(values), formats, tuple(wrap), fills, top, tuple(bold), tuple(right))
        at = self.row - 1
        if height is not None:
            self._height(at, height)
        text, typed, blank = self._writes()
        for column, (value, (look, blank_kept)) in enumerate(zip(values, looks, strict=True)):
            if value.__class__ is str and value:
                text(at, column, cell_text(value), look)
            elif value is None or value == "":
                if blank_kept:
                    blank(at, column, look)
            elif isinstance(value, str):
                text(at, column, cell_text(value), look)
            elif isinstance(value, (int, float, date)):  # bool is an int, a datetime a date
                typed(at, column, value, look)
            else:
                text(at, column, cell_text(str(value)), look)
        return self.row

    def append_rows(self, rows: Iterable[tuple[list, dict[int, str] | None, float | None]],
                    formats: dict[int, str] | None = None, wrap: Iterable[int] = (), top: bool = False) -> None:
        """Many rows of the same columns, each given as (values, its ``fills``, its ``height``): as
        ``append`` appends them one by one, which is how this writer takes them."""
        wrap = tuple(wrap)
        for values, fills, height in rows:
            self.append(values, formats, wrap, fills, top, height=height)

    def _writes(self) -> tuple[Callable, Callable, Callable]:
        """(write a text, write a number, truth or date, give an empty cell a look): the writer's own."""
        return self.sheet.write_string, self.sheet.write, self._blank

    def _blank(self, row: int, column: int, look: Any) -> None:
        self.sheet.write_blank(row, column, None, look)

    def _height(self, row: int, height: float) -> None:
        self.sheet.set_row(row, height)

    def _looks(self, count: int, formats: dict[int, str] | None, wrap: tuple[int, ...], fills: dict[int, str] | None,
               top: bool, bold: tuple[int, ...], right: tuple[int, ...] = ()) -> list[tuple[Any, bool]]:
        """Each column's (format, whether an empty cell is written to carry it), worked out once per
        kind of row: a queue's thousands of rows come in a handful of kinds."""
        kind = (count, tuple((formats or {}).items()), wrap, tuple((fills or {}).items()), top, bold, right)
        looks = self._kinds.get(kind)
        if looks is None:
            looks = self._kinds[kind] = [
                (self.book.look((formats or {}).get(column), column in wrap, (fills or {}).get(column),
                                column in bold, top, column in right), column in wrap or column in (fills or {}))
                for column in range(1, count + 1)]
        return looks

    def widths(self, widths: Iterable[float]) -> None:
        for index, width in enumerate(widths):
            self.sheet.set_column(index, index, width)

    def freeze(self, rows: int, columns: int) -> None:
        """Keep the first ``rows`` rows and ``columns`` columns in view while scrolling."""
        self.sheet.freeze_panes(rows, columns)

    def filter(self, columns: int) -> None:
        self.sheet.autofilter(0, 0, max(self.row - 1, 0), columns - 1)

    def choices(self, column: int, last_row: int, values: Iterable[str]) -> None:
        """A drop-down list in ``column`` from under the header to ``last_row``; other text is still
        allowed."""
        self.sheet.data_validation(1, column - 1, last_row - 1, column - 1, {
            "validate": "list", "source": list(values), "ignore_blank": True, "show_error": False})

    def print_setup(self, printed_columns: int | None = None) -> None:
        """Landscape, one page wide, the header on every page (as work_queue._print_setup)."""
        if printed_columns and self.row > 1:  # an empty sheet is hidden; LibreOffice prints a hidden print area
            self.sheet.print_area(0, 0, self.row - 1, printed_columns - 1)
        self.sheet.set_landscape()
        self.sheet.fit_to_pages(1, 0)
        self.sheet.repeat_rows(0)
        self.sheet.set_footer(PRINT_FOOTER)

    def hide_when_empty(self) -> None:
        """As ``hide_when_empty`` for an openpyxl sheet: a sheet of only its header is hidden."""
        if self.row <= 1:
            self.sheet.hide()
