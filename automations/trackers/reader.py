"""One sheet's rows -> typed records, plus one data issue for every cell that cannot be read.

The header row is found in the first rows (VAs put titles above tables); headers are matched
to canonical columns by the config's ``columns`` table first, then by the built-in aliases.
Blank rows and note rows under the table are passed over; every other row becomes a record,
and a bad cell costs only that cell (or the row, where the cell is one the row cannot do
without).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from collections.abc import Callable, Iterator

from ..errors import CellError, TrackerUnavailable
from . import values
from .records import ID_COLUMN, RECORD_KIND, TRACKERS, ColumnSpec, RowRef, columns_of

HEADER_SEARCH_ROWS = 10
_NOTE_WORDS = {"total", "totals", "subtotal", "note", "notes", "nb", "key", "legend", "updated"}

PARSERS: dict[str, Callable] = {
    "text": values.parse_text,
    "email": values.parse_email,
    "date": values.parse_date,
    "time": values.parse_time,
    "minutes": values.parse_minutes,
    "money": values.parse_money,
    "count": values.parse_count,
    "yes_no": values.parse_yes_no,
    "on_file": values.parse_on_file,
    "codes": values.parse_codes,
}
DATED = frozenset({"date", "yes_no", "on_file"})
"""Kinds whose text may be a date, read by the workbook's locale."""


@dataclass
class SheetRead:
    tracker: str
    records: list = field(default_factory=list)
    issues: list[CellError] = field(default_factory=list)
    header_row: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> the sheet's header


def match_headers(tracker: str, headers: tuple, overrides: dict[str, str]) -> dict[int, ColumnSpec]:
    """Column index -> canonical column, for one candidate header row."""
    specs = {spec.name: spec for spec in columns_of(tracker)}
    wanted: dict[str, str] = {}
    for canonical, header in overrides.items():
        wanted.setdefault(values.fold(header), canonical)
    for spec in specs.values():
        wanted.setdefault(values.fold(spec.name), spec.name)
    for spec in specs.values():
        for alias in spec.aliases:
            wanted.setdefault(values.fold(alias), spec.name)
    mapping: dict[int, ColumnSpec] = {}
    taken: set[str] = set()
    for index, header in enumerate(headers):
        if values.is_blank(header):
            continue
        found = wanted.get(values.fold(str(header)))
        if found and found not in taken:
            mapping[index] = specs[found]
            taken.add(found)
    return mapping


def _find_header(tracker: str, rows: list[tuple[int, tuple]], overrides: dict[str, str],
                 header_row: int | None, where: str) -> tuple[int, dict[int, ColumnSpec], tuple]:
    required = {spec.name for spec in columns_of(tracker) if spec.required}
    candidates = [r for r in rows if r[0] == header_row] if header_row else rows[:HEADER_SEARCH_ROWS]
    best: tuple[float, int, dict, tuple] | None = None
    for number, cells in candidates:
        mapping = match_headers(tracker, cells, overrides)
        names = {spec.name for spec in mapping.values()}
        score = len(names & required) + 0.01 * len(names)
        if best is None or score > best[0]:
            best = (score, number, mapping, cells)
    if best is None:
        raise TrackerUnavailable(where, f"row {header_row} (header_row in the config) is empty"
                                 if header_row else "the sheet is empty")
    _, number, mapping, cells = best
    missing = sorted(required - {spec.name for spec in mapping.values()})
    if missing:
        seen = ", ".join(repr(str(c)) for c in cells if not values.is_blank(c)) or "nothing"
        place = f"row {header_row}" if header_row else f"the first {HEADER_SEARCH_ROWS} rows"
        raise TrackerUnavailable(
            where, f"no header row in {place} has the required column(s) {', '.join(missing)}; "
                   f"the closest (row {number}) reads {seen}. Rename the header, or map it in the config's "
                   f"[trackers.{tracker}.columns] table (e.g. {missing[0]} = \"Your header\")")
    return number, mapping, cells


def _is_note_row(cells: dict[str, object], required: list[str], row_cells: tuple) -> bool:
    """A line of prose or a totals line under the table, not a record with cells missing."""
    filled = [cells[name] for name in required if not values.is_blank(cells.get(name))]
    if len(filled) > 1:
        return False
    everything = [c for c in row_cells if not values.is_blank(c)]
    if not everything:
        return True
    text = str((filled or everything)[0]).strip()
    first_word = re.split(r"[\s:]+", text.lower())[0].strip("*().")
    if first_word in _NOTE_WORDS or not text[:1].isalnum():
        return True
    return len(everything) == 1 and len(text.split()) >= 4


