"""The work queue edited in place, with openpyxl: a queue the VA may have worked in keeps her own
columns, sheets, colours and row order. A queue written from nothing is work_queue._write_fresh's
(XlsxWriter); both take their rows from work_queue's builders and must look the same (tested).
Imported only when a queue is edited, so a run that writes one from nothing never loads openpyxl."""

from __future__ import annotations

import zipfile
import zlib
from copy import copy
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.etree.ElementTree import ParseError

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from ..rules.findings import Finding
from .queue_sheets import (
    ASIDE,
    BY_PROBLEM,
    BY_PROBLEM_COLUMNS,
    BY_PROBLEM_FORMATS,
    BY_PROBLEM_PRINTED,
    COLUMNS,
    DATE_FORMAT,
    DATED,
    HEADER_FILL,
    LEGACY_TITLES,
    LEGEND,
    LEGEND_HEADINGS,
    LEGEND_ROWS,
    LEGEND_WIDTHS,
    MORE,
    OLD_DATE_FORMATS,
    OUR_TITLES,
    QUEUE,
    RESOLVED,
    RESOLVED_COLUMNS,
    RESOLVED_FORMATS,
    RESOLVED_WRAPPED,
    RIGHT_SET,
    SEVERITY_FILL,
    STATUSES,
    TITLES,
    WRAPPED,
    QueueUpdate,
    by_problem,
    by_problem_rows,
    finding_cells,
    past_the_last_row,
    queue_order,
    resolved_height,
    resolved_rows,
    row_height,
    urgency_fill,
)
from .workbooks import EXCEL_ROWS, KeptFormula, RowWriter, hide_when_empty, print_like_the_rest, save_atomically

UNREADABLE: tuple[type[Exception], ...] = (InvalidFileException, zipfile.BadZipFile, zlib.error, ParseError, KeyError,
                                           OSError, ValueError, TypeError, EOFError)
"""What openpyxl raises for a file it cannot open as a workbook (damaged, not a workbook, hostile)."""


def edit_in_place(path: Path, update: QueueUpdate, today: date, notices: list[str],
                  sheets: dict[str, str] | None = None) -> bool:
    """Write the queue into the workbook at ``path``; False when it cannot be opened. ``sheets``: the
    finding sheets' roles -> the sheets holding them, where the VA renamed one."""
    try:
        book = openpyxl.load_workbook(path)
    except UNREADABLE:  # unreadable now: the caller keeps it aside and writes anew (the ledger has everything)
        return False
    _write_in_place(book, update, today, notices, sheets)
    save_atomically(book, path, "work queue")
    return True


def _our_sheet(book, name: str, ours) -> str:
    """The name practice-ops' sheet ``name`` goes by: its own, unless the VA has a sheet of that name
    that is not practice-ops' (``ours(sheet)`` says), which is never deleted or written over."""
    if name not in book.sheetnames or ours(book[name]):
        return name
    return f"{name} (practice-ops)"


def _first_row(sheet) -> list[str]:
    return [str(c.value).strip() if c.value is not None else "" for c in next(sheet.iter_rows(max_row=1), ())]


def _has_header(titles: list[str]):
    return lambda sheet: _first_row(sheet)[:len(titles)] == titles or (sheet.max_row <= 1 and not any(_first_row(sheet)))


def _holds_findings(sheet) -> bool:
    header = _first_row(sheet)
    return ("Finding ID" in header and "Status" in header) or not any(header)


@dataclass
class _Kept:
    """What the VA put on one finding's row: her own columns' values and the looks she gave its cells."""
    order: int
    values: dict[str, object]
    styles: dict[str, object]


def _existing(sheet) -> tuple[list[str], dict[str, _Kept]]:
    rows = list(sheet.iter_rows())
    if not rows:
        return [], {}
    header = [str(c.value).strip() if c.value is not None else "" for c in rows[0]]
    if "Finding ID" not in header:
        return header, {}
    at = header.index("Finding ID")
    kept: dict[str, _Kept] = {}
    hers: dict[tuple, bool] = {}
    for order, row in enumerate(rows[1:]):
        finding_id = row[at].value if at < len(row) else None
        if not finding_id:
            continue
        values = {header[i]: KeptFormula(c.value) if c.data_type == "f" and isinstance(c.value, str) else c.value
                  for i, c in enumerate(row) if i < len(header) and header[i]
                  and header[i] not in OUR_TITLES | LEGACY_TITLES}
        styles = {}
        for i, c in enumerate(row):
            title = header[i] if i < len(header) else ""
            if not (title and c.has_style):
                continue
            if title in OUR_TITLES:
                key = tuple(c._style)
                if key not in hers:
                    hers[key] = not _looks_ours(c)
                if not hers[key]:
                    continue  # as practice-ops wrote it: written afresh (a new urgency gets its colour)
            styles[title] = copy(c._style)
        kept[str(finding_id).strip()] = _Kept(order, values, styles)
    return header, kept


