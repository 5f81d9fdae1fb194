"""A local stand-in for the Google Sheets API v4, enough for the real client library to read
spreadsheets: GET spreadsheets/{id} (titles) and GET spreadsheets/{id}/values/{range} (a whole
sheet, formatted values, trailing blanks trimmed as Google does). Point SHEETS_EMULATOR_HOST at it."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse


class SheetsStandIn:
    def __init__(self, spreadsheets: dict[str, dict]):
        """spreadsheets: {id: {"title": str, "sheets": {sheet name: [[cell text, ...], ...]}}}"""
        self.spreadsheets = spreadsheets
        self.requests: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                stand_in.requests.append(self.path)
                status, body = stand_in.answer(urlparse(self.path).path)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str) -> tuple[int, dict]:
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
