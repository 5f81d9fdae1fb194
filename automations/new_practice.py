"""`python run.py init DIR`: everything a new practice needs to start, and nothing it must undo.

Writes DIR/practice.toml (every tracker in one workbook, sending to a local outbox until the
practice chooses a transport), DIR/trackers.xlsx (one sheet per tracker with the canonical
headers, dropdowns for every enum column and date validation on date columns), DIR/templates/
(the built-in templates, to edit in place) and DIR/certs/. Existing files are never overwritten.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .errors import PracticeOpsError
from .messages.render import BUILTIN_TEMPLATES
from .trackers.records import ID_COLUMN, TRACKERS, columns_of

SHEETS = {"clients": "Clients", "providers": "Providers", "appointments": "Appointments", "claims": "Claims",
          "credentialing": "Credentialing", "authorizations": "Authorizations", "compliance": "Compliance",
          "waitlist": "Waitlist", "referrals": "Referrals", "supplies": "Supplies"}
YES_NO = '"Y,N"'


def _config(name: str) -> str:
    trackers = "\n".join(f'[trackers.{tracker}]\npath = "trackers.xlsx"\nsheet = "{sheet}"\n'
                         for tracker, sheet in SHEETS.items())
    return f'''# {name}: practice-ops config. Relative paths resolve against this file's folder.
# Check it with:  python run.py --config {{this file}} check

[practice]
name = "{name}"
timezone = "America/New_York"
phone = ""
address = ""
portal_url = ""
age_of_consent = 18         # for outpatient mental-health care without a guardian; varies by state

[people]
owner = ""
billing = ""
va = []

{trackers}
# One table per payer whose rules differ from the defaults (docs/rules.md). A payer with no table:
# 90 days to file, 180 days to appeal, 60 days for an appeal's decision, telehealth on POS 02 or 10
# with no modifier, no prior authorization, associates not credentialed. A payer whose name says
# Medicare or Medicaid (Medi-Cal, TennCare, ...) needs no table: it has Medicare's rules (365 days to
# file, 120 to appeal, POS 02 or 10, no 95, 93 for audio-only, overpayments back within 60 days) or
# Medicaid's (365 days to file); a table changes only the keys it sets. Check each contract:
#
# [payers."Superior HealthPlan"]
# program = "medicaid"              # a managed-care plan whose name does not say so ("medicare" likewise)
#
# [payers."Aetna"]
# timely_filing_days = 120
# telehealth_pos = "10"
# telehealth_modifier = "95"
#
# [payers."UnitedHealthcare"]
# timely_filing_days = 90
# telehealth_modifier = "95"
# auth_required = false
# credentials_associates = false    # bill associates' sessions under the supervisor, where allowed
#
# [payers."Some Legacy Plan"]
# telehealth_pos = ""               # wants the office POS (11) for telehealth ...
# telehealth_modifier = "GT"        # ... with the legacy GT modifier
# aliases = ["SLP", "Legacy"]

[email]
# outbox: every message kept as an .eml file to review (nothing leaves the computer); when ready:
#   smtp     any mail server: [email.smtp] host, port, security, username; PRACTICE_OPS_SMTP_PASSWORD
#   graph    Microsoft 365: [email.graph] tenant_id, client_id; PRACTICE_OPS_GRAPH_CLIENT_SECRET
#   gmail    Google Workspace: a service account key in GOOGLE_APPLICATION_CREDENTIALS
#   exchange Exchange Server on premises: [email.exchange] server, username; PRACTICE_OPS_EWS_PASSWORD
transport = "outbox"
# from = "{name} <office@your-practice-domain>"   # the mailbox messages come from: set it before going live
client_sender_name = ""     # e.g. "Appointments": a neutral sender and subject for mail to clients
outbox_dir = "outbox"

[invites]
detail = "none"             # "initials" adds the client's initials (limited PHI: encrypted, and Outlook
                            # then shows the invitation as text rather than adding it to the calendar)

[work_queue]
path = "work-queue.xlsx"

[state]
dir = "var"

[reminders]
hours_before = [48, 24]
sending_hours = "08:00-20:00"
channels = ["email"]        # add "sms" (and an [sms] table) to text clients whose Text Consent is on file
ask_to_confirm = false      # reminders say "Reply C to confirm or R to reschedule"; `run replies` reads the answers
confirm_hours = 24          # a session asked about and unconfirmed this close: the VA's call list

[referrals]
contact_business_days = 1   # a referral's first call is due this many business days after it arrives
                            # (weekends and US federal holidays skipped)

[recall]
days = 21                   # an active client with nothing booked this long after their last session is
                            # called (or half again their own usual interval, at least 14 days)

# [sms]                     # texts through Twilio Programmable Messaging (or provider = "outbox" to review them)
# provider = "twilio"
# account_sid = "AC..."     # the Twilio console shows it; the auth token goes in PRACTICE_OPS_TWILIO_AUTH_TOKEN
# from_number = "+15550100199"   # the practice's texting number, registered for 10DLC (brand and campaign)
# max_per_minute = 60
# Twilio signs a BAA only on its higher editions: a text carries limited PHI (a time, the practice's
# name), so have one in place before texting clients.

# [replies]                 # clients' answers by email, read from the practice's mailbox
# mailbox = ""              # Graph (Mail.Read), Gmail (gmail.readonly through your own internal app) or
#                           # Exchange; blank: the `from` address
# imap_host = "imap.your-practice-domain"   # SMTP practices: the inbox over IMAP; password in PRACTICE_OPS_IMAP_PASSWORD
# inbox_dir = "inbox"       # the outbox's counterpart: replies saved as .eml files, for review

[security]
certificates = "certs"
gateway_subject_tag = ""

[schedule]                  # when `python run.py serve` runs each job, in the practice's time zone
reconcile = "daily 06:30"
replies = "every 15 minutes"
reminders = "hourly"
digests = "weekdays 07:00"
weekly-summary = "monday 07:30"
'''


def _header(name: str) -> str:
    return name.replace("_", " ").title().replace("Id", "ID").replace("Cpt", "CPT").replace("Npi", "NPI") \
        .replace("Pos", "POS").replace("Caqh", "CAQH").replace(" Min", " (min)").replace("Sms", "Text")


CHOICE_WORDS = {"plain_ok": "Plain email OK", "encrypted": "Encrypted email only", "none": "No email"}
"""Dropdown words where a choice's own name would puzzle a VA (the reader maps them back)."""


