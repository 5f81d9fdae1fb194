"""Google Sheets trackers, read with google-api-python-client (Sheets API v4).

Each cell is read with its type: its effective value and the type of its effective number format
(``spreadsheets.get`` with grid data, masked to those two fields). A number formatted as a date, a
time or both becomes the ``date``, ``time`` or ``datetime`` that python-calamine hands back for the
same cell of an Excel file, so one cell parser reads both alike: a consent date typed into a yes/no
column is a date (yes), never the serial 46315. A checkbox is a boolean; currency, percent and plain
numbers are numbers; a formula error reads as its text (`#DIV/0!`); no locale can swap day and month.

Credentials come from Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS naming a
service account's key file, shared on the sheet as a viewer), never from the config. When
SHEETS_EMULATOR_HOST (`host:port`) is set, the same code talks plain HTTP to that address with no
credentials: the local stand-in the tests use, as Google's own emulators work.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from ..emulators import emulator_host
from ..errors import TrackerUnavailable

SCOPES = ["https://www.googleapis.com/auth/spreadsheets.readonly"]


def sheets_service():
    from googleapiclient.discovery import build

    emulator = emulator_host("SHEETS_EMULATOR_HOST")
    if emulator:
        import httplib2

        return build("sheets", "v4", http=httplib2.Http(timeout=30), static_discovery=True,
                     client_options={"api_endpoint": f"http://{emulator}/"})
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, _ = google.auth.default(scopes=SCOPES)
    except DefaultCredentialsError:
        raise TrackerUnavailable("Google Sheets", "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS to a "
                                                  "service account's key file and share the sheet with it") from None
    return build("sheets", "v4", credentials=credentials, static_discovery=True, cache_discovery=False)


DAY_FIRST_LOCALES = ("en_US", "en_PH", "es_US", "fil_PH")
"""Locales that write dates month first; every other locale is read day first (en_GB: 26/11/2026)."""


SHEETS_EPOCH = datetime(1899, 12, 30)
"""Day 0 of Google Sheets' serial numbers (unlike Excel's, its 1900 has no 29 February)."""
CELL_FIELDS = "sheets(properties.title,data(startRow,rowData.values(effectiveValue,effectiveFormat.numberFormat.type)))"
"""The grid data a read asks for: each cell's value and the type of its number format, nothing else."""
ERROR_TEXT = {"ERROR": "#ERROR!", "NULL_VALUE": "#NULL!", "DIVIDE_BY_ZERO": "#DIV/0!", "VALUE": "#VALUE!",
              "REF": "#REF!", "NAME": "#NAME?", "NUM": "#NUM!", "N_A": "#N/A", "LOADING": "#GETTING_DATA"}
"""The API's error types as a spreadsheet shows them (``LOADING``: still calculating)."""


def typed_cell(cell: dict[str, Any]) -> object:
    """One ``CellData`` as the value an Excel file gives for the same cell."""
    value = cell.get("effectiveValue")
    if not value:
        return None
    if "errorValue" in value:
        return ERROR_TEXT.get(value["errorValue"].get("type", ""), "#ERROR!")
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "numberValue" in value:
        number = value["numberValue"]
        kind = (cell.get("effectiveFormat") or {}).get("numberFormat", {}).get("type")
        return _number(number, kind) if kind in ("DATE", "TIME", "DATE_TIME") else number
    text = value.get("stringValue")
    return None if text in (None, "") else text


def typed_rows(answer: dict[str, Any], wanted: list[str]) -> dict[str, list[list]]:
    """Each wanted sheet's rows, every cell typed (``typed_cell``), from a ``spreadsheets.get``
    answer with grid data asked for with ``CELL_FIELDS``."""
    found: dict[str, list] = {name: [] for name in wanted}
    for sheet in answer.get("sheets", []):
        name = sheet.get("properties", {}).get("title")
        if name not in found:
            continue
        for grid in sheet.get("data", []):
            rows = found[name]
            rows.extend([] for _ in range(grid.get("startRow", 0) - len(rows)))
            rows.extend([typed_cell(cell) for cell in row.get("values", [])] for row in grid.get("rowData", []))
    return found


