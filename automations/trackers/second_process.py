"""The run's second process: large sheets parsed, and part of the rules applied, beside this one.

Parsing a sheet and applying a rule are Python work, so threads cannot share them; an office PC
has at least two cores. When a check must parse several large sheets (a group practice's
appointments and claims), the largest stays here and the others go to one worker process, which
hands back each read already as the tracker cache's data. At a group practice's size the worker
then applies the claim-coding rules (about half the rules' work) to the same records while this
process applies the others; ``rules.evaluate`` merges both as if all had run here. Small
practices never start a worker: a process costs a fraction of a second, more than their whole
check.

Nothing is lost when the worker cannot help (one core, a process that will not start or dies, a
tracker it cannot see the way this process does): what it held is done here, as it would have
been. A tracker the worker finds unreadable is reported exactly as here. The worker is started
with ``spawn`` on every platform, as Windows and macOS must, so what is tested on Linux is what
runs on every office PC.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
from concurrent.futures import BrokenExecutor, CancelledError, Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import TrackerUnavailable
from ..memory import give_back_freed_memory
from .cache import decode_read, encode_read
from .reader import SheetRead

if TYPE_CHECKING:
    from ..rules.findings import Finding
    from ..rules.thresholds import Thresholds

log = logging.getLogger("practice_ops.elsewhere")

WORKER_MIN_BYTES = 4 * 2**20
"""A worker parses sheets when its share unpacks to at least this much XML: 8,000 to 25,000 rows,
by how the file was saved (inline or shared strings)."""
WORKER_OVERHEAD = 1.25
"""A sheet parsed second costs about a quarter more than here: encoded there, decoded here."""
RULES_MIN_FILE_BYTES = 2 * 2**20
"""The worker applies its rules when the trackers' files (compressed, as saved) hold at least
this much: about 40,000 appointments and claims. Below it the rules take less time than a process
takes to start."""
RULES_IN_SECOND_PROCESS = frozenset({"billing.cpt_time_mismatch", "billing.below_minimum_time", "billing.multiple_time_codes",
                             "billing.duplicate_claim", "billing.code_pair_conflict",
                             "billing.claim_without_session", "billing.no_show_billed"})
"""The rules the worker applies: how claims were coded. Measured at 100,000 appointments they are
under half the rules' work (0.38 s of 0.83 s), as the worker first loads the records this process
read."""


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


@dataclass(frozen=True)
class RulesJob:
    """The records the worker needs for its rules: each tracker of the practice, where the tracker
    cache keeps it (the worker holds the sheets it parsed itself)."""

    trackers: tuple[tuple[str, str, str, tuple], ...]  # (tracker, path, sheet, reading settings)
    cache_folder: str
    thresholds: Thresholds
    today: date


@dataclass
class Parsed:
    """A read the worker made: the records, the same as data (as the cache keeps them), and the
    workbook's locale note."""

    read: SheetRead
    data: bytes
    locale_note: str = ""


def sheets_to_share(jobs: list[SheetJob]) -> set[str]:
    """The trackers the worker should parse. Longest first, each sheet goes where the work would
    end sooner (the largest stays here); the worker is used only when its share is worth a process."""
    if (os.cpu_count() or 1) < 2 or len(jobs) < 2:
        return set()
    here = away = 0.0
    second: set[str] = set()
    for job in sorted(jobs, key=lambda job: job.size, reverse=True):
        if here + job.size <= away + job.size * WORKER_OVERHEAD:
            here += job.size
        else:
            away += job.size * WORKER_OVERHEAD
            second.add(job.tracker)
    return second if away >= WORKER_MIN_BYTES * WORKER_OVERHEAD else set()


def worth_sharing_rules(files: list[Path]) -> bool:
    """Whether the trackers (their files as saved) are large enough to share the rules."""
    if (os.cpu_count() or 1) < 2:
        return False
    try:
        return sum(path.stat().st_size for path in set(files)) >= RULES_MIN_FILE_BYTES
    except OSError:
        return False


