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
                            "time": "At", "actual_min": "Mins", "status": "State", "authorization_id": "Fee check"}}


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
    grids = [path for _, path, _, _ in stand_in.requests if "includeGridData=true" in path]
    assert len(grids) == 1 and "effectiveValue" in grids[0] and "numberFormat.type" in grids[0]
    assert len(stand_in.requests) == 2, "one spreadsheet: its metadata and one batch of typed cells"


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


def test_every_sheet_of_one_spreadsheet_comes_in_one_batch(tmp_path, stand_in):
    book = {"title": "All trackers", "sheets": {"Clients": MINIMAL["Clients"], "Providers": MINIMAL["Providers"],
                                                "Appt Log": SHEET["sheets"]["Appt Log"]}}
    stand_in.spreadsheets["all-1"] = book
    path = tmp_path / "practice.toml"
    path.write_text('[practice]\nname = "Lakeside"\n' + "".join(
        f'[trackers.{t}]\nsource = "gsheets"\nspreadsheet_id = "all-1"\nsheet = "{s}"\n'
        for t, s in (("clients", "Clients"), ("providers", "Providers"), ("appointments", "Appt Log")))
        + "[trackers.appointments.columns]\n" + "\n".join(f'{k} = "{v}"' for k, v in COLUMNS["appointments"].items()))
    loaded = load_practice(config_module.load(path))
    assert loaded.unavailable == [] and len(loaded.practice.appointments) == 3
    assert len(stand_in.requests) == 2


def test_an_en_gb_sheet_keeps_every_date(tmp_path, stand_in):
    """Real date cells arrive as serial numbers whatever the locale; dates typed as text are read
    day first because the spreadsheet says en_GB, and the run says so."""
    rows = [["Visit", "Pt", "Therapist", "When", "At", "Mins", "State"]]
    for n in range(1, 29):
        rows.append([f"V-{n}", "C-1", "Ann Lee", date(2026, 11, n), time(9), 50, "Completed"])
    rows.append(["V-29", "C-1", "Ann Lee", "29/11/2026", "9:00", "50", "Completed"])
    rows.append(["V-30", "C-1", "Ann Lee", "03/12/2026", "9:00", "50", "Completed"])
    stand_in.spreadsheets["gb-1"] = {"title": "Harley St", "locale": "en_GB", "sheets": {"Appt Log": rows}}
    loaded = load_practice(config_for(tmp_path, spreadsheet_id="gb-1"))
    assert loaded.issues == [] and len(loaded.practice.appointments) == 30
    dates = {a.appointment_id: a.date for a in loaded.practice.appointments}
    assert dates["V-12"] == date(2026, 11, 12) and dates["V-13"] == date(2026, 11, 13)
    assert dates["V-29"] == date(2026, 11, 29) and dates["V-30"] == date(2026, 12, 3)
    assert all(a.time == time(9) and a.actual_min == 50 for a in loaded.practice.appointments)
    assert any("en_GB locale" in n and "day first" in n for n in loaded.notices)


def test_a_us_sheet_reads_text_dates_month_first(tmp_path, stand_in):
    rows = [["Visit", "Pt", "Therapist", "When", "At"], ["V-1", "C-1", "Ann Lee", "03/12/2026", "9:00"]]
    stand_in.spreadsheets["us-1"] = {"title": "Lakeside", "locale": "en_US", "sheets": {"Appt Log": rows}}
    loaded = load_practice(config_for(tmp_path, spreadsheet_id="us-1"))
    assert loaded.practice.appointments[0].date == date(2026, 3, 12)


def test_a_duration_cell_read_unformatted_is_minutes():
    from automations.trackers.values import parse_minutes

    assert parse_minutes(53 / 1440) == 53 and parse_minutes(45) == 45


def test_the_work_queue_can_live_in_google_sheets(tmp_path, stand_in):
    """Read with one batch, written with one RAW batch (nothing becomes a formula); the VA's own column
    and her Won't fix survive the next run; a row she deleted is Done."""
    from datetime import date as day

    from automations import jobs

    stand_in.spreadsheets["queue-1"] = {"title": "Lakeside queue", "sheets": {}}
    config = config_for(tmp_path)
    path = config.path
    path.write_text(path.read_text() + '[work_queue]\nsource = "gsheets"\nspreadsheet_id = "queue-1"\n'
                                       '[state]\ndir = "var"\n')
    config = config_module.load(path)
    first = jobs.run(config, "reconcile", day(2026, 11, 26), jobs.resolve_clock(config, day(2026, 11, 26), None)[1])
    writes = [body for p, body in stand_in.writes if p.endswith("values:batchUpdate")]
    assert len(writes) >= 1 and all(w["valueInputOption"] == "RAW" for w in writes)
    sheet = stand_in.spreadsheets["queue-1"]["sheets"]["Work queue"]
    header = sheet[0]
    assert header[:3] == ["Status", "Notes", "Snooze until"] and len(sheet) - 1 >= len(first.queue.open)
    ids = [row[header.index("Finding ID")] for row in sheet[1:] if row and row[header.index("Finding ID")]]
    header.append("Called?")
    for row in sheet[1:]:
        if row and row[header.index("Finding ID")] == ids[0]:
            row[header.index("Status")] = "Won't fix"
            row.append("yes")
    deleted = next(i for i, row in enumerate(sheet) if row and row[header.index("Finding ID")] == ids[1])
    del sheet[deleted]
    before = len(stand_in.requests)
    second = jobs.run(config, "reconcile", day(2026, 11, 27), jobs.resolve_clock(config, day(2026, 11, 27), None)[1])
    states = second.queue.states
    assert states[ids[0]]["status"] == "Won't fix" and states[ids[1]]["status"] == "Done"
    aside = stand_in.spreadsheets["queue-1"]["sheets"]["Set aside"]
    row = next(r for r in aside[1:] if r and r[aside[0].index("Finding ID")] == ids[0])
    assert row[aside[0].index("Called?")] == "yes"
    queue_requests = [p for _, p, _, _ in stand_in.requests[before:] if "queue-1" in p]
    assert len(queue_requests) <= 3 * 2, "metadata, one batch read, one batch write per refresh"


