"""The VA's work queue: one workbook row per open finding, soonest due first.

The VA edits two columns, Status and Notes; the next run keeps those edits for the finding with
the same id, so the queue is a to-do list that remembers rather than a report that forgets.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..errors import PracticeOpsError
from ..rules.findings import Finding

SHEET = "Work queue"
COLUMNS = (("Due", 12), ("Severity", 10), ("Owner", 10), ("Rule", 30), ("What to do", 90), ("Records", 40),
           ("Finding ID", 15), ("First seen", 12), ("Status", 18), ("Notes", 40))
STATUSES = ("Open", "Done", "Snoozed until", "Won't fix")
_SEVERITY_FILL = {"urgent": "F8D7DA", "warning": "FFF3CD", "info": "E7F1FF"}


@dataclass(frozen=True)
class VaEdits:
    status: str
    notes: str
    first_seen: date | None


def read_edits(path: Path) -> dict[str, VaEdits]:
    """What the VA wrote in the queue last time, by finding id. A missing queue has no edits."""
    if not path.exists():
        return {}
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a queue the VA broke must not stop the run; it is rewritten
        raise PracticeOpsError(f"{path.name}: the work queue cannot be opened ({exc}); "
                               f"move it aside and run again") from None
    try:
        if SHEET not in book.sheetnames:
            return {}
        rows = book[SHEET].iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(rows, ())]
        where = {name: header.index(name) for name, _ in COLUMNS if name in header}
        edits: dict[str, VaEdits] = {}
        for row in rows:
            def cell(name: str):
                index = where.get(name)
                return row[index] if index is not None and index < len(row) else None
            finding_id = cell("Finding ID")
            if not finding_id:
                continue
            seen = cell("First seen")
            edits[str(finding_id)] = VaEdits(str(cell("Status") or "Open"), str(cell("Notes") or ""),
                                             seen.date() if hasattr(seen, "date") else seen)
        return edits
    finally:
        book.close()


def write_work_queue(path: Path, findings: list[Finding], today: date) -> int:
    """Write the queue (whole file replaced at once, never half-written). Returns rows written."""
    edits = read_edits(path)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append([name for name, _ in COLUMNS])
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.cell(1, index).font = Font(bold=True)
    for finding in findings:
        previous = edits.get(finding.id)
        refs = ", ".join(f"{kind} {ref}" for kind, ref in finding.refs.items())
        sheet.append([finding.due, finding.severity, finding.owner, finding.rule, finding.message, refs,
                      finding.id, previous.first_seen if previous and previous.first_seen else today,
                      previous.status if previous else "Open", previous.notes if previous else ""])
        row = sheet.max_row
        sheet.cell(row, 2).fill = PatternFill("solid", fgColor=_SEVERITY_FILL[finding.severity])
        sheet.cell(row, 5).alignment = Alignment(wrap_text=True, vertical="top")
        for column in (1, 8):
            sheet.cell(row, column).number_format = "yyyy-mm-dd"
    status = DataValidation(type="list", formula1='"' + ",".join(STATUSES) + '"', allow_blank=True,
                            showErrorMessage=False)
    sheet.add_data_validation(status)
    status.add(f"I2:I{max(sheet.max_row, 2) + 500}")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(sheet.max_row, 1)}"
    _save_atomically(book, path)
    return len(findings)


def _save_atomically(book: openpyxl.Workbook, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".~", suffix=".xlsx")
    os.close(fd)
    try:
        book.save(temp)
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise PracticeOpsError(f"{path}: cannot write the work queue ({exc.strerror}); is it open in Excel?") from None