_OUR_FILLS = frozenset(SEVERITY_FILL.values())


def _looks_ours(cell) -> bool:
    """Whether a cell of one of our columns has a look practice-ops gives a finding's row (in this
    layout or an older one): no font, border or protection of its own, no number format but ours,
    at most top alignment, no fill but an urgency colour. Any other look is the VA's, and stays."""
    style = cell._style
    if style.fontId or style.borderId or style.protectionId or style.quotePrefix:
        return False
    if cell.number_format not in ("General", DATE_FORMAT, *OLD_DATE_FORMATS):
        return False
    if style.fillId:
        colour = cell.fill.fgColor
        if cell.fill.fill_type != "solid" or colour.type != "rgb" or str(colour.rgb)[-6:].upper() not in _OUR_FILLS:
            return False
    if style.alignmentId:
        alignment = cell.alignment
        if alignment.vertical not in (None, "top") or alignment.horizontal or alignment.indent \
                or alignment.textRotation or alignment.shrink_to_fit:
            return False
    return True


def _write_in_place(book: openpyxl.Workbook, update: QueueUpdate, today: date, notices: list[str],
                    sheets: dict[str, str] | None = None) -> None:
    """The queue written into a workbook the VA may have worked in (openpyxl): her own columns,
    sheets (whatever their names), colours, formulas and row order stay; a finding sheet she renamed
    is written under her name."""
    sheets = {role: name for role, name in (sheets or {}).items() if name in book.sheetnames}
    names = {role: sheets.get(role) or _our_sheet(book, role, _holds_findings) for role in (QUEUE, MORE, ASIDE)}
    names[BY_PROBLEM] = _our_sheet(book, BY_PROBLEM, _has_header([t for t, _ in BY_PROBLEM_COLUMNS]))
    names[RESOLVED] = _our_sheet(book, RESOLVED, _has_header([t for t, _ in RESOLVED_COLUMNS]))
    names[LEGEND] = _our_sheet(book, LEGEND, _has_header(list(LEGEND_ROWS[0])))
    for role, name in names.items():
        if name != role and role not in sheets:
            notices.append(f"the workbook has a sheet of the VA's own called {role!r}: it is kept as it is, and "
                           f"practice-ops writes its own as {name!r}")
    shown, more = by_problem(update.open)
    for role, findings in ((QUEUE, shown), (MORE, more), (ASIDE, update.set_aside)):
        if role == MORE and not findings:
            if names[MORE] in book.sheetnames and _holds_findings(book[names[MORE]]):
                del book[names[MORE]]
            continue
        _write_findings(book, names[role], findings, update, notices, hideable=role != QUEUE)
    _write_by_problem(book, names[BY_PROBLEM], update.open, shown)
    _write_resolved(book, names[RESOLVED], update, today)
    _write_legend(book, names[LEGEND])
    order = [names[role] for role in (QUEUE, BY_PROBLEM, MORE, ASIDE, RESOLVED, LEGEND)]
    book._sheets.sort(key=lambda ws: order.index(ws.title) if ws.title in order else len(order))
    book.active = 0


def _write_by_problem(book, name: str, open_findings: list[Finding], shown: list[Finding]) -> None:
    """One row per problem, most urgent first, when any problem has more rows than the Work queue shows."""
    if name in book.sheetnames:
        del book[name]
    summary = by_problem_rows(open_findings, shown)
    if summary is None:
        return
    sheet = book.create_sheet(name)
    rows = _header(sheet, BY_PROBLEM_COLUMNS)
    for row in summary:
        rows.append(row, BY_PROBLEM_FORMATS)
    _print_setup(sheet, BY_PROBLEM_PRINTED)


