"""Parsed trackers kept between runs: a tracker file whose content has not changed (its SHA-256,
never its size and time alone) is not parsed again. The cache lives in the state folder
(owner-only, its files 0600) and is keyed by everything that shapes a read: the file's content, the
sheet, the config's column mapping and header row, the locale, and the reader's own source code, so
a changed tracker, config or release reads afresh. A cache entry that cannot be used is ignored.

Entries are data, never pickles: JSON of typed values (a date, a time, an amount, N/A, a list of
codes, each tagged), column by column with each column's distinct values once. Reading a planted
file can at worst give wrong records, never run code; and a read is checked against the file's
digest, kept beside it.

It also keeps the last check: the findings of the rules over trackers that have not changed, for
the same day, thresholds and rules (their source code is part of the key). The rules are pure
functions of those, so a second run on unchanged trackers reads neither the trackers nor the
records, and applies no rule.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import Any

from ..errors import CellError
from ..folders import content_digest, write_whole
from .reader import SheetRead, _field_names
from .records import TRACKERS, RowRef, columns_of
from .values import NOT_APPLICABLE, NotApplicable

FORMAT = 1
"""The shape of an entry's data; raised with it, so an older entry is read as no entry."""


def _value(value: object) -> object:
    """One typed value as JSON: text, whole numbers, yes/no and blanks as they are; anything else
    tagged (an object with one key), so no text is ever taken for a date."""
    if value is None or value.__class__ in (str, bool, int):
        return value
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, time):
        return {"t": value.isoformat()}
    if isinstance(value, Decimal):
        return {"m": str(value)}
    if isinstance(value, float):
        return {"f": repr(value)}
    if isinstance(value, NotApplicable):
        return {"na": 1}
    if isinstance(value, tuple):
        return {"c": [_value(v) for v in value]}
    raise TypeError(f"no data form for {value.__class__.__name__}")


_TAGS = {"dt": datetime.fromisoformat, "d": date.fromisoformat, "t": time.fromisoformat, "m": Decimal,
         "f": float, "na": lambda _: NOT_APPLICABLE, "c": lambda items: tuple(map(_typed, items))}


def _typed(data: object) -> object:
    if data.__class__ is dict:
        (tag, inner), = data.items()
        return _TAGS[tag](inner)
    if data.__class__ not in (str, bool, int, type(None)):
        raise ValueError("not a value this cache writes")
    return data


def encode_read(read: SheetRead) -> bytes:
    """A read as data: each field a column of indexes into that column's distinct values."""
    names = _field_names(read.tracker)
    columns = []
    for name in names:
        cells = list(map(attrgetter(name), read.records))
        if _NUMBERS.isdisjoint(map(type, cells)):  # no 1 that a True or 1.0 would be taken for
            table = list(dict.fromkeys(cells))
            position = {value: n for n, value in enumerate(table)}
            column = list(map(position.__getitem__, cells))
        else:
            keys = list(zip(map(type, cells), cells, strict=True))
            typed = {key: n for n, key in enumerate(dict.fromkeys(keys))}
            table = [value for _, value in typed]
            column = list(map(typed.__getitem__, keys))
        columns.append([[_value(value) for value in table], column])
    sources = [record.source for record in read.records]
    files = sorted({(s.file, s.sheet) for s in sources if s is not None})
    where = {place: n for n, place in enumerate(files)}
    rows = [[where[(s.file, s.sheet)] if s else None for s in sources], [s.row if s else None for s in sources]]
    issues = [issue_data(issue) for issue in read.issues]
    return json.dumps({"format": FORMAT, "tracker": read.tracker, "header_row": read.header_row,
                       "columns": read.columns, "fields": names, "data": columns, "where": files, "rows": rows,
                       "issues": issues}, separators=(",", ":")).encode()


_NUMBERS = frozenset({bool, int, float})
_PLAIN = frozenset({str, bool, int, type(None)})


def decode_read(data: bytes) -> SheetRead:
    """``encode_read``'s data as the read it was; ValueError for anything else."""
    try:
        kept = json.loads(data)
        if kept.get("format") != FORMAT or kept["tracker"] not in TRACKERS:
            raise ValueError("another format")
        names = _field_names(kept["tracker"])
        if kept["fields"] != names:
            raise ValueError("the records have changed shape since this read was kept")
        columns = []
        for values, column in kept["data"]:
            kinds = set(map(type, values))
            if not kinds <= _PLAIN:
                values = list(map(_typed, values))  # a column of ids is text alone: taken as it is
            columns.append(list(map(values.__getitem__, column)))
        places = [RowRef(file, sheet, 0) for file, sheet in kept["where"]]
        at, numbers = kept["rows"]
        if None in at:
            sources = [None if n is None else RowRef(places[n].file, places[n].sheet, row)
                       for n, row in zip(at, numbers, strict=True)]
        else:
            sources = list(map(RowRef, (places[n].file for n in at), (places[n].sheet for n in at), numbers))
        record_type = TRACKERS[kept["tracker"]]
        records = list(map(record_type, *columns, sources)) if names else []
        read = SheetRead(kept["tracker"], records, [issue_from(i) for i in kept["issues"]], kept["header_row"],
                         dict(kept["columns"]))
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ValueError(f"not a kept read ({exc.__class__.__name__})") from None
    return read


