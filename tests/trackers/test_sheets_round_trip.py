"""Same truth from every tracker: each Excel practice of the tests, served as Google Sheets (each cell
typed as Excel formatted it, as a workbook opened in Google Sheets keeps it), gives the same finding
ids and the same unreadable cells as the Excel files, through the real google-api-python-client."""

from datetime import date, datetime, time, timedelta

import openpyxl
import pytest

from automations import config as config_module
from automations import jobs
from automations.trackers.load import load_practice
from tests import test_unseen_practice, test_unseen_practice_advice
from tests.conftest import ROOT, make_workbook
from tests.standins.sheets import Typed, from_workbook

TYPED_TODAY = date(2026, 11, 26)


def typed_practice(tmp_path):
    """Cells of every type a VA's tracker holds, with the number formats Excel gives them: a consent
    date in a yes/no column (the Sheets practice's 56 false findings), currency, percent, a checkbox,
    times, a date-time, a duration, a formula error."""
    book = make_workbook(tmp_path / "typed.xlsx", {
        "Clients": [["Client ID", "First Name", "Payer", "Consent Signed", "Telehealth Consent", "Balance",
                     "Balance Since", "Date of Birth", "Intake Forms Received", "Insurance Verified"],
                    ["C-1", "Rosa", "Aetna", date(2026, 10, 20), date(2026, 10, 20), 125.5, date(2026, 9, 1),
                     date(1949, 8, 28), True, "Y"],
                    ["C-2", "Tom", "Aetna", "Y", "N/A", 0, None, date(2012, 3, 4), False, date(2026, 11, 2)],
                    ["C-3", "Ida", "Self-pay", date(2026, 11, 1), None, "#DIV/0!", None, date(1990, 1, 2), "Y", None]],
        "Providers": [["Provider", "Email", "Weekly Capacity"], ["Ann Lee", "ann@lake.example", 20]],
        "Appointments": [["Appointment ID", "Client ID", "Provider", "Date", "Time", "Duration Min", "Actual Min",
                          "Modality", "Status", "Payer"],
                         ["A-1", "C-1", "Ann Lee", datetime(2026, 11, 20, 9, 0), time(9), 53, timedelta(minutes=53),
                          "video", "completed", "Aetna"],
                         ["A-2", "C-2", "Ann Lee", date(2026, 11, 27), time(14, 30), 45, None, "in_person",
                          "scheduled", "Aetna"],
                         ["A-3", "C-3", "Ann Lee", date(2026, 11, 27), time(16), 45, None, "video", "scheduled",
                          None]],
        "Claims": [["Claim ID", "Client ID", "Provider", "Date of Service", "CPT", "Payer", "Billed Amount",
                    "Paid Amount", "Status", "Submitted On"],
                   ["CL-1", "C-1", "Ann Lee", date(2026, 11, 20), 90834, "Aetna", 150, 0.8, "submitted",
                    date(2026, 11, 21)]],
    })
    workbook = openpyxl.load_workbook(book)
    workbook["Clients"]["F2"].number_format = '"$"#,##0.00'
    workbook["Claims"]["G2"].number_format = '"$"#,##0.00'
    workbook["Claims"]["H2"].number_format = "0%"
    workbook["Appointments"]["D2"].number_format = "m/d/yyyy h:mm"
    workbook["Appointments"]["G2"].number_format = "[h]:mm"
    workbook.save(book)
    trackers = "".join(f'[trackers.{t}]\npath = "typed.xlsx"\nsheet = "{s}"\n' for t, s in (
        ("clients", "Clients"), ("providers", "Providers"), ("appointments", "Appointments"), ("claims", "Claims")))
    (tmp_path / "typed.toml").write_text(f'[practice]\nname = "Typed"\n{trackers}[state]\ndir = "var"\n')
    return tmp_path / "typed.toml"


def sample_practice(tmp_path):
    return ROOT / "config" / "practice.toml"


PRACTICES = {
    "sample": (sample_practice, date(2026, 11, 26)),
    "unseen: other headers, XlsxWriter": (test_unseen_practice.write_practice, test_unseen_practice.TODAY),
    "unseen: harmful advice": (test_unseen_practice_advice.write_practice, test_unseen_practice_advice.TODAY),
    "typed cells": (typed_practice, TYPED_TODAY),
}


def as_google_sheets(config, stand_in, tmp_path):
    """The same practice with every tracker in a Google Sheet made from its workbook."""
    ids: dict[str, str] = {}
    trackers = {}
    for name, tracker in config.trackers.items():
        location = str(tracker.path)
        if location not in ids:
            ids[location] = f"sheet-{len(ids) + 1}"
            stand_in.spreadsheets[ids[location]] = from_workbook(tracker.path)
        trackers[name] = tracker.model_copy(update={"source": "gsheets", "spreadsheet_id": ids[location],
                                                     "path": None})
    return config.model_copy(update={"trackers": trackers, "state": config.state.model_copy(
        update={"dir": tmp_path / "sheets-var"})})


