"""One sheet's rows -> typed records, plus one data issue for every cell that cannot be read.

The header row is found in the first rows (VAs put titles above tables); headers are matched
to canonical columns by the config's ``columns`` table first, then by the built-in aliases.
Blank rows and note rows under the table are passed over; every other row becomes a record,
and a bad cell costs only that cell (or the row, where the cell is one the row cannot do
without).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import date, datetime, time, timedelta
from itertools import chain, compress, islice, repeat

from ..errors import CellError, TrackerUnavailable
from . import values
from .records import (
    ID_COLUMN,
    RECORD_KIND,
    TRACKERS,
    ColumnSpec,
    Practice,
    RowRef,
    canonical_name,
    columns_of,
    last_row_wins,
)

HEADER_SEARCH_ROWS = 10
ISSUES_PER_COLUMN = 200
"""Unreadable cells reported one by one per column and kind of problem; past this, one line counts the
rest. A sheet of a million rows with one id each once made four million issues (3 GB in `check`): the
memory a read takes is bounded by the work a VA can do, not by the sheet."""
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
    "link": values.parse_link,
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


def _field_names(tracker: str) -> list[str]:
    """A record's fields, as the cache keeps them (not the columns' names: see records.canonical_name)."""
    return [f.name for f in dataclass_fields(TRACKERS[tracker]) if f.name != "source"]


def match_headers(tracker: str, headers: Sequence, overrides: dict[str, str]) -> dict[int, ColumnSpec]:
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


def _find_header(tracker: str, rows: list[tuple[int, Sequence]], overrides: dict[str, str],
                 header_row: int | None, where: str) -> tuple[int, dict[int, ColumnSpec], Sequence]:
    required = {spec.name for spec in columns_of(tracker) if spec.required}
    candidates = [r for r in rows if r[0] == header_row] if header_row else rows[:HEADER_SEARCH_ROWS]
    best: tuple[float, int, dict, Sequence] | None = None
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


def _is_note_row(cells: dict[str, object], required: list[str], row_cells: Sequence) -> bool:
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


def read_sheet(tracker: str, rows: Iterator[tuple[int, Sequence]], *, file: str, sheet: str,
               overrides: dict[str, str] | None = None, header_row: int | None = None,
               day_first: bool = False) -> SheetRead:
    """``day_first``: the workbook's locale writes dates day first, so text dates are read so.

    The sheet is read a column at a time: a tracker's statuses, payers, codes, dates and times
    repeat on thousands of rows, so each distinct value of a column is parsed once. Issues come
    out in sheet order (row, then column), as a VA reads them."""
    where = f"{file}:{sheet}"
    rows = iter(rows)
    head = _head(rows, header_row)
    number, mapping, header_cells = _find_header(tracker, head, overrides or {}, header_row, where)
    record_type = TRACKERS[tracker]
    required = [spec.name for spec in columns_of(tracker) if spec.required]
    result = SheetRead(tracker, header_row=number,
                       columns={spec.name: str(header_cells[i]) for i, spec in mapping.items()})
    row_numbers, by_column = _columns(chain((row for row in head if row[0] > number), rows), max(mapping) + 1)
    del head
    if not row_numbers:
        return result
    keys: dict[str, Sequence] = {}
    outcomes: dict[str, dict | None] = {}
    example = _example_column(tracker)
    examples: dict = {}
    for i, spec in mapping.items():  # each column's distinct keys go once looked at (an id column's are many)
        keys[spec.name], distinct = _keys(by_column[i])
        outcomes[spec.name] = _outcomes(spec, distinct, day_first)
        if spec.name == example:
            examples = _perhaps_examples(distinct)
    kept = _record_rows(len(row_numbers), by_column, mapping, keys, outcomes, required, example, examples)
    result.issues, unusable = _cell_issues(tracker, file, sheet, mapping, result.columns, by_column, row_numbers,
                                           keys, outcomes, kept)
    chosen = [kept[r] and r not in unusable for r in range(len(row_numbers))]
    result.records = _records(record_type, mapping, keys, outcomes, chosen,
                              list(map(RowRef, repeat(file), repeat(sheet), compress(row_numbers, chosen))))
    return result


def _cell_issues(tracker: str, file: str, sheet: str, mapping: dict[int, ColumnSpec], headers: dict[str, str],
                 by_column: Sequence[Sequence], row_numbers: list[int], keys: dict[str, Sequence], outcomes: dict[str, dict | None],
                 kept: list[bool]) -> tuple[list[CellError], set[int]]:
    """Every cell that cannot be read, in sheet order; and the rows a required cell of which is one."""
    found: list[tuple[int, int, CellError]] = []
    unusable: set[int] = set()
    id_index = next((i for i, spec in mapping.items() if spec.name == ID_COLUMN.get(tracker)), None)
    for order, (i, spec) in enumerate(mapping.items()):
        header = headers[spec.name].strip()
        told: dict[str, int] = {}
        more: dict[str, list[int]] = {}
        for r, why, rule in _failures(spec, keys[spec.name], outcomes[spec.name]):
            if not kept[r]:
                continue
            if spec.required:
                unusable.add(r)
            if told.get(rule, 0) >= ISSUES_PER_COLUMN:
                more.setdefault(rule, []).append(r)
                continue
            told[rule] = told.get(rule, 0) + 1
            value = None if rule == "data.missing_required" else by_column[i][r]
            record = (_record_of(tracker, {ID_COLUMN[tracker]: by_column[id_index][r]})
                      if id_index is not None else None)
            found.append((r, order, CellError(file, sheet, row_numbers[r], header, _shown(value), why, rule=rule,
                                              record=record, field=spec.name)))
        for rule, rows in more.items():
            found.append((rows[0], order, CellError(
                file, sheet, row_numbers[rows[0]], header, None,
                f"and {len(rows):,} more cells of this column down to row {row_numbers[rows[-1]]} cannot be read the "
                f"same way ({ISSUES_PER_COLUMN} are listed one by one): correct the column", rule=rule,
                field=spec.name)))
    found.sort(key=lambda issue: issue[:2])
    return [issue for _, _, issue in found], unusable


def _records(record_type: type, mapping: dict[int, ColumnSpec], keys: dict[str, Sequence],
             outcomes: dict[str, dict | None], chosen: list[bool], sources: list[RowRef]) -> list:
    """The chosen rows' records (``chosen``: one flag per row), built a column at a time (an
    unreadable or blank cell leaves the field's default), each with its source."""
    mapped = {spec.name for spec in mapping.values()}
    every_row = all(chosen)
    columns: list = []
    for f in dataclass_fields(record_type):
        if f.name == "source":
            columns.append(sources)
            continue
        name = canonical_name(f)
        if name not in mapped:
            columns.append(repeat(f.default, len(sources)))
            continue
        outcome_of = outcomes[name]
        if outcome_of is None:
            column = keys[name]
        else:
            typed = {key: (f.default if _is_failure(outcome) else outcome) for key, outcome in outcome_of.items()}
            column = list(map(typed.__getitem__, keys[name]))
        columns.append(column if every_row else list(compress(column, chosen)))
    return list(map(record_type, *columns))


