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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from ..errors import PracticeOpsError, TrackerUnavailable
from ..ledger import Ledger
from ..rules.catalogue import problem_of, title_of
from ..rules.findings import OWNER_NAMES, SEVERITIES, Finding, overdue, sort_key
from ..trackers.sources import open_workbook
from ..trackers.values import fold, parse_date
from .workbooks import EXCEL_ROWS, PEOPLES_DATE, FreshBook, replace_atomically, wrapped_lines

QUEUE, MORE, ASIDE, RESOLVED, BY_PROBLEM = "Work queue", "More open", "Set aside", "Resolved", "By problem"
GROUP_AT = 50
"""A problem with more open rows than this shows its most pressing 50 on the Work queue; the rest
wait on More open, and By problem counts them all: a day's work, not a wall of rows."""
OPEN, DONE, SNOOZED, WONT_FIX, APPROVED = "Open", "Done", "Snoozed", "Won't fix", "Approved"
STATUSES = (OPEN, DONE, SNOOZED, WONT_FIX, APPROVED)
VISIBLE = {OPEN, APPROVED}
REOPEN_AFTER_DAYS = 7
DEFAULT_SNOOZE_DAYS = 7
RESOLVED_KEPT_DAYS = 90
COLUMNS = (("Status", 11), ("Notes", 28), ("Snooze until", 12), ("Urgency", 9), ("Due", 11), ("For", 11),
           ("Problem", 26), ("What to do", 60), ("Records", 26), ("First seen", 11), ("Reopened", 11),
           ("Rule", 26), ("Finding ID", 13))
PRINTED = 9
"""Columns printed: up to Records (dates seen and reopened, the rule id and finding id are for the
screen): eleven columns once printed at about 5-point text."""
LINE_HEIGHT = 15
"""What the VA edits comes first (Status, Notes, Snooze until), then what she reads; the ids last."""
TITLES = [title for title, _ in COLUMNS]
OUR_TITLES = frozenset(TITLES)
LEGACY_TITLES = frozenset({"Severity", "Owner"})
"""Titles an older queue had: dropped, not taken for the VA's own columns."""
RESOLVED_COLUMNS = (("Resolved on", 12), ("Problem", 30), ("What it said", 90), ("Records", 40), ("Finding ID", 15),
                    ("First seen", 12), ("Last status", 12), ("Notes", 40))
LEGEND = "How to use"
RECURS_WITHIN_DAYS = 7
"""A finding that comes back within this many days of resolving keeps the VA's decision."""
SEVERITY_FILL = {"urgent": "F8D7DA", "warning": "FFF3CD", "info": "E7F1FF"}
HEADER_FILL = "DDE4EE"
DATE_FORMAT = PEOPLES_DATE
OLD_DATE_FORMATS = ("yyyy-mm-dd",)
"""Date formats practice-ops wrote before: a cell with one is still practice-ops' look, not the VA's."""
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
    today: date | None = None
    open: list[Finding] = field(default_factory=list)
    set_aside: list[Finding] = field(default_factory=list)
    resolved_today: list[str] = field(default_factory=list)  # resolved on the day, by this run or an earlier one
    reopened_today: list[str] = field(default_factory=list)  # reopened on the day and open still
    states: dict[str, dict] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


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


class QueueUnusable(PracticeOpsError):
    """The file at the queue's path cannot be read as a work queue: it is kept aside, never deleted."""


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


URGENCY_WORDS = {"overdue": "1 Overdue", "urgent": "2 Urgent", "warning": "3 Soon", "info": "4 FYI"}
"""The queue's Urgency column: numbered, so that sorting the column A to Z puts the most pressing
first (the words alone sort FYI, Soon, Urgent); past its due date a finding is Overdue."""


def urgency_word(finding: Finding, today: date | None) -> str:
    return URGENCY_WORDS["overdue" if overdue(finding, today) else finding.severity]


def urgency_fill(finding: Finding, today: date | None) -> str:
    return SEVERITY_FILL["urgent" if urgency_word(finding, today) == URGENCY_WORDS["overdue"] else finding.severity]


def queue_order(finding: Finding) -> tuple:
    """What can still be saved first (a claim past its filing limit is money already lost: it goes
    after everything that can still be filed), then urgent first, then by due date; undated last."""
    return (bool(finding.details.get("lost")), -SEVERITIES.index(finding.severity), finding.due or date.max,
            finding.rule, finding.id)


LAYOUT_VERSION = 6
"""Raise when the workbook's layout changes, so an untouched queue is written again in the new one."""
WRITTEN = "work_queue.written"
"""Ledger key: the content hash of the queue as practice-ops last wrote it."""
ANNOUNCED = "work_queue.announced"
"""Ledger key: the day of the VA's last note and the findings resolved that day it counted."""
_EDITS_READ: dict[str, QueueRead] = {}