def choice_label(choice: str) -> str:
    return CHOICE_WORDS.get(choice) or choice.replace("_", " ").capitalize().replace("Eap", "EAP").replace(
        "Baa", "BAA").replace("Roi", "ROI")


EXAMPLE_ID = "EXAMPLE"
"""An id that starts with EXAMPLE marks a sample row: the reader passes over it."""

INSTRUCTIONS = (
    "How to keep these trackers",
    "",
    "One sheet per tracker. Dark headers are required; the others switch rules on (check says which).",
    "Row 2 of each sheet is an example (its id starts with EXAMPLE): type over it or leave it; it is never read.",
    "Dates: a date cell, or text such as 11/26/2026 or 2026-11-26.  Times: 9:30 AM or 14:00.",
    "Minutes: 53, 53 min or 0:53.  Money: 130 or $1,250.00.",
    "Yes/no columns: Y or N (or the date it was done). N/A means the question does not apply.",
    "Dropdowns list the words practice-ops reads; VA shorthand works too (NS, Late Cx, Kept, ...).",
    "Several CPT codes or modifiers in one cell: 90834, 90785.",
    "Payer: the insurer's name, or Self-pay, Sliding scale, Superbill or Out of network for clients who pay.",
    "Referrals: one row per referral as it arrives (who referred, when); First Contact when you first reach them, "
    "and the Outcome (Scheduled with the new Client ID, Waitlisted, Declined, ...) when it is settled.",
    "Supplies: what the office keeps in stock, how many are on hand and the level to reorder at; Status Ordered "
    "once an order is placed.",
    "Never put psychotherapy notes here.",
    "",
    "After editing, run:  python run.py --config practice.toml check",
)


EXAMPLE_CELLS: dict[tuple[str, str], object] = {
    ("clients", "email"): "client@example.com", ("providers", "email"): "clinician@example.com",
    ("waitlist", "email"): "prospect@example.com", ("providers", "weekly_capacity"): 25,
    ("providers", "license_type"): "LCSW", ("claims", "modifiers"): "95", ("claims", "pos"): "10",
    ("claims", "units"): 1, ("claims", "status"): "submitted", ("claims", "billed_amount"): 130,
    ("authorizations", "sessions_used"): 3, ("appointments", "modality"): "video",
    ("appointments", "telehealth_link"): "https://video.example/join/123",
    ("providers", "license_expires"): date(2028, 6, 30), ("providers", "malpractice_expires"): date(2027, 12, 31),
    ("referrals", "source"): "Dr. Example, Family Medicine", ("referrals", "source_email"): "referrer@example.com",
    ("referrals", "email"): "prospect@example.com", ("referrals", "attempts"): 1, ("referrals", "outcome"): "scheduled",
    ("supplies", "item"): "Intake packets", ("supplies", "on_hand"): 40, ("supplies", "reorder_at"): 10,
    ("supplies", "unit"): "packets", ("clients", "status"): "active",
}
"""An example row that teaches what the trackers mean: a modifier that is a modifier, one unit, a
submitted claim that has not been paid or denied yet, a clinician's address that is a clinician's."""
EXAMPLE_BLANK = frozenset({("claims", "paid_amount"), ("claims", "paid_on"), ("claims", "denial_code"),
                           ("claims", "denied_on"), ("claims", "appealed_on"), ("clients", "balance"),
                           ("clients", "balance_since"), ("providers", "supervisor")})
"""Cells the example leaves empty, as the row they belong to would."""


