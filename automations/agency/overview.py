"""The agency's view: one row per practice (each job's last run and what became of it, open and
urgent findings by owner, messages of the last day, how old the oldest open item is, the next
runs), a sheet of failures with what to do, and the lead's morning note. Counts and ids only: the
overview names no client (its message kind carries no PHI), whatever the practices hold."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter

from ..config import Config, People, PracticeSection, StateSettings
from ..errors import ConfigError, PracticeOpsError
from ..reports.queue_sheets import OPEN
from ..reports.workbooks import FreshBook, replace_atomically, wrapped_lines
from ..rules.findings import OWNER_NAMES, OWNERS
from ..timetable import cron, validate
from .board import Board
from .settings import Agency

JOB_ORDER = ("reconcile", "replies", "reminders", "digests", "weekly-summary")
WHAT_TO_DO = {
    "config": "fix the practice's config (run `check --agency` for the line), then it runs at its next time",
    "unusable": "a tracker could not be read: open the practice's `check`, fix or share the file",
    "failed": "read the reason; a mail service refusing its password needs the practice's secret renewed",
    "timed out": "the run was stopped; look for a tracker or a mail service that hangs, the next run goes on",
    "never": "not run yet: wait for its first scheduled time, or `run --practice` it now",
}


@dataclass
class PracticeRow:
    practice: str
    name: str
    last: dict[str, dict] = field(default_factory=dict)
    open_by_owner: dict[str, int] = field(default_factory=dict)
    urgent_by_owner: dict[str, int] = field(default_factory=dict)
    messages: dict[str, int] = field(default_factory=dict)
    oldest_open_days: int | None = None
    next_runs: list[str] = field(default_factory=list)
    problem: str = ""


def practice_rows(agency: Agency, now: datetime) -> list[PracticeRow]:
    board = Board(agency)
    try:
        last = board.last_runs()
    finally:
        board.close()
    rows = []
    for practice in agency.practices:
        row = PracticeRow(practice.id, practice.id)
        row.last = {job: entry for (pid, job), entry in last.items() if pid == practice.id}
        every = row.last.pop("all", None)  # `run all` ran each job: it is each one's last run if newer
        if every is not None:
            for job in JOB_ORDER:
                if job not in row.last or row.last[job]["finished_at"] < every["finished_at"]:
                    row.last[job] = every
        try:
            config = agency.practice_config(practice.id)
        except ConfigError as exc:
            row.problem = exc.problems[0]
            rows.append(row)
            continue
        row.name = config.practice.name
        row.next_runs = _next_runs(config, now)
        try:
            _from_ledger(row, config, now)
        except PracticeOpsError as exc:
            row.problem = str(exc).splitlines()[0]
        rows.append(row)
    return rows


def _next_runs(config: Config, now: datetime) -> list[str]:
    upcoming = []
    zone = config.zone
    for job, spec in config.schedule.items():
        try:
            times = [croniter(cron(slot), now.astimezone(zone)).get_next(datetime) for slot in
                     validate(job, spec, config.practice.timezone)]
        except ConfigError:
            continue
        upcoming.append((min(times), job))
    return [f"{job} {at:%a %H:%M}" for at, job in sorted(upcoming)[:3]]


def _from_ledger(row: PracticeRow, config: Config, now: datetime) -> None:
    from ..ledgers import snapshot_ledger

    ledger = snapshot_ledger(config.state)
    try:
        today = now.astimezone(config.zone).date()
        for state in ledger.queue_rows().values():
            if state["status"] != OPEN or state["resolved_on"]:
                continue
            summary = json.loads(state.get("summary") or "{}")
            owner = summary.get("owner", "va")
            row.open_by_owner[owner] = row.open_by_owner.get(owner, 0) + 1
            if summary.get("severity") == "urgent":
                row.urgent_by_owner[owner] = row.urgent_by_owner.get(owner, 0) + 1
            age = (today - date.fromisoformat(state["first_seen"])).days
            row.oldest_open_days = max(age, row.oldest_open_days or 0)
        since = (now - timedelta(days=1)).isoformat()
        for status, kinds in ledger.message_counts(since, now.isoformat()).items():
            row.messages[status] = sum(kinds.values())
    finally:
        ledger.db.close()


def failures(rows: list[PracticeRow], jobs_of: dict[str, list[str]]) -> list[list[Any]]:
    """(practice, job, when, what happened, why, what to do) for every job whose last run did not end well."""
    found = []
    for row in rows:
        if row.problem:
            found.append([row.name, "(all)", "", "cannot be read", row.problem, WHAT_TO_DO["config"]])
        for job in jobs_of.get(row.practice, []):
            entry = row.last.get(job)
            outcome = entry["outcome"] if entry else "never"
            if outcome == "ok":
                continue
            why = "; ".join(entry["detail"].get("why", [])) if entry else ""
            found.append([row.name, job, entry["finished_at"][:16].replace("T", " ") if entry else "", outcome, why,
                          WHAT_TO_DO.get(outcome, WHAT_TO_DO["failed"])])
    return found


COLUMNS = ["Practice", *(f"{job.replace('-', ' ').capitalize()}: last run" for job in JOB_ORDER),
           *(f"Open: {OWNER_NAMES[o]}" for o in OWNERS), "Urgent", "Sent (24 h)", "Blocked (24 h)", "Failed (24 h)",
           "Oldest open (days)", "Next runs"]
WIDTHS = [24, *(18 for _ in JOB_ORDER), *(11 for _ in OWNERS), 9, 12, 12, 12, 12, 34]
FAILURE_COLUMNS = ["Practice", "Job", "When", "What happened", "Why", "What to do"]
FAILURE_WIDTHS = [24, 14, 17, 15, 50, 60]


def write_workbook(path: Path, agency_name: str, rows: list[PracticeRow], failed: list[list[Any]], day: date) -> Path:
    def write(temp: str) -> None:
        with FreshBook(temp) as book:
            sheet = book.sheet("Practices")
            sheet.append([f"{agency_name}: practices on {day:%b} {day.day}, {day.year}"], bold=(1,))
            counts = range(len(JOB_ORDER) + 2, len(COLUMNS))
            sheet.append(COLUMNS, bold=range(1, len(COLUMNS) + 1), wrap=range(1, len(COLUMNS) + 1), right=counts,
                         height=30)
            for row in sorted(rows, key=lambda r: (-sum(r.urgent_by_owner.values()), r.name.lower())):
                last = []
                for job in JOB_ORDER:
                    entry = row.last.get(job)
                    last.append(f"{entry['finished_at'][5:16].replace('T', ' ')} {entry['outcome']}" if entry else "")
                failed_sent = row.messages.get("failed", 0) + row.messages.get("refused", 0)
                sheet.append([row.name, *last, *(row.open_by_owner.get(o, 0) for o in OWNERS),
                              sum(row.urgent_by_owner.values()), row.messages.get("sent", 0),
                              row.messages.get("blocked", 0), failed_sent,
                              row.oldest_open_days if row.oldest_open_days is not None else "",
                              "; ".join(row.next_runs)],
                             fills={len(JOB_ORDER) + len(OWNERS) + 2: "FDE9E7"} if row.urgent_by_owner else None)
            sheet.widths(WIDTHS)
            sheet.freeze(2, 1)
            sheet.filter(len(COLUMNS))
            sheet.print_setup()
            sheet_f = book.sheet("Failures")
            sheet_f.append(FAILURE_COLUMNS, bold=range(1, len(FAILURE_COLUMNS) + 1))
            for values in failed:
                lines = max(wrapped_lines(str(values[4]), FAILURE_WIDTHS[4]), wrapped_lines(str(values[5]),
                                                                                           FAILURE_WIDTHS[5]))
                sheet_f.append(values, wrap=(5, 6), top=True, height=15.0 * lines)
            if not failed:
                sheet_f.append(["Nothing failed: every practice's last run of every job ended well."])
            sheet_f.widths(FAILURE_WIDTHS)
            sheet_f.freeze(1, 1)
            sheet_f.print_setup()
    return replace_atomically(path, "agency overview", write)


def overview_context(agency_name: str, rows: list[PracticeRow], failed: list[list[Any]], day: date,
                     workbook: Path) -> dict[str, Any]:
    """The lead's morning note: practices needing a look first, counts only (the one builder `preview` shares)."""
    needing = sorted({f[0] for f in failed})
    urgent = sum(sum(r.urgent_by_owner.values()) for r in rows)
    return {"agency": agency_name, "today": day.isoformat(), "practices": len(rows),
            "failing": len(needing), "needing": needing[:20], "failures": [f"{f[0]}: {f[1]} {f[3]}" for f in failed[:20]],
            "urgent": urgent, "open": sum(sum(r.open_by_owner.values()) for r in rows),
            "sent": sum(r.messages.get("sent", 0) for r in rows),
            "blocked": sum(r.messages.get("blocked", 0) for r in rows), "workbook": workbook.name}


