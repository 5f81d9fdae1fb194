"""What each sheet of the VA's work queue shows, whichever writer writes it (work_queue.py's,
from nothing; queue_in_place.py's, into a workbook the VA worked in; sheets_queue.py's, in Google
Sheets): the sheets, statuses and columns, a finding's cells and height, the order of the rows,
the By problem and Resolved rows and the How to use sheet."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..rules.catalogue import problem_of, title_of
from ..rules.findings import OWNER_NAMES, SEVERITIES, Finding, overdue
from .workbooks import EXCEL_ROWS, PEOPLES_DATE, wrapped_lines

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


RECORD_WORDS = {"appointment": "Session", "claim": "Claim", "other_claim": "and claim",
                "duplicate_claim": "and claim", "client": "Client", "provider": "Clinician", "payer": "Payer",
                "authorization": "Authorization", "prospect": "Prospect", "message_kind": "Message",
                "recipient": "to", "date_of_service": "date of service", "sheet_row": "Row", "reply": "Reply",
                "referral": "Referral", "supply": "Supply"}
"""How the queue's Records column names each kind of record: in the practice's words, never an id's."""


def records_text(finding: Finding) -> str:
    """The Records column: the records in words, whom to call, and a client's own words in a reply
    (the queue holds PHI; the finding's message, which the terminal shows, never does)."""
    text = _refs_text(finding.refs)
    if finding.details.get("call"):
        text += f"; call {finding.details['call']}"
    if finding.details.get("words"):
        text += f"; they wrote: \u201c{finding.details['words']}\u201d"
    return text


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


def past_the_last_row(sheet: str, count: int) -> str:
    return (f"{count:,} findings did not fit on the {sheet!r} sheet (a sheet holds {EXCEL_ROWS:,} rows in Excel): "
            f"they are kept in the ledger and take the places of the rows above them as those are resolved")


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
            "Records": records_text(finding),
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
