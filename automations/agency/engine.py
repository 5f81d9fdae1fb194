"""An agency's runs on DBOS Transact: every practice's jobs as durable workflows.

- One queue, ``practices``, partitioned by practice with a partition concurrency of 1: one job at a
  time per practice across every machine, several practices at once (``[agency] workers`` a machine).
- Each practice's ``[schedule]`` becomes DBOS schedules named ``practice/job[/n]``, in the practice's
  own zone. DBOS names each firing ``sched-<schedule>-<time>`` and starts a name once, so a run fires
  once however many machines serve; the fired workflow enqueues the job as ``practice/job/time``.
- A missed run (every machine was off) is caught up once at start: the latest time each schedule was
  due, if it never fired then (DBOS's own backfill would start every missed one).
- With PostgreSQL, each serving machine says it is alive every few seconds on the agency's board; one
  silent for ``takeover_seconds`` is dead, and a live one hands its unfinished workflows back to the
  queue (DBOS's recovery), where one machine takes each. The job then runs again from its ledger,
  which sends nothing twice.
- A workflow's inputs and outputs are a practice id, a job, a time and counts: nothing else reaches
  DBOS's tables. Each job runs in a process of its own (practice_run.py).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter
from dbos import DBOS, DBOSPortableJSONSerializer, Serializer, SetEnqueueOptions, SetWorkflowID
from dbos import _serialization as dbos_serialization

from ..errors import ConfigError, PracticeOpsError
from ..timetable import cron, validate
from .board import Board
from .settings import Agency

log = logging.getLogger("practice_ops.agency")

QUEUE = "practices"
RUN_QUEUE = "practices-now"
"""`run` (by hand) has a queue of its own, so a one-off command never takes a scheduled run it would
then abandon when it exits; the ledger's run lock keeps the two from running one practice at once."""
OVERVIEW = "agency-overview"
BUSY_RETRY_SECONDS = 5
BUSY_PATIENCE_SECONDS = 600


class NoPickle(Serializer):
    """Stands where DBOS keeps its pickle serializer: DBOS here writes JSON only (the portable
    serializer, set at start), and a row in its tables that claims to be pickled is refused, never
    unpickled (a pickle from disk runs whatever code it names)."""

    def name(self) -> str:
        return "py_pickle"

    def serialize(self, data: Any) -> str:
        raise TypeError("practice-ops keeps DBOS's data as JSON, never pickled")

    def deserialize(self, serialized_data: str) -> Any:
        raise TypeError("a row of the agency's database claims to be pickled: refused (practice-ops writes JSON)")


dbos_serialization.DBOSDefaultSerializer = NoPickle()


class _Running:
    """What this process's workflows need and DBOS must not store: the agency (paths and settings)."""

    agency: Agency | None = None
    board: Board | None = None


def _agency() -> Agency:
    if _Running.agency is None:
        raise PracticeOpsError("the agency is not started in this process")
    return _Running.agency


@DBOS.workflow(name="practice_job")
def practice_job(practice_id: str, job: str, due: str) -> dict:
    """One practice's one job; returns counts (what the overview and `run` show)."""
    detail = run_in_own_process(practice_id, job, due)
    record_outcome(practice_id, job, due, detail)
    return detail


@DBOS.step(name="run_in_own_process")
def run_in_own_process(practice_id: str, job: str, due: str) -> dict:
    """The job in a process of its own, stopped after ``job_minutes``. A practice busy with another
    run (a run by hand, or a dead machine's orphan finishing) is waited for, then run."""
    agency = _agency()
    command = [sys.executable, "-m", "automations.agency.practice_run", str(agency.path), practice_id, job]
    if due:
        command += ["--now", due]
    waited = 0.0
    while True:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=agency.settings.job_minutes * 60,
                                  cwd=str(agency.folder), env=_child_environment())
        except subprocess.TimeoutExpired:
            return {"outcome": "timed out", "why": [f"still running after {agency.settings.job_minutes} minutes; "
                                                    f"stopped (what it sent is in its ledger; the next run goes on)"]}
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        try:
            detail = json.loads(lines[-1]) if lines else {}
        except ValueError:
            detail = {}
        if not detail:
            return {"outcome": "failed", "why": [f"its process ended with code {done.returncode} and said nothing"]}
        busy = any("LedgerBusy" in why for why in detail.get("why", []))
        if not busy or waited >= BUSY_PATIENCE_SECONDS:
            return detail
        time.sleep(BUSY_RETRY_SECONDS)
        waited += BUSY_RETRY_SECONDS


