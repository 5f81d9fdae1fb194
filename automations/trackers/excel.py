"""Excel trackers, read with openpyxl in read-only mode.

openpyxl rather than a faster Rust reader: python-calamine hands error cells (#REF!, #DIV/0!)
back as empty strings (python-calamine issue #105), and a formula error must never read as
blank. bench/bench_read.py measures what read-only openpyxl costs on a large tracker.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from collections.abc import Iterator

import openpyxl

from ..errors import TrackerUnavailable

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm"}


class ExcelWorkbook:
    def __init__(self, path: Path):
        self.path = path
        self.label = path.name
        if not path.exists():
            raise TrackerUnavailable(str(path), "file not found")
        if path.suffix.lower() not in EXCEL_SUFFIXES:
            raise TrackerUnavailable(self.label, "is not an .xlsx workbook: save it as Excel Workbook (.xlsx)")
        try:
            self._book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise TrackerUnavailable(self.label, f"cannot be opened as an Excel workbook ({exc})") from None

    def sheet_names(self) -> list[str]:
        return list(self._book.sheetnames)

    def rows(self, sheet: str) -> Iterator[tuple[int, tuple]]:
        if sheet not in self._book.sheetnames:
            raise TrackerUnavailable(self.label, f"has no sheet {sheet!r} (it has: {', '.join(self.sheet_names())})")
        worksheet = self._book[sheet]
        yield from enumerate(worksheet.iter_rows(min_row=1, values_only=True), start=1)

    def close(self) -> None:
        self._book.close()
