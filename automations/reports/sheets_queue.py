"""The VA's work queue in Google Sheets (`[work_queue] source = "gsheets"`), so she can work it from a
browser or a phone. The same queue as the Excel one (reports/work_queue.py plans it; only the
storage differs): her edits are read with one ``spreadsheets.get`` of typed cells (a date she
types in Snooze until is a date, whatever the sheet's locale; a note of 5 stays 5), and every
sheet is written with one ``values.batchUpdate`` in RAW mode, so nothing she or a tracker typed
becomes a formula; dates go as dates (serial numbers under a date format set on their columns in
the same request that adds a missing sheet), so they read `Nov 30, 2026` and sort as dates. Her own
columns keep their values by finding id; a row she deleted is taken as Done; a sheet she renamed is
found by its content and written under her name; a sheet gone marks nothing Done.
"""

from __future__ import annotations

from datetime import date, datetime

from ..errors import PracticeOpsError
from ..ledger import Ledger
from ..rules.catalogue import problem_of, title_of
from ..rules.findings import OWNER_NAMES, Finding
from ..trackers.gsheets import CELL_FIELDS, sheets_serial, sheets_service, typed_rows
from . import queue_sheets
from . import work_queue as queue
from .workbooks import cell_text

SHEETS = (queue_sheets.QUEUE, queue_sheets.ASIDE, queue_sheets.RESOLVED, queue_sheets.LEGEND)


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


class SheetsQueue:
    def __init__(self, spreadsheet_id: str):
        from googleapiclient.errors import HttpError

        self.id = spreadsheet_id
        self._errors: tuple[type[Exception], ...] = (HttpError, OSError)
        self._service = sheets_service()

    def _call(self, request):
        try:
            return request.execute(num_retries=2)
        except self._errors as exc:
            raise PracticeOpsError(f"the work queue in Google Sheets ({self.id}) cannot be used "
                                   f"({exc.__class__.__name__})") from None

    def read(self) -> tuple[dict[str, queue_sheets.VaEdit], dict[str, dict[str, object]], dict[str, list[str]], bool]:
        """(edits by finding id, the VA's own columns' values by finding id, each finding sheet's header
        by its role, whether the queue's Work queue sheet was found). Every sheet is read in one batch,
        so a finding sheet the VA renamed is found by its content (work_queue.finding_sheets), and
        how many rows each holds is known, so a shorter queue clears what a longer one wrote."""
        sheets = self._service.spreadsheets()
        meta = self._call(sheets.get(spreadsheetId=self.id, fields="sheets.properties(title,sheetId)"))
        present = [s["properties"]["title"] for s in meta.get("sheets", [])]
        self.sheet_ids = {s["properties"]["title"]: s["properties"].get("sheetId", 0) for s in meta.get("sheets", [])}
        found = typed_rows(self._call(sheets.get(spreadsheetId=self.id, ranges=[_quoted(n) for n in present],
                                                 includeGridData=True, fields=CELL_FIELDS)), present) if present else {}
        self.rows_held = {name: len(rows) for name, rows in found.items()}
        roles, self.notices = queue.finding_sheets(
            {name: [str(h).strip() for h in rows[0]] if rows else [] for name, rows in found.items()})
        self.names = {role: roles.get(role, role) for role in SHEETS}
        missing = [name for name in self.names.values() if name not in present]
        if missing:
            added = self._call(sheets.batchUpdate(spreadsheetId=self.id, body={"requests": [
                {"addSheet": {"properties": {"title": name}}} for name in missing]}))
            for reply in added.get("replies", []):
                properties = reply.get("addSheet", {}).get("properties", {})
                self.sheet_ids[properties.get("title")] = properties.get("sheetId", 0)
        edits: dict[str, queue_sheets.VaEdit] = {}
        extras: dict[str, dict[str, object]] = {}
        headers: dict[str, list[str]] = {}
        for role in (queue_sheets.QUEUE, queue_sheets.ASIDE):
            rows = found.get(self.names[role], [])
            if not rows:
                continue
            header = [str(h).strip() for h in rows[0]]
            headers[role] = header
            if "Finding ID" not in header:
                continue
            for row in rows[1:]:
                cells = dict(zip(header, row, strict=False))
                finding_id = str(cells.get("Finding ID") or "").strip()
                if not finding_id:
                    continue
                edit = queue.parse_status(queue.as_typed(cells.get("Status")), cells.get("Snooze until"))
                notes = queue.as_typed(cells.get("Notes"))
                edits[finding_id] = queue_sheets.VaEdit(edit.status, "" if notes is None else str(notes), edit.snooze_until,
                                                 edit.unreadable_status)
                extras[finding_id] = {h: v for h, v in cells.items()
                                      if h and h not in queue_sheets.OUR_TITLES | queue_sheets.LEGACY_TITLES}
        return edits, extras, headers, queue_sheets.QUEUE in roles

    def _date_columns(self) -> list[dict]:
        """The requests that show our date columns as dates (`Nov 30, 2026`), made with every write:
        a queue written before dates were dates, or a column the VA reformatted, reads right again."""
        requests = []
        for role, columns in ((queue_sheets.QUEUE, queue_sheets.COLUMNS), (queue_sheets.ASIDE, queue_sheets.COLUMNS),
                              (queue_sheets.RESOLVED, queue_sheets.RESOLVED_COLUMNS)):
            titles = [title for title, _ in columns]
            for title in DATE_TITLES & set(titles):
                at = titles.index(title)
                requests.append({"repeatCell": {
                    "range": {"sheetId": self.sheet_ids.get(self.names[role], 0), "startRowIndex": 1,
                              "startColumnIndex": at, "endColumnIndex": at + 1},
                    "cell": {"userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": "mmm d, yyyy"}}},
                    "fields": "userEnteredFormat.numberFormat"}})
        return requests

    def _padded(self, name: str, rows: list[list], width: int) -> list[list]:
        """Blank rows after the last one down to the last row the sheet held, so every row a previous,
        longer queue wrote is cleared in the same write."""
        spare = max(self.rows_held.get(name, 0) - len(rows), 0)
        return [row + [""] * (width - len(row)) for row in rows] + [[""] * width for _ in range(spare)]

    def write(self, update: queue_sheets.QueueUpdate, today: date, extras: dict[str, dict[str, object]],
              headers: dict[str, list[str]]) -> None:
        data = []
        theirs = list(dict.fromkeys(h for name in (queue_sheets.QUEUE, queue_sheets.ASIDE) for h in headers.get(name, [])
                                    if h and h not in queue_sheets.OUR_TITLES | queue_sheets.LEGACY_TITLES))
        for name, findings in ((queue_sheets.QUEUE, update.open), (queue_sheets.ASIDE, update.set_aside)):
            layout = [title for title, _ in queue_sheets.COLUMNS] + theirs
            rows: list[list] = [layout] + [_row(f, update.states[f.id], layout, extras.get(f.id, {}), today)
                               for f in sorted(findings, key=queue_sheets.queue_order)]
            data.append({"range": _quoted(self.names[name]), "values": self._padded(self.names[name], rows, len(layout))})
        resolved: list[list] = [[title for title, _ in queue_sheets.RESOLVED_COLUMNS]]
        for state in sorted((s for s in update.states.values() if s["resolved_on"]),
                            key=lambda s: s["resolved_on"], reverse=True)[:500]:
            resolved.append([_day(state["resolved_on"]), title_of(state["rule"]), "", "", state["finding_id"],
                             _day(state["first_seen"]), state["status"], state["notes"]])
        data.append({"range": _quoted(self.names[queue_sheets.RESOLVED]),
                     "values": self._padded(self.names[queue_sheets.RESOLVED], resolved, len(queue_sheets.RESOLVED_COLUMNS))})
        data.append({"range": _quoted(self.names[queue_sheets.LEGEND]),
                     "values": self._padded(self.names[queue_sheets.LEGEND], [list(r) for r in queue_sheets.LEGEND_ROWS], 2)})
        self._call(self._service.spreadsheets().batchUpdate(spreadsheetId=self.id, body={
            "requests": self._date_columns()}))
        self._call(self._service.spreadsheets().values().batchUpdate(spreadsheetId=self.id, body={
            "valueInputOption": "RAW", "data": data}))