def _child_environment() -> dict[str, str]:
    """The agency's environment (each practice's secrets by its own names), where this code is, and
    who the parent is (a run ends with it)."""
    here = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PRACTICE_OPS_PARENT": str(os.getpid()),
            "PYTHONPATH": here + (os.pathsep + path if path else "")}


@DBOS.step(name="record_outcome")
def record_outcome(practice_id: str, job: str, due: str, detail: dict) -> None:
    if _Running.board is not None:
        _Running.board.record(practice_id, job, due, datetime.now().astimezone().isoformat(timespec="seconds"),
                              detail)
    level = logging.INFO if detail.get("outcome") == "ok" else logging.WARNING
    log.log(level, "%s %s: %s", practice_id, job, detail.get("outcome"))


@DBOS.workflow(name="scheduled_job")
def scheduled_job(scheduled_at: datetime, context: dict) -> None:
    """What a schedule fires: the job, enqueued in its practice's partition under its time's name."""
    due = _when(scheduled_at).astimezone(ZoneInfo(context.get("zone") or "UTC")).isoformat(timespec="minutes")
    with SetWorkflowID(f"{context['practice']}/{context['job']}/{due}"), \
            SetEnqueueOptions(queue_partition_key=context["practice"]):
        _queue(QUEUE).enqueue(practice_job, context["practice"], context["job"], due)


def _queue(name: str) -> Any:
    queue = DBOS.retrieve_queue(name)
    if queue is None:
        raise PracticeOpsError(f"the agency's queue {name!r} is not registered")
    return queue


@DBOS.workflow(name="agency_overview")
def overview_job(scheduled_at: datetime, context: dict) -> dict:
    return make_overview(_when(scheduled_at).isoformat(timespec="minutes"))


