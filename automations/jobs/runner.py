"""`run`: one job or all of them over one read of the trackers, in one run of the ledger, each
step a bulkhead, every run ending the same way (RunState.finish)."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date, datetime

from ..config import JOBS, Config, sending_window
from ..errors import PracticeOpsError
from ..folders import remove_stale_temporaries
from ..ledgers import open_ledger, snapshot_ledger
from . import digests, reconcile, reminders, replies, weekly_summary
from .check import bulk_work, check, tracker_cache
from .result import Progress, RunResult
from .run_state import RunState


def resolve_clock(config: Config, today: date | None, now: datetime | None) -> tuple[date, datetime]:
    """--today and --now make every run reproducible; without them, the practice's own clock.
    --today alone runs as at the start of that day's sending hours (08:00 by default), so a
    reproducible run of `reminders` sends what a morning run would; --now alone takes its date in
    the practice's zone."""
    zone = config.zone
    if now is not None:
        now = now.astimezone(zone) if now.tzinfo else now.replace(tzinfo=zone)
    if today is None:
        now = now or datetime.now(zone)
        return now.date(), now
    opening = sending_window(config.reminders.sending_hours)[0]
    return today, now or datetime.combine(today, opening, tzinfo=zone)


def run(config: Config, job: str, today: date, now: datetime, progress: Progress = lambda _: None,
        dry_run: bool = False) -> RunResult:
    """Run a job. ``dry_run``: render and report everything, write and record nothing (the ledger is
    read into memory, nothing reaches a transport, no workbook is written)."""
    if job not in (*JOBS, "all"):
        raise PracticeOpsError(f"no job named {job!r}; jobs: {', '.join((*JOBS, 'all'))}")
    with bulk_work():
        return _run(config, job, today, now, progress, dry_run)


def _run(config: Config, job: str, today: date, now: datetime, progress: Progress, dry_run: bool) -> RunResult:
    result = check(config, today, progress, cache=tracker_cache(config, writable=not dry_run))
    if not result.usable:
        return result
    ledger = snapshot_ledger(config.state) if dry_run else open_ledger(config.state)
    try:
        ledger.refuse_if_tampered()
        with nullcontext() if dry_run else ledger.exclusive():
            if not dry_run:
                remove_stale_temporaries([ledger.dir, ledger.dir / "cache", config.email.outbox_dir,
                                          config.work_queue.path.parent])
            if not dry_run and ledger.close_stopped_runs(now):
                result.notices.append("an earlier run was stopped before it ended (its messages were recorded "
                                      "as they went: this run sends what it left, once)")
            work = RunState(config, result, ledger, today, now, progress, job, dry_run)
            try:
                for step in (JOBS if job == "all" else (job,)):
                    work.step(step, STEPS[step])
                work.step("finish", lambda w: w.finish(notify_va=job in ("reconcile", "all")))
            finally:
                work.close()
    finally:
        ledger.close()
    return result


STEPS = {"reconcile": reconcile.run, "replies": replies.run, "reminders": reminders.run, "digests": digests.run,
         "weekly-summary": weekly_summary.run}
