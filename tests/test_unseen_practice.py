"""A practice the sample never showed: other headers (mapped in the config), another spreadsheet
program (XlsxWriter), text dates and times, clinicians written with titles and credentials, a payer
known by two names. The rules must find each planted problem and nothing on the clean records."""

from collections import Counter
from datetime import date, timedelta

from automations import config as config_module
from automations import jobs
from tests.trackers.test_load import write_with_xlsxwriter

TODAY = date(2027, 2, 10)
D = lambda n: TODAY + timedelta(days=n)

SHEETS = {
    "Patients": [
        ["Pt #", "First", "Last", "E-mail", "Carrier", "Comm. Pref", "Paperwork In", "NPP", "VOB", "Acct Bal", "Status"],
        ["P-1", "Rosa", "Diaz", "rosa@mail.example", "BCBS", "Plain OK", "Yes", "x", "Y", None, "Active"],
        ["P-2", "Tom", "Ng", "tom@mail.example", "Cigna", "Encrypted", "Yes", "x", "Y", None, "Active"],
        ["P-3", "Ida", "Roe", "ida@mail.example", "Cigna", "Plain OK", "Yes", "x", "Y", None, "Active"],
        ["P-4", "Lou", "Fay", "lou@mail.example", "Blue Cross Blue Shield", "Plain OK", "Yes", "x", "Y", "$0.00", "Active"],
    ],
    "Team": [
        ["Clinician", "E-mail", "Focus", "Accepting", "Capacity", "License Exp", "Malpractice Exp"],
        ["Dr. Ann Lee, PsyD", "ann@lakeside.example", "anxiety; trauma", "No", 20, "12/31/2028", "06/30/2028"],
        ["Bo Diaz, LPC", "bo@lakeside.example", "couples", "Yes", 20, "2028-03-31", "2028-01-31"],
    ],
    "Sessions": [
        ["Lakeside Therapy — session log"],
        ["Visit", "Pt #", "Clinician", "Day", "At", "Booked", "Seen", "Kind", "Proc", "Where", "Link", "State",
         "Carrier", "Auth"],
        # past, billed
        ["V-1", "P-1", "Ann Lee", "01/06/2027", "9:00 AM", 53, "0:53", "Individual", "90837", "Video", "https://v/1",
         "Completed", "BCBS", None],
        ["V-2", "P-2", "Lee, Ann", "01/07/2027", "10:00 AM", 45, "0:45", "Individual", "90834", "Video", "https://v/2",
         "Completed", "Cigna", "CG-1"],
        ["V-3", "P-3", "Bo Diaz", "01/08/2027", "2:00 PM", 53, "53 min", "Individual", "90837", "In Person", None,
         "Completed", "Cigna", "CG-2"],
        ["V-4", "P-4", "Dr. Ann Lee", "01/13/2027", "9:00 AM", 45, "0:45", "Individual", "90834", "In Person", None,
         "Completed", "Blue Cross Blue Shield", None],
        ["V-5", "P-3", "Bo Diaz", "01/22/2027", "2:00 PM", 53, "0:53", "Individual", "90837", "In Person", None,
         "Completed", "Cigna", "CG-2"],
        ["V-6", "P-1", "Ann Lee", "01/20/2027", "9:00 AM", 53, "0:53", "Individual", "90837", "Video", "https://v/6",
         "No Show", "BCBS", None],
        ["V-7", "P-4", "Ann Lee", "02/03/2027", "9:00 AM", 45, "0:45", "Individual", "90834", "In Person", None,
         "Completed", "Blue Cross Blue Shield", None],          # planted: never billed
        # ahead
        ["V-8", "P-2", "Ann Lee", "02/11/2027", "10:00 AM", 45, None, "Individual", "90834", "Video", None,
         "Scheduled", "Cigna", "CG-1"],                          # planted: video tomorrow, no link
        ["V-9", "P-3", "Bo Diaz", "02/12/2027", "2:00 PM", 53, None, "Individual", "90837", "In Person", None,
         "Confirmed", "Cigna", "CG-2"],
        ["V-10", "P-1", "Ann Lee", "02/17/2027", "9:00 AM", 53, None, "Individual", "90837", "Video", "https://v/10",
         "Scheduled", "BCBS", None],
        [],
        ["Key: Proc is what the clinician planned; billing may differ"],
    ],
    "Billing Log": [
        ["Claim Ref", "Visit", "Pt #", "Clinician", "DOS", "Codes", "Mods", "POS", "Charge", "Carrier", "Sent",
         "State", "Paid $", "Paid Date", "Reason"],
        ["K-1", "V-1", "P-1", "Ann Lee", "01/06/2027", "90837", "95", "10", "$170.00", "BCBS", "01/07/2027", "Paid",
         "$136.00", "01/21/2027", None],
        ["K-2", "V-2", "P-2", "Ann Lee", "01/07/2027", "90834", "95", "02", "$130.00", "Cigna", "01/08/2027", "Paid",
         "$104.00", "01/22/2027", None],                         # planted: Cigna wants GT
        ["K-3", "V-3", "P-3", "Bo Diaz", "01/08/2027", "90837", None, "11", "$170.00", "Cigna", "01/09/2027", "Paid",
         "$136.00", "01/23/2027", None],
        ["K-4", "V-4", "P-4", "Ann Lee", "01/13/2027", "90837", None, "11", "$170.00", "Blue Cross Blue Shield",
         "01/14/2027", "Paid", "$136.00", "01/28/2027", None],   # planted: 90837 for 45 minutes
        ["K-5", "V-5", "P-3", "Bo Diaz", "01/22/2027", "90837", None, "11", "$170.00", "Cigna", "Feb 30, 2027",
         "Submitted", None, None, None],                         # planted: a date that does not exist
    ],
    "Panels": [
        ["Clinician", "Plan", "Network Status", "Since", "CAQH", "Recred Due"],
        ["Ann Lee, PsyD", "Blue Cross Blue Shield", "Participating", "2024-01-01", "2027-01-05", "2029-01-01"],
        ["Ann Lee, PsyD", "Cigna", "Participating", "2024-01-01", "2027-01-05", "2029-01-01"],
        ["Bo Diaz, LPC", "Blue Cross Blue Shield", "Participating", "2024-06-01", "2026-12-20", "2029-06-01"],
        ["Bo Diaz, LPC", "Cigna", "Termed", "2027-01-15", "2026-12-20", None],   # planted: sessions after the lapse
    ],
    "Auths": [
        ["Auth", "Pt #", "Plan", "Type", "Approved Sessions", "From", "To", "Used", "Clinician", "Report Due"],
        ["CG-1", "P-2", "Cigna", "Prior Auth", 4, "01/01/2027", "06/30/2027", 1, "Ann Lee", None],  # planted: 2 left
        ["CG-2", "P-3", "Cigna", "Prior Auth", 12, "01/01/2027", "06/30/2027", 2, "Bo Diaz", None],
    ],
    "Paperwork": [
        ["Document", "With", "Pt #", "Signed", "Renewal", "State"],
        ["Business Associate Agreement", "Lakeside EHR", None, "2025-03-01", "2028-03-01", "Active"],
        ["BAA", "VideoVisit Inc", None, "2025-03-20", "2027-03-20", "Active"],      # planted: renewal within 60 days
        ["Release of Information", "Dr. Park", "P-1", "2026-12-01", "2027-12-01", "Active"],
    ],
    "Waitlist": [
        ["Prospect", "Full Name", "E-mail", "Looking For", "Carrier", "Added", "Last Contact", "Status"],
        ["W-1", "Sam Poe", "sam@mail.example", "grief", "Cigna", "2027-01-20", "2027-02-05", "Waiting"],
    ],
}

