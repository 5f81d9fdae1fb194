"""The VA's work queue: a workbook that remembers.

One row per open finding, soonest due first. The VA edits two things, Status and Notes (and, for
a snooze, the date). The next run reads those edits back, keeps them for the finding with the same
id, and sorts every finding into one of three sheets:

- **Work queue**: Open (and Approved) findings; a Done finding whose problem is still there seven
  days later comes back here, marked reopened; so does a snoozed one when its date comes;
- **Set aside**: Done, Won't fix and Snoozed findings whose problem is still there;
- **Resolved**: findings whose problem is gone, with the date the run noticed.

What the VA decided is also kept in the ledger, so a deleted or damaged workbook loses nothing. An
edit is a cell that differs from what the last run wrote, so practice-ops may change a status or a
note itself (an approved waitlist match becomes Done once its notice is sent) without the
workbook's older text undoing it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import openpyxl
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..errors import PracticeOpsError
from ..ledger import Ledger
from ..rules.findings import Finding, sort_key
from ..trackers.values import fold, parse_date
from .workbooks import RowWriter, save_atomically

QUEUE, ASIDE, RESOLVED = "Work queue", "Set aside", "Resolved"
OPEN, DONE, SNOOZED, WONT_FIX, APPROVED = "Open", "Done", "Snoozed", "Won't fix", "Approved"
STATUSES = (OPEN, DONE, SNOOZED, WONT_FIX, APPROVED)
VISIBLE = {OPEN, APPROVED}
REOPEN_AFTER_DAYS = 7
DEFAULT_SNOOZE_DAYS = 7
RESOLVED_KEPT_DAYS = 90
COLUMNS = (("Due", 12), ("Severity", 10), ("Owner", 10), ("Rule", 30), ("What to do", 90), ("Records", 40),
           ("Finding ID", 15), ("First seen", 12), ("Status", 12), ("Snooze until", 13), ("Notes", 40),
           ("Reopened", 12))
RESOLVED_COLUMNS = (("Resolved on", 12), ("Rule", 30), ("What it said", 90), ("Records", 40), ("Finding ID", 15),
                    ("First seen", 12), ("Last status", 12), ("Notes", 40))
_SEVERITY_FILL = {"urgent": "F8D7DA", "warning": "FFF3CD", "info": "E7F1FF"}
_STATUS_WORDS = {"open": OPEN, "todo": OPEN, "new": OPEN, "reopened": OPEN, "done": DONE, "fixed": DONE,
                 "complete": DONE, "completed": DONE, "wontfix": WONT_FIX, "willnotfix": WONT_FIX,
                 "ignore": WONT_FIX, "na": WONT_FIX, "approved": APPROVED, "approve": APPROVED, "snoozed": SNOOZED,
                 "snooze": SNOOZED}


@dataclass(frozen=True)
class VaEdit:
    status: str
    notes: str
    snooze_until: date | None
    unreadable_status: str = ""


@dataclass
class QueueUpdate:
    open: list[Finding] = field(default_factory=list)
    set_aside: list[Finding] = field(default_factory=list)
    resolved_today: list[str] = field(default_factory=list)
    reopened_today: list[str] = field(default_factory=list)
    states: dict[str, dict] = field(default_factory=dict)


def parse_status(text: object, snooze_cell: object = None) -> VaEdit:
    """`Done`, `won't fix`, `Snoozed until 12/3/2026` (or Snoozed with a date in Snooze until)."""
    raw = "" if text is None else str(text).strip()
    until = _date_or_none(snooze_cell)
    match = re.match(r"(?i)\s*snooze[d]?\s*(?:until|till|to)?\s*(.*)$", raw)
    if match:
        return VaEdit(SNOOZED, "", _date_or_none(match[1]) or until)
    status = _STATUS_WORDS.get(fold(raw)) if raw else OPEN
    if status is None:
        return VaEdit(OPEN, "", None, unreadable_status=raw)
    return VaEdit(status, "", until if status == SNOOZED else None)


def _date_or_none(value: object) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_date(value)
    except ValueError:
        return None


def read_edits(path: Path) -> dict[str, VaEdit]:
    """What the VA wrote in the queue's Status, Snooze until and Notes cells, by finding id."""
    if not path.exists():
        return {}
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise PracticeOpsError(f"{path.name}: the work queue cannot be opened ({exc}); move it aside and run again; "
                               f"the VA's decisions are kept in the ledger") from None
    edits: dict[str, VaEdit] = {}
    try:
        for name in (QUEUE, ASIDE):
            if name not in book.sheetnames:
                continue
            rows = book[name].iter_rows(values_only=True)
            header = [str(h or "").strip() for h in next(rows, ())]
            where = {title: header.index(title) for title, _ in COLUMNS if title in header}

            def cell(row, title, where=where):
                index = where.get(title)
                return row[index] if index is not None and index < len(row) else None

            for row in rows:
                finding_id = cell(row, "Finding ID")
                if not finding_id:
                    continue
                edit = parse_status(cell(row, "Status"), cell(row, "Snooze until"))
                notes = "" if cell(row, "Notes") is None else str(cell(row, "Notes"))
                edits[str(finding_id).strip()] = VaEdit(edit.status, notes, edit.snooze_until, edit.unreadable_status)
    finally:
        book.close()
    return edits


