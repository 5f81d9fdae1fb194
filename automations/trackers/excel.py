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
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from python_calamine import CalamineError

from ..errors import TrackerUnavailable

DAMAGED: tuple[type[Exception], ...] = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error,
                                        ParseError, CalamineError)
"""What reading a damaged or hostile workbook raises (calamine's errors, the zip reader's, the XML
parser's): a tracker that cannot be read, never a failed run."""

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm"}
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024
MAX_RATIO = 200
"""A tracker this large, or packed this tightly, is damaged or hostile (a zip bomb): refused, not read."""
READ_AHEAD = 2
"""Sheets being read at once: this one and the next."""
READ_AHEAD_BYTES = 256 * 2**20
"""...as long as the two largest sheets a run reads unpack to no more than this together: the sheet
read ahead waits in calamine's form beside the one being parsed (at 200,000 appointments, 207 MB of
XML, a run peaks at 460 MB; sheets beyond this are read one at a time)."""


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


def sheet_sizes(path: Path) -> dict[str, int]:
    """Sheet name -> the bytes of its XML once unpacked, from the zip directory: how much reading
    each sheet is, known without reading any."""
    parts = sheet_parts(path)
    with zipfile.ZipFile(path) as archive:
        sizes = {info.filename: info.file_size for info in archive.infolist()}
    return {name: sizes.get(part, 0) for name, part in parts.items()}


def _has_error_cells(archive: zipfile.ZipFile, part: str, chunk_size: int = 1 << 20) -> bool:
    """Whether the sheet's XML has an error cell, looked for a megabyte at a time: most sheets have
    none, and holding a large sheet's whole XML beside calamine's copy would double the read's
    memory."""
    marker = b't="e"'
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(chunk_size):
            window = tail + chunk
            if marker in window:
                return True
            tail = window[-(len(marker) - 1):]
    return False


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


