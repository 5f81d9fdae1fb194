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

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ..errors import PracticeOpsError, QueueUnusable, TrackerUnavailable
from ..ledger import Ledger
from ..rules.findings import Finding, sort_key
from ..trackers.sources import open_workbook
from ..trackers.values import fold, parse_date
from .queue_sheets import (
    APPROVED,
    ASIDE,
    BY_PROBLEM,
    BY_PROBLEM_COLUMNS,
    BY_PROBLEM_FORMATS,
    BY_PROBLEM_PRINTED,
    COLUMNS,
    DEFAULT_SNOOZE_DAYS,
    DONE,
    FINDING_FORMATS,
    FINDING_WRAPPED,
    HEADER_FILL,
    LEGEND,
    LEGEND_HEADINGS,
    LEGEND_ROWS,
    LEGEND_WIDTHS,
    MORE,
    OPEN,
    PRINTED,
    QUEUE,
    RECURS_WITHIN_DAYS,
    REOPEN_AFTER_DAYS,
    RESOLVED,
    RESOLVED_COLUMNS,
    RESOLVED_FORMATS,
    RESOLVED_WRAPPED,
    SNOOZED,
    STATUSES,
    TITLES,
    URGENCY,
    VISIBLE,
    WONT_FIX,
    QueueUpdate,
    VaEdit,
    by_problem,
    by_problem_rows,
    finding_cells,
    past_the_last_row,
    queue_order,
    resolved_height,
    resolved_rows,
    right_set,
    row_height,
    urgency_fill,
)
from .workbooks import EXCEL_ROWS, FreshBook, replace_atomically

_EDITS_READ: dict[str, QueueRead] = {}


_STATUS_WORDS = {"open": OPEN, "todo": OPEN, "new": OPEN, "reopened": OPEN, "done": DONE, "fixed": DONE,
                 "complete": DONE, "completed": DONE, "wontfix": WONT_FIX, "willnotfix": WONT_FIX,
                 "ignore": WONT_FIX, "na": WONT_FIX, "approved": APPROVED, "approve": APPROVED, "snoozed": SNOOZED,
                 "snooze": SNOOZED}


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


FINDING_SHEETS = (QUEUE, MORE, ASIDE)
"""The sheets whose rows are findings the VA works (a header with Finding ID and Status)."""




@dataclass(frozen=True)
class QueueRead:
    """What a run learns from the queue the VA worked in: her edits by finding id, and which sheet
    holds each of the queue's finding sheets (found by its name or, renamed, by its content)."""

    edits: dict[str, VaEdit]
    sheets: dict[str, str]
    notices: tuple[str, ...] = ()


def finding_sheets(headers: dict[str, list[str]]) -> tuple[dict[str, str], list[str]]:
    """(role -> the sheet holding it, what to tell the VA) for the queue's finding sheets. A sheet is
    found by its name; one the VA renamed ("Work Queue", "Today") by its content, a header with
    Finding ID and Status: a sheet that disappears is a question, never a reason to mark its rows Done."""
    holders = [name for name, header in headers.items() if "Finding ID" in header and "Status" in header]
    roles = {role: role for role in FINDING_SHEETS if role in holders}
    unclaimed = [name for name in holders if name not in roles.values()]
    for role in FINDING_SHEETS:
        if role in roles:
            continue
        alike = [name for name in unclaimed if fold(name) == fold(role)]
        if not alike and role == QUEUE and len(unclaimed) == 1 and fold(unclaimed[0]) not in map(fold, FINDING_SHEETS):
            alike = unclaimed
        if alike:
            roles[role] = alike[0]
            unclaimed.remove(alike[0])
    notices = [f"the work queue's {role!r} sheet is now called {name!r}: practice-ops reads the VA's decisions "
               f"and notes there and keeps writing to it under its new name" for role, name in roles.items()
               if name != role]
    if QUEUE not in roles and headers:
        notices.append(f"the work queue has no {QUEUE!r} sheet (nor one holding its Finding ID and Status "
                       f"columns): no finding was marked Done for it; a new {QUEUE!r} sheet is written")
    return roles, notices