def _when(value: datetime | str) -> datetime:
    """A scheduled time as DBOS hands it back from JSON (RFC 3339, UTC) or as a datetime."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


@DBOS.step(name="make_overview")
def make_overview(due: str) -> dict:
    from .overview import morning_overview

    return morning_overview(_agency(), datetime.fromisoformat(due))


def executor_id(serving: bool, agency: Agency) -> str:
    """SQLite (one machine): the one serving process is "local", so a restart finishes what it left.
    PostgreSQL: each process its own, so the others can tell which one died."""
    if serving and not agency.settings.database_url:
        return "local"
    return f"{socket.gethostname()}-{os.getpid()}" + ("" if serving else "-run")


def database_problem(url: str) -> str:
    """Why the agency's PostgreSQL cannot be used, in a line, or "" (asked before DBOS is, whose own
    failure to connect is a page of traceback)."""
    import psycopg

    from ..ledger_postgres import display

    try:
        psycopg.connect(url, connect_timeout=10).close()
    except psycopg.Error as exc:
        return f"{display(url)} cannot be reached ({str(exc).strip().splitlines()[0]})"
    return ""


def start(agency: Agency, serving: bool) -> None:
    """DBOS launched on the agency's system database, the practices' queue registered."""
    if agency.settings.database_url and (problem := database_problem(agency.settings.database_url)):
        raise PracticeOpsError(f"{agency.path}: the agency's database: {problem}")
    agency.state_dir.mkdir(parents=True, exist_ok=True)
    url = agency.settings.database_url or f"sqlite:///{(agency.state_dir / 'dbos.sqlite3').as_posix()}"
    try:
        package = version("practice-ops")
    except PackageNotFoundError:
        package = "0"
    _Running.agency = agency
    DBOS(config={"name": "practice-ops-agency", "system_database_url": url,
                 "executor_id": executor_id(serving, agency), "application_version": f"practice-ops-{package}",
                 "log_level": "WARNING", "scheduler_polling_interval_sec": 5.0,
                 "serializer": DBOSPortableJSONSerializer(),
                 "max_executor_threads": max(8, agency.workers * 2 + 4)})
    DBOS.listen_queues([QUEUE, "_dbos_internal_queue"] if serving else [RUN_QUEUE])
    try:
        DBOS.launch()
    except Exception as exc:
        DBOS.destroy(destroy_registry=False)
        raise PracticeOpsError(f"{agency.path}: the agency's database cannot be used "
                               f"({str(exc).strip().splitlines()[0][:200]})") from None
    for name in (QUEUE, RUN_QUEUE):
        DBOS.register_queue(name, worker_concurrency=agency.workers, partition_concurrency=1,
                            polling_interval_sec=1.0, on_conflict="always_update")
    _Running.board = Board(agency)


def stop() -> None:
    if _Running.board is not None:
        _Running.board.close()
        _Running.board = None
    DBOS.destroy(destroy_registry=False)
    _Running.agency = None


def schedules(agency: Agency) -> tuple[list[dict], list[str]]:
    """Every practice's ``[schedule]`` as DBOS schedules, and the lead's overview; with one line per
    practice whose config cannot be read (it is left out until it can)."""
    wanted: list[dict] = []
    problems: list[str] = []
    for practice in agency.practices:
        try:
            config = agency.practice_config(practice.id)
            for job, spec in config.schedule.items():
                for n, slot in enumerate(validate(job, spec, config.practice.timezone)):
                    wanted.append({"schedule_name": f"{practice.id}/{job}" + (f"/{n}" if n else ""),
                                   "workflow_fn": scheduled_job, "schedule": cron(slot),
                                   "cron_timezone": config.practice.timezone,
                                   "context": {"practice": practice.id, "job": job,
                                               "zone": config.practice.timezone}})
        except ConfigError as exc:
            problems.append(f"{practice.id}: not scheduled: {exc.problems[0]}")
    for n, slot in enumerate(validate("overview", agency.settings.overview, agency.timezone())):
        wanted.append({"schedule_name": f"{OVERVIEW}/{n}", "workflow_fn": overview_job, "schedule": cron(slot),
                       "cron_timezone": agency.timezone(), "context": {}})
    return wanted, problems


def keep_schedules(agency: Agency, now: datetime) -> tuple[int, list[str], list[str]]:
    """Put the agency's schedules in place (a practice gone from the agency file loses its own), and
    catch up once each run that was due while no machine served. (schedules, caught up, problems)."""
    wanted, problems = schedules(agency)
    names = {entry["schedule_name"] for entry in wanted}
    last_fired = {}
    for entry in wanted:
        existing = DBOS.get_schedule(entry["schedule_name"])
        last_fired[entry["schedule_name"]] = existing.get("last_fired_at") if existing else None
    for existing in DBOS.list_schedules():
        if existing["schedule_name"] not in names:
            DBOS.delete_schedule(existing["schedule_name"])
    DBOS.apply_schedules(wanted)  # type: ignore[arg-type]
    caught_up = []
    for entry in wanted:
        fired = last_fired[entry["schedule_name"]]
        if not fired:
            continue
        zone = ZoneInfo(entry["cron_timezone"])
        latest = croniter(entry["schedule"], now.astimezone(zone)).get_prev(datetime)
        if datetime.fromisoformat(fired) < latest and \
                DBOS.get_workflow_status(f"sched-{entry['schedule_name']}-{latest.isoformat()}") is None:
            DBOS.backfill_schedule(entry["schedule_name"], latest - timedelta(seconds=1), latest + timedelta(seconds=1))
            caught_up.append(f"{entry['schedule_name']} at {latest:%Y-%m-%d %H:%M}")
    return len(wanted), caught_up, problems


def enqueue_now(agency: Agency, job: str, practice_ids: list[str], due: str) -> list[tuple[str, Any]]:
    """`run` by hand: the job for each practice, on the run queue, named by practice, job and time."""
    handles = []
    for practice_id in practice_ids:
        with SetWorkflowID(f"{practice_id}/{job}/{due}/by-hand-{os.getpid()}"), \
                SetEnqueueOptions(queue_partition_key=practice_id):
            handles.append((practice_id, _queue(RUN_QUEUE).enqueue(practice_job, practice_id, job, due)))
    return handles


class Takeover:
    """Keeps this machine's heartbeat on the board and hands a silent machine's unfinished runs back
    to the queue. Only with PostgreSQL: on one machine a restart finishes its own (executor "local")."""

    def __init__(self, agency: Agency, stop: threading.Event):
        self.agency = agency
        self.stop = stop
        self.me = DBOS.executor_id
        self.thread = threading.Thread(target=self._beat, name="takeover", daemon=True)

    def start(self) -> None:
        if self.agency.settings.database_url:
            self.thread.start()

    def _beat(self) -> None:
        board = Board(self.agency)
        every = max(1.0, min(5.0, self.agency.settings.takeover_seconds / 4))
        try:
            while not self.stop.is_set():
                try:
                    board.alive(self.me)
                    for dead in board.silent_since(self.agency.settings.takeover_seconds):
                        if dead == self.me:
                            continue
                        handed = DBOS._recover_pending_workflows([dead])
                        board.forget(dead)
                        log.warning("machine %s was silent for %ss: %d of its runs handed to the others", dead,
                                    self.agency.settings.takeover_seconds, len(handed))
                except Exception as exc:  # the database away for a moment: try again next beat
                    log.warning("heartbeat: %s", exc.__class__.__name__)
                self.stop.wait(every)
        finally:
            board.close()