def plan(findings: list[Finding], states: dict[str, dict], edits: dict[str, VaEdit], today: date) -> QueueUpdate:
    """Pure: the queue's new state from this run's findings, the remembered states and the VA's edits."""
    day = today.isoformat()
    states = {k: dict(v) for k, v in states.items()}
    update = QueueUpdate()
    for finding_id, edit in edits.items():
        state = states.get(finding_id)
        if state is None:
            continue
        shown = state.get("written_status") or state["status"]
        if edit.status != shown or (edit.status == SNOOZED and edit.snooze_until
                                              and edit.snooze_until.isoformat() != state["snoozed_until"]):
            state["status"], state["status_since"] = edit.status, day
            state["snoozed_until"] = ((edit.snooze_until or today + timedelta(days=DEFAULT_SNOOZE_DAYS)).isoformat()
                                      if edit.status == SNOOZED else None)
        notes = edit.notes
        if edit.unreadable_status:
            notes = f"(status {edit.unreadable_status!r} not understood; set to Open) {notes}".strip()
        if notes != (state.get("written_notes") or ""):
            state["notes"] = notes
    current = {f.id for f in findings}
    for finding in sorted(findings, key=sort_key):
        summary = json.dumps({"message": finding.message, "refs": finding.refs, "severity": finding.severity,
                              "owner": finding.owner, "due": finding.due.isoformat() if finding.due else None})
        state = states.get(finding.id)
        if state is None:
            state = {"finding_id": finding.id, "rule": finding.rule, "status": OPEN, "notes": "", "first_seen": day,
                     "status_since": day, "snoozed_until": None, "reopened_on": None, "resolved_on": None}
            states[finding.id] = state
        elif state["resolved_on"]:
            state.update(status=OPEN, status_since=day, reopened_on=day, resolved_on=None, snoozed_until=None)
            update.reopened_today.append(finding.id)
        elif state["status"] == DONE and today >= date.fromisoformat(state["status_since"]) + timedelta(days=REOPEN_AFTER_DAYS):
            state.update(status=OPEN, status_since=day, reopened_on=day)
            update.reopened_today.append(finding.id)
        elif state["status"] == SNOOZED and (not state["snoozed_until"]
                                             or today >= date.fromisoformat(state["snoozed_until"])):
            state.update(status=OPEN, status_since=day, snoozed_until=None)
        state["last_seen"], state["summary"] = day, summary
        (update.open if state["status"] in VISIBLE else update.set_aside).append(finding)
    for finding_id, state in states.items():
        if finding_id not in current and not state["resolved_on"]:
            state["resolved_on"] = day
            update.resolved_today.append(finding_id)
    update.states = states
    return update


def update_work_queue(path: Path, findings: list[Finding], today: date, ledger: Ledger) -> QueueUpdate:
    """Read the VA's edits, remember them, and write the three sheets (the file replaced whole)."""
    update = plan(findings, ledger.queue_rows(), read_edits(path), today)
    _write(path, update, today)
    for state in update.states.values():
        state["written_status"], state["written_notes"] = state["status"], state["notes"]
    ledger.save_queue_rows(list(update.states.values()))
    return update


def _refs_text(refs: dict) -> str:
    return ", ".join(f"{kind} {ref}" for kind, ref in refs.items())


def _write(path: Path, update: QueueUpdate, today: date) -> None:
    book = openpyxl.Workbook()
    queue = book.active
    queue.title = QUEUE
    aside = book.create_sheet(ASIDE)
    dates = dict.fromkeys((1, 8, 10, 12), "yyyy-mm-dd")
    for sheet, findings in ((queue, update.open), (aside, update.set_aside)):
        rows = _header(sheet, COLUMNS)
        for finding in findings:
            state = update.states[finding.id]
            snooze = date.fromisoformat(state["snoozed_until"]) if state["snoozed_until"] else None
            reopened = date.fromisoformat(state["reopened_on"]) if state["reopened_on"] else None
            row = rows.append([finding.due, finding.severity, finding.owner, finding.rule, finding.message,
                               _refs_text(finding.refs), finding.id, date.fromisoformat(state["first_seen"]),
                               state["status"], snooze, state["notes"], reopened], dates, wrap=(5,))
            sheet.cell(row, 2).fill = PatternFill("solid", fgColor=_SEVERITY_FILL[finding.severity])
        status = DataValidation(type="list", formula1='"' + ",".join(STATUSES) + '"', allow_blank=True,
                                showErrorMessage=False)
        sheet.add_data_validation(status)
        status.add(f"I2:I{max(rows.row, 2) + 500}")
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(rows.row, 1)}"
    resolved = book.create_sheet(RESOLVED)
    resolved_rows = _header(resolved, RESOLVED_COLUMNS)
    cutoff = (today - timedelta(days=RESOLVED_KEPT_DAYS)).isoformat()
    gone = sorted((s for s in update.states.values() if s["resolved_on"] and s["resolved_on"] >= cutoff),
                  key=lambda s: (s["resolved_on"], s["finding_id"]), reverse=True)
    for state in gone:
        summary = json.loads(state.get("summary") or "{}")
        resolved_rows.append([date.fromisoformat(state["resolved_on"]), state["rule"], summary.get("message", ""),
                              _refs_text(summary.get("refs", {})), state["finding_id"],
                              date.fromisoformat(state["first_seen"]), state["status"], state["notes"]],
                             {1: "yyyy-mm-dd", 6: "yyyy-mm-dd"})
    save_atomically(book, path, "work queue")


def _header(sheet, columns) -> RowWriter:
    rows = RowWriter(sheet)
    rows.append([name for name, _ in columns])
    for index, (_, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.cell(1, index).font = Font(bold=True)
    sheet.freeze_panes = "A2"
    return rows
