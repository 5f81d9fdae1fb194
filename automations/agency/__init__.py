"""An agency: one installation running many practices, each walled off (`run.py --agency agency.toml
check | run JOB | serve | move-ledger`). What each command does, for the CLI to call; the engine
(DBOS) is engine.py, the agency file settings.py."""

from __future__ import annotations

import signal
import threading
import traceback
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from ..config import JOBS
from ..errors import ConfigError, PracticeOpsError
from ..folders import write_private_log
from ..timetable import cron, validate
from .settings import Agency, load_agency

__all__ = ["Agency", "check", "load_agency", "move_ledger", "run", "serve"]

Say = Callable[[str], None]
AGENCY_JOBS = (*JOBS, "all", "overview")


def check(agency: Agency, today: date | None, say: Say) -> bool:
    """One line per practice: ready, or what blocks it. True when every practice is ready."""
    from .. import jobs

    ready = True
    if agency.settings.database_url:
        from .engine import database_problem

        problem = database_problem(agency.settings.database_url)
        if problem:
            say(f"agency: not ready: {problem}")
            ready = False
    for practice in agency.practices:
        try:
            config = agency.practice_config(practice.id)
            blockers = []
            for job, spec in config.schedule.items():
                try:
                    for slot in validate(job, spec, config.practice.timezone):
                        cron(slot)
                except ConfigError as exc:
                    blockers.extend(exc.problems)
            day, now = jobs.resolve_clock(config, today, None)
            result = jobs.check(config, day, now=now)
            blockers.extend(result.unavailable)
            if blockers:
                ready = False
                say(f"{practice.id}: not ready: " + "; ".join(blockers))
            else:
                say(f"{practice.id}: ready ({config.practice.name}: {len(result.findings)} findings, "
                    f"{len(result.data_issues)} unreadable cells; `run.py --config {practice.config_path} check` "
                    f"lists them)")
        except ConfigError as exc:
            ready = False
            say(f"{practice.id}: not ready: " + "; ".join(exc.problems[:3]))
        except PracticeOpsError as exc:
            ready = False
            say(f"{practice.id}: not ready: {str(exc).splitlines()[0]}")
        except Exception:
            ready = False
            where = write_private_log(agency.state_dir / "agency-errors.log", f"check {practice.id}:\n"
                                      + traceback.format_exc(), append=True)
            say(f"{practice.id}: not ready: an internal error (details in {where})")
    return ready


def run(agency: Agency, job: str, practice: str | list[str] | None, now: datetime | None, say: Say) -> list[dict]:
    """The job for every practice (or the one or several named), as DBOS workflows; one line each."""
    if job not in AGENCY_JOBS:
        raise PracticeOpsError(f"no job named {job!r}; jobs: {', '.join(AGENCY_JOBS)}")
    if job == "overview":
        from .overview import morning_overview

        done = morning_overview(agency, now or datetime.now().astimezone())
        say(f"overview: {done['practices']} practices, {done['failures']} failures; workbook {done['workbook']}; "
            f"note to the lead: {done['note']}")
        return [done]
    from . import engine

    named = [practice] if isinstance(practice, str) else practice
    ids = [agency.practice(name).id for name in named] if named else [p.id for p in agency.practices]
    due = now.isoformat(timespec="seconds") if now else ""
    engine.start(agency, serving=False)
    try:
        results = []
        for practice_id, handle in engine.enqueue_now(agency, job, ids, due):
            detail = handle.get_result()
            say(f"{practice_id}: {job}: {_outcome_words(detail)}")
            results.append({"practice": practice_id, **detail})
        return results
    finally:
        engine.stop()


def _outcome_words(detail: dict) -> str:
    if detail.get("outcome") != "ok":
        return f"{detail.get('outcome')}: " + "; ".join(detail.get("why", []))
    messages = detail.get("messages", {})
    return (f"ok, {detail.get('findings', 0)} findings ({detail.get('urgent', 0)} urgent), "
            f"{messages.get('sent', 0)} sent, {messages.get('blocked', 0)} blocked, {messages.get('failed', 0)} failed")


def serve(agency: Agency, say: Say, stop: threading.Event | None = None, now: Callable[[], datetime] | None = None) -> int:
    """Every practice's schedule, in its own zone, until SIGINT or SIGTERM. On one machine (SQLite) one
    `serve` at a time; with PostgreSQL one per machine, as many machines as wanted."""
    from . import engine

    stop = stop or threading.Event()
    lock = None
    if not agency.settings.database_url:
        agency.state_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(agency.state_dir / "serve.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise PracticeOpsError(f"another `serve` already runs {agency.settings.name} on this machine; with one "
                                   f"machine one serve is enough (several machines need [agency] database_url)") \
                from None
    try:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
        engine.start(agency, serving=True)
        try:
            count, caught_up, problems = engine.keep_schedules(agency, (now or datetime.now)().astimezone())
            for problem in problems:
                say(problem)
            for run_ in caught_up:
                say(f"caught up once: {run_} (missed while no machine served)")
            engine.Takeover(agency, stop).start()
            say(f"Serving {agency.settings.name}: {len(agency.practices)} practices, {count} schedules, "
                f"{agency.workers} at once on this machine. Stop with Ctrl-C.")
            stop.wait()
        finally:
            engine.stop()
    finally:
        if lock is not None:
            lock.release()
    say("Stopped.")
    return 0


def move_ledger(agency: Agency, practice_id: str, now: datetime) -> str:
    """Move one practice's SQLite ledger into the agency's PostgreSQL (its audit chain verified there)."""
    from ..ledger_postgres import display, schema_for
    from ..ledger_postgres import move_ledger as move
    from ..setup_check import load_config

    if not agency.settings.database_url:
        raise PracticeOpsError(f"{agency.path}: [agency] database_url is empty: there is no PostgreSQL to move to")
    practice = agency.practice(practice_id)
    config = load_config(practice.config_path)
    copied = move(Path(config.state.dir), config.state.audit_head, agency.settings.database_url,
                  schema_for(practice.id), now)
    return (f"{practice.id}: ledger moved to {display(agency.settings.database_url)} schema {schema_for(practice.id)}: "
            f"{copied['audit']} audit entries (chain verified there), {copied['messages']} messages, "
            f"{copied['runs']} runs; the SQLite file is set aside as ledger.sqlite3.moved")
