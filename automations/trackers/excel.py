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
from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import TrackerUnavailable

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
    next sheet is being unpacked while this one is parsed; each worker has its own calamine handle,
    as one handle serves one thread at a time."""

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
        except Exception as exc:  # calamine and the zip reader raise many kinds for a damaged file
            raise TrackerUnavailable(self.label, f"cannot be opened as an Excel workbook ({_why(exc)})") from None
        self._ahead = [s for s in dict.fromkeys(sheets) if s in self._book.sheet_names]
        self._pending: dict[str, Future] = {}
        self._workers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sheet") \
            if len(self._ahead) > 1 and self._unpacked(self._ahead) <= READ_AHEAD_BYTES else None
        self._read_ahead()

    def sheet_names(self) -> list[str]:
        return list(self._book.sheet_names)

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
            self._pending[sheet] = self._workers.submit(self._read, sheet, own_handle=True)

    def _read(self, sheet: str, own_handle: bool = False) -> tuple[Any, dict[tuple[int, int], str], Any]:
        """(the sheet as calamine holds it, its error cells, the handle to close once it is taken in).
        Turning it into Python values waits for the thread that parses it: a sheet read ahead costs
        calamine's compact form in memory, not Python's."""
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(self.path)) if own_handle else None
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="error-cells") as scan:
                errors = scan.submit(self._errors, sheet)  # zlib's work, beside calamine's
                return (book or self._book).get_sheet_by_name(sheet), errors.result(), book
        except BaseException:
            if book is not None:
                book.close()
            raise

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
        if sheet not in self._book.sheet_names:
            raise TrackerUnavailable(self.label, f"has no sheet {sheet!r} (it has: {', '.join(self.sheet_names())})")
        try:
            if sheet in self._ahead:
                self._ahead.remove(sheet)
            pending = self._pending.pop(sheet, None)
            read, errors, handle = pending.result() if pending is not None else self._read(sheet)
            try:
                values = read.to_python(skip_empty_area=False)
            finally:
                del read  # calamine's copy goes before the rows are gone through
                if handle is not None:
                    handle.close()
        except Exception as exc:  # a damaged sheet fails as it is read
            self._read_ahead()
            raise TrackerUnavailable(self.label, f"sheet {sheet!r} is damaged and cannot be read ({_why(exc)}); "
                                                 f"open it in Excel and save it again") from None
        for (row, column), text in errors.items():
            if row - 1 < len(values):
                cells = values[row - 1]
                if column >= len(cells):
                    cells.extend([""] * (column + 1 - len(cells)))
                cells[column] = html.unescape(text)
        for number, cells in enumerate(values, start=1):
            if "" in cells:
                cells[:] = [None if value == "" else value for value in cells]
            yield number, cells
        del values
        self._read_ahead()  # the next sheet starts once this one is handed over, as its rows are about to go

    def close(self) -> None:
        """Every handle closed, those of sheets read ahead and never asked for too (on Windows an
        open handle can stop the VA's Excel from saving the workbook)."""
        if self._workers is not None:
            self._workers.shutdown(wait=True, cancel_futures=True)
            for pending in self._pending.values():
                if not pending.cancelled() and pending.exception() is None:
                    handle = pending.result()[2]
                    if handle is not None:
                        handle.close()
            self._pending.clear()
        self._book.close()


def _why(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{exc.__class__.__name__}: {text[:200]}" if text else exc.__class__.__name__