def read_sheet(tracker: str, rows: Iterator[tuple[int, tuple]], *, file: str, sheet: str,
               overrides: dict[str, str] | None = None, header_row: int | None = None,
               day_first: bool = False) -> SheetRead:
    """``day_first``: the workbook's locale writes dates day first, so text dates are read so."""
    where = f"{file}:{sheet}"
    all_rows = list(rows)
    number, mapping, header_cells = _find_header(tracker, all_rows, overrides or {}, header_row, where)
    record_type = TRACKERS[tracker]
    required = [spec.name for spec in columns_of(tracker) if spec.required]
    result = SheetRead(tracker, header_row=number,
                       columns={spec.name: str(header_cells[i]) for i, spec in mapping.items()})
    memo: dict = {}
    for row_number, row_cells in all_rows:
        if row_number <= number:
            continue
        raw = {spec.name: (row_cells[i] if i < len(row_cells) else None) for i, spec in mapping.items()}
        if _is_note_row(raw, required, row_cells) or _is_example(tracker, raw):
            continue
        parsed, issues, usable = _parse_row(raw, mapping, result.columns, file=file, sheet=sheet,
                                            row=row_number, record=_record_of(tracker, raw), day_first=day_first,
                                            memo=memo)
        result.issues.extend(issues)
        if usable:
            result.records.append(record_type(**parsed, source=RowRef(file, sheet, row_number)))
    return result


def _is_example(tracker: str, raw: dict[str, object]) -> bool:
    """A blank tracker's sample row: its id (or, for trackers without one, its first required text
    cell) starts with EXAMPLE. Never a record."""
    column = ID_COLUMN.get(tracker) or next(
        (spec.name for spec in columns_of(tracker) if spec.required and spec.kind == "text"), None)
    value = raw.get(column) if column else None
    return isinstance(value, str) and value.strip().upper().startswith("EXAMPLE")


def _record_of(tracker: str, raw: dict[str, object]) -> tuple[str, str] | None:
    """(kind, id) of the row's record, when it has a readable id."""
    column = ID_COLUMN.get(tracker)
    value = raw.get(column) if column else None
    if column is None or values.is_blank(value) or values.is_excel_error(value):
        return None
    return RECORD_KIND[tracker], values.parse_text(value)


_UNSET = object()


def _parse_cell(spec: ColumnSpec, value: object, day_first: bool) -> object:
    """One cell's typed value (or ValueError). Same column, same value, same result: memoized."""
    if spec.kind == "enum":
        parsed = values.parse_enum(value, spec.choices, spec.synonyms)
    elif spec.kind in DATED:
        parsed = PARSERS[spec.kind](value, day_first)
    else:
        parsed = PARSERS[spec.kind](value)
    if parsed == values.OPEN_ENDED and spec.kind == "date":
        if spec.required:
            raise ValueError("is not a date a record can happen on (9999-12-31 means 'no end')")
        return _UNSET  # no end: as if blank
    return parsed


def _parse_row(raw: dict[str, object], mapping: dict[int, ColumnSpec], headers: dict[str, str], *,
               file: str, sheet: str, row: int, record: tuple[str, str] | None = None, day_first: bool = False,
               memo: dict | None = None):
    """``memo``: parses already made in this sheet, by (column, value): a tracker's statuses, payers,
    codes, dates and times repeat on thousands of rows."""
    parsed: dict[str, object] = {}
    issues: list[CellError] = []
    usable = True
    memo = {} if memo is None else memo
    for spec in mapping.values():
        value = raw[spec.name]
        header = headers[spec.name].strip()
        if value is None:
            if spec.required:
                issues.append(CellError(file, sheet, row, header, None, "is empty but required",
                                        rule="data.missing_required", record=record, field=spec.name))
                usable = False
            continue
        if type(value) is str and values.is_excel_error(value):
            issues.append(CellError(file, sheet, row, header, value,
                                    "is a formula error: fix the formula or type the value",
                                    rule="data.formula_error", record=record, field=spec.name))
            usable = usable and not spec.required
            continue
        if values.is_blank(value):
            if spec.required:
                issues.append(CellError(file, sheet, row, header, None, "is empty but required",
                                        rule="data.missing_required", record=record, field=spec.name))
                usable = False
            continue
        key = (spec.name, type(value), value)
        try:
            found = memo.get(key, _UNSET) if spec.kind != "text" else _UNSET
            if found is _UNSET:
                try:
                    found = _parse_cell(spec, value, day_first)
                except ValueError as why:
                    found = why
                if spec.kind != "text":
                    memo[key] = found
            if isinstance(found, ValueError):
                raise found
            if found is not _UNSET:
                parsed[spec.name] = found
        except ValueError as why:
            issues.append(CellError(file, sheet, row, header, _shown(value), str(why), record=record,
                                    field=spec.name))
            usable = usable and not spec.required
    return parsed, issues, usable


def _shown(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value