def _head(rows: Iterator[tuple[int, Sequence]], header_row: int | None) -> list[tuple[int, Sequence]]:
    """The rows a header is looked for in: the first ``HEADER_SEARCH_ROWS``, or up to ``header_row``."""
    head = list(islice(rows, HEADER_SEARCH_ROWS))
    while header_row and head and head[-1][0] < header_row and (row := next(rows, None)) is not None:
        head.append(row)
    return head


CHUNK_ROWS = 4096


def _columns(rows: Iterator[tuple[int, Sequence]], width: int) -> tuple[list[int], list[list]]:
    """The rows' numbers and their cells a column at a time, at least ``width`` columns (rows may be
    ragged: a row ends at its last filled cell), taken in a few thousand rows at a time. A column's
    repeated values are kept as one object per value: the sheet's reader makes a new one for every
    cell, and a practice's 30 clinicians' names, three years of dates and a few session lengths
    would otherwise be held 200,000 times each while the sheet is read (about half of its memory).
    Only where every cell of the stretch is text, a date, a time or a decimal number: 1, 1.0 and
    TRUE are equal to Python but not to a tracker (0.0 and -0.0 share one object, whichever came
    first: every parser reads both as 0)."""
    numbers: list[int] = []
    columns: list[list] = [[] for _ in range(width)]
    seen: list[dict] = [{} for _ in range(width)]
    while chunk := list(islice(rows, CHUNK_ROWS)):
        chunk_numbers, cells = zip(*chunk, strict=True)
        wide = max(len(columns), max(map(len, cells)))
        if wide > len(columns):
            columns.extend([None] * len(numbers) for _ in range(wide - len(columns)))
            seen.extend({} for _ in range(wide - len(seen)))
        if min(map(len, cells)) < wide:
            cells = tuple(row if len(row) >= wide else [*row, *[None] * (wide - len(row))] for row in cells)
        for column, stretch, kept in zip(columns, zip(*cells, strict=True), seen, strict=True):
            if _ONE_PER_VALUE.issuperset(map(type, stretch)):
                column.extend(map(kept.setdefault, stretch, stretch))
            else:
                column.extend(stretch)
        numbers.extend(chunk_numbers)
    return numbers, columns