def test_a_sheets_queue_that_shrinks_clears_every_stale_row_and_a_renamed_tab_keeps_its_decisions(tmp_path, stand_in):
    """A queue of 700 rows that falls to 2 clears all 698 below (not 200 of them), and a Work queue tab
    the VA renamed is found by its content: nothing is marked Done, her note stays."""
    from automations.ledger import Ledger
    from automations.reports.sheets_queue import update_sheets_queue
    from automations.rules.findings import Finding

    def found(n):
        return [Finding("billing.unbilled_session", "warning", "billing", f"Session A-{k} has no claim.",
                        refs={"appointment": f"A-{k}"}, due=date(2026, 11, 26)) for k in range(n)]

    stand_in.spreadsheets["q"] = {"title": "Queue", "sheets": {}}
    ledger = Ledger(tmp_path / "var")
    many = found(700)
    update_sheets_queue("q", many, date(2026, 11, 26), ledger)
    sheet = stand_in.spreadsheets["q"]["sheets"]["Work queue"]
    assert sum(1 for row in sheet if any(row)) == 701
    update_sheets_queue("q", many[:2], date(2026, 11, 27), ledger)
    sheet = stand_in.spreadsheets["q"]["sheets"]["Work queue"]
    assert sum(1 for row in sheet if any(row)) == 3
    header = sheet[0]
    sheet[1][header.index("Notes")] = "called the payer"
    book = stand_in.spreadsheets["q"]["sheets"]
    book["Today"] = book.pop("Work queue")
    update = update_sheets_queue("q", many[:2], date(2026, 11, 28), ledger)
    ledger.close()
    assert len(update.open) == 2 and update.resolved_today == []
    assert "Work queue" not in book and any("now called 'Today'" in n for n in update.notices)
    assert book["Today"][1][header.index("Notes")] == "called the payer"


@pytest.mark.parametrize("locale", ["en_US", "en_GB"])
def test_the_sheets_queue_reads_what_the_va_typed_as_she_typed_it_and_writes_dates_as_dates(tmp_path, stand_in,
                                                                                             locale):
    """A snooze date she types is a date cell whatever the locale (read once as formatted text,
    03/12/2026 meant March or December by the sheet's locale); a note of 5 stays 5; Due, First seen
    and Snooze until are dates under a date format, never ISO text."""
    from automations.ledger import Ledger
    from automations.reports.sheets_queue import update_sheets_queue
    from automations.rules.findings import Finding
    from automations.trackers.gsheets import GoogleSheet

    found = [Finding("billing.unbilled_session", "warning", "billing", "Session A-1 has no claim.",
                     refs={"appointment": "A-1"}, due=date(2026, 11, 30))]
    stand_in.spreadsheets["q"] = {"title": "Queue", "locale": locale, "sheets": {}}
    ledger = Ledger(tmp_path / "var")
    update_sheets_queue("q", found, date(2026, 11, 26), ledger)
    sheet = stand_in.spreadsheets["q"]["sheets"]["Work queue"]
    header = sheet[0]
    sheet[1][header.index("Status")] = "Snoozed"
    sheet[1][header.index("Snooze until")] = date(2026, 12, 3)
    sheet[1][header.index("Notes")] = 5
    update = update_sheets_queue("q", found, date(2026, 11, 27), ledger)
    ledger.close()
    state = update.states[found[0].id]
    assert (state["status"], state["snoozed_until"], state["notes"]) == ("Snoozed", "2026-12-03", "5")
    read = GoogleSheet("q", ("Work queue", "Set aside"))
    row = next(values for name in ("Work queue", "Set aside") for _, values in read.rows(name)
               if found[0].id in values)
    assert row[header.index("Due")] == date(2026, 11, 30) and row[header.index("First seen")] == date(2026, 11, 26)
    assert row[header.index("Snooze until")] == date(2026, 12, 3)
