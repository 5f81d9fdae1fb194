"""Read every tracker the config names into one ``Practice``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable

from ..config import Config
from ..errors import CellError, TrackerUnavailable
from .cache import TrackerCache
from .reader import read_sheet
from .records import ID_COLUMN, TRACKERS, Practice, last_row_wins
from .sources import Workbooks

Progress = Callable[[str], None]


@dataclass
class Loaded:
    practice: Practice
    issues: list[CellError] = field(default_factory=list)
    unavailable: list[TrackerUnavailable] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


def load_practice(config: Config, progress: Progress = lambda _: None, cache: TrackerCache | None = None) -> Loaded:
    """Read each configured tracker; a tracker that cannot be read at all is listed in
    ``unavailable`` and the others are still read. With ``cache``, an Excel tracker unchanged since
    the last run comes from the cache instead of being parsed again."""
    practice_lists: dict[str, list] = {name: [] for name in TRACKERS}
    loaded = Loaded(Practice())
    present: set[str] = set()
    columns: dict[str, frozenset[str]] = {}
    duplicates: dict[str, dict[str, list]] = {}
    wanted: dict[tuple[str, str], tuple[str, ...]] = {}
    for source in config.trackers.values():
        key = (source.source, source.location)
        wanted[key] = (*wanted.get(key, ()), source.sheet)
    workbooks = Workbooks(wanted)
    try:
        for name in TRACKERS:
            tracker = config.trackers.get(name)
            if tracker is None:
                continue
            settings = _settings(tracker)
            cached = (cache.get(tracker.path, name, tracker.sheet, settings)
                      if cache is not None and tracker.source == "excel" and tracker.path is not None else None)
            try:
                if cached is not None:
                    progress(f"Reading {name} ({Path(tracker.location).name}:{tracker.sheet}, unchanged)")
                    sheet = cached
                else:
                    workbook = workbooks.get(tracker.source, tracker.location)
                    progress(f"Reading {name} ({workbook.label}:{tracker.sheet})")
                    sheet = read_sheet(name, workbook.rows(tracker.sheet), file=workbook.label, sheet=tracker.sheet,
                                       overrides=dict(tracker.columns), header_row=tracker.header_row,
                                       day_first=workbook.day_first)
                    if workbook.locale_note and workbook.locale_note not in loaded.notices:
                        loaded.notices.append(workbook.locale_note)
                    if cache is not None and tracker.source == "excel" and tracker.path is not None:
                        cache.put(tracker.path, name, tracker.sheet, settings, sheet)
            except TrackerUnavailable as exc:
                loaded.unavailable.append(exc)
                continue
            practice_lists[name], duplicates[name] = (last_row_wins(name, sheet.records) if name in ID_COLUMN
                                                     else (sheet.records, {}))
            loaded.issues.extend(sheet.issues)
            loaded.rows[name] = len(sheet.records)
            present.add(name)
            columns[name] = frozenset(sheet.columns)
    finally:
        workbooks.close()
    unreadable = frozenset((*issue.record, issue.field) for issue in loaded.issues if issue.record is not None)
    loaded.practice = Practice(**practice_lists, present=frozenset(present), columns=columns, unreadable=unreadable,
                               deduplicated=True,
                               duplicates={name: found for name, found in duplicates.items() if found})
    return loaded


def _settings(tracker) -> tuple:
    return (tuple(sorted(tracker.columns.items())), tracker.header_row)


def unchanged_since_cached(config: Config, cache: TrackerCache) -> list[tuple] | None:
    """Each configured tracker with the digest of its unchanged file, or None when any of them
    is not an Excel file the cache holds as it is now."""
    unchanged = []
    for name in TRACKERS:
        tracker = config.trackers.get(name)
        if tracker is None:
            continue
        if tracker.source != "excel" or tracker.path is None:
            return None
        digest = cache.current(tracker.path, name, tracker.sheet, _settings(tracker))
        if digest is None:
            return None
        unchanged.append((name, str(tracker.path), tracker.sheet, _settings(tracker), digest))
    return unchanged
