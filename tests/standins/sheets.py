"""A local stand-in for the Google Sheets API v4, enough for the real client library to read
spreadsheets: GET spreadsheets/{id} (title, locale, sheets; with ``includeGridData`` and ``ranges``,
each cell's ``effectiveValue`` and ``effectiveFormat.numberFormat`` as the field mask asks, trailing
blanks trimmed, empty cells ``{}``) and GET spreadsheets/{id}/values:batchGet (unformatted values
with dates as serial numbers, or formatted text). Point SHEETS_EMULATOR_HOST at it.

Cells are given as Google holds them: text, numbers, booleans (a checkbox), error texts (`#DIV/0!`,
a formula's error), and date, time, datetime or timedelta values, which Google keeps as serial
numbers with a DATE, TIME or DATE_TIME number format; ``Typed(number, "CURRENCY")`` gives any other
format type. ``from_workbook`` serves an Excel file's cells with the types Excel gave them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from . import StandIn

EPOCH = datetime(1899, 12, 30)


ERRORS = {"#ERROR!": "ERROR", "#NULL!": "NULL_VALUE", "#DIV/0!": "DIVIDE_BY_ZERO", "#VALUE!": "VALUE",
          "#REF!": "REF", "#NAME?": "NAME", "#NUM!": "NUM", "#N/A": "N_A"}


@dataclass(frozen=True)
class Typed:
    """A number with the number format type Google gives it (CURRENCY, PERCENT, NUMBER, DATE, ...)."""

    value: object
    type: str


def serial(value):
    if isinstance(value, Typed):
        return serial(value.value)
    if isinstance(value, timedelta):
        return value.total_seconds() / 86400
    if isinstance(value, datetime):
        return (value - EPOCH).total_seconds() / 86400
    if isinstance(value, date):
        return float((value - EPOCH.date()).days)
    if isinstance(value, time):
        return (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    return value


def format_type(value) -> str | None:
    if isinstance(value, Typed):
        return value.type
    if isinstance(value, datetime):
        return "DATE_TIME"
    if isinstance(value, date):
        return "DATE"
    if isinstance(value, (time, timedelta)):
        return "TIME"
    return None


def cell_data(value, fields: str) -> dict:
    """One CellData as the API answers it under the field mask ``fields``."""
    if value is None or value == "":
        return {}
    data: dict = {}
    if "effectiveValue" in fields:
        if isinstance(value, str) and value.strip().upper() in ERRORS:
            data["effectiveValue"] = {"errorValue": {"type": ERRORS[value.strip().upper()],
                                                     "message": "Formula error"}}
        elif isinstance(value, str):
            data["effectiveValue"] = {"stringValue": value}
        elif isinstance(value, bool):
            data["effectiveValue"] = {"boolValue": value}
        else:
            data["effectiveValue"] = {"numberValue": serial(value)}
    kind = format_type(value)
    if kind and "effectiveFormat" in fields:
        data["effectiveFormat"] = {"numberFormat": {"type": kind}}
    return data


def from_workbook(path: Path) -> dict:
    """An Excel file as a spreadsheet of this stand-in, each cell typed as Excel formatted it: what
    a practice gets when it uploads its workbook to Google Drive and opens it as a Google Sheet."""
    import openpyxl

    book = openpyxl.load_workbook(path, data_only=True)
    sheets = {}
    for sheet in book.worksheets:
        rows = []
        for row in sheet.iter_rows():
            rows.append([_typed_cell(cell) for cell in row])
        sheets[sheet.title] = rows
    return {"title": path.name, "sheets": sheets}


def _typed_cell(cell):
    value = cell.value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        fmt = cell.number_format or ""
        if "%" in fmt:
            return Typed(value, "PERCENT")
        if "$" in fmt or "[$" in fmt:
            return Typed(value, "CURRENCY")
        if fmt not in ("General", ""):
            return Typed(value, "NUMBER")
    if isinstance(value, datetime) and not any(c in (cell.number_format or "").lower() for c in "hs"):
        return value.date()  # a date format: Google's DATE type, as calamine reads it from the file
    return value


def formatted(value, locale: str):
    if isinstance(value, Typed):
        value = value.value
    if isinstance(value, (datetime, date)) and not isinstance(value, time):
        return value.strftime("%m/%d/%Y" if locale == "en_US" else "%d/%m/%Y")
    if isinstance(value, time):
        return value.strftime("%I:%M %p").lstrip("0")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return "" if value is None else str(value)


class SheetsStandIn(StandIn):
    def __init__(self, spreadsheets: dict[str, dict]):
        """spreadsheets: {id: {"title": str, "locale": str (en_US by default), "sheets": {name: [[cell, ...]]}}}"""
        super().__init__()
        self.spreadsheets = spreadsheets
        self.writes: list[tuple[str, dict]] = []

    def answer(self, method: str, path: str, headers: dict, body: bytes):
        url = urlparse(path)
        if method == "POST":
            status, payload = self.sheets_write(url.path, json.loads(body or b"{}"))
        else:
            status, payload = self.sheets_answer(url.path, parse_qs(url.query))
        return status, payload, "application/json; charset=UTF-8"

    def sheets_write(self, path: str, body: dict) -> tuple[int, dict]:
        """spreadsheets:batchUpdate (addSheet) and values:batchUpdate (RAW values from A1)."""
        match = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(?:/values)?:batchUpdate", path)
        book = self.spreadsheets.get(match[1]) if match else None
        if book is None:
            return 404, {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}
        self.writes.append((path, body))
        if "requests" in body:
            replies = []
            for request in body["requests"]:
                if "addSheet" in request:
                    title = request["addSheet"]["properties"]["title"]
                    book["sheets"].setdefault(title, [])
                    replies.append({"addSheet": {"properties": {"title": title, "sheetId": self._sheet_id(book, title)}}})
                elif "repeatCell" in request:  # a number format on a column, from the row it names down
                    where = request["repeatCell"]["range"]
                    title = next(t for t in book["sheets"] if self._sheet_id(book, t) == where.get("sheetId", 0))
                    kind = request["repeatCell"]["cell"]["userEnteredFormat"]["numberFormat"]["type"]
                    for column in range(where["startColumnIndex"], where["endColumnIndex"]):
                        book.setdefault("formats", {})[(title, column)] = kind
                    replies.append({})
                else:
                    return 400, {"error": {"code": 400, "message": "unsupported request", "status": "INVALID_ARGUMENT"}}
            return 200, {"spreadsheetId": match[1], "replies": replies}
        for update in body.get("data", []):
            wanted = update["range"]
            name = wanted[1:-1].replace("''", "'") if wanted.startswith("'") else wanted
            rows = book["sheets"].setdefault(name, [])
            for index, values in enumerate(update["values"]):
                while len(rows) <= index:
                    rows.append([])
                rows[index] = list(values)
        return 200, {"spreadsheetId": match[1], "totalUpdatedCells": 0}

    def sheets_answer(self, path: str, query: dict) -> tuple[int, dict]:
        match = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(?:/values(:batchGet|/.+))?", path)
        book = self.spreadsheets.get(match[1]) if match else None
        if book is None:
            return 404, {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}
        locale = book.get("locale", "en_US")
        if match[2] is None and query.get("includeGridData", ["false"])[0] == "true":
            return self.grid_answer(book, query)
        if match[2] is None:
            return 200, {"properties": {"title": book["title"], "locale": locale},
                         "sheets": [{"properties": {"title": name, "sheetId": self._sheet_id(book, name)}}
                                    for name in book["sheets"]]}
        ranges = query.get("ranges", []) if match[2] == ":batchGet" else [unquote(match[2][1:])]
        unformatted = query.get("valueRenderOption", ["FORMATTED_VALUE"])[0] == "UNFORMATTED_VALUE"
        found = []
        for wanted in ranges:
            name = wanted[1:-1].replace("''", "'") if wanted.startswith("'") else wanted
            if name not in book["sheets"]:
                return 400, {"error": {"code": 400, "message": f"Unable to parse range: {wanted}",
                                       "status": "INVALID_ARGUMENT"}}
            rows = [[serial(c) if unformatted else formatted(c, locale) for c in row] for row in book["sheets"][name]]
            for row in rows:
                while row and row[-1] in ("", None):
                    row.pop()
            while rows and not rows[-1]:
                rows.pop()
            found.append({"range": f"{wanted}!A1:Z{len(rows)}", "majorDimension": "ROWS",
                          "values": [["" if c is None else c for c in row] for row in rows]})
        if match[2] != ":batchGet":
            return 200, found[0]
        return 200, {"spreadsheetId": match[1], "valueRanges": found}

    @staticmethod
    def _sheet_id(book: dict, title: str) -> int:
        """A sheet's id: its place among the spreadsheet's sheets (stable while none is removed)."""
        return list(book["sheets"]).index(title)

    def grid_answer(self, book: dict, query: dict) -> tuple[int, dict]:
        """spreadsheets.get with grid data: only the sheets the ranges name, each cell as the mask asks."""
        fields = query.get("fields", [""])[0]
        sheets = []
        for wanted in query.get("ranges", []):
            name = wanted[1:-1].replace("''", "'") if wanted.startswith("'") else wanted
            if name not in book["sheets"]:
                return 400, {"error": {"code": 400, "message": f"Unable to parse range: {wanted}",
                                       "status": "INVALID_ARGUMENT"}}
            rows = []
            formats = book.get("formats", {})
            for row in book["sheets"][name]:
                cells = [cell_data(Typed(c, formats[(name, at)]) if isinstance(c, (int, float)) and not isinstance(
                    c, bool) and (name, at) in formats else c, fields) for at, c in enumerate(row)]
                while cells and not cells[-1]:
                    cells.pop()
                rows.append({"values": cells} if cells else {})
            while rows and not rows[-1]:
                rows.pop()
            sheets.append({"properties": {"title": name}, "data": [{"rowData": rows}]})
        return 200, {"sheets": sheets}
