"""The named jobs: each reads the trackers, applies the rules and acts. The CLI and the scheduler
call these and nothing below them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Callable

from . import rules
from .config import Config
from .errors import CellError, PracticeOpsError
from .ledger import Ledger
from .messages.compose import compose, message_id
from .messages.delivery import Outcome, deliver
from .messages.policy import choose_security
from .messages.render import Templates
from .reports.work_queue import QueueUpdate, update_work_queue
from .rules.findings import Finding
from .trackers.load import load_practice
from .transports import open_transport

Progress = Callable[[str], None]
JOBS = ("reconcile",)
PLANNED_JOBS = ("reminders", "digests", "weekly-summary")


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    messages: list[Outcome] = field(default_factory=list)
    data_issues: list[CellError] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    work_queue: Path | None = None
    queue: QueueUpdate | None = None

    @property
    def usable(self) -> bool:
        return not self.unavailable

    def to_json(self) -> dict:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "messages": [m.to_dict() for m in self.messages],
            "data_issues": [issue_to_dict(i) for i in self.data_issues],
            "unavailable": list(self.unavailable),
            "rows": dict(self.rows),
            "work_queue": str(self.work_queue) if self.work_queue else None,
            "queue": {"open": len(self.queue.open), "set_aside": len(self.queue.set_aside),
                      "resolved_today": len(self.queue.resolved_today),
                      "reopened_today": len(self.queue.reopened_today)} if self.queue else None,
        }


def issue_to_dict(issue: CellError) -> dict:
    return {"rule": issue.rule, "file": issue.file, "sheet": issue.sheet, "row": issue.row,
            "column": issue.column, "value": issue.value, "why": issue.why, "message": str(issue)}


def resolve_clock(config: Config, today: date | None, now: datetime | None) -> tuple[date, datetime]:
    """--today and --now make every run reproducible; without them, the practice's own clock."""
    zone = config.zone
    if now is not None:
        now = now.astimezone(zone) if now.tzinfo else now.replace(tzinfo=zone)
    if today is None:
        now = now or datetime.now(zone)
        return now.date(), now
    return today, now or datetime.combine(today, time(7, 0), tzinfo=zone)


def check(config: Config, today: date, progress: Progress = lambda _: None) -> RunResult:
    """Read every tracker and apply every rule; write and send nothing."""
    loaded = load_practice(config, progress)
    result = RunResult(data_issues=loaded.issues, unavailable=[str(u) for u in loaded.unavailable],
                       rows=loaded.rows)
    if result.usable:
        result.findings = rules.evaluate(loaded.practice, config.thresholds(), today, loaded.issues)
    return result


def reconcile(config: Config, today: date, now: datetime, progress: Progress = lambda _: None) -> RunResult:
    """Find what is wrong or due, write the VA's work queue, and tell the VA it is ready."""
    result = check(config, today, progress)
    if not result.usable:
        return result
    ledger = Ledger(config.state.dir)
    try:
        with ledger.exclusive():
            run_id = ledger.start_run("reconcile", today.isoformat(), now)
            progress(f"Writing the work queue ({config.work_queue.path.name})")
            result.queue = update_work_queue(config.work_queue.path, result.findings, today, ledger)
            result.work_queue = config.work_queue.path
            result.messages = _send_work_queue_notice(config, ledger, result, run_id, today, now)
            ledger.finish_run(run_id, now, "ok", {
                "findings": len(result.findings), "data_issues": len(result.data_issues),
                "messages": dict(Counter(m.status for m in result.messages))})
    finally:
        ledger.close()
    return result


def _send_work_queue_notice(config: Config, ledger: Ledger, result: RunResult, run_id: int, today: date,
                            now: datetime) -> list[Outcome]:
    """One PHI-free note a day to each VA: how many items wait, and where."""
    if not config.people.va:
        return []
    waiting = result.queue.open if result.queue else result.findings
    by_owner = Counter(f.owner for f in waiting)
    rendered = Templates(config.path.parent / "templates").render(
        "va_work_queue", practice_name=config.practice.name, today=today.isoformat(),
        open=len(waiting), by_owner=sorted(by_owner.items()),
        urgent=sum(1 for f in waiting if f.severity == "urgent"),
        data_issues=len(result.data_issues), queue_name=config.work_queue.path.name)
    transport = open_transport(config.email)
    outcomes = []
    try:
        for va in config.people.va:
            security = choose_security(rendered.phi, has_certificate=False, gateway=False)
            msg_id = message_id("va_work_queue", va, today.isoformat(), config.email.from_)
            message = compose(rendered, sender=config.email.from_, to=va, msg_id=msg_id, now=now)
            outcomes.append(deliver(ledger, transport, message, kind="va_work_queue", security=security,
                                    run_id=run_id, now=now))
    finally:
        transport.close()
    return outcomes


def run(config: Config, job: str, today: date, now: datetime, progress: Progress = lambda _: None) -> RunResult:
    if job in ("reconcile", "all"):
        return reconcile(config, today, now, progress)
    if job in PLANNED_JOBS:
        raise PracticeOpsError(f"the {job} job is not built yet in this version; `run reconcile` or `run all` "
                               f"runs what is")
    raise PracticeOpsError(f"no job named {job!r}; jobs: {', '.join((*JOBS, *PLANNED_JOBS, 'all'))}")


def verify_audit(config: Config) -> tuple[int, list[str]]:
    ledger = Ledger(config.state.dir)
    try:
        return ledger.verify_audit()
    finally:
        ledger.close()
