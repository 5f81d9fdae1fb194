"""Issue 7's acceptance: a practice written in a VA's own words, with the new columns (DOB,
guardian and treatment consent, license type, supervisor, denial date), read by built-in aliases
only. Every planted problem is found, nothing fires on the clean records, and none of the harmful
advice seen in review comes back."""

from collections import Counter
from datetime import date

from automations import config as config_module
from automations import jobs
from tests.conftest import make_workbook

TODAY = date(2027, 3, 10)

SHEETS = {
    "Clients": [
        ["Harbor Family Counseling: client list"],
        ["Client #", "First Name", "Last Name", "Email", "Insurance", "Email Preference", "Forms Received", "NPP",
         "VOB", "GFE", "DOB", "Guardian Consent", "Consent Signed", "Telehealth Consent", "Status"],
        ["H-1", "Ada", "Moss", "ada@mail.example", "Aetna", "Plain email OK", "Y", "Y", "Y", None, "04/02/1980",
         "N/A", "Y", "Y", "Active"],
        ["H-2", "Ben", "Cole", "ben@mail.example", "Medicare", "Plain email OK", "Y", "Y", "Y", None, "1950-06-01",
         "N/A", "Y", "N/A", "Active"],
        ["H-3", "Cy", "Dunn", "cy@mail.example", "Sliding scale", "Plain email OK", "Y", "Y", "N/A", "02/01/2027",
         "1990-01-01", "N/A", "Y", "N/A", "Active"],
        ["H-4", "Di", "Eng", "di@mail.example", "Superbill (OON)", "Plain email OK", "Y", "Y", "N/A", "12/01/2025",
         "1985-03-03", "N/A", "Y", "N/A", "Active"],                       # planted: GFE more than 12 months old
        ["H-5", "Eli", "Frey", "eli.parent@mail.example", "Aetna", "Plain email OK", "Y", "Y", "Y", None,
         "05/05/2012", None, "Y", "N/A", "Active"],                         # planted: a minor, no guardian consent
        ["H-6", "Fay", "Gold", "fay.parent@mail.example", "Aetna", "Plain email OK", "Y", "Y", "Y", None,
         "01/01/2011", "Y", "Y", "N/A", "Active"],
        ["H-7", "Gus", "Hale", "gus@mail.example", "Aetna", "Plain email OK", "Y", "Y", "Y", None, "1977-07-07",
         "N/A", None, "N/A", "Active"],                                     # planted: no consent to treat
        ["H-8", "Hal", "Ives", "hal@mail.example", "Aetna", "Plain email OK", "Y", "Y", "Y", None, "1988-08-08",
         "N/A", "Y", "N", "Active"],                                        # planted: video with no telehealth consent
        ["H-9", "Ivy", "Jain", "ivy@mail.example", "Uninsured", "Plain email OK", "Y", "Y", "N/A", "01/15/2027",
         "1992-09-09", "N/A", "Y", "N/A", "Active"],
    ],
    "Clinicians": [
        ["Clinician", "Email", "License", "Supervisor", "License Exp", "Accepting"],
        ["Dr. Jo Park, LCSW", "jo@harbor.example", "LCSW", None, "12/31/2029", "Y"],
        ["Kim Ray", "kim@harbor.example", "LPC-A", "Jo Park", "12/31/2029", "Y"],
        ["Lee Fox, LMSW", "lee@harbor.example", "LMSW", None, "12/31/2029", "Y"],  # planted: no supervisor
        ["Max Orr", "max@harbor.example", "LPC", None, "04/01/2027", "N"],          # planted: expires, booked after
    ],
    "Appointments": [
        ["Appt ID", "Client #", "Clinician", "Date", "Start", "Duration", "Actual Min", "Type", "Mode", "Link",
         "Status", "Insurance"],
        ["A-1", "H-1", "Jo Park", "03/01/2027", "9:00 AM", 60, 55, "Assessment", "Office", None, "Kept", "Aetna"],
        ["A-2", "H-1", "Jo Park", "03/08/2027", "9:00 AM", 50, None, "Therapy", "Zoom", "https://v.example/2",
         "Kept", "Aetna"],
        ["A-3", "H-2", "Jo Park", "03/02/2027", "10:00 AM", 45, 45, "Therapy", "Office", None, "Kept", "Medicare"],
        ["A-4", "H-5", "Jo Park", "03/03/2027", "3:30 PM", 45, 45, "Therapy", "Office", None, "Kept", "Aetna"],
        ["A-5", "H-6", "Jo Park", "03/04/2027", "3:30 PM", 45, None, "Therapy", "Office", None, "Late Cx", "Aetna"],
        ["A-6", "H-7", "Max Orr", "03/05/2027", "1:00 PM", 45, 45, "Therapy", "Office", None, "Kept", "Aetna"],
        ["A-7", "H-8", "Kim Ray", "03/05/2027", "2:00 PM", 50, 50, "Therapy", "Zoom", "https://v.example/7",
         "Kept", "Aetna"],
        ["A-8", "H-3", "Lee Fox", "03/06/2027", "9:00 AM", 50, 50, "Therapy", "Office", None, "Kept",
         "Sliding scale"],
        ["A-9", "H-9", "Jo Park", "03/06/2027", "11:00 AM", 50, 50, "Therapy", "Office", None, "Kept", "Uninsured"],
        ["A-16", "H-6", "Jo Park", "02/20/2027", "3:30 PM", 45, None, "Therapy", "Office", None, "LC", "Aetna"],
        ["A-20", "H-1", "Jo Park", "12/01/2026", "9:00 AM", 45, 45, "Therapy", "Office", None, "Kept", "Aetna"],
        ["A-10", "H-2", "Jo Park", "03/12/2027", "10:00 AM", 45, None, "Therapy", "Office", None, "Scheduled",
         "Medicare"],
        ["A-11", "H-4", "Jo Park", "03/15/2027", "10:00 AM", 50, None, "Therapy", "Office", None, "Scheduled",
         "Superbill (OON)"],
        ["A-12", "H-1", "Max Orr", "04/05/2027", "10:00 AM", 50, None, "Therapy", "Office", None, "Booked", "Aetna"],
        ["A-13", "H-5", "Jo Park", "03/17/2027", "3:30 PM", 45, None, "Therapy", "Office", None, "Scheduled",
         "Aetna"],
        ["A-14", "H-8", "Kim Ray", "03/12/2027", "11:00 AM", 50, None, "Therapy", "Zoom", "https://v.example/14",
         "Confirmed", "Aetna"],
        ["A-15", "H-3", "Lee Fox", "03/13/2027", "9:00 AM", 50, None, "Therapy", "Office", None, "Scheduled",
         "Sliding scale"],
        [],
        ["Note: Thursday evening slots are group sessions only"],
    ],
    "Claims": [
        ["Claim #", "Appt ID", "Client #", "Clinician", "DOS", "CPT", "Modifier", "POS", "Billed", "Insurance",
         "Submitted", "Claim Status", "Paid", "Reason Code", "Denial Date"],
        ["C-1", "A-1", "H-1", "Jo Park", "03/01/2027", "90791, 90834", None, "11", "$320.00", "Aetna", "03/02/2027",
         "Submitted", None, None, None],                                    # planted: intake + therapy
        ["C-2", "A-2", "H-1", "Jo Park", "03/08/2027", "90837", None, "10", "$170.00", "Aetna", "03/09/2027",
         "Submitted", None, None, None],                                    # planted: 90837, no actual time
        ["C-3", "A-3", "H-2", "Jo Park", "03/02/2027", "90834", "95", "11", "$130.00", "Medicare", "03/03/2027",
         "Submitted", None, None, None],                                    # planted: 95 on an office visit
        ["C-4", "A-4", "H-5", "Jo Park", "03/03/2027", "90834", None, "11", "$130.00", "Aetna", "03/04/2027",
         "Rejected", None, "invalid member id", None],                      # planted: rejected
        ["C-5", "A-5", "H-6", "Jo Park", "03/04/2027", "90834", None, "11", "$130.00", "Aetna", "03/05/2027",
         "Paid", "$104.00", None, None],                                    # planted: a late cancel, paid
        ["C-6", "A-6", "H-7", "Max Orr", "03/05/2027", "90834", None, "11", "$130.00", "Aetna", "03/06/2027",
         "Denied", None, "CO-197", "03/08/2027"],                           # planted: 197 with an auth on file
        ["C-7", "A-7", "H-8", "Kim Ray", "03/05/2027", "90834", None, "10", "$130.00", "Aetna", "03/06/2027",
         "Submitted", None, None, None],                                    # planted: an associate's own name
        ["C-20", "A-20", "H-1", "Jo Park", "12/01/2026", "90834", None, "11", "$130.00", "Aetna", None,
         "Not submitted", None, None, None],                                # planted: past the filing limit
    ],
    "Panels": [
        ["Clinician", "Payer", "Status", "Effective", "CAQH Attested"],
        ["Jo Park, LCSW", "Aetna", "In Network", "2024-01-01", "2027-02-01"],
        ["Max Orr", "Aetna", "Par", "2024-01-01", "2027-02-01"],
    ],
    "Auths": [
        ["Auth #", "Client #", "Payer", "Type", "Authorized", "Start", "End", "Used"],
        ["AU-1", "H-7", "Aetna", "Prior Auth", 10, "01/01/2027", "12/31/2027", 1],
    ],
}
SHEET_OF = {"clients": "Clients", "providers": "Clinicians", "appointments": "Appointments", "claims": "Claims",
            "credentialing": "Panels", "authorizations": "Auths"}

