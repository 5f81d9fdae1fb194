"""A Texas group practice kept by its VA in her own headers, read from Excel and from Google Sheets:
issue 22's gaps planted beside close clean records. Associates by their state titles (an ACSW with
no supervisor, an LMSW billing alone, an LPC-S who is licensed), Medicare known by name (its table
sets only the filing limit), a two-digit birth year, a consent date typed into a yes/no column, an
appeal waiting on its decision, a code pair with an add-on, a Last Contacted that cannot be read."""

from collections import Counter
from datetime import date, timedelta

import pytest

from automations import config as config_module
from automations import jobs
from automations.rules.dates import people_date
from tests.conftest import make_workbook
from tests.trackers.test_sheets_round_trip import as_google_sheets

TODAY = date(2027, 1, 12)
D = lambda n: (TODAY + timedelta(days=n)).strftime("%m/%d/%Y")  # a VA's text dates

SHEETS = {
    "Pts": [
        ["Pt ID", "First", "Last", "Email", "Ins", "Consent Signed", "Tele Consent", "DOB", "Guardian OK"],
        ["T-1", "Ruth", "Ames", "ruth@mail.example", "Medicare", date(2026, 10, 2), date(2026, 10, 2), "8/28/49", None],
        ["T-2", "Jon", "Bell", "jon@mail.example", "Aetna", "Y", "Y", "3/4/1990", None],
        ["T-3", "Max", "Cole", "max@mail.example", "Aetna", date(2026, 11, 3), "N/A", "5/6/2012", "Y"],
        ["T-4", "Eva", "Dunn", "eva@mail.example", "Aetna", "Y", "Y", "1/2/2049", None],      # planted: a future DOB
    ],
    "Staff": [
        ["Clinician", "Email", "Lic", "Supervisor"],
        ["Dana Fox", "dana@tx.example", "LPC-S", None],
        ["Gus Hale", "gus@tx.example", "ACSW", None],                  # planted: an associate with no supervisor
        ["Ivy Jones", "ivy@tx.example", "LMSW", "Dana Fox"],           # planted: billing alone to Aetna
    ],
    "Visits": [
        ["Visit #", "Pt ID", "Clinician", "Date", "Start", "Mins", "Seen Mins", "Type", "Mode", "Status", "Ins"],
        ["V-1", "T-1", "Dana Fox", D(-20), "9:00 AM", 45, 45, "Individual", "Phone", "Kept", "Medicare"],
        ["V-2", "T-1", "Dana Fox", D(-13), "9:00 AM", 45, 45, "Individual", "Phone", "Kept", "Medicare"],
        ["V-3", "T-2", "Dana Fox", D(-20), "10:00 AM", 60, 60, "Crisis", "In Person", "Kept", "Aetna"],
        ["V-4", "T-2", "Ivy Jones", D(-12), "11:00 AM", 45, 45, "Individual", "In Person", "Kept", "Aetna"],
        ["V-5", "T-3", "Dana Fox", D(-40), "2:00 PM", 45, 45, "Individual", "In Person", "Kept", "Aetna"],
        ["V-6", "T-3", "Dana Fox", D(-100), "2:00 PM", 45, 45, "Individual", "In Person", "Kept", "Aetna"],
        ["V-7", "T-4", "Dana Fox", D(-6), "3:00 PM", 45, 45, "Individual", "In Person", "Kept", "Aetna"],
    ],
    "Billing": [
        ["Claim #", "Visit #", "Pt ID", "Clinician", "DOS", "CPT", "Mod", "POS", "Charge", "Ins", "Sent", "Status",
         "Denied", "Reason", "Appeal Date"],
        ["K-1", "V-1", "T-1", "Dana Fox", D(-20), "90834", "93", "10", 110, "Medicare", D(-18), "Submitted", None, None,
         None],
        ["K-2", "V-2", "T-1", "Dana Fox", D(-13), "90834", None, "10", 110, "Medicare", D(-11), "Submitted", None,
         None, None],                                                   # planted: audio-only, no 93
        ["K-3", "V-3", "T-2", "Dana Fox", D(-20), "90839 + 90785", None, "11", 200, "Aetna", D(-18), "Submitted",
         None, None, None],                                             # planted: remove 90785 (one advice)
        ["K-4", "V-4", "T-2", "Ivy Jones", D(-12), "90834", None, "11", 110, "Aetna", D(-10), "Submitted", None, None,
         None],
        ["K-5", "V-5", "T-3", "Dana Fox", D(-40), "90834", None, "11", 110, "Aetna", D(-38), "Appeal Pending", D(-20),
         "CO-50", None],                                                # denied 20 days ago, appealed: waiting
        ["K-6", "V-6", "T-3", "Dana Fox", D(-100), "90834", None, "11", 110, "Aetna", D(-98), "Appealed", D(-80),
         "CO-50", D(-75)],                                              # planted: 75 days since the appeal
        ["K-7", "V-7", "T-4", "Dana Fox", D(-6), "90834", None, "11", 110, "Aetna", D(-4), "Submitted", None, None,
         None],
    ],
    "Panels": [
        ["Clinician", "Payer", "Status", "Since"],
        *[[who, payer, "Participating", "01/01/2024"] for who in ("Dana Fox", "Ivy Jones", "Gus Hale")
          for payer in ("Medicare", "Aetna")],
    ],
    "Waitlist": [
        ["Prospect", "Name", "Date Added", "Last Contacted", "Status"],
        ["W-1", "Sam Poe", D(-30), "Jan 5", "Waiting"],                 # planted: a cell that cannot be read
        ["W-2", "Lia Ray", D(-30), D(-3), "Waiting"],
    ],
}
SHEET_OF = {"clients": "Pts", "providers": "Staff", "appointments": "Visits", "claims": "Billing",
            "credentialing": "Panels", "waitlist": "Waitlist"}