def sheets_serial(day: date) -> float:
    """A date as Google Sheets keeps it: days since its epoch (shown as a date by a DATE format)."""
    return float((day - SHEETS_EPOCH.date()).days)


def _number(number: float, kind: str) -> object:
    """A serial number by its format: a date, a time of day, both, or a duration (a time format past
    24 hours). A serial no calendar holds stays a number, which the cell's parser refuses."""
    try:
        if kind == "TIME":
            if 0 <= number < 1:
                return (SHEETS_EPOCH + timedelta(days=number)).time().replace(microsecond=0)
            return timedelta(days=number)
        moment = SHEETS_EPOCH + timedelta(days=number)
    except (OverflowError, ValueError):
        return number
    return moment.date() if kind == "DATE" else moment.replace(microsecond=0)


class GoogleSheet:
    """One spreadsheet: two requests in all, its metadata (title, sheets, locale) and one
    ``spreadsheets.get`` with the grid data of every sheet the practice keeps in it, each cell with
    the type of its number format, so a date reads as a date wherever it is typed; dates typed as
    text are read by the sheet's locale, and ``locale_note`` says which was used."""

    def __init__(self, spreadsheet_id: str, sheets: tuple[str, ...] = ()):
        from googleapiclient.errors import HttpError

        self.spreadsheet_id = spreadsheet_id
        self._http_error = HttpError
        self._service = sheets_service()
        meta = self._call(self._service.spreadsheets().get(
            spreadsheetId=spreadsheet_id, fields="properties(title,locale),sheets.properties.title"), spreadsheet_id)
        properties = meta.get("properties", {})
        self.label = properties.get("title") or spreadsheet_id
        self.locale = properties.get("locale") or "en_US"
        self.day_first = self.locale not in DAY_FIRST_LOCALES
        self.locale_note = (f"{self.label} (Google Sheets) is in the {self.locale} locale: dates typed as text are "
                            f"read {'day first (26/11/2026)' if self.day_first else 'month first (11/26/2026)'}")
        self._sheets = [s["properties"]["title"] for s in meta.get("sheets", [])]
        self._wanted = [s for s in dict.fromkeys(sheets) if s in self._sheets]
        self._values: dict[str, list] | None = None

    def _call(self, request, where: str):
        try:
            return request.execute(num_retries=2)
        except self._http_error as exc:
            status = getattr(exc.resp, "status", None)
            why = {403: "access denied: share the sheet with the service account",
                   404: "no such spreadsheet (check spreadsheet_id)"}.get(int(status or 0), f"the Sheets API said "
                                                                                            f"{status}")
            raise TrackerUnavailable(where, why) from None
        except OSError as exc:
            raise TrackerUnavailable(where, f"Google Sheets could not be reached ({exc})") from None

    def sheet_names(self) -> list[str]:
        return list(self._sheets)

    def _fetch(self, first: str) -> dict[str, list]:
        wanted = self._wanted if first in self._wanted else [*self._wanted, first]
        data = self._call(self._service.spreadsheets().get(
            spreadsheetId=self.spreadsheet_id, ranges=[_quoted(s) for s in wanted], includeGridData=True,
            fields=CELL_FIELDS), self.label)
        return typed_rows(data, wanted)

    def rows(self, sheet: str) -> Iterator[tuple[int, Sequence]]:
        if sheet not in self._sheets:
            raise TrackerUnavailable(self.label, f"has no sheet {sheet!r} (it has: {', '.join(self._sheets)})")
        if self._values is None or sheet not in self._values:
            self._values = {**(self._values or {}), **self._fetch(sheet)}
        for number, values in enumerate(self._values.get(sheet, []), start=1):
            yield number, tuple(values)

    def close(self) -> None:
        close = getattr(self._service, "close", None)
        if close:
            close()


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"
