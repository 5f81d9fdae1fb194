"""Writing the workbooks practice-ops makes (the work queue, the weekly summary, blank trackers).

Two promises hold for every one of them:
- **Nothing read from a tracker becomes a formula.** A payer typed as `=HYPERLINK(...)`, or a VA's
  note starting with `=`, is stored as text (an inline string) and reads back exactly as typed.
  Characters no workbook may hold (control characters from Google Sheets) are dropped.
- **A reader never finds half a file.** The workbook is written to a temporary file beside the
  target, flushed to disk, then renamed over it; a failed write leaves the old one and no litter.
"""

from __future__ import annotations

import os
import tempfile
from copy import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, PatternFill

from ..errors import PracticeOpsError

MAX_CELL_TEXT = 32_767


def cell_text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_TEXT]


class RowWriter:
    """Appends rows to one sheet. It counts rows itself (``sheet.max_row`` walks every cell, which
    made a large queue quadratic), stores every string as text, and builds each cell look (number
    format, wrapping, fill) once: openpyxl registers a style by hashing it, which costs more than
    the cell itself when done for every one of thousands of rows."""

    def __init__(self, sheet: Any, next_row: int = 1):
        self.sheet = sheet
        self.row = next_row - 1
        self._looks: dict[tuple, Any] = {}

    def append(self, values: Iterable[Any], formats: dict[int, str] | None = None,
               wrap: Iterable[int] = (), fills: dict[int, str] | None = None) -> int:
        """``fills``: column -> a solid background colour (RRGGBB)."""
        self.row += 1
        wrap = tuple(wrap)
        for column, value in enumerate(values, start=1):
            if value is None:
                if column not in wrap and not (fills and column in fills):
                    continue
                cell = self.sheet.cell(row=self.row, column=column)
            elif isinstance(value, str):
                cell = self.sheet.cell(row=self.row, column=column, value=cell_text(value))
                cell.data_type = "s"  # never "f": text is text
            else:
                cell = self.sheet.cell(row=self.row, column=column, value=value)
            look = ((formats or {}).get(column), column in wrap, (fills or {}).get(column))
            if look != (None, False, None):
                self._dress(cell, look)
        return self.row

    def _dress(self, cell: Any, look: tuple) -> None:
        known = self._looks.get(look)
        if known is not None and not cell.has_style:
            cell._style = copy(known)
            return
        had_style = cell.has_style
        number_format, wrapped, fill = look
        if number_format:
            cell.number_format = number_format
        if wrapped:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if fill:
            cell.fill = PatternFill("solid", fgColor=fill)
        if known is None and not had_style:
            self._looks[look] = copy(cell._style)


def titled_book(sheet_title: str, heading: str) -> tuple[openpyxl.Workbook, Any, RowWriter]:
    """A new workbook whose first sheet opens with a large heading: (book, sheet, its row writer)."""
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
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title, index)
    rows = RowWriter(sheet)
    rows.append(header)
    for column, name in enumerate(header, start=1):
        sheet.cell(1, column).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(column)].width = 80 if column == wrap else max(12, len(name) + 4)
    for row in data:
        rows.append(row, formats, wrap=(wrap,) if wrap else ())
    sheet.freeze_panes = "A2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    return sheet


def save_atomically(book: openpyxl.Workbook, path: Path, what: str) -> Path:
    """Replace ``path`` with ``book``; only a workbook practice-ops wrote is ever replaced."""
    from ..places import WORKBOOK_CREATOR, is_our_workbook

    if path.exists() and not (path.is_file() and is_our_workbook(path)):
        raise PracticeOpsError(f"{path}: exists and was not written by practice-ops, so the {what} will not "
                               f"replace it; name a new file in the config")
    book.properties.creator = WORKBOOK_CREATOR
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".~", suffix=".xlsx")
    os.close(fd)
    try:
        book.save(temp)
        with open(temp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temp, path)
    except OSError as exc:
        raise PracticeOpsError(f"{path}: cannot write the {what} ({exc.strerror}); is it open in Excel?") from None
    finally:
        Path(temp).unlink(missing_ok=True)
    return path
