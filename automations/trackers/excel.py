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
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024
MAX_RATIO = 200
"""A tracker this large, or packed this tightly, is damaged or hostile (a zip bomb): refused, not read."""


def refuse_unsafe(path: Path, label: str) -> None:
    """Refuse, with one line, a file that is not a regular file (a FIFO would hang the run), is too
    large, or whose zip entries claim sizes no tracker has. Reads the zip directory only."""
    if not path.exists():
        raise TrackerUnavailable(str(path), "file not found")
    if not path.is_file():
        raise TrackerUnavailable(label, "is not a regular file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise TrackerUnavailable(label, f"is {size // 2**20} MB, beyond the {MAX_FILE_BYTES // 2**20} MB a tracker "
                                        f"may be; archive old rows into another workbook")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TrackerUnavailable(label, f"cannot be opened as an Excel workbook ({exc})") from None
    unpacked = sum(entry.file_size for entry in entries)
    tightest = max((entry.file_size / max(entry.compress_size, 1) for entry in entries), default=0)
    if unpacked > MAX_UNPACKED_BYTES or (tightest > MAX_RATIO and unpacked > 50 * 2**20):
        raise TrackerUnavailable(label, f"claims {unpacked // 2**20} MB once unpacked from {size // 1024} KB: it is "
                                        f"damaged or not a real workbook, so it is not read")


class ExcelWorkbook:
    day_first = False  # text dates are read US-first (docs/decisions.md)
    locale_note = ""

    def __init__(self, path: Path):
        self.path = path
        self.label = path.name
        if path.exists() and path.is_file() and path.suffix.lower() not in EXCEL_SUFFIXES:
            raise TrackerUnavailable(self.label, "is not an .xlsx workbook: save it as Excel Workbook (.xlsx)")
        refuse_unsafe(path, self.label)
        try:
            self._book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl and its XML parser raise many kinds for a damaged file
            raise TrackerUnavailable(self.label, f"cannot be opened as an Excel workbook ({_why(exc)})") from None

    def sheet_names(self) -> list[str]:
        return list(self._book.sheetnames)

    def rows(self, sheet: str) -> Iterator[tuple[int, tuple]]:
        if sheet not in self._book.sheetnames:
            raise TrackerUnavailable(self.label, f"has no sheet {sheet!r} (it has: {', '.join(self.sheet_names())})")
        worksheet = self._book[sheet]
        try:
            yield from enumerate(worksheet.iter_rows(min_row=1, values_only=True), start=1)
        except Exception as exc:  # a damaged sheet's XML fails as it is read
            raise TrackerUnavailable(self.label, f"sheet {sheet!r} is damaged and cannot be read ({_why(exc)}); "
                                                 f"open it in Excel and save it again") from None

    def close(self) -> None:
        self._book.close()


def _why(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{exc.__class__.__name__}: {text[:200]}" if text else exc.__class__.__name__