def practice_preview(config: Config, now: datetime) -> dict[str, Any]:
    """`preview agency_overview` for one practice: the note as its agency's lead would get it were the
    practice the agency's only one (its ledger read from a copy; nothing written)."""
    row = PracticeRow(config.practice.name, config.practice.name, next_runs=_next_runs(config, now))
    _from_ledger(row, config, now)
    return overview_context(config.practice.name, [row], [], now.date(),
                            Path(f"agency-overview-{now.date().isoformat()}.xlsx"))


def agency_config(agency: Agency) -> Config:
    """The agency as a sender: its name, its [email], the lead, and a ledger of its own (the note goes once)."""
    return Config(practice=PracticeSection(name=agency.settings.name, timezone=agency.timezone()),
                  people=People(owner=agency.settings.lead), email=agency.email,
                  state=StateSettings(dir=agency.state_dir / "ledger", audit_head=agency.state_dir / "audit-head.json"),
                  path=agency.path)


def morning_overview(agency: Agency, now: datetime) -> dict:
    """Write the overview workbook and send the lead's note; counts of what was done."""
    zone = ZoneInfo(agency.timezone())
    now = now.astimezone(zone)
    rows = practice_rows(agency, now)
    jobs_of = {}
    for practice in agency.practices:
        try:
            jobs_of[practice.id] = list(agency.practice_config(practice.id).schedule)
        except ConfigError:
            jobs_of[practice.id] = []
    failed = failures(rows, jobs_of)
    workbook = write_workbook(agency.state_dir / f"agency-overview-{now.date().isoformat()}.xlsx",
                              agency.settings.name, rows, failed, now.date())
    context = overview_context(agency.settings.name, rows, failed, now.date(), workbook)
    sent = send_overview(agency_config(agency), context, now) if agency.settings.lead else "no lead in the agency file"
    return {"outcome": "ok", "practices": len(rows), "failures": len(failed), "workbook": str(workbook), "note": sent}


def send_overview(config: Config, context: dict[str, Any], now: datetime) -> str:
    """The note to the lead, through the agency's [email], once a day (its own ledger remembers)."""
    from ..ledgers import open_ledger
    from ..messages.postman import Postman
    from ..transports import open_transport

    ledger = open_ledger(config.state)
    try:
        with ledger.exclusive():
            run_id = ledger.start_run("agency-overview", now.date().isoformat(), now)
            postman = Postman(config, ledger, lambda: open_transport(config.email), run_id, now)
            try:
                sent = postman.send("agency_overview", config.people.owner or "", context, key=now.date().isoformat())
            finally:
                postman.close()
            ledger.finish_run(run_id, now, "ok", {"note": str(sent.outcome.status)})
            return str(sent.outcome.status)
    finally:
        ledger.close()