def _row(finding: Finding, state: dict, layout: list[str], theirs: dict[str, object], today: date) -> list[object]:
    cells = {"Status": state["status"], "Notes": state["notes"], "Snooze until": _day(state["snoozed_until"]),
             "Urgency": queue_sheets.urgency_word(finding, today), "Due": sheets_serial(finding.due) if finding.due else "",
             "For": OWNER_NAMES[finding.owner], "Problem": problem_of(finding), "What to do": finding.message,
             "Records": queue_sheets._refs_text(finding.refs), "First seen": _day(state["first_seen"]),
             "Reopened": _day(state["reopened_on"]), "Rule": finding.rule, "Finding ID": finding.id}
    return [_cell(cells.get(title, theirs.get(title, ""))) for title in layout]


DATE_TITLES = frozenset({"Snooze until", "Due", "First seen", "Reopened", "Resolved on"})
"""The columns written as dates (serial numbers the sheet's date format shows as `Nov 30, 2026`)."""


def _day(iso: str | None) -> float | str:
    return sheets_serial(date.fromisoformat(iso)) if iso else ""


def _cell(value: object) -> object:
    """A number as a number (a date's serial, the VA's own number), anything else as text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, date):  # a date in the VA's own column, back as the date it was
        return sheets_serial(value if not isinstance(value, datetime) else value.date())
    return cell_text(str(value or ""))


def update_sheets_queue(spreadsheet_id: str, findings: list[Finding], today: date, ledger: Ledger,
                        write: bool = True) -> queue_sheets.QueueUpdate:
    store = SheetsQueue(spreadsheet_id)
    edits, extras, headers, existed = store.read()
    states = ledger.queue_rows()
    if existed:
        for finding_id, state in states.items():
            if finding_id not in edits and state.get("written_status") in queue_sheets.VISIBLE and not state["resolved_on"]:
                edits[finding_id] = queue_sheets.VaEdit(queue_sheets.DONE, state.get("written_notes") or "", None)
    update = queue.plan(findings, states, edits, today)
    update.notices.extend(store.notices)
    if write:
        store.write(update, today, extras, headers)
        for state in update.states.values():
            state["written_status"], state["written_notes"] = state["status"], state["notes"]
    ledger.save_queue_rows(list(update.states.values()))
    return update