PLANTED = {
    "billing.code_pair_conflict": 1, "billing.cpt_time_mismatch": 1, "billing.telehealth_modifier_on_in_person": 1,
    "billing.claim_rejected": 1, "billing.no_show_billed": 1, "billing.denial_open": 1,
    "billing.timely_filing_risk": 1, "billing.gfe_missing": 1, "credentialing.associate_billing": 2,
    "credentialing.license_expiring": 1, "credentialing.not_in_network_for_session": 1,
    "compliance.consent_missing": 2, "compliance.minor_consent_missing": 1,
}


def checked(tmp_path, sheets=None):
    return jobs.check(config_module.load(write_practice(tmp_path, sheets)), TODAY)


def write_practice(tmp_path, sheets=None):
    """The practice's workbook and its config; returns the config's path."""
    book = make_workbook(tmp_path / "harbor.xlsx", sheets or SHEETS)
    lines = ['[practice]', 'name = "Harbor Family Counseling"', 'timezone = "America/Chicago"', '']
    for tracker, sheet in SHEET_OF.items():
        lines += [f"[trackers.{tracker}]", f'path = "{book.name}"', f'sheet = "{sheet}"', ""]
    lines += ['[payers."Medicare"]', "timely_filing_days = 365", "appeal_days = 120", 'audio_modifier = "93"']
    (tmp_path / "harbor.toml").write_text("\n".join(lines) + "\n")
    return tmp_path / "harbor.toml"


