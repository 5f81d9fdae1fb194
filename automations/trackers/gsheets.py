"""Google Sheets trackers, read with google-api-python-client (Sheets API v4).

Values are read as the sheet shows them (FORMATTED_VALUE), so a date reads `11/26/2026`, money
`$1,250.00` and a formula error `#DIV/0!`, and the one cell parser reads them like Excel's.

Credentials come from Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS naming a
service account's key file, shared on the sheet as a viewer), never from the config. When
SHEETS_EMULATOR_HOST (`host:port`) is set, the same code talks plain HTTP to that address with no
credentials: the local stand-in the tests use, as Google's own emulators work.
"""

from __future__ import annotations

from collections.abc import Iterator

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


class GoogleSheet:
    def __init__(self, spreadsheet_id: str):
        from googleapiclient.errors import HttpError

        self.spreadsheet_id = spreadsheet_id
        self._http_error = HttpError
        self._service = sheets_service()
        meta = self._call(self._service.spreadsheets().get(
            spreadsheetId=spreadsheet_id, fields="properties.title,sheets.properties.title"), spreadsheet_id)
        self.label = meta.get("properties", {}).get("title") or spreadsheet_id
        self._sheets = [s["properties"]["title"] for s in meta.get("sheets", [])]

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

    def rows(self, sheet: str) -> Iterator[tuple[int, tuple]]:
        if sheet not in self._sheets:
            raise TrackerUnavailable(self.label, f"has no sheet {sheet!r} (it has: {', '.join(self._sheets)})")
        quoted = "'" + sheet.replace("'", "''") + "'"
        data = self._call(self._service.spreadsheets().values().get(
            spreadsheetId=self.spreadsheet_id, range=quoted, valueRenderOption="FORMATTED_VALUE",
            majorDimension="ROWS"), f"{self.label}:{sheet}")
        for number, values in enumerate(data.get("values", []), start=1):
            yield number, tuple(None if v == "" else v for v in values)

    def close(self) -> None:
        close = getattr(self._service, "close", None)
        if close:
            close()