_ONE_PER_VALUE = frozenset({str, type(None), date, datetime, time, timedelta, float})
"""Kinds no value of which equals a value of another kind among a sheet's cells (a float would
equal an int or a bool: a stretch holding those is kept as it is)."""


_NUMBERS = frozenset({bool, int, float})


def _keys(cells: Sequence) -> tuple[Sequence, dict]:
    """A memo key per cell, and the distinct keys (in order, as a dict's keys): the value itself,
    unless the column mixes kinds of number, which Python takes as equal (1, 1.0 and True): then
    the value with its type (a yes/no column's TRUE is not a count's 1). A column none of whose
    distinct values is a number holds none (no text, date or time equals one), so only a column
    with numbers is looked at cell by cell."""
    distinct = dict.fromkeys(cells)
    if _NUMBERS.isdisjoint(map(type, distinct)) or len(_NUMBERS.intersection(map(type, cells))) <= 1:
        return cells, distinct
    keys = [_Typed(value) if value.__class__ in _NUMBERS else value for value in cells]
    return keys, dict.fromkeys(keys)


class _Typed(tuple):
    """(type, value): a number kept apart from the equal numbers of other types."""

    def __new__(cls, value: object) -> _Typed:
        return super().__new__(cls, (value.__class__, value))


def _outcomes(spec: ColumnSpec, unique: dict, day_first: bool) -> dict | None:
    """Each distinct key of a column (``unique``, as ``_keys`` gave them) -> its
    typed value, or _UNSET, _BLANK, _ERROR or a ValueError; None for a text column of clean text
    only (printable, no edge spaces, no error like #REF!), where every cell is its own value."""
    if spec.kind == "text":
        if _all_clean_text(unique):
            return None
        return {key: key if key.__class__ is str and _clean_text(key) else
                _outcome(spec, key[1] if key.__class__ is _Typed else key, day_first) for key in unique}
    return {key: _outcome(spec, key[1] if key.__class__ is _Typed else key, day_first) for key in unique}


def _clean_text(text: str) -> bool:
    return text.isprintable() and text[:1] not in _NOT_CLEAN_START and not text[-1:].isspace()


def _all_clean_text(unique: dict) -> bool:
    """Whether every key is clean text (``_clean_text``), asked of all of them at once: a printable
    text's only space is ' ' (no other character is both), so once their joined text is printable,
    what is left is an empty key or one that starts with '#' or ' ' or ends with ' '."""
    try:
        joined = "\n".join(unique)
    except TypeError:  # a key that is not text
        return False
    return not unique or ("".join(unique).isprintable() and _UNCLEAN_EDGE.search(joined) is None)


_UNCLEAN_EDGE = re.compile(r"^(?:[# ]|$)| $", re.MULTILINE)


_NOT_CLEAN_START = frozenset({"", "#", " ", "\t", "\u00a0"})


def _is_failure(outcome: object) -> bool:
    return outcome is _UNSET or outcome is _BLANK or outcome is _ERROR or isinstance(outcome, ValueError)


def _failures(spec: ColumnSpec, keys: Sequence, outcomes: dict | None) -> Iterator[tuple[int, str, str]]:
    """(row index, why, rule) of each cell of the column that cannot be read, one at a time."""
    if outcomes is None:
        return iter(())
    bad = {key: why for key, outcome in outcomes.items() if (why := _why_not(spec, outcome)) is not None}
    if not bad:
        return iter(())
    return ((r, *bad[key]) for r, key in enumerate(keys) if key in bad)


def _why_not(spec: ColumnSpec, outcome: object) -> tuple[str, str] | None:
    if isinstance(outcome, ValueError):
        return str(outcome), "data.bad_value"
    if outcome is _ERROR:
        return "is a formula error: fix the formula or type the value", "data.formula_error"
    if outcome is _BLANK and spec.required:
        return "is empty but required", "data.missing_required"
    return None


