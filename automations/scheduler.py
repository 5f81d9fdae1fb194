"""`python run.py serve`: run each job on the practice's schedule until SIGINT or SIGTERM.

The ``[schedule]`` table says when, in the practice's time zone::

    reconcile = "daily 06:30"
    reminders = "hourly"            # or "hourly :15", or "every 20 minutes"
    digests = "weekdays 07:00"
    weekly-summary = "monday 07:30"

A job that fails is logged (never with PHI) and the loop goes on; the next run retries.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from dataclasses import dataclass

import schedule

from . import jobs
from .config import Config
from .errors import ConfigError, PracticeOpsError

log = logging.getLogger("practice_ops.scheduler")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Slot:
    job: str
    unit: str          # day | hour | minutes | a day name
    at: str | None     # "06:30", ":15" or None
    every: int = 1


def parse(job: str, spec: str) -> list[Slot]:
    text = " ".join(spec.lower().split())
    if match := re.fullmatch(r"(daily|weekdays|" + "|".join(DAYS) + r") (\d{1,2}:\d{2})", text):
        when, at = match[1], f"{int(match[2].split(':')[0]):02d}:{match[2].split(':')[1]}"
        if when == "daily":
            return [Slot(job, "day", at)]
        names = DAYS[:5] if when == "weekdays" else (when,)
        return [Slot(job, day, at) for day in names]
    if match := re.fullmatch(r"hourly(?: (:\d{2}))?", text):
        return [Slot(job, "hour", match[1] or ":00")]
    if match := re.fullmatch(r"every (\d+) minutes?", text):
        return [Slot(job, "minutes", None, int(match[1]))]
    raise ConfigError([f"schedule.{job}: {spec!r} is not a schedule (use 'daily 06:30', 'weekdays 07:00', "
                       f"'monday 07:30', 'hourly', 'hourly :15' or 'every 20 minutes')"])


def build(config: Config, scheduler: schedule.Scheduler, run_job) -> list[Slot]:
    """Register every configured job; returns the slots, so `serve` can say what it will do."""
    slots = [slot for job, spec in config.schedule.items() for slot in parse(job, spec)]
    for slot in slots:
        if slot.unit == "minutes":
            scheduler.every(slot.every).minutes.do(run_job, slot.job)
        elif slot.unit == "hour":
            scheduler.every().hour.at(slot.at).do(run_job, slot.job)
        elif slot.unit == "day":
            scheduler.every().day.at(slot.at, config.practice.timezone).do(run_job, slot.job)
        else:
            getattr(scheduler.every(), slot.unit).at(slot.at, config.practice.timezone).do(run_job, slot.job)
    return slots


def serve(config: Config, stop: threading.Event | None = None, announce=lambda line: print(line, flush=True)) -> int:
    stop = stop or threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    scheduler = schedule.Scheduler()

    def run_job(job: str) -> None:
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
            log.error("%s failed with an internal error; the next run retries", job)

    slots = build(config, scheduler, run_job)
    if not scheduler.jobs:
        raise ConfigError([f"{config.path}: schedule: no job to run; add e.g. reconcile = \"daily 06:30\""])
    announce(f"Serving {config.practice.name}: " + "; ".join(
        f"{s.job} {s.unit}{' at ' + s.at if s.at else ''}" for s in slots) + ". Stop with Ctrl-C.")
    while not stop.is_set():
        scheduler.run_pending()
        stop.wait(timeout=max(1.0, min(30.0, scheduler.idle_seconds or 30.0)))
    announce("Stopped.")
    return 0