COLUMNS = {
    "clients": {"client_id": "Pt #", "payer": "Carrier", "email_consent": "Comm. Pref",
                "intake_forms_received": "Paperwork In", "insurance_verified": "VOB", "balance": "Acct Bal"},
    "providers": {"provider": "Clinician", "specialties": "Focus", "weekly_capacity": "Capacity",
                  "license_expires": "License Exp", "malpractice_expires": "Malpractice Exp"},
    "appointments": {"appointment_id": "Visit", "client_id": "Pt #", "date": "Day", "time": "At",
                     "duration_min": "Booked", "actual_min": "Seen", "service": "Kind", "cpt": "Proc",
                     "modality": "Where", "status": "State", "payer": "Carrier", "authorization_id": "Auth"},
    "claims": {"claim_id": "Claim Ref", "appointment_id": "Visit", "client_id": "Pt #", "date_of_service": "DOS",
               "cpt": "Codes", "modifiers": "Mods", "billed_amount": "Charge", "payer": "Carrier",
               "submitted_on": "Sent", "status": "State", "paid_amount": "Paid $", "paid_on": "Paid Date",
               "denial_code": "Reason"},
    "credentialing": {"payer": "Plan", "status": "Network Status", "effective_date": "Since",
                      "caqh_attested_on": "CAQH", "recredential_due": "Recred Due"},
    "authorizations": {"authorization_id": "Auth", "client_id": "Pt #", "payer": "Plan", "kind": "Type",
                       "sessions_authorized": "Approved Sessions", "start_date": "From", "end_date": "To",
                       "sessions_used": "Used", "provider": "Clinician", "utilization_report_due": "Report Due"},
    "compliance": {"party": "With", "client_id": "Pt #", "signed_on": "Signed", "expires_on": "Renewal",
                   "status": "State"},
    "waitlist": {"prospect_id": "Prospect", "name": "Full Name", "requested_specialty": "Looking For",
                 "payer": "Carrier", "added_on": "Added", "last_contacted_on": "Last Contact"},
}
SHEET_OF = {"clients": "Patients", "providers": "Team", "appointments": "Sessions", "claims": "Billing Log",
            "credentialing": "Panels", "authorizations": "Auths", "compliance": "Paperwork", "waitlist": "Waitlist"}
