"""Read every tracker the config names into one ``Practice``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CellError, TrackerUnavailable
from ..folders import open_in_a_spreadsheet_program
from ..memory import give_back_freed_memory
from .cache import TrackerCache, decode_read, encode_read
from .reader import SheetRead, practice_from, read_sheet
from .records import TRACKERS, Practice
from .second_process import SecondProcess, SheetJob, sheets_to_share
from .sources import Workbooks, sheet_sizes

if TYPE_CHECKING:  # the second process loads records without the config's validation library
    from ..config import Config

Progress = Callable[[str], None]


@dataclass
class Loaded:
    practice: Practice
    issues: list[CellError] = field(default_factory=list)
    unavailable: list[TrackerUnavailable] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


def load_practice(config: Config, progress: Progress = lambda _: None, cache: TrackerCache | None = None,
                  second: SecondProcess | None = None, share_read: Callable[[list[str]], None] | None = None
                  ) -> Loaded:
    """Read each configured tracker; a tracker that cannot be read at all is listed in
    ``unavailable`` and the others are still read. With ``cache``, an Excel tracker unchanged since
    the last run comes from the cache instead of being parsed again. Large sheets are shared with
    the run's second process (``second``, one made here if not given); records, issues and their
    order are the same either way. ``share_read`` is told, once this process's share is read and
    kept, which trackers the practice will hold (those it gave the worker included)."""
    loaded = Loaded(Practice())
    configured = {name: config.trackers[name] for name in TRACKERS if name in config.trackers}
    for path in dict.fromkeys(t.path for t in configured.values() if t.source == "excel" and t.path is not None):
        if open_in_a_spreadsheet_program(path):
            loaded.notices.append(f"{path.name} is open in a spreadsheet program: what was typed there since it was "
                                  f"last saved is not read (save it to include it)")
    cached = {name: kept for name, tracker in configured.items()
              if (kept := _cached(cache, name, tracker)) is not None}
    to_parse = {name: tracker for name, tracker in configured.items() if name not in cached}
    seen = {name: TrackerCache.seen(tracker.path) for name, tracker in to_parse.items() if tracker.path is not None}
    own = second is None
    second = second or SecondProcess()
    second.parse(_jobs_for_second_process(to_parse))
    wanted: dict[tuple[str, str], tuple[str, ...]] = {}
    for name, tracker in to_parse.items():
        if name not in second:
            key = (tracker.source, tracker.location)
            wanted[key] = (*wanted.get(key, ()), tracker.sheet)
    workbooks = Workbooks(wanted)
    reads: dict[str, SheetRead | TrackerUnavailable] = {}
    try:
        # this process's share first, then the worker's: its sheets are ready by then
        for name in sorted(configured, key=lambda name: name in second):
            if share_read is not None and name in second:
                share_read([name for name in configured if not isinstance(reads.get(name), TrackerUnavailable)])
                share_read = None
            try:
                reads[name] = _read(name, configured[name], cached, second, workbooks, loaded, progress, cache,
                                    seen.get(name))
            except TrackerUnavailable as exc:
                reads[name] = exc
        if share_read is not None:
            share_read([name for name in configured if isinstance(reads[name], SheetRead)])
    finally:
        if own:
            second.close()
        workbooks.close()
    in_order = [(name, reads[name]) for name in configured]
    loaded.unavailable = [read for _, read in in_order if isinstance(read, TrackerUnavailable)]
    readable = {name: read for name, read in in_order if isinstance(read, SheetRead)}
    loaded.practice = practice_from(readable)
    loaded.issues = [issue for read in readable.values() for issue in read.issues]
    loaded.rows = {name: len(read.records) for name, read in readable.items()}
    give_back_freed_memory()
    return loaded


def _read(name: str, tracker, cached: dict[str, SheetRead], second: SecondProcess, workbooks: Workbooks,
          loaded: Loaded, progress: Progress, cache: TrackerCache | None, seen: tuple[int, int] | None) -> SheetRead:
    """One tracker's read: from the cache, from the worker, or parsed here (and then kept, if its
    file is as it was ``seen`` before the reading started)."""
    if name in cached:
        progress(f"Reading {name} ({Path(tracker.location).name}:{tracker.sheet}, unchanged)")
        return cached[name]
    kept_as = tracker.path if cache is not None and tracker.source == "excel" else None
    parsed = second.take(name) if name in second else None
    if parsed is not None:
        progress(f"Reading {name} ({Path(tracker.location).name}:{tracker.sheet})")
        _note_locale(loaded, parsed.locale_note)
        if kept_as is not None and cache is not None:
            cache.put(kept_as, name, tracker.sheet, reading_settings(tracker), parsed.read, seen, data=parsed.data)
        return parsed.read
    workbook = workbooks.get(tracker.source, tracker.location)
    progress(f"Reading {name} ({workbook.label}:{tracker.sheet})")
    read = read_sheet(name, workbook.rows(tracker.sheet), file=workbook.label, sheet=tracker.sheet,
                      overrides=dict(tracker.columns), header_row=tracker.header_row, day_first=workbook.day_first)
    _note_locale(loaded, workbook.locale_note)
    if kept_as is not None and cache is not None and cache.writable:
        try:
            data = encode_read(read)
        except TypeError:  # a value the cache has no data form for: read again next time
            data = None
        if data is not None:
            cache.put(kept_as, name, tracker.sheet, reading_settings(tracker), read, seen, data=data)
            del read  # the parse's freed cells lie among its records: made again, they lie together
            read = decode_read(data)
    give_back_freed_memory()
    return read


def _cached(cache: TrackerCache | None, name: str, tracker) -> SheetRead | None:
    if cache is None or tracker.source != "excel" or tracker.path is None:
        return None
    return cache.get(tracker.path, name, tracker.sheet, reading_settings(tracker))


def _jobs_for_second_process(to_parse: dict) -> list[SheetJob]:
    """The sheets to parse in the worker, if the run is large enough to want one."""
    sizes: dict[tuple[str, str], dict[str, int]] = {}
    jobs = []
    for name, tracker in to_parse.items():
        key = (tracker.source, tracker.location)
        if key not in sizes:
            sizes[key] = sheet_sizes(*key)
        jobs.append(SheetJob(name, tracker.source, tracker.location, tracker.sheet, tuple(tracker.columns.items()),
                             tracker.header_row, sizes[key].get(tracker.sheet, 0)))
    away = sheets_to_share(jobs)
    return [job for job in jobs if job.tracker in away]


def _note_locale(loaded: Loaded, note: str) -> None:
    if note and note not in loaded.notices:
        loaded.notices.append(note)


def reading_settings(tracker) -> tuple:
    """What shapes a tracker's read besides its file: the cache keys on it."""
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
        digest = cache.current(tracker.path, name, tracker.sheet, reading_settings(tracker))
        if digest is None:
            return None
        unchanged.append((name, str(tracker.path), tracker.sheet, reading_settings(tracker), digest))
    return unchanged
