"""Google Sheets trackers, read with google-api-python-client (Sheets API v4).

Values are read unformatted, dates as serial numbers (as Excel stores them), so the one cell parser
reads them like Excel's and no locale can swap day and month; a formula error still reads
`#DIV/0!`.

Credentials come from Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS naming a
service account's key file, shared on the sheet as a viewer), never from the config. When
SHEETS_EMULATOR_HOST (`host:port`) is set, the same code talks plain HTTP to that address with no
credentials: the local stand-in the tests use, as Google's own emulators work.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

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


class GoogleSheet:
    """One spreadsheet: two requests in all, its metadata (title, sheets, locale) and one
    ``values.batchGet`` for every sheet the practice keeps in it. Values come unformatted with dates
    as serial numbers, so the sheet's locale cannot swap day and month; dates typed as text are read
    by that locale, and ``locale_note`` says which was used."""

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
        data = self._call(self._service.spreadsheets().values().batchGet(
            spreadsheetId=self.spreadsheet_id, ranges=[_quoted(s) for s in wanted],
            valueRenderOption="UNFORMATTED_VALUE", dateTimeRenderOption="SERIAL_NUMBER", majorDimension="ROWS"),
            self.label)
        return {name: found.get("values", []) for name, found in zip(wanted, data.get("valueRanges", []),
                                                                     strict=False)}

    def rows(self, sheet: str) -> Iterator[tuple[int, Sequence]]:
        if sheet not in self._sheets:
            raise TrackerUnavailable(self.label, f"has no sheet {sheet!r} (it has: {', '.join(self._sheets)})")
        if self._values is None or sheet not in self._values:
            self._values = {**(self._values or {}), **self._fetch(sheet)}
        for number, values in enumerate(self._values.get(sheet, []), start=1):
            yield number, tuple(None if v == "" else v for v in values)

    def close(self) -> None:
        close = getattr(self._service, "close", None)
        if close:
            close()


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"
