"""Google Sheets trackers through the real google-api-python-client, against the local stand-in."""

from datetime import date, time

import pytest

from automations import config as config_module
from automations.trackers.load import load_practice
from tests.conftest import MINIMAL, make_workbook
from tests.standins.sheets import SheetsStandIn

SHEET = {
    "title": "Lakeside trackers",
    "sheets": {
        "Appt Log": [
            ["Lakeside Therapy: appointments"],
            [],
            ["Visit", "Pt", "Therapist", "When", "At", "Mins", "State", "Fee check"],
            ["V-1", "C-1", "Ann Lee", "11/02/2026", "9:00 AM", "53 min", "Completed", "1"],
            ["V-2", "C-2", "Ann Lee", "11/3/2026", "10:00 AM", "0:45", "No Show", "#DIV/0!"],
            ["", "", "", "", "", "", "", ""],
            ["V-3", "C-1", "Lee, Ann", "2026-11-04", "11:00", "30", "completed", "1"],
            ["V-4", "C-2", "Ann Lee", "11/31/2026", "9:00 AM", "30", "scheduled"],
            ["Note: the front desk updates this every Friday"],
        ],
    },
}
COLUMNS = {"appointments": {"appointment_id": "Visit", "client_id": "Pt", "provider": "Therapist", "date": "When",
                            "time": "At", "actual_min": "Mins", "status": "State", "telehealth_link": "Fee check"}}


def config_for(tmp_path, spreadsheet_id="lakeside-1"):
    """Appointments in Google Sheets, clients and providers in an Excel workbook: mixed, as practices are."""
    book = make_workbook(tmp_path / "t.xlsx", {"Clients": MINIMAL["Clients"],
                                               "Providers": MINIMAL["Providers"]})
    path = tmp_path / "practice.toml"
    path.write_text(f"""[practice]
name = "Lakeside"
[trackers.clients]
path = "{book.name}"
sheet = "Clients"
[trackers.providers]
path = "{book.name}"
sheet = "Providers"
[trackers.appointments]
source = "gsheets"
spreadsheet_id = "{spreadsheet_id}"
sheet = "Appt Log"
[trackers.appointments.columns]
""" + "\n".join(f'{k} = "{v}"' for k, v in COLUMNS["appointments"].items()) + "\n")
    return config_module.load(path)


@pytest.fixture
def stand_in(monkeypatch):
    with SheetsStandIn({"lakeside-1": SHEET}) as server:
        monkeypatch.setenv("SHEETS_EMULATOR_HOST", server.host)
        yield server


def test_a_google_sheet_reads_like_an_excel_tracker(tmp_path, stand_in):
    loaded = load_practice(config_for(tmp_path))
    assert loaded.unavailable == []
    assert [(a.appointment_id, a.date, a.time, a.actual_min, a.status) for a in loaded.practice.appointments] == [
        ("V-1", date(2026, 11, 2), time(9), 53, "completed"), ("V-2", date(2026, 11, 3), time(10), 45, "no_show"),
        ("V-3", date(2026, 11, 4), time(11), 30, "completed")]
    assert [str(i) for i in loaded.issues] == [
        "Lakeside trackers:Appt Log: row 5: Fee check: '#DIV/0!' is a formula error: fix the formula or type the value",
        "Lakeside trackers:Appt Log: row 8: When: '11/31/2026' is not a date"]
    assert [c.client_id for c in loaded.practice.clients] == ["C-1", "C-2"]      # the Excel half
    assert any("/values/" in path and "FORMATTED_VALUE" in path for _, path, _, _ in stand_in.requests)


def test_a_missing_spreadsheet_or_sheet_is_unavailable_not_a_crash(tmp_path, stand_in):
    loaded = load_practice(config_for(tmp_path, spreadsheet_id="no-such-id"))
    assert [str(u) for u in loaded.unavailable] == ["no-such-id: no such spreadsheet (check spreadsheet_id)"]
    assert loaded.practice.clients                                             # the rest still read
    stand_in.spreadsheets["other"] = {"title": "Other", "sheets": {"Sheet1": [["x"]]}}
    loaded = load_practice(config_for(tmp_path, spreadsheet_id="other"))
    assert "has no sheet 'Appt Log' (it has: Sheet1)" in str(loaded.unavailable[0])


def test_without_credentials_or_an_emulator_the_message_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("SHEETS_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    loaded = load_practice(config_for(tmp_path))
    assert loaded.unavailable and "GOOGLE_APPLICATION_CREDENTIALS" in str(loaded.unavailable[0])