def _content_hash(path: Path) -> str | None:
    from ..places import content_digest

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
        from ..places import is_our_workbook

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
    from ..places import open_elsewhere

    if write and path.exists() and open_elsewhere(path):
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


RECORD_WORDS = {"appointment": "Session", "claim": "Claim", "other_claim": "and claim",
                "duplicate_claim": "and claim", "client": "Client", "provider": "Clinician", "payer": "Payer",
                "authorization": "Authorization", "prospect": "Prospect", "message_kind": "Message",
                "recipient": "to", "date_of_service": "date of service", "sheet_row": "Row"}
"""How the queue's Records column names each kind of record: in the practice's words, never an id's."""


def _refs_text(refs: dict) -> str:
    """`Session A-3004, Claim CL-9004, Client C-101`; `Message credentialing reminder, to the VA`; a row as
    `tracker.xlsx, Claims, row 14`."""
    words = []
    for kind, ref in refs.items():
        if kind == "sheet_row" and len(refs) > 1:
            continue
        if kind == "sheet_row":
            file, _, rest = str(ref).partition(":")
            sheet, _, row = rest.rpartition(":")
            words.append(f"{file}, {sheet}, row {row}" if row.isdigit() else str(ref))
        elif kind == "message_kind":
            words.append(f"Message: {str(ref).replace('_', ' ')}")
        else:
            words.append(f"{RECORD_WORDS.get(kind, kind.replace('_', ' ').capitalize())} {ref}")
    return ", ".join(words)


def _write(path: Path, update: QueueUpdate, today: date, anew: bool = False,
           sheets: dict[str, str] | None = None) -> tuple[list[str], bool]:
    """Write the queue; (notices, whether it was written from a new workbook). ``sheets``: where the
    finding sheets are in the VA's workbook (a renamed one keeps her name)."""
    from ..places import is_our_workbook

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


def past_the_last_row(sheet: str, count: int) -> str:
    return (f"{count:,} findings did not fit on the {sheet!r} sheet (a sheet holds {EXCEL_ROWS:,} rows in Excel): "
            f"they are kept in the ledger and take the places of the rows above them as those are resolved")


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