PAYERS = """
[payers."Blue Cross Blue Shield"]
aliases = ["BCBS"]
timely_filing_days = 180

[payers."Cigna"]
telehealth_pos = "02"
telehealth_modifier = "GT"
auth_required = true
"""

PLANTED = {
    "billing.cpt_time_mismatch": 1, "billing.telehealth_modifier_missing": 1, "billing.unbilled_session": 1,
    "credentialing.not_in_network_for_session": 1, "authorizations.near_limit": 1, "data.bad_value": 1,
    "scheduling.missing_telehealth_link": 1, "compliance.baa_renewal_due": 1,
}


def write_practice(tmp_path):
    """The practice's workbook (by XlsxWriter) and its config; returns the config's path."""
    book = write_with_xlsxwriter(tmp_path / "lakeside.xlsx", SHEETS)
    lines = ['[practice]', 'name = "Lakeside Therapy"', 'timezone = "America/Denver"', '']
    for tracker, sheet in SHEET_OF.items():
        lines += [f"[trackers.{tracker}]", f'path = "{book.name}"', f'sheet = "{sheet}"',
                  f"[trackers.{tracker}.columns]"]
        lines += [f'{canonical} = "{header}"' for canonical, header in COLUMNS[tracker].items()]
        lines.append("")
    (tmp_path / "lakeside.toml").write_text("\n".join(lines) + PAYERS)
    return tmp_path / "lakeside.toml"


def test_every_planted_problem_and_nothing_else(tmp_path):
    result = jobs.check(config_module.load(write_practice(tmp_path)), TODAY)
    assert result.unavailable == []
    assert [str(i) for i in result.data_issues] == ["lakeside.xlsx:Billing Log: row 6: Sent: 'Feb 30, 2027' is not a date"]
    assert dict(Counter(f.rule for f in result.findings)) == PLANTED, [f.message for f in result.findings]
    by_rule = {f.rule: f for f in result.findings}
    assert by_rule["billing.cpt_time_mismatch"].refs["claim"] == "K-4"
    assert by_rule["billing.telehealth_modifier_missing"].details["wanted"] == "GT"
    assert by_rule["billing.unbilled_session"].refs["appointment"] == "V-7"
    lapse = by_rule["credentialing.not_in_network_for_session"]
    assert lapse.details["appointments"] == ["V-5", "V-9"] and lapse.refs["provider"] == "Bo Diaz"
    assert by_rule["authorizations.near_limit"].refs["authorization"] == "CG-1"
    assert by_rule["scheduling.missing_telehealth_link"].refs["appointment"] == "V-8"