WORKER_FAILED: tuple[type[BaseException], ...] = (BrokenExecutor, CancelledError, OSError, MemoryError, ValueError)
"""A worker that died (killed, out of memory) or gave back what could not be taken: its work is
then done here. A fault of the code itself is not among them: it fails here too, and is reported."""


class SecondProcess:
    """The worker process of one check, started when first given work; ``close`` ends it."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._failed = False
        self._sheets: dict[str, Future] = {}
        self._rules: Future | None = None

    def _submit(self, work: Any, job: Any) -> Future | None:
        if self._failed:
            return None
        starting = self._pool is None
        safe_path = os.environ.get("PYTHONSAFEPATH")
        try:
            if starting:
                # the worker imports nothing from the folder it starts in (a `multiprocessing` package
                # planted there would otherwise run in it): Python's safe path, while it starts
                os.environ["PYTHONSAFEPATH"] = "1"
                # no cycle collection in the worker either (jobs.bulk_work): it lives for one check
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_worker_starts)
            assert self._pool is not None
            return self._pool.submit(work, job)  # the one worker starts with the first task
        except (OSError, RuntimeError, ValueError) as exc:  # a process that cannot start: the work is done here
            log.warning("no second process (%s): the work is done in this one", exc.__class__.__name__)
            self._failed = True
            return None
        finally:
            if starting:
                if safe_path is None:
                    os.environ.pop("PYTHONSAFEPATH", None)
                else:
                    os.environ["PYTHONSAFEPATH"] = safe_path

    # sheets ------------------------------------------------------------------------------------
    def parse(self, jobs: list[SheetJob]) -> None:
        """One task per workbook, its sheets largest first: the worker opens each workbook once
        (calamine reads a workbook's shared strings as it opens it)."""
        by_workbook: dict[tuple[str, str], list[SheetJob]] = {}
        for job in sorted(jobs, key=lambda job: job.size, reverse=True):
            by_workbook.setdefault((job.source, job.location), []).append(job)
        for group in by_workbook.values():
            if (pending := self._submit(parse_sheets, tuple(group))) is not None:
                self._sheets.update(dict.fromkeys((job.tracker for job in group), pending))

    def __contains__(self, tracker: str) -> bool:
        return tracker in self._sheets

    def take(self, tracker: str) -> Parsed | None:
        """The worker's read of this tracker; None when it could not give one (parse it here).
        A tracker it found unreadable raises ``TrackerUnavailable`` here, as a read here would."""
        pending = self._sheets.pop(tracker)
        try:
            outcome = pending.result()[tracker]
        except WORKER_FAILED as exc:  # the worker died or failed: this process parses the sheet
            log.warning("the second process gave no read of %s (%s): read here", tracker, exc.__class__.__name__)
            return None
        if outcome[0] == "unavailable":
            raise TrackerUnavailable(outcome[1], outcome[2])
        _, data, locale_note = outcome
        try:
            read = decode_read(data)
        except ValueError:  # a read that does not come back whole is read again here
            return None
        return Parsed(read, data, locale_note)

    # rules -------------------------------------------------------------------------------------
    @property
    def applying_rules(self) -> bool:
        return self._rules is not None

    def apply_rules(self, job: RulesJob) -> None:
        """Start ``RULES_IN_SECOND_PROCESS`` in the worker (once per check)."""
        if self._rules is None:
            self._rules = self._submit(apply_rules, job)

    def rules_applied(self) -> dict[str, list[Finding]] | None:
        """The worker's findings by rule id, or None when it has none to give (apply them here)."""
        pending, self._rules = self._rules, None
        if pending is None:
            return None
        try:
            found = pending.result()
        except WORKER_FAILED as exc:  # the worker died or failed: this process applies those rules
            log.warning("the second process gave no findings (%s): its rules are applied here", exc.__class__.__name__)
            return None
        return found if isinstance(found, dict) else None

    def __enter__(self) -> SecondProcess:
        return self

    def __exit__(self, failed: type[BaseException] | None, *_: object) -> None:
        self.close(abandon=failed is not None)

    def close(self, abandon: bool = False) -> None:
        """Waits for the worker to end: no process outlives the check. ``abandon`` (the check
        stopped: Ctrl-C, a failure) ends it at once rather than after its task."""
        if self._pool is not None:
            if abandon:
                terminate = getattr(self._pool, "terminate_workers", None)  # Python 3.14
                if terminate is not None:
                    terminate()
                else:
                    for process in list((getattr(self._pool, "_processes", None) or {}).values()):
                        process.terminate()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._sheets.clear()
        self._rules = None


# in the worker ---------------------------------------------------------------------------------
def _worker_starts() -> None:
    """No cycle collection (jobs.bulk_work: it lives for one check), and Ctrl-C is left to the
    process that started it, which ends it: a worker killed by the keystroke would otherwise look
    like one that failed, and be reported as one."""
    gc.disable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_parsed_here: dict[str, bytes] = {}
"""The sheets this worker parsed in this check, kept as data for the rules it may be asked to
apply: a parse leaves its records scattered among the freed cells of the sheet, and the process
would hold the cells' memory as long as it held the records (at 200,000 appointments, about 100 MB
more than the same records decoded)."""
_unreadable_here: set[str] = set()
"""The trackers it found unreadable: the practice goes without them."""


def parse_sheets(jobs: tuple[SheetJob, ...]) -> dict[str, tuple]:
    """Tracker -> ("read", the SheetRead as the cache's data, the workbook's locale note), or ("unavailable",
    location, why) for a tracker that cannot be read; the workbook (one for all ``jobs``) opened
    once, its next sheet read ahead while one is parsed, as in the run's own process."""
    from .reader import read_sheet
    from .sources import open_workbook

    outcomes: dict[str, tuple] = {}
    try:
        workbook = open_workbook(jobs[0].source, jobs[0].location, tuple(job.sheet for job in jobs))
    except TrackerUnavailable as exc:
        _unreadable_here.update(job.tracker for job in jobs)
        return dict.fromkeys((job.tracker for job in jobs), ("unavailable", exc.location, exc.why))
    try:
        for job in jobs:
            try:
                read = read_sheet(job.tracker, workbook.rows(job.sheet), file=workbook.label, sheet=job.sheet,
                                  overrides=dict(job.overrides), header_row=job.header_row,
                                  day_first=workbook.day_first)
            except TrackerUnavailable as exc:
                _unreadable_here.add(job.tracker)
                outcomes[job.tracker] = ("unavailable", exc.location, exc.why)
                continue
            data = encode_read(read)
            del read
            give_back_freed_memory()
            _parsed_here[job.tracker] = data
            outcomes[job.tracker] = ("read", data, workbook.locale_note)
    finally:
        workbook.close()
    return outcomes


def apply_rules(job: RulesJob) -> dict[str, list[Finding]] | None:
    """``RULES_IN_SECOND_PROCESS``'s findings by rule id; None when a tracker's read is neither
    parsed here nor in the cache as the asking process's was."""
    from .. import rules
    from .cache import TrackerCache
    from .reader import practice_from

    cache = TrackerCache(Path(job.cache_folder), writable=False)
    reads: dict[str, SheetRead] = {}
    for tracker, path, sheet, settings in job.trackers:
        if tracker in _unreadable_here:
            continue  # this process found it unreadable, and so did the one that asked
        data = _parsed_here.pop(tracker, None)
        read = decode_read(data) if data is not None else cache.get(Path(path), tracker, sheet, settings)
        if read is None:
            return None
        reads[tracker] = read
    _parsed_here.clear()
    _unreadable_here.clear()
    give_back_freed_memory()
    found = rules.apply(practice_from(reads), job.thresholds, job.today, RULES_IN_SECOND_PROCESS)
    return found
