"""`python run.py init DIR`: everything a new practice needs to start, and nothing it must undo.

Writes DIR/practice.toml (every tracker in one workbook, sending to a local outbox until the
practice chooses a transport), DIR/trackers.xlsx (one sheet per tracker with the canonical
headers, dropdowns for every enum column and date validation on date columns), DIR/templates/
(the built-in templates, to edit in place) and DIR/certs/. Existing files are never overwritten.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .errors import PracticeOpsError
from .messages.render import BUILTIN_TEMPLATES
from .trackers.records import TRACKERS, columns_of

SHEETS = {"clients": "Clients", "providers": "Providers", "appointments": "Appointments", "claims": "Claims",
          "credentialing": "Credentialing", "authorizations": "Authorizations", "compliance": "Compliance",
          "waitlist": "Waitlist"}
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
# 90 days to file, 180 days to appeal, telehealth on POS 02 or 10 with no modifier, no prior
# authorization, associates not credentialed. Check each contract; typical tables:
#
# [payers."Medicare"]
# timely_filing_days = 365
# appeal_days = 120                 # redetermination
# telehealth_pos = ["02", "10"]     # professional claims since 2024: no modifier 95 ...
# audio_modifier = "93"             # ... but 93 for audio-only
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
transport = "outbox"        # outbox | smtp; the outbox keeps every message as an .eml file to review
from = "{name} <office@example.org>"
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

[security]
certificates = "certs"
gateway_subject_tag = ""

[schedule]
reconcile = "daily 06:30"
reminders = "hourly"
digests = "weekdays 07:00"
'''


def _header(name: str) -> str:
    return name.replace("_", " ").title().replace("Id", "ID").replace("Cpt", "CPT").replace("Npi", "NPI") \
        .replace("Pos", "POS").replace("Caqh", "CAQH").replace(" Min", " (min)")


def write_blank_trackers(path: Path) -> None:
    """One sheet per tracker: canonical headers (required ones dark), dropdowns, date validation."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for tracker, sheet_name in SHEETS.items():
        sheet = book.create_sheet(sheet_name)
        specs = columns_of(tracker)
        sheet.append([_header(spec.name) for spec in specs])
        for index, spec in enumerate(specs, start=1):
            letter = get_column_letter(index)
            cell = sheet.cell(1, index)
            cell.font = Font(bold=True, color="FFFFFF" if spec.required else "000000")
            cell.fill = PatternFill("solid", fgColor="2F5D62" if spec.required else "D9E2E3")
            sheet.column_dimensions[letter].width = max(12, len(cell.value) + 4)
            cells = f"{letter}2:{letter}2000"
            if spec.kind == "enum":
                rule = DataValidation(type="list", formula1='"' + ",".join(spec.choices) + '"', allow_blank=True,
                                      error="Pick a value from the list.", errorTitle=_header(spec.name))
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
        shutil.copytree(BUILTIN_TEMPLATES, targets[2])
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
