"""A local stand-in for the Google Sheets API v4, enough for the real client library to read
spreadsheets: GET spreadsheets/{id} (titles) and GET spreadsheets/{id}/values/{range} (a whole
sheet, formatted values, trailing blanks trimmed as Google does). Point SHEETS_EMULATOR_HOST at it."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlparse

from . import StandIn


class SheetsStandIn(StandIn):
    def __init__(self, spreadsheets: dict[str, dict]):
        """spreadsheets: {id: {"title": str, "sheets": {sheet name: [[cell text, ...], ...]}}}"""
        super().__init__()
        self.spreadsheets = spreadsheets

    def answer(self, method: str, path: str, headers: dict, body: bytes):
        status, payload = self.sheets_answer(urlparse(path).path)
        return status, payload, "application/json; charset=UTF-8"

    def sheets_answer(self, path: str) -> tuple[int, dict]:
        match = re.fullmatch(r"/v4/spreadsheets/([^/]+)(?:/values/(.+))?", path)
        book = self.spreadsheets.get(match[1]) if match else None
        if book is None:
            return 404, {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}
        if match[2] is None:
            return 200, {"properties": {"title": book["title"]},
                         "sheets": [{"properties": {"title": name}} for name in book["sheets"]]}
        wanted = unquote(match[2])
        name = wanted[1:-1].replace("''", "'") if wanted.startswith("'") else wanted
        if name not in book["sheets"]:
            return 400, {"error": {"code": 400, "message": f"Unable to parse range: {wanted}",
                                   "status": "INVALID_ARGUMENT"}}
        rows = [list(row) for row in book["sheets"][name]]
        for row in rows:
            while row and row[-1] in ("", None):
                row.pop()
        while rows and not rows[-1]:
            rows.pop()
        return 200, {"range": f"{wanted}!A1:Z{len(rows)}", "majorDimension": "ROWS",
                     "values": [["" if cell is None else str(cell) for cell in row] for row in rows]}