def test_every_planted_problem_and_nothing_on_the_clean_records(tmp_path):
    result = checked(tmp_path)
    assert result.unavailable == [] and [str(i) for i in result.data_issues] == []
    assert dict(Counter(f.rule for f in result.findings)) == PLANTED, [f.message for f in result.findings]
    by_rule = {f.rule: f for f in result.findings}
    assert by_rule["billing.code_pair_conflict"].details["remove"] == "90834"
    assert by_rule["billing.cpt_time_mismatch"].refs["claim"] == "C-2"
    assert by_rule["billing.no_show_billed"].refs["claim"] == "C-5"
    assert by_rule["credentialing.license_expiring"].details["booked_after_expiry"] == ["A-12"]
    assert by_rule["credentialing.not_in_network_for_session"].details["appointments"] == ["A-3", "A-10"]
    assert by_rule["compliance.minor_consent_missing"].refs["client"] == "H-5"
    assert {f.refs["client"] for f in result.findings if f.rule == "compliance.consent_missing"} == {"H-7", "H-8"}
    assert {f.key for f in result.findings if f.rule == "credentialing.associate_billing"} == {"supervisor", "billing"}


def test_none_of_the_harmful_advice(tmp_path):
    findings = checked(tmp_path).findings
    by_rule = {f.rule: f for f in findings}
    everything = " ".join(f.message for f in findings)
    assert "bill 90837" not in everything                       # an intake + therapy day is never 'under-billed'
    assert "50-minute session" not in everything and "no actual time recorded" in everything
    submitted = {"C-1", "C-2", "C-3", "C-5", "C-6", "C-7"}
    assert not [f.message for f in findings if f.refs.get("claim") in submitted and "before submission" in f.message]
    assert "refund" in by_rule["billing.no_show_billed"].message
    assert "Medicare is never billed for it" in by_rule["billing.no_show_billed"].message
    late = by_rule["billing.timely_filing_risk"]
    assert late.severity == "urgent" and "never bill the client" in late.message
    assert "Appeal with authorization AU-1" in by_rule["billing.denial_open"].message
    assert "PECOS" in by_rule["credentialing.not_in_network_for_session"].message
    rejected = by_rule["billing.claim_rejected"]
    assert "filing clock keeps running" in rejected.message and rejected.due == date(2027, 6, 1)
    assert "under the supervisor, Jo Park" in " ".join(
        f.message for f in findings if f.rule == "credentialing.associate_billing")


def test_check_says_which_rules_a_missing_column_switches_off(tmp_path):
    dob = SHEETS["Clients"][1].index("DOB")
    without_dob = {**SHEETS, "Clients": [row[:dob] + row[dob + 1:] for row in SHEETS["Clients"]]}
    notices = checked(tmp_path, without_dob).notices
    off = [n for n in notices if "date_of_birth" in n]
    assert off == ["the clients tracker has no date_of_birth column, so compliance.minor_consent_missing is off; add "
                   "the column (or map it in [trackers.clients.columns]) to switch it on"]
    assert not [n for n in notices if "consent_to_treat" in n]
