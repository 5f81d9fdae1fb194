"""Large trackers parsed in a second process while this one parses the largest.

Parsing a sheet is Python work, so threads cannot share it; an office PC has at least two cores.
When a run must parse several large sheets (a group practice's appointments and claims), the
largest stays here and the others are parsed by one worker process, which hands back each read
already pickled for the tracker cache. Small practices never start one: a process costs a
fraction of a second, more than their whole read.

Nothing is lost if the worker cannot help (no second core, a process that fails to start or
dies): the sheets it held are parsed here, as they would have been. A tracker the worker finds
unreadable is reported exactly as here. The process is started with ``spawn`` on every platform,
as Windows and macOS must, so what is tested on Linux is what runs on every office PC.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from ..errors import TrackerUnavailable
from .reader import SheetRead

WORKER_MIN_BYTES = 4 * 2**20
"""A worker starts when the sheets it would take unpack to at least this (about 10,000 rows)."""
WORKER_OVERHEAD = 1.25
"""A sheet parsed elsewhere costs about a quarter more than here: pickled there, unpickled here."""


@dataclass(frozen=True)
class SheetJob:
    """One tracker to parse, everything the worker needs to parse it as this process would."""

    tracker: str
    source: str
    location: str
    sheet: str
    overrides: tuple[tuple[str, str], ...]
    header_row: int | None
    size: int = 0


@dataclass
class Parsed:
    read: SheetRead
    pickled: bytes
    locale_note: str = ""


def share_out(jobs: list[SheetJob]) -> set[str]:
    """The trackers the worker should parse. Longest first, each sheet goes where the work would
    end sooner (the largest stays here); the worker is used only when its share is worth a process."""
    if (os.cpu_count() or 1) < 2 or len(jobs) < 2:
        return set()
    here = away = 0.0
    elsewhere: set[str] = set()
    for job in sorted(jobs, key=lambda job: job.size, reverse=True):
        if here + job.size <= away + job.size * WORKER_OVERHEAD:
            here += job.size
        else:
            away += job.size * WORKER_OVERHEAD
            elsewhere.add(job.tracker)
    return elsewhere if away >= WORKER_MIN_BYTES * WORKER_OVERHEAD else set()


class Elsewhere:
    """The worker process and the sheets it was given; ``take`` hands each one back in turn."""

    def __init__(self, jobs: list[SheetJob]):
        self._pending: dict[str, Future] = {}
        self._pool: ProcessPoolExecutor | None = None
        if not jobs:
            return
        try:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            for job in sorted(jobs, key=lambda job: job.size, reverse=True):
                self._pending[job.tracker] = self._pool.submit(parse_sheet, job)
        except Exception:  # a process that cannot start only means parsing here
            self.close()

    def __contains__(self, tracker: str) -> bool:
        return tracker in self._pending

    def take(self, tracker: str) -> Parsed | None:
        """The worker's read of this tracker; None when it could not give one (parse it here).
        A tracker it found unreadable raises ``TrackerUnavailable`` here, as a read here would."""
        pending = self._pending.pop(tracker)
        try:
            outcome = pending.result()
        except Exception:  # the worker died or failed: this process parses the sheet
            return None
        if outcome[0] == "unavailable":
            raise TrackerUnavailable(outcome[1], outcome[2])
        _, pickled, locale_note = outcome
        try:
            read = pickle.loads(pickled)
        except Exception:  # a read that does not come back whole is read again here
            return None
        return Parsed(read, pickled, locale_note) if isinstance(read, SheetRead) else None

    def close(self) -> None:
        """Waits for the worker to end: no process outlives the run."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._pending.clear()


def parse_sheet(job: SheetJob) -> tuple:
    """In the worker: ("read", pickled SheetRead, the workbook's locale note), or ("unavailable",
    location, why) for a tracker that cannot be read."""
    import gc

    from .reader import read_sheet
    from .sources import open_workbook

    gc.disable()  # as in the run itself (jobs.bulk_work): millions of objects, no cycles
    try:
        workbook = open_workbook(job.source, job.location, (job.sheet,))
        try:
            read = read_sheet(job.tracker, workbook.rows(job.sheet), file=workbook.label, sheet=job.sheet,
                              overrides=dict(job.overrides), header_row=job.header_row,
                              day_first=workbook.day_first)
            return "read", pickle.dumps(read, protocol=pickle.HIGHEST_PROTOCOL), workbook.locale_note
        finally:
            workbook.close()
    except TrackerUnavailable as exc:
        return "unavailable", exc.location, exc.why
    finally:
        gc.enable()

