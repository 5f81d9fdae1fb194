"""Where tracker rows come from. One small interface; the config chooses the adapter.

Nothing outside this module imports a concrete adapter: ask ``open_workbook`` for one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from ..errors import TrackerUnavailable


class Workbook(Protocol):
    """A spreadsheet file or document holding one or more trackers."""

    label: str  # what a VA calls it: a file name, or a Google Sheet's title
    day_first: bool  # its dates typed as text are day first (the workbook's locale)
    locale_note: str  # what the run says about the locale used, or ""

    def sheet_names(self) -> list[str]: ...

    def rows(self, sheet: str) -> Iterator[tuple[int, Sequence]]:
        """Yield (1-based row number, cell values) for every row, blank ones included; an empty
        cell is None. The values may be a list the reader is free to keep (no copy is made)."""
        ...

    def close(self) -> None: ...


class Workbooks:
    """Opens each workbook once per run, however many trackers it holds."""

    def __init__(self, sheets: dict[tuple[str, str], tuple[str, ...]] | None = None) -> None:
        """``sheets``: (source, location) -> the sheets the run will read there, so a Google
        spreadsheet fetches them all in one request."""
        self._open: dict[tuple, Workbook] = {}
        self._sheets = sheets or {}

    def get(self, source: str, location: str) -> Workbook:
        key = (source, location)
        if key not in self._open:
            self._open[key] = open_workbook(source, location, self._sheets.get(key, ()))
        return self._open[key]

    def close(self) -> None:
        for workbook in self._open.values():
            close = getattr(workbook, "close", None)
            if close:
                close()
        self._open.clear()


def open_workbook(source: str, location: str, sheets: tuple[str, ...] = ()) -> Workbook:
    """``source`` is the config's ``source`` key; ``location`` a path or a spreadsheet id."""
    if source == "excel":
        from .excel import ExcelWorkbook

        return ExcelWorkbook(Path(location), sheets)
    if source == "gsheets":
        from .gsheets import GoogleSheet

        return GoogleSheet(location, sheets)
    raise TrackerUnavailable(location, f"unknown tracker source {source!r} (use excel or gsheets)")


def sheet_sizes(source: str, location: str) -> dict[str, int]:
    """Sheet -> how much data it holds (unpacked bytes), where the source can tell without reading
    it (an Excel file's zip directory); {} where it cannot."""
    if source != "excel":
        return {}
    from .excel import DAMAGED
    from .excel import sheet_sizes as excel_sheet_sizes

    try:
        return excel_sheet_sizes(Path(location))
    except DAMAGED:  # a file that cannot say is read as usual, and fails there if it must
        return {}
