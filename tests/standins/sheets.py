"""A local stand-in for the Google Sheets API v4, enough for the real client library to read
spreadsheets: GET spreadsheets/{id} (title, locale, sheets) and GET spreadsheets/{id}/values:batchGet
(several sheets in one request; unformatted values with dates as serial numbers, or formatted text;
trailing blanks trimmed as Google does). Point SHEETS_EMULATOR_HOST at it.

Cells are given as Google holds them: text, numbers, booleans, and date, time or datetime values
(which the stand-in answers as serial numbers, or formats by the spreadsheet's locale)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from urllib.parse import parse_qs, unquote, urlparse

from . import StandIn

EPOCH = datetime(1899, 12, 30)


def serial(value):
    if isinstance(value, datetime):
        return (value - EPOCH).total_seconds() / 86400
    if isinstance(value, date):
        return float((value - EPOCH.date()).days)
    if isinstance(value, time):
        return (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    return value


def formatted(value, locale: str):
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
            for request in body["requests"]:
                book["sheets"].setdefault(request["addSheet"]["properties"]["title"], [])
            return 200, {"spreadsheetId": match[1], "replies": [{} for _ in body["requests"]]}
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
        if match[2] is None:
            return 200, {"properties": {"title": book["title"], "locale": locale},
                         "sheets": [{"properties": {"title": name}} for name in book["sheets"]]}
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
