"""`python run.py serve`: run each job on the practice's schedule until SIGINT or SIGTERM.

The ``[schedule]`` table says when, in the practice's time zone::

    reconcile = "daily 06:30"
    reminders = "hourly"            # or "hourly :15", or "every 20 minutes"
    digests = "weekdays 07:00"
    weekly-summary = "monday 07:30"

Jobs run one at a time, each in the order it fell due: a job due while another runs waits for it
(the clinicians' digests at 07:00 run after the hourly reminders that started at 07:00), and a job
already running or waiting when its turn comes again is not queued a second time. A job that fails
is logged (never with PHI) and the loop goes on; the next run retries.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import schedule
from filelock import FileLock, Timeout

from . import jobs
from .config import Config
from .errors import ConfigError, PracticeOpsError
from .folders import claim_folder, write_private_log, write_whole
from .timetable import Slot, register, validate

log = logging.getLogger("practice_ops.scheduler")


def build(config: Config, scheduler: schedule.Scheduler, run_job) -> list[Slot]:
    """Register every configured job; returns the slots, so `serve` can say what it will do."""
    slots = [slot for job, spec in config.schedule.items() for slot in validate(job, spec, config.practice.timezone)]
    for slot in slots:
        register(scheduler, slot, config.practice.timezone, run_job)
    return slots




def serve(config: Config, stop: threading.Event | None = None, announce=lambda line: print(line, flush=True),
          run_now: bool = False) -> int:
    """Run the schedule until SIGINT or SIGTERM. Jobs run in a worker thread, so a stop is obeyed at
    once even while a job hangs on a mail server (what it had handed over is in the ledger; a rerun
    finishes the rest). One `serve` per practice: a second one is refused, naming the first."""
    stop = stop or threading.Event()
    lock = _serve_lock(config)
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        return _loop(config, stop, announce, run_now)
    finally:
        lock.release()
        (Path(config.state.dir) / SERVE_PID).unlink(missing_ok=True)


JOB_WORDS = {"reconcile": "the checks and work queue", "reminders": "client reminders",
             "digests": "clinicians' digests", "weekly-summary": "the owner's weekly summary"}
"""What each job is, as `serve` says when it starts."""
SERVE_PID = "serve.pid"
JOB_LOG = "jobs-errors.log"


def _serve_lock(config: Config) -> FileLock:
    folder = claim_folder(Path(config.state.dir), "state", private=True)
    lock = FileLock(str(folder / "serve.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        running = (folder / SERVE_PID).read_text(encoding="utf-8").strip() if (folder / SERVE_PID).exists() else "?"
        raise PracticeOpsError(f"another `serve` is already running for {config.practice.name} ({running}); "
                               f"stop it first, or let it be") from None
    write_whole(folder / SERVE_PID, f"process {os.getpid()} on {socket.gethostname()}, started "
                                    f"{datetime.now().astimezone():%Y-%m-%d %H:%M}\n".encode(), mode=0o644)
    return lock


class JobQueue:
    """The jobs that fell due, run one at a time by one worker thread, in the order they fell due. A
    job already waiting, or running, when it falls due again is not added a second time: it runs
    once, and its next turn is the one after."""

    def __init__(self, run: Callable[[str], None]):
        self._run = run
        self._due: list[str] = []
        self._running: str | None = None
        self._changed = threading.Condition()
        self._worker = threading.Thread(target=self._work, name="jobs", daemon=True)
        self._worker.start()

    def add(self, *names: str) -> None:
        with self._changed:
            for name in names:
                if name == self._running or name in self._due:
                    log.info("%s is due again while it %s: it runs once", name,
                             "runs" if name == self._running else "waits")
                    continue
                self._due.append(name)
            self._changed.notify()

    def waiting(self) -> list[str]:
        with self._changed:
            return list(self._due)

    def _work(self) -> None:
        while True:
            with self._changed:
                while not self._due:
                    self._changed.wait()
                self._running = self._due.pop(0)
            try:
                self._run(self._running)
            finally:
                with self._changed:
                    self._running = None


def _loop(config: Config, stop: threading.Event, announce, run_now: bool) -> int:
    scheduler = schedule.Scheduler()
    due = JobQueue(lambda job: _run_one(config, job))
    run_job = due.add

    slots = build(config, scheduler, run_job)
    if not scheduler.jobs:
        raise ConfigError([f"{config.path}: schedule: no job to run; add e.g. reconcile = \"daily 06:30\""])
    announce(f"Serving {config.practice.name}: " + "; ".join(
        f"{JOB_WORDS.get(job, job)} {' '.join(spec.split())}" for job, spec in config.schedule.items())
        + ". Stop with Ctrl-C.")
    if run_now:
        run_job(*dict.fromkeys(slot.job for slot in slots))
    while not stop.is_set():
        scheduler.run_pending()
        stop.wait(timeout=max(0.2, min(30.0, scheduler.idle_seconds or 30.0)))
    announce("Stopped.")
    return 0


def _run_one(config: Config, job: str) -> None:
    """One scheduled run. Whatever happens is logged without PHI; a traceback goes to an owner-only
    file in the state folder for whoever maintains the install."""
    try:
        today, now = jobs.resolve_clock(config, None, None)
        result = jobs.run(config, job, today, now)
        if not result.usable:
            log.error("%s did not run: %d tracker(s) could not be read; `run.py check` says which", job,
                      len(result.unavailable))
        else:
            log.info("%s: %d findings, %d messages", job, len(result.findings), len(result.messages))
    except PracticeOpsError as exc:
        log.error("%s failed: %s", job, exc.__class__.__name__)
    except Exception:
        where = write_private_log(Path(config.state.dir) / JOB_LOG, f"{job} at {datetime.now().astimezone()}:\n"
                                  + traceback.format_exc(), append=True)
        log.error("%s failed with an internal error (details in %s); the next run retries", job, where)
