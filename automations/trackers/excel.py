"""Excel trackers, read with python-calamine (a Rust reader, many times faster than openpyxl).

calamine hands error cells (#REF!, #DIV/0!) back as empty strings (python-calamine issue #105),
and a formula error must never read as blank, so each sheet's XML is also scanned for its error
cells (`t="e"`), whose values are put back in place. openpyxl stays for writing workbooks.
bench/bench_practice.py measures the whole read against calamine's bare one.
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

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


_ERROR_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?\bt="e"[^>]*>(?:(?!</c>).)*?<v>([^<]*)</v>', re.S)
_SHEET = re.compile(r'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_RELATION = re.compile(r'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"')
_RELATION_REVERSED = re.compile(r'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')


def sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name -> its XML part, from the workbook's own index: no sheet is parsed, so `check`
    can list a workbook's sheets without reading them."""
    with zipfile.ZipFile(path) as archive:
        book = archive.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    targets = dict(_RELATION.findall(rels)) or {rid: target for target, rid in _RELATION_REVERSED.findall(rels)}
    parts = {}
    for name, rid in _SHEET.findall(book):
        target = targets.get(rid, "")
        parts[html.unescape(name)] = target.lstrip("/") if target.startswith("/xl/") else f"xl/{target}"
    return parts


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


class ExcelWorkbook:
    day_first = False  # text dates are read US-first (docs/decisions.md)
    locale_note = ""

    def __init__(self, path: Path):
        from python_calamine import CalamineWorkbook

        self.path = path
        self.label = path.name
        if path.exists() and path.is_file() and path.suffix.lower() not in EXCEL_SUFFIXES:
            raise TrackerUnavailable(self.label, "is not an .xlsx workbook: save it as Excel Workbook (.xlsx)")
        refuse_unsafe(path, self.label)
        try:
            self._parts = sheet_parts(path)
            self._book = CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # calamine and the zip reader raise many kinds for a damaged file
            raise TrackerUnavailable(self.label, f"cannot be opened as an Excel workbook ({_why(exc)})") from None

    def sheet_names(self) -> list[str]:
        return list(self._book.sheet_names)

    def _errors(self, sheet: str) -> dict[tuple[int, int], str]:
        """(row, column) -> the error text of each error cell (1-based rows, 0-based columns)."""
        part = self._parts.get(sheet)
        if not part:
            return {}
        with zipfile.ZipFile(self.path) as archive:
            data = archive.read(part)
        if b't="e"' not in data:
            return {}
        return {(int(row), _column_index(column)): value.decode("utf-8", "replace")
                for column, row, value in _ERROR_CELL.findall(data)}

    def rows(self, sheet: str) -> Iterator[tuple[int, tuple]]:
        if sheet not in self._book.sheet_names:
            raise TrackerUnavailable(self.label, f"has no sheet {sheet!r} (it has: {', '.join(self.sheet_names())})")
        try:
            values = self._book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            errors = self._errors(sheet)
        except Exception as exc:  # a damaged sheet fails as it is read
            raise TrackerUnavailable(self.label, f"sheet {sheet!r} is damaged and cannot be read ({_why(exc)}); "
                                                 f"open it in Excel and save it again") from None
        for (row, column), text in errors.items():
            if row - 1 < len(values):
                cells = values[row - 1]
                if column >= len(cells):
                    cells.extend([""] * (column + 1 - len(cells)))
                cells[column] = html.unescape(text)
        for number, cells in enumerate(values, start=1):
            yield number, tuple(None if value == "" else value for value in cells)

    def close(self) -> None:
        self._book.close()


def _why(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{exc.__class__.__name__}: {text[:200]}" if text else exc.__class__.__name__
