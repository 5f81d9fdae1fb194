"""Read every tracker the config names into one ``Practice``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable

from ..config import Config
from ..errors import CellError, TrackerUnavailable
from .cache import TrackerCache
from .elsewhere import Elsewhere, SheetJob, share_out
from .reader import SheetRead, read_sheet
from .records import ID_COLUMN, TRACKERS, Practice, last_row_wins
from .sources import Workbooks, sheet_sizes

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
    the last run comes from the cache instead of being parsed again. Large sheets are shared with
    a second process (``elsewhere``); records, issues and their order are the same either way."""
    practice_lists: dict[str, list] = {name: [] for name in TRACKERS}
    loaded = Loaded(Practice())
    present: set[str] = set()
    columns: dict[str, frozenset[str]] = {}
    duplicates: dict[str, dict[str, list]] = {}
    configured = {name: config.trackers[name] for name in TRACKERS if name in config.trackers}
    cached = {name: kept for name, tracker in configured.items()
              if (kept := _cached(cache, name, tracker)) is not None}
    to_parse = {name: tracker for name, tracker in configured.items() if name not in cached}
    elsewhere = Elsewhere(_jobs_elsewhere(to_parse))
    wanted: dict[tuple[str, str], tuple[str, ...]] = {}
    for name, tracker in to_parse.items():
        if name not in elsewhere:
            key = (tracker.source, tracker.location)
            wanted[key] = (*wanted.get(key, ()), tracker.sheet)
    workbooks = Workbooks(wanted)
    reads: dict[str, SheetRead | TrackerUnavailable] = {}
    try:
        # this process's share first, then the worker's: its sheets are ready by then
        for name in sorted(configured, key=lambda name: name in elsewhere):
            try:
                reads[name] = _read(name, configured[name], cached, elsewhere, workbooks, loaded, progress, cache)
            except TrackerUnavailable as exc:
                reads[name] = exc
    finally:
        elsewhere.close()
        workbooks.close()
    for name, read in ((name, reads[name]) for name in configured):
        if isinstance(read, TrackerUnavailable):
            loaded.unavailable.append(read)
            continue
        practice_lists[name], duplicates[name] = (last_row_wins(name, read.records) if name in ID_COLUMN
                                                 else (read.records, {}))
        loaded.issues.extend(read.issues)
        loaded.rows[name] = len(read.records)
        present.add(name)
        columns[name] = frozenset(read.columns)
    unreadable = frozenset((*issue.record, issue.field) for issue in loaded.issues if issue.record is not None)
    loaded.practice = Practice(**practice_lists, present=frozenset(present), columns=columns, unreadable=unreadable,
                               deduplicated=True,
                               duplicates={name: found for name, found in duplicates.items() if found})
    return loaded


def _read(name: str, tracker, cached: dict[str, SheetRead], elsewhere: Elsewhere, workbooks: Workbooks,
          loaded: Loaded, progress: Progress, cache: TrackerCache | None) -> SheetRead:
    """One tracker's read: from the cache, from the worker, or parsed here (and then kept)."""
    if name in cached:
        progress(f"Reading {name} ({Path(tracker.location).name}:{tracker.sheet}, unchanged)")
        return cached[name]
    kept_as = tracker.path if cache is not None and tracker.source == "excel" else None
    parsed = elsewhere.take(name) if name in elsewhere else None
    if parsed is not None:
        progress(f"Reading {name} ({Path(tracker.location).name}:{tracker.sheet})")
        _note_locale(loaded, parsed.locale_note)
        if kept_as is not None and cache is not None:
            cache.put_pickled(kept_as, name, tracker.sheet, _settings(tracker), parsed.pickled)
        return parsed.read
    workbook = workbooks.get(tracker.source, tracker.location)
    progress(f"Reading {name} ({workbook.label}:{tracker.sheet})")
    read = read_sheet(name, workbook.rows(tracker.sheet), file=workbook.label, sheet=tracker.sheet,
                      overrides=dict(tracker.columns), header_row=tracker.header_row, day_first=workbook.day_first)
    _note_locale(loaded, workbook.locale_note)
    if kept_as is not None and cache is not None:
        cache.put(kept_as, name, tracker.sheet, _settings(tracker), read)
    return read


def _cached(cache: TrackerCache | None, name: str, tracker) -> SheetRead | None:
    if cache is None or tracker.source != "excel" or tracker.path is None:
        return None
    return cache.get(tracker.path, name, tracker.sheet, _settings(tracker))


def _jobs_elsewhere(to_parse: dict) -> list[SheetJob]:
    """The sheets to parse in the worker, if the run is large enough to want one."""
    sizes: dict[tuple[str, str], dict[str, int]] = {}
    jobs = []
    for name, tracker in to_parse.items():
        key = (tracker.source, tracker.location)
        if key not in sizes:
            sizes[key] = sheet_sizes(*key)
        jobs.append(SheetJob(name, tracker.source, tracker.location, tracker.sheet, tuple(tracker.columns.items()),
                             tracker.header_row, sizes[key].get(tracker.sheet, 0)))
    away = share_out(jobs)
    return [job for job in jobs if job.tracker in away]


def _note_locale(loaded: Loaded, note: str) -> None:
    if note and note not in loaded.notices:
        loaded.notices.append(note)


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