def by_problem(open_findings: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(the Work queue's rows, More open's rows): every finding of a problem with up to GROUP_AT
    open rows, and the GROUP_AT most pressing of a larger one, on the Work queue."""
    shown: list[Finding] = []
    more: list[Finding] = []
    seen: dict[str, int] = {}
    for finding in sorted(open_findings, key=queue_order):
        seen[finding.rule] = seen.get(finding.rule, 0) + 1
        (shown if seen[finding.rule] <= GROUP_AT else more).append(finding)
    return shown, more


BY_PROBLEM_FORMATS = {5: DATE_FORMAT}
BY_PROBLEM_COLUMNS = (("Problem", 30), ("For", 12), ("Open", 8), ("Urgent", 8), ("Soonest due", 12),
                      ("On Work queue", 16), ("On More open", 16), ("Rule", 34))
BY_PROBLEM_PRINTED = 7
"""Printed up to On More open: the rule's id is for the screen."""
RIGHT_SET = frozenset({"Snooze until", "Due", "First seen", "Reopened", "Resolved on", "Open", "Urgent",
                       "Soonest due", "On Work queue", "On More open"})
"""Headings over numbers and dates, which sit on the right: the heading sits over them there."""


def right_set(titles: list[str]) -> tuple[int, ...]:
    """The columns (1-based) whose heading is set to the right, over its numbers or dates."""
    return tuple(index for index, title in enumerate(titles, start=1) if title in RIGHT_SET)


def by_problem_rows(open_findings: list[Finding], shown: list[Finding]) -> list[list] | None:
    """One row per problem, most urgent first; None when the Work queue shows every open finding."""
    if len(shown) == len(open_findings):
        return None
    on_queue: dict[str, int] = {}
    for finding in shown:
        on_queue[finding.rule] = on_queue.get(finding.rule, 0) + 1
    groups: dict[str, list[Finding]] = {}
    for finding in open_findings:
        groups.setdefault(finding.rule, []).append(finding)
    summary = []
    for rule, found in groups.items():
        urgent = sum(1 for f in found if f.severity == "urgent")
        dues = [f.due for f in found if f.due]
        summary.append((-urgent, min(dues) if dues else date.max, rule, found, urgent, min(dues) if dues else None))
    return [[title_of(rule), ", ".join(sorted({OWNER_NAMES[f.owner] for f in found})), len(found), urgent, soonest,
             on_queue.get(rule, 0), len(found) - on_queue.get(rule, 0), rule]
            for _, _, rule, found, urgent, soonest in sorted(summary, key=lambda row: row[:3])]


def finding_cells(finding: Finding, state: dict, today: date | None = None) -> dict[str, object]:
    """What the queue shows of one finding, by column title."""
    return {"Status": state["status"], "Notes": state["notes"],
            "Snooze until": date.fromisoformat(state["snoozed_until"]) if state["snoozed_until"] else None,
            "Urgency": urgency_word(finding, today), "Due": finding.due,
            "For": OWNER_NAMES[finding.owner], "Problem": problem_of(finding), "What to do": finding.message,
            "Records": _refs_text(finding.refs) + (f"; call {finding.details['call']}" if finding.details.get("call")
                                                   else ""),
            "First seen": date.fromisoformat(state["first_seen"]),
            "Reopened": date.fromisoformat(state["reopened_on"]) if state["reopened_on"] else None,
            "Rule": finding.rule, "Finding ID": finding.id}


WRAPPED = ("What to do", "Notes", "Records", "Problem")
DATED = ("Snooze until", "Due", "First seen", "Reopened")
FINDING_FORMATS = {TITLES.index(t) + 1: DATE_FORMAT for t in DATED}
FINDING_WRAPPED = tuple(TITLES.index(t) + 1 for t in WRAPPED)
URGENCY = TITLES.index("Urgency") + 1
"""Where those columns are in a queue written from nothing (ours, in COLUMNS order)."""


def row_height(cells: dict, widths: Mapping[str, float]) -> float:
    """Enough lines for the longest wrapped cell (spreadsheet programs do not size rows they did not
    lay out themselves, so without this wrapped text overlaps the next row)."""
    most = max(wrapped_lines(str(cells.get(title) or ""), widths[title]) for title in WRAPPED)
    return LINE_HEIGHT * most + 2


RESOLVED_FORMATS = {1: DATE_FORMAT, 6: DATE_FORMAT}
RESOLVED_WRAPPED = (3, 4, 8)
"""What it said, Records, Notes: the Resolved sheet's long texts."""


def resolved_height(row: list) -> float:
    """A Resolved row tall enough for its longest wrapped text (as row_height for a finding's row)."""
    return LINE_HEIGHT * max(wrapped_lines(str(row[column - 1] or ""), RESOLVED_COLUMNS[column - 1][1])
                             for column in RESOLVED_WRAPPED) + 2


def resolved_rows(update: QueueUpdate, today: date) -> list[list]:
    """The findings resolved in the last RESOLVED_KEPT_DAYS days, latest first."""
    cutoff = (today - timedelta(days=RESOLVED_KEPT_DAYS)).isoformat()
    gone = sorted((s for s in update.states.values() if s["resolved_on"] and s["resolved_on"] >= cutoff),
                  key=lambda s: (s["resolved_on"], s["finding_id"]), reverse=True)
    rows = []
    for state in gone:
        summary = json.loads(state.get("summary") or "{}")
        rows.append([date.fromisoformat(state["resolved_on"]), title_of(state["rule"]), summary.get("message", ""),
                     _refs_text(summary.get("refs", {})), state["finding_id"], date.fromisoformat(state["first_seen"]),
                     state["status"], state["notes"]])
    return rows


OWNER_DUTIES = {"va": "The VA at the front desk: scheduling, clients' papers, messages to send by hand.",
                "clinician": "The clinician named in the row: notes, authorizations, sessions to plan.",
                "billing": "The biller: claims to file, correct, follow up or appeal.",
                "owner": "The practice owner: decisions only the owner can make (panels, contracts)."}
LEGEND_ROWS = (
    ("Status", "What it means"),
    (OPEN, "Still to do. New problems arrive as Open."),
    (DONE, "You fixed it. If the problem is still there in 7 days it comes back, marked Reopened."),
    (SNOOZED, "Not now: hidden until the date in Snooze until (7 days if blank), then back."),
    (WONT_FIX, "On purpose: stays on the Set aside sheet while the problem lasts."),
    (APPROVED, "For a waitlist match: send the prospect the opening notice."),
    ("", ""),
    ("Urgency", ""),
    (URGENCY_WORDS["overdue"], "Past its Due date: first thing today."),
    (URGENCY_WORDS["urgent"], "Act today: money or a client's care is at stake now."),
    (URGENCY_WORDS["warning"], "Act by the Due date."),
    (URGENCY_WORDS["info"], "Good to know (a waitlist match, for example)."),
    ("", ""),
    ("For", ""),
    *((OWNER_NAMES[owner], OWNER_DUTIES[owner]) for owner in OWNER_NAMES),
    ("", ""),
    ("Your changes", "Your own columns, sheets, colours and row order stay; deleting a row marks it Done."),
    (f"{ASIDE}, {RESOLVED}", "Hidden while they are empty (nothing to print); they show again once they have rows."),
    (MORE, f"A problem with more than {GROUP_AT} open rows shows its {GROUP_AT} most pressing on {QUEUE}; the rest "
           f"are on {MORE} (edit them there just the same), and {BY_PROBLEM} counts every problem."),
)


LEGEND_HEADINGS = ("Status", "Urgency", "For")
LEGEND_WIDTHS = (16, 90)