def issue_data(issue: CellError) -> list:
    return [issue.file, issue.sheet, issue.row, issue.column, _value(issue.value), issue.why, issue.rule,
            list(issue.record) if issue.record else None, issue.field]


def issue_from(data: list) -> CellError:
    file, sheet, row, column, value, why, rule, record, field = data
    return CellError(file, sheet, row, column, _typed(value), why, rule=rule,
                     record=tuple(record) if record else None, field=field)

READER_VERSION = "4"
"""Raise when what a read produces changes shape, so old cache entries are not used."""
CHECKED = "checked-"


@cache
def code_version(*packages: str) -> str:
    """A digest of the source of these packages (folders beside this one): an upgrade, or a
    developer's edit, never meets an entry made by other code."""
    root = Path(__file__).resolve().parents[1]
    sha = hashlib.sha256(READER_VERSION.encode())
    for package in packages:
        for source in sorted((root / package).glob("*.py")):
            sha.update(source.name.encode())
            sha.update(source.read_bytes())
    return sha.hexdigest()[:16]


class TrackerCache:
    def __init__(self, folder: Path, writable: bool = True):
        self.folder = folder
        self.writable = writable
        self.hits = 0
        self._digests: dict[tuple[str, int, int], str] = {}

    def _digest(self, path: Path) -> str:
        """A file's SHA-256, once per run and version: a workbook holding five trackers is hashed once."""
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if key not in self._digests:
            self._digests[key] = content_digest(path)
        return self._digests[key]

    def _entry(self, tracker: str, sheet: str, settings: tuple) -> Path:
        key = repr((code_version("trackers"), tracker, sheet, settings, [repr(c) for c in columns_of(tracker)]))
        return self.folder / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")

    def current(self, path: Path, tracker: str, sheet: str, settings: tuple) -> str | None:
        """The content digest of ``path`` when the entry for it was made from that content, else None.
        The file is always hashed: the same size and time with other bytes (a copy that kept its
        timestamp, a sync tool's restore) is another tracker. The stamp answers without the entry."""
        entry = self._entry(tracker, sheet, settings)
        try:
            stamp = json.loads(entry.with_suffix(".stamp").read_text())
            if not entry.is_file() or not isinstance(stamp, dict):
                return None
            return stamp.get("digest") if stamp.get("digest") == self._digest(path) else None
        except (OSError, ValueError):
            return None

    def get(self, path: Path, tracker: str, sheet: str, settings: tuple) -> SheetRead | None:
        if self.current(path, tracker, sheet, settings) is None:
            return None
        try:
            read = decode_read(self._entry(tracker, sheet, settings).read_bytes())
        except (OSError, ValueError):
            return None
        if read.tracker != tracker:
            return None
        self.hits += 1
        return read

    def put(self, path: Path, tracker: str, sheet: str, settings: tuple, read: SheetRead,
            seen: tuple[int, int] | None = None, data: bytes | None = None) -> None:
        """Keep a read of ``path`` (``data``: the read already encoded, by the process that parsed
        it). ``seen``: the file's (size, mtime) before it was read; a file saved again while it was
        being read is not kept (its digest would vouch for other content)."""
        if not self.writable:
            return
        entry = self._entry(tracker, sheet, settings)
        try:
            if seen is not None and self.seen(path) != seen:
                return
            digest = self._digest(path)
            self._replace(entry, data if data is not None else encode_read(read))
            self._replace(entry.with_suffix(".stamp"), json.dumps({"digest": digest}).encode())
        except (OSError, TypeError):
            return

    @staticmethod
    def seen(path: Path) -> tuple[int, int] | None:
        """A file's (size, mtime) now: taken before it is read, given to ``put``."""
        try:
            stat = path.stat()
        except OSError:
            return None
        return stat.st_size, stat.st_mtime_ns

    # the last check -------------------------------------------------------------------------
    def get_checked(self, key: str) -> Any:
        """The last check kept under ``key``, as the data it was kept as (None when there is none)."""
        try:
            return json.loads((self.folder / f"{CHECKED}{key}.json").read_bytes())
        except (OSError, ValueError):
            return None

    def put_checked(self, key: str, value: Any) -> None:
        """Keep one check, as data: the older ones (another day's, another config's) are removed."""
        if not self.writable:
            return
        try:
            data = json.dumps(value, separators=(",", ":")).encode()
            for old in self.folder.glob(f"{CHECKED}*"):
                old.unlink(missing_ok=True)
            self._replace(self.folder / f"{CHECKED}{key}.json", data)
        except (OSError, TypeError, ValueError):
            return

    def _replace(self, target: Path, data: bytes) -> None:
        from ..folders import claim_folder

        claim_folder(self.folder, "cache", private=True)
        write_whole(target, data)