def read_edits(path: Path) -> QueueRead:
    """What the VA wrote in the queue's Status, Snooze until and Notes cells, by finding id, from each
    finding sheet wherever she renamed it. Read as trackers are (python-calamine: a 15,000-row queue in
    a fraction of openpyxl's time). Raises QueueUnusable for a file that is no readable workbook."""
    if not path.exists():
        return QueueRead({}, {}, ())
    try:
        book = open_workbook("excel", str(path))
    except TrackerUnavailable as exc:
        raise QueueUnusable(f"{path.name}: the work queue cannot be opened ({exc.why})") from None
    edits: dict[str, VaEdit] = {}
    try:
        headers = {}
        for name in book.sheet_names():
            first = next(iter(book.rows(name)), (0, ()))[1]
            headers[name] = [str(h or "").strip() for h in first]
        roles, notices = finding_sheets(headers)
        for name in roles.values():
            rows = (cells for _, cells in book.rows(name))
            header = [str(h or "").strip() for h in next(rows, ())]
            where = {title: header.index(title) for title, _ in COLUMNS if title in header}

            def cell(row, title, where=where):
                index = where.get(title)
                return row[index] if index is not None and index < len(row) else None

            for row in rows:
                finding_id = cell(row, "Finding ID")
                if not finding_id:
                    continue
                edit = parse_status(as_typed(cell(row, "Status")), cell(row, "Snooze until"))
                notes = as_typed(cell(row, "Notes"))
                edits[str(finding_id).strip()] = VaEdit(edit.status, "" if notes is None else str(notes),
                                                        edit.snooze_until, edit.unreadable_status)
    except TrackerUnavailable as exc:
        raise QueueUnusable(f"{path.name}: the work queue cannot be read ({exc.why})") from None
    finally:
        book.close()
    return QueueRead(edits, roles, tuple(notices))


def as_typed(value: object) -> object:
    """A whole number as the VA typed it: calamine gives every number as a float (5 -> 5.0)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def plan(findings: list[Finding], states: dict[str, dict], edits: dict[str, VaEdit], today: date) -> QueueUpdate:
    """Pure: the queue's new state from this run's findings, the remembered states and the VA's edits."""
    day = today.isoformat()
    states = {k: dict(v) for k, v in states.items()}
    update = QueueUpdate(today=today)
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
        elif state["resolved_on"] and today <= date.fromisoformat(state["resolved_on"]) + timedelta(
                days=RECURS_WITHIN_DAYS) and state["status"] in (WONT_FIX, SNOOZED, DONE, APPROVED):
            state.update(resolved_on=None)  # a weekly problem back within the week: the VA's decision stands
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
    # by the day, not by this plan: the hourly reminders plan the queue too, and the first run after
    # midnight would otherwise have taken every count of the day from the morning's reconcile
    update.resolved_today = [finding_id for finding_id, state in states.items() if state["resolved_on"] == day]
    update.reopened_today = [finding_id for finding_id, state in states.items()
                             if state.get("reopened_on") == day and not state["resolved_on"]]
    update.states = states
    return update


def resolved_since_note(states: dict[str, dict], announced: dict, today: date) -> list[str]:
    """The findings resolved since the VA's last note (``announced``, as ``announced_on`` gave it):
    by day from that note's day, less those of that day it already counted; before any note, today's.
    Whichever run resolved them (an hourly reminders run, an afternoon rerun), the next note says so."""
    since = announced.get("day") or today.isoformat()
    told = set(announced.get("ids", ()))
    return [finding_id for finding_id, state in states.items()
            if state["resolved_on"] and state["resolved_on"] >= since and finding_id not in told]


def announced_on(states: dict[str, dict], today: date) -> dict:
    """What a note sent today has told the VA: every finding resolved today (counted by this note or
    an earlier one of the same day)."""
    day = today.isoformat()
    return {"day": day, "ids": sorted(finding_id for finding_id, state in states.items()
                                      if state["resolved_on"] == day)}


LAYOUT_VERSION = 6
"""Raise when the workbook's layout changes, so an untouched queue is written again in the new one."""


WRITTEN = "work_queue.written"
"""Ledger key: the content hash of the queue as practice-ops last wrote it."""


ANNOUNCED = "work_queue.announced"
"""Ledger key: the day of the VA's last note and the findings resolved that day it counted."""


def _content_hash(path: Path) -> str | None:
    from ..folders import content_digest

    try:
        return content_digest(path)
    except OSError:
        return None


def _edits(path: Path, content: str) -> QueueRead:
    """The VA's edits, parsed once per content: a run reads the queue at its start and again before
    it writes, and the second read of the same bytes is free."""
    if content not in _EDITS_READ:
        _EDITS_READ.clear()
        _EDITS_READ[content] = read_edits(path)
    return _EDITS_READ[content]