def _record_rows(count: int, by_column: Sequence[Sequence], mapping: dict[int, ColumnSpec], keys: dict[str, Sequence],
                 outcomes: dict[str, dict | None], required: list[str], example: str | None,
                 examples: dict) -> list[bool]:
    """Which rows are records: not blank, not a note or totals line under the table, not a blank
    tracker's EXAMPLE row (``examples``: the distinct keys of its ``example`` column that may be
    one). A row with two required cells filled is a record without more ado."""
    blanks = [0] * count
    for name in required:
        empty = {key for key, outcome in (outcomes[name] or {}).items() if outcome is _BLANK}
        if empty:
            for r, key in enumerate(keys[name]):
                if key in empty:
                    blanks[r] += 1
    kept = [True] * count
    for r in range(count):
        if len(required) - blanks[r] <= 1:
            raw = {spec.name: by_column[i][r] for i, spec in mapping.items()}
            kept[r] = not _is_note_row(raw, required, tuple(column[r] for column in by_column))
    samples = {key for key in examples if key.__class__ is str and key.strip().upper().startswith("EXAMPLE")}
    for r, key in enumerate(keys[example]) if samples and example is not None else ():
        if key in samples:
            kept[r] = False
    return kept


def _example_column(tracker: str) -> str | None:
    """The column a blank tracker's EXAMPLE row is known by: its id, or its first required text."""
    return ID_COLUMN.get(tracker) or next(
        (spec.name for spec in columns_of(tracker) if spec.required and spec.kind == "text"), None)


def _perhaps_examples(distinct: dict) -> dict:
    """The keys to look at one by one for a blank tracker's EXAMPLE row: none, when the text of
    them all has no line starting so (a sheet of 100,000 ids is searched at once)."""
    try:
        return distinct if _EXAMPLE.search("\n".join(distinct)) else {}
    except TypeError:  # not all text
        return distinct


_EXAMPLE = re.compile(r"^\s*example", re.IGNORECASE | re.MULTILINE)


def _record_of(tracker: str, raw: dict[str, object]) -> tuple[str, str] | None:
    """(kind, id) of the row's record, when it has a readable id."""
    column = ID_COLUMN.get(tracker)
    value = raw.get(column) if column else None
    if column is None or values.is_blank(value) or values.is_excel_error(value):
        return None
    return RECORD_KIND[tracker], values.parse_text(value)


_UNSET = object()
_BLANK = object()
_ERROR = object()


def _parse_cell(spec: ColumnSpec, value: object, day_first: bool) -> object:
    """One cell's typed value (or ValueError)."""
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


def _outcome(spec: ColumnSpec, value: object, day_first: bool) -> object:
    """What one distinct cell value comes to: its typed value, _UNSET, _BLANK, _ERROR or a ValueError."""
    if value is None:
        return _BLANK
    if value.__class__ is str:
        if not value.strip():
            return _BLANK
        if values.is_excel_error(value):
            return _ERROR
    try:
        return _parse_cell(spec, value, day_first)
    except ValueError as why:
        return why.with_traceback(None)  # kept, it must not keep the read's frames (and the sheet) alive


def _shown(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value


def practice_from(reads: dict[str, SheetRead]) -> Practice:
    """The practice these reads make (tracker -> read, in ``TRACKERS`` order): a duplicated id's
    last row wins, and every cell that could not be read is known to the rules."""
    lists: dict[str, list] = {name: [] for name in TRACKERS}
    duplicates: dict[str, dict[str, list]] = {}
    for name, read in reads.items():
        lists[name], duplicates[name] = (last_row_wins(name, read.records) if name in ID_COLUMN
                                         else (read.records, {}))
    unreadable = frozenset((*issue.record, issue.field) for read in reads.values() for issue in read.issues
                           if issue.record is not None)
    cells = frozenset((issue.file, issue.sheet, issue.row, issue.field) for read in reads.values()
                      for issue in read.issues)
    return Practice(**lists, present=frozenset(reads), columns={name: frozenset(read.columns)
                                                                for name, read in reads.items()},
                    unreadable=unreadable, unreadable_cells=cells, deduplicated=True,
                    duplicates={name: found for name, found in duplicates.items() if found})