COLUMNS = {
    "clients": {"client_id": "Pt ID", "payer": "Ins", "consent_to_treat": "Consent Signed",
                "telehealth_consent": "Tele Consent", "guardian_consent": "Guardian OK"},
    "providers": {"provider": "Clinician", "license_type": "Lic"},
    "appointments": {"appointment_id": "Visit #", "client_id": "Pt ID", "time": "Start", "duration_min": "Mins",
                     "actual_min": "Seen Mins", "service": "Type", "modality": "Mode", "payer": "Ins"},
    "claims": {"claim_id": "Claim #", "appointment_id": "Visit #", "client_id": "Pt ID", "date_of_service": "DOS",
               "modifiers": "Mod", "billed_amount": "Charge", "payer": "Ins", "submitted_on": "Sent",
               "denied_on": "Denied", "denial_code": "Reason"},
    "credentialing": {"provider": "Clinician", "effective_date": "Since"},
    "waitlist": {"prospect_id": "Prospect"},
}
PLANTED = {
    "credentialing.associate_billing": 2, "billing.telehealth_modifier_missing": 1, "billing.code_pair_conflict": 1,
    "billing.unpaid_followup": 1, "data.bad_value": 2,
}


def write_practice(tmp_path):
    make_workbook(tmp_path / "tx.xlsx", SHEETS)
    lines = ['[practice]', 'name = "Lone Star Counseling"', 'timezone = "America/Chicago"', '']
    for tracker, sheet in SHEET_OF.items():
        lines += [f"[trackers.{tracker}]", 'path = "tx.xlsx"', f'sheet = "{sheet}"', f"[trackers.{tracker}.columns]"]
        lines += [f'{canonical} = "{header}"' for canonical, header in COLUMNS.get(tracker, {}).items()]
        lines.append("")
    lines += ['[payers."Medicare"]', "timely_filing_days = 365", '[state]', 'dir = "var"']
    (tmp_path / "tx.toml").write_text("\n".join(lines) + "\n")
    return tmp_path / "tx.toml"


@pytest.mark.parametrize("source", ["excel", "google sheets"])
def test_every_planted_problem_and_nothing_on_the_clean_records(tmp_path, stand_in, source):
    config = config_module.load(write_practice(tmp_path))
    if source == "google sheets":
        config = as_google_sheets(config, stand_in, tmp_path)
    result = jobs.check(config, TODAY)
    assert result.unavailable == []
    assert dict(Counter(f.rule for f in result.findings)) == PLANTED, [f.message for f in result.findings]
    by = Counter((f.rule, f.refs.get("claim") or f.refs.get("provider") or f.refs.get("client")
                  or f.refs.get("prospect") or f.key) for f in result.findings)
    assert set(by) == {
        ("credentialing.associate_billing", "Gus Hale"), ("credentialing.associate_billing", "Ivy Jones"),
        ("billing.telehealth_modifier_missing", "K-2"), ("billing.code_pair_conflict", "K-3"),
        ("billing.unpaid_followup", "K-6"), ("data.bad_value", "T-4"), ("data.bad_value", "W-1")}
    appeal = next(f for f in result.findings if f.rule == "billing.unpaid_followup")
    assert f"appealed on {people_date(TODAY - timedelta(days=75))}" in appeal.message
    assert [str(i) for i in result.data_issues] == ["tx.xlsx:Waitlist: row 2: Last Contacted: 'Jan 5' is not a date"]