def set_aside(path: Path, today: date, why: str) -> str:
    """Keep a file that is not a usable work queue beside the queue under a dated name (never deleted,
    never written over) and say so; a new queue is written in its place."""
    for n in range(1, 1000):
        kept = path.with_name(f"{path.stem} (set aside {today.isoformat()}{'' if n == 1 else f' {n}'}){path.suffix}")
        if not kept.exists():
            break
    try:
        path.rename(kept)
    except OSError as exc:
        raise PracticeOpsError(f"{path.name} is not a work queue practice-ops can use ({why}) and could not be "
                               f"moved aside ({exc.strerror}); move it yourself") from None
    return (f"{path.name} was not a work queue practice-ops could use ({why}): it is kept as {kept.name}, and a "
            f"new queue was written; the VA's decisions and notes are kept in the ledger")


def update_work_queue(path: Path, findings: list[Finding], today: date, ledger: Ledger,
                      write: bool = True) -> QueueUpdate:
    """Read the VA's edits, remember them, and update the workbook in place: the VA's own columns,
    sheets, formatting and row order stay; a row she deleted is taken as Done. ``write=False``:
    take in her edits (an Approved waitlist match) without writing the workbook yet.

    A queue nobody touched since practice-ops wrote it (the same bytes) holds no edits: it is not
    read; and when practice-ops had also written it anew (nothing of the VA's in it: no column,
    colour or row order of hers), it is written anew again rather than edited in place (at
    thousands of rows, loading the old workbook to keep what the VA changed is most of the cost)."""
    notices: list[str] = []
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise PracticeOpsError(f"{path}: is not a file practice-ops may write the work queue to (a folder, a link "
                               f"or a device); point work_queue.path at a new file")
    content = _content_hash(path) if path.exists() else None
    written = ledger.kept(WRITTEN).get("", {})
    untouched = content is not None and written.get("sha256") == content
    read = QueueRead({}, {role: role for role in FINDING_SHEETS}, ())
    if content is not None and not untouched:
        from ..folders import is_our_workbook

        try:
            if not is_our_workbook(path):
                raise QueueUnusable("it is not a workbook practice-ops wrote, or it is damaged")
            read = _edits(path, content)
        except QueueUnusable as exc:
            if write:
                notices.append(set_aside(path, today, str(exc).removeprefix(f"{path.name}: ")))
            else:
                notices.append(f"{path.name} is not a work queue practice-ops can use: the next run keeps it aside")
            content, read = None, QueueRead({}, {}, ())
    edits = dict(read.edits)
    notices.extend(read.notices)
    states = ledger.queue_rows()
    if content is not None and not untouched and QUEUE in read.sheets:
        for finding_id, state in states.items():
            if finding_id not in edits and state.get("written_status") in VISIBLE and not state["resolved_on"]:
                edits[finding_id] = VaEdit(DONE, state.get("written_notes") or "", None)
    update = plan(findings, states, edits, today)
    update.notices.extend(notices)
    from ..folders import open_in_a_spreadsheet_program

    if write and path.exists() and open_in_a_spreadsheet_program(path):
        write = False  # never rewritten under her open window: her unsaved notes, or the update, would be lost
        update.notices.append(f"{path.name} is open in a spreadsheet program, so it was not rewritten (the VA's "
                              f"unsaved notes, or this update, would be lost): the update waits for the next run "
                              f"after it is saved and closed")
    if write:
        shown = _shown(update, today)
        if not (untouched and written.get("shown") == shown):
            written_notices, anew = _write(path, update, today, anew=untouched and bool(written.get("anew")),
                                           sheets=read.sheets)
            update.notices.extend(written_notices)
            ledger.keep(WRITTEN, {"sha256": _content_hash(path), "anew": anew, "shown": shown})
        for state in update.states.values():
            state["written_status"], state["written_notes"] = state["status"], state["notes"]
    ledger.save_queue_rows(list(update.states.values()))
    return update


def _shown(update: QueueUpdate, today: date) -> str:
    """A digest of everything the workbook would show: the same digest, over an untouched queue,
    means writing it again would change nothing, so it is left as it is. A finding's state holds all
    of it: its sheet (status, resolved_on) and, in ``summary``, what this run said of it (message,
    records, urgency, owner, due); the day matters only to the Resolved sheet's 90 days."""
    fields = ("rule", "status", "notes", "snoozed_until", "first_seen", "reopened_on", "resolved_on", "summary")
    shown = [LAYOUT_VERSION, today.isoformat() if any(s["resolved_on"] for s in update.states.values()) else "",
             len(update.open), sorted([s["finding_id"], *(s.get(k) for k in fields)] for s in update.states.values())]
    return hashlib.sha256(json.dumps(shown, separators=(",", ":")).encode()).hexdigest()