def _write_findings(book, name: str, findings: list[Finding], update: QueueUpdate, notices: list[str],
                   hideable: bool = False) -> None:
    fresh = name not in book.sheetnames
    sheet = book[name] if not fresh else book.create_sheet(name)
    header, kept = _existing(sheet)
    if sheet.merged_cells.ranges:
        notices.append(f"{name}: merged cells were unmerged so rows can move")
        for merged in list(sheet.merged_cells.ranges):
            sheet.unmerge_cells(str(merged))
    ours = TITLES
    theirs = [h for h in header if h and h not in OUR_TITLES | LEGACY_TITLES]
    layout = [h for h in header if h in OUR_TITLES or h in theirs] if OUR_TITLES <= set(header) else ours + theirs
    header_styles = {h: copy(c._style) for h, c in zip(header, sheet[1], strict=False) if h and c.has_style} \
        if header else {}
    widths = {h: sheet.column_dimensions[get_column_letter(i)].width for i, h in enumerate(header, 1) if h}
    if sheet.max_row > 1:
        sheet.delete_rows(2, sheet.max_row - 1)
    rows = RowWriter(sheet)
    rows.append(layout)
    for index, title in enumerate(layout, start=1):
        cell = sheet.cell(1, index)
        if title in header_styles:
            cell._style = header_styles[title]
        else:
            cell.font = Font(bold=True, name="Calibri", size=11)
            cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
            if title in RIGHT_SET:
                cell.alignment = Alignment(horizontal="right")
        width = widths.get(title) if not fresh else None
        sheet.column_dimensions[get_column_letter(index)].width = width or dict(COLUMNS).get(title, 16)
    old = sorted((f for f in findings if f.id in kept), key=lambda f: kept[f.id].order)
    new = sorted((f for f in findings if f.id not in kept), key=queue_order)
    if old == sorted(old, key=queue_order):  # the VA kept our order: everything in it, urgent first
        old, new = [], sorted(findings, key=queue_order)
    formats = {layout.index(t) + 1: DATE_FORMAT for t in DATED}
    wrapped = tuple(layout.index(t) + 1 for t in WRAPPED)
    urgency = layout.index("Urgency") + 1
    widths_now = {t: sheet.column_dimensions[get_column_letter(layout.index(t) + 1)].width or 10 for t in WRAPPED}
    for finding in new + old:
        cells = finding_cells(finding, update.states[finding.id], update.today)
        mine = kept.get(finding.id)
        row = rows.append([cells.get(t, mine.values.get(t) if mine else None) for t in layout], formats,
                          wrap=wrapped, fills={urgency: urgency_fill(finding, update.today)}, top=True)
        if rows.past_the_last_row:
            continue
        sheet.row_dimensions[row].height = row_height(cells, widths_now)
        if mine:
            for index, title in enumerate(layout, start=1):
                if title in mine.styles:
                    sheet.cell(row, index)._style = mine.styles[title]
    if rows.past_the_last_row:
        notices.append(past_the_last_row(name, rows.past_the_last_row))
    status = DataValidation(type="list", formula1='"' + ",".join(STATUSES) + '"', allow_blank=True,
                            showErrorMessage=False)
    sheet.data_validations.dataValidation = [v for v in sheet.data_validations.dataValidation
                                             if v.formula1 != status.formula1]
    sheet.add_data_validation(status)
    column = get_column_letter(layout.index("Status") + 1)
    status.add(f"{column}2:{column}{min(max(rows.row, 2) + 500, EXCEL_ROWS)}")
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(layout))}{max(rows.row, 1)}"
    sheet.freeze_panes = "C2"
    _print_setup(sheet, layout.index("Records") + 1)
    if hideable:
        hide_when_empty(sheet, len(findings))


def _print_setup(sheet, printed: int | None = None) -> None:
    """Landscape, one page wide, the header on every page."""
    # a hidden, empty sheet has none: LibreOffice prints a hidden sheet's print area
    sheet.print_area = f"A1:{get_column_letter(printed)}{sheet.max_row}" if printed and sheet.max_row > 1 else None
    print_like_the_rest(sheet)


def _write_resolved(book, name: str, update: QueueUpdate, today: date) -> None:
    if name in book.sheetnames:
        del book[name]
    resolved = book.create_sheet(name)
    rows = _header(resolved, RESOLVED_COLUMNS)
    gone = resolved_rows(update, today)
    for row in gone:
        at = rows.append(row, RESOLVED_FORMATS, wrap=RESOLVED_WRAPPED, top=True)
        resolved.row_dimensions[at].height = resolved_height(row)
    _print_setup(resolved)
    hide_when_empty(resolved, len(gone))


def _write_legend(book, name: str) -> None:
    if name in book.sheetnames:
        del book[name]
    sheet = book.create_sheet(name)
    rows = RowWriter(sheet)
    for left, right in LEGEND_ROWS:
        row = rows.append([left, right], wrap=(2,))
        if left in LEGEND_HEADINGS:
            sheet.cell(row, 1).font = Font(bold=True)
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = LEGEND_WIDTHS
    _print_setup(sheet)


def _header(sheet, columns) -> RowWriter:
    rows = RowWriter(sheet)
    rows.append([name for name, _ in columns])
    for index, (name, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.cell(1, index).font = Font(bold=True)
        if name in RIGHT_SET:
            sheet.cell(1, index).alignment = Alignment(horizontal="right")
    sheet.freeze_panes = "A2"
    return rows