def _example(tracker: str, spec) -> object:
    """One plausible example cell per column, so the VA sees what goes where."""
    from datetime import time

    samples = {"date": date(2026, 1, 5), "time": time(9), "minutes": 53, "money": 130, "count": 10,
               "yes_no": "Y", "on_file": date(2026, 1, 2), "codes": "90834", "email": "someone@example.com",
               "link": "https://video.example/join/123"}
    first_text = next(s.name for s in columns_of(tracker) if s.required and s.kind == "text")
    if spec.name == (ID_COLUMN.get(tracker) or first_text):
        return f"{EXAMPLE_ID}-1"
    if (tracker, spec.name) in EXAMPLE_BLANK:
        return None
    if (tracker, spec.name) in EXAMPLE_CELLS:
        value = EXAMPLE_CELLS[(tracker, spec.name)]
        return choice_label(str(value)) if spec.kind == "enum" else value
    if spec.kind == "enum":
        return choice_label(spec.choices[0])
    return samples.get(spec.kind, "Example" if spec.required else None)


def write_blank_trackers(path: Path) -> None:
    """An instructions sheet, then one sheet per tracker: canonical headers (required ones dark),
    dropdowns in plain words, date validation, one example row."""
    book = openpyxl.Workbook()
    readme = book.active
    readme.title = "Read me"
    for line in INSTRUCTIONS:
        readme.append([line])
    readme["A1"].font = Font(bold=True, size=14)
    readme.column_dimensions["A"].width = 110
    for row in readme.iter_rows(min_row=2):  # printed, each line wraps inside the page, never past its edge
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    readme.page_setup.orientation = "landscape"
    readme.page_setup.fitToWidth, readme.page_setup.fitToHeight = 1, 0
    readme.sheet_properties.pageSetUpPr.fitToPage = True
    for tracker, sheet_name in SHEETS.items():
        sheet = book.create_sheet(sheet_name)
        specs = columns_of(tracker)
        sheet.append([_header(spec.name) for spec in specs])
        sheet.append([_example(tracker, spec) for spec in specs])
        for cell in sheet[2]:
            cell.font = Font(italic=True, color="7F7F7F")
        for index, spec in enumerate(specs, start=1):
            letter = get_column_letter(index)
            cell = sheet.cell(1, index)
            cell.font = Font(bold=True, color="FFFFFF" if spec.required else "000000")
            cell.fill = PatternFill("solid", fgColor="2F5D62" if spec.required else "D9E2E3")
            sheet.column_dimensions[letter].width = max(12, len(cell.value) + 4)
            cells = f"{letter}2:{letter}2000"
            if spec.kind == "enum":
                rule = DataValidation(type="list", formula1='"' + ",".join(choice_label(c) for c in spec.choices) + '"',
                                      allow_blank=True, error="Pick a value from the list.",
                                      errorTitle=_header(spec.name))
            elif spec.kind == "yes_no":
                rule = DataValidation(type="list", formula1=YES_NO, allow_blank=True)
            elif spec.kind in ("date", "on_file"):
                rule = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True,
                                      error="Type a date, e.g. 11/26/2026.", errorTitle=_header(spec.name))
                for row in range(2, 2001):
                    sheet.cell(row, index).number_format = "mm/dd/yyyy"
            else:
                continue
            rule.showErrorMessage = True
            sheet.add_data_validation(rule)
            rule.add(cells)
        sheet.freeze_panes = "A2"
    book.save(path)


def init_practice(folder: Path, name: str = "My Practice") -> list[Path]:
    folder = Path(folder)
    targets = [folder / "practice.toml", folder / "trackers.xlsx", folder / "templates", folder / "certs"]
    existing = [str(p) for p in targets if p.exists()]
    if existing:
        raise PracticeOpsError(f"init: {', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
                               f"nothing was changed (choose an empty folder)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        targets[0].write_text(_config(name), encoding="utf-8")
        write_blank_trackers(targets[1])
        targets[2].mkdir()
        (targets[2] / "README.md").write_text(
            "A template placed here replaces the built-in one of the same name (both the .txt.j2 and the .html.j2).\n"
            f"Copy only the ones you change, from {BUILTIN_TEMPLATES}, so later fixes to the others reach you.\n"
            "`python run.py check` renders every template here and names any that will not work.\n",
            encoding="utf-8")
        targets[3].mkdir()
        (targets[3] / "README.md").write_text(
            "Put each recipient's S/MIME certificate here as ADDRESS.pem (public certificates only, never keys).\n",
            encoding="utf-8")
    except OSError as exc:
        raise PracticeOpsError(f"init: {folder} cannot be written ({exc.strerror})") from None
    return targets


assert set(SHEETS) == set(TRACKERS)


if __name__ == "__main__":  # python -m automations.new_practice workbooks/blank/trackers.xlsx
    import sys

    write_blank_trackers(Path(sys.argv[1] if len(sys.argv) > 1 else "workbooks/blank/trackers.xlsx"))