def _write(path: Path, update: QueueUpdate, today: date, anew: bool = False,
           sheets: dict[str, str] | None = None) -> tuple[list[str], bool]:
    """Write the queue; (notices, whether it was written from a new workbook). ``sheets``: where the
    finding sheets are in the VA's workbook (a renamed one keeps her name)."""
    from ..folders import is_our_workbook

    notices: list[str] = []
    if not anew and path.exists() and is_our_workbook(path):
        from .queue_in_place import edit_in_place  # openpyxl: only for a queue the VA may have worked in

        if edit_in_place(path, update, today, notices, sheets or {}):
            return notices, False
        notices.append(set_aside(path, today, "openpyxl could not open it"))
    elif path.exists() and not is_our_workbook(path):
        notices.append(set_aside(path, today, "it is not a workbook practice-ops wrote"))
    replace_atomically(path, "work queue", lambda temp: _write_fresh(temp, update, today))
    return notices, True


def _write_fresh(temp: str, update: QueueUpdate, today: date) -> None:
    """The queue from nothing (no VA columns, colours or order to keep), in one pass with a
    FreshBook: the same sheets, columns, looks and order as the in-place writer gives a new queue."""
    shown, more = by_problem(update.open)
    with FreshBook(temp) as book:
        _fresh_findings(book, QUEUE, shown, update)
        summary = by_problem_rows(update.open, shown)
        if summary is not None:
            _fresh_table(book, BY_PROBLEM, BY_PROBLEM_COLUMNS, summary, BY_PROBLEM_FORMATS, printed=BY_PROBLEM_PRINTED)
        if more:
            _fresh_findings(book, MORE, more, update)
        _fresh_findings(book, ASIDE, update.set_aside, update)
        _fresh_table(book, RESOLVED, RESOLVED_COLUMNS, resolved_rows(update, today), RESOLVED_FORMATS,
                     wrap=RESOLVED_WRAPPED, height=resolved_height)
        legend = book.sheet(LEGEND)
        for left, right in LEGEND_ROWS:
            legend.append([left, right], wrap=(2,), bold=(1,) if left in LEGEND_HEADINGS else ())
        legend.widths(LEGEND_WIDTHS)
        legend.print_setup()


def _fresh_findings(book: FreshBook, name: str, findings: list[Finding], update: QueueUpdate) -> None:
    """One sheet of findings, urgent first, as _write_findings lays out a new one."""
    sheet = book.sheet(name)
    every = range(1, len(TITLES) + 1)
    sheet.append(TITLES, bold=every, fills=dict.fromkeys(every, HEADER_FILL), right=right_set(TITLES))
    sheet.widths(width for _, width in COLUMNS)
    widths = dict(COLUMNS)
    rows = []
    for finding in sorted(findings, key=queue_order):
        cells = finding_cells(finding, update.states[finding.id], update.today)
        rows.append(([cells[t] for t in TITLES], {URGENCY: urgency_fill(finding, update.today)},
                     row_height(cells, widths)))
    sheet.append_rows(rows, FINDING_FORMATS, wrap=FINDING_WRAPPED, top=True)
    if sheet.past_the_last_row:
        update.notices.append(past_the_last_row(name, sheet.past_the_last_row))
    sheet.choices(TITLES.index("Status") + 1, min(max(sheet.row, 2) + 500, EXCEL_ROWS), STATUSES)
    sheet.filter(len(TITLES))
    sheet.freeze(1, 2)
    sheet.print_setup(PRINTED)
    if name != QUEUE:
        sheet.hide_when_empty()


def _fresh_table(book: FreshBook, name: str, columns: tuple, rows: list[list], formats: dict[int, str],
                 wrap: tuple[int, ...] = (), height: Callable[[list], float] | None = None,
                 printed: int | None = None) -> None:
    """A sheet of rows under a bold header, frozen below it (as _header and _print_setup make it);
    ``height`` gives a row with wrapped text its height; ``printed``: the columns printed."""
    sheet = book.sheet(name)
    titles = [title for title, _ in columns]
    sheet.append(titles, bold=range(1, len(columns) + 1), right=right_set(titles))
    sheet.widths(width for _, width in columns)
    for row in rows:
        sheet.append(row, formats, wrap=wrap, top=bool(wrap), height=height(row) if height else None)
    sheet.freeze(1, 0)
    sheet.print_setup(printed)
    sheet.hide_when_empty()