@pytest.mark.parametrize("name", list(PRACTICES))
def test_an_excel_practice_served_as_google_sheets_gives_the_same_findings(name, tmp_path, stand_in):
    write, today = PRACTICES[name]
    config = config_module.load(write(tmp_path))
    config = config.model_copy(update={"state": config.state.model_copy(update={"dir": tmp_path / "excel-var"})})
    from_excel = jobs.check(config, today)
    from_sheets = jobs.check(as_google_sheets(config, stand_in, tmp_path), today)
    assert from_sheets.unavailable == []
    assert sorted(map(str, from_sheets.data_issues)) == sorted(map(str, from_excel.data_issues))
    excel_ids = {f.id: f.message for f in from_excel.findings}
    sheets_ids = {f.id: f.message for f in from_sheets.findings}
    assert sheets_ids.keys() == excel_ids.keys(), (
        [m for i, m in sheets_ids.items() if i not in excel_ids], [m for i, m in excel_ids.items() if i not in sheets_ids])
    assert len(excel_ids) > 0


def test_each_type_reads_as_excel_reads_it(tmp_path, stand_in):
    """Record by record, the typed practice reads the same from Sheets as from Excel: a consent date
    in a yes/no column is yes (never 'Consent Signed: 46315 is not yes or no'), currency and percent are
    numbers, a checkbox is yes or no, a date-time is its date, a duration is minutes."""
    config = config_module.load(typed_practice(tmp_path))
    excel = load_practice(config)
    sheets = load_practice(as_google_sheets(config, stand_in, tmp_path))
    for tracker in ("clients", "providers", "appointments", "claims"):
        drop = lambda records: [{k: v for k, v in vars_of(r).items() if k != "source"} for r in records]
        assert drop(getattr(sheets.practice, tracker)) == drop(getattr(excel.practice, tracker)), tracker
    rosa = sheets.practice.clients[0]
    assert rosa.consent_to_treat is True and rosa.telehealth_consent is True and rosa.intake_forms_received is True
    assert str(rosa.balance) == "125.5" and sheets.practice.clients[1].intake_forms_received is False
    visit = sheets.practice.appointments[0]
    assert visit.date == date(2026, 11, 20) and visit.time == time(9) and visit.actual_min == 53
    claim = sheets.practice.claims[0]
    assert claim.cpt == ("90834",) and str(claim.billed_amount) == "150"
    assert [str(i) for i in sheets.issues] == [str(i) for i in excel.issues]
    assert any("'#DIV/0!' is a formula error" in str(i) for i in sheets.issues)


def vars_of(record) -> dict:
    return {name: getattr(record, name) for name in record.__slots__}


def test_the_stand_in_types_cells_as_the_api_does(stand_in):
    """What the reader relies on, asked of the stand-in through the real client: each cell's value
    and its number format's type, under the field mask; no type where the mask leaves it out."""
    from automations.trackers.gsheets import CELL_FIELDS, sheets_service

    stand_in.spreadsheets["t"] = {"title": "T", "sheets": {"S": [
        [date(2026, 11, 2), time(9, 30), datetime(2026, 11, 2, 9, 30), Typed(150, "CURRENCY"), True, "#N/A", "x",
         None]]}}
    service = sheets_service()
    answer = service.spreadsheets().get(spreadsheetId="t", ranges=["'S'"], includeGridData=True,
                                        fields=CELL_FIELDS).execute()
    cells = answer["sheets"][0]["data"][0]["rowData"][0]["values"]
    assert [c["effectiveFormat"]["numberFormat"]["type"] for c in cells[:4]] == ["DATE", "TIME", "DATE_TIME",
                                                                                   "CURRENCY"]
    assert cells[0]["effectiveValue"] == {"numberValue": 46328.0}
    assert cells[4] == {"effectiveValue": {"boolValue": True}}
    assert cells[5]["effectiveValue"]["errorValue"]["type"] == "N_A" and len(cells) == 7
    bare = service.spreadsheets().get(spreadsheetId="t", ranges=["'S'"], includeGridData=True,
                                      fields="sheets.data.rowData.values.effectiveValue").execute()
    assert "effectiveFormat" not in bare["sheets"][0]["data"][0]["rowData"][0]["values"][0]


@pytest.mark.parametrize(("cell", "kind", "read"), [
    ({"numberValue": 46328}, "DATE", date(2026, 11, 2)),
    ({"numberValue": 46328.75}, "DATE_TIME", datetime(2026, 11, 2, 18)),
    ({"numberValue": 0.375}, "TIME", time(9)),
    ({"numberValue": 1.25}, "TIME", timedelta(days=1.25)),          # a duration past 24 hours
    ({"numberValue": 46328}, None, 46328),                           # a plain number stays a number
    ({"numberValue": 0.8}, "PERCENT", 0.8),
    ({"numberValue": 150}, "CURRENCY", 150),
    ({"numberValue": 1e300}, "DATE", 1e300),                         # no calendar holds it: the parser refuses it
    ({"boolValue": False}, None, False),
    ({"stringValue": ""}, None, None),
    ({"errorValue": {"type": "REF"}}, None, "#REF!"),
    ({"errorValue": {"type": "SOMETHING_NEW"}}, None, "#ERROR!"),
])
def test_a_cell_by_its_type(cell, kind, read):
    from automations.trackers.gsheets import typed_cell

    data = {"effectiveValue": cell, **({"effectiveFormat": {"numberFormat": {"type": kind}}} if kind else {})}
    assert typed_cell(data) == read
    assert typed_cell({}) is None