class ExcelWorkbook:
    """One workbook, its sheets read by calamine. Given the sheets a run will read, it reads one
    ahead in a worker thread (calamine and zlib let go of Python's lock while they work), so the
    next sheet is being unpacked while this one is parsed. The workbook has one calamine handle:
    a handle serves one thread at a time, so once there is a reading thread every sheet is taken
    from the handle there (a second handle would hold a second copy of the workbook's shared
    strings, 20 MB at 200,000 appointments)."""

    day_first = False  # text dates are read US-first (docs/decisions.md)
    locale_note = ""

    def __init__(self, path: Path, sheets: tuple[str, ...] = ()):
        from python_calamine import CalamineWorkbook

        self.path = path
        self.label = path.name
        if path.exists() and path.is_file() and path.suffix.lower() not in EXCEL_SUFFIXES:
            raise TrackerUnavailable(self.label, "is not an .xlsx workbook: save it as Excel Workbook (.xlsx)")
        refuse_unsafe(path, self.label)
        try:
            self._parts = sheet_parts(path)
            self._book = CalamineWorkbook.from_path(str(path))
            self._names = list(self._book.sheet_names)
        except DAMAGED as exc:
            raise TrackerUnavailable(self.label, f"cannot be opened as an Excel workbook ({_why(exc)})") from None
        self._ahead = [s for s in dict.fromkeys(sheets) if s in self._names]
        self._pending: dict[str, Future] = {}
        self._workers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sheet") \
            if len(self._ahead) > 1 and self._unpacked(self._ahead) <= READ_AHEAD_BYTES else None
        self._read_ahead()

    def sheet_names(self) -> list[str]:
        return list(self._names)

    def _unpacked(self, sheets: list[str]) -> int:
        """The unpacked size of the two largest of these sheets (from the zip's directory)."""
        try:
            sizes = sheet_sizes(self.path)
        except (OSError, KeyError, zipfile.BadZipFile):
            return READ_AHEAD_BYTES + 1
        return sum(sorted((sizes.get(s, 0) for s in sheets), reverse=True)[:2])

    def _read_ahead(self) -> None:
        while self._workers is not None and self._ahead and len(self._pending) < READ_AHEAD:
            sheet = self._ahead.pop(0)
            self._pending[sheet] = self._workers.submit(self._read, sheet)

    def _read(self, sheet: str) -> tuple[Any, dict[tuple[int, int], str]]:
        """(the sheet as calamine holds it, its error cells). Turning it into Python values waits
        for the thread that parses it: a sheet read ahead costs calamine's compact form in memory,
        not Python's."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="error-cells") as scan:
            errors = scan.submit(self._errors, sheet)  # zlib's work, beside calamine's
            return self._book.get_sheet_by_name(sheet), errors.result()

    def _errors(self, sheet: str) -> dict[tuple[int, int], str]:
        """(row, column) -> the error text of each error cell (1-based rows, 0-based columns)."""
        part = self._parts.get(sheet)
        if not part:
            return {}
        with zipfile.ZipFile(self.path) as archive:
            if not _has_error_cells(archive, part):
                return {}
            data = archive.read(part)
        return {(int(row), _column_index(column)): value.decode("utf-8", "replace")
                for column, row, value in _ERROR_CELL.findall(data)}

    def rows(self, sheet: str) -> Iterator[tuple[int, Sequence]]:
        """(row number, cells) from row 1, each row as wide as the sheet's last used column, a blank
        cell None. Rows are handed out one at a time from calamine's own form, so the reader keeps a
        repeated value once as it goes rather than the whole sheet as Python values at once."""
        if sheet not in self._names:
            raise TrackerUnavailable(self.label, f"has no sheet {sheet!r} (it has: {', '.join(self._names)})")
        try:
            if sheet in self._ahead:
                self._ahead.remove(sheet)
            pending = self._pending.pop(sheet, None)
            if pending is None and self._workers is not None:  # the handle is the reading thread's
                pending = self._workers.submit(self._read, sheet)
            read, errors = pending.result() if pending is not None else self._read(sheet)
        except DAMAGED as exc:  # a damaged sheet fails as it is read
            self._read_ahead()
            raise TrackerUnavailable(self.label, f"sheet {sheet!r} is damaged and cannot be read ({_why(exc)}); "
                                                 f"open it in Excel and save it again") from None
        try:
            yield from _numbered(read, errors)
        finally:
            del read  # calamine's copy goes once the rows are gone through
        self._read_ahead()  # the next sheet starts once this one is handed over

    def close(self) -> None:
        """The handle closed once no thread reads from it (on Windows an open handle can stop the
        VA's Excel from saving the workbook)."""
        if self._workers is not None:
            self._workers.shutdown(wait=True, cancel_futures=True)
            self._pending.clear()
        self._book.close()


def _numbered(read: Any, errors: dict[tuple[int, int], str]) -> Iterator[tuple[int, list]]:
    """calamine's rows start at row 1 but at the first used column: the columns before it are put
    back as blank cells (unless its rows already hold them), so that a cell's index is its
    column's everywhere. An error cell shows its error (#REF!), which calamine would leave blank."""
    start, end = read.start, read.end
    left = [""] * start[1] if start is not None and end is not None and start[1] > 0 else []
    errors_by_row: dict[int, list[tuple[int, str]]] = {}
    for (row, column), text in errors.items():
        errors_by_row.setdefault(row, []).append((column, html.unescape(text)))
    for number, cells in enumerate(read.iter_rows(), start=1):
        if left and len(cells) < end[1] + 1:
            cells[:0] = left
        for column, text in errors_by_row.get(number, ()):
            if column >= len(cells):
                cells.extend([""] * (column + 1 - len(cells)))
            cells[column] = text
        if "" in cells:
            cells[:] = [None if value == "" else value for value in cells]
        yield number, cells


def _why(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{exc.__class__.__name__}: {text[:200]}" if text else exc.__class__.__name__
