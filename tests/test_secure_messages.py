"""Issue 4's acceptance, end to end: a practice with certificates for some recipients and none for
others, the reminders and digests jobs run through the command line into the outbox."""

import json
import re
import subprocess
import sys
from datetime import date, time
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.conftest import ROOT, make_workbook
from tests.pki import make_identity, openssl_decrypt

NOW = "2026-11-26T09:00-05:00"
LAST_NAMES = ["Quixote", "Marchbanks", "Thistlewood", "Fennimore", "Oakenshield", "Wadsworth"]
CLIENTS = [
    ["Client ID", "First Name", "Last Name", "Email", "Payer", "Email Consent", "Intake Forms Received",
     "Privacy Notice Ack", "Insurance Verified", "Primary Provider"],
    ["C-1", "Rosa", "Quixote", "rosa@mail.example", "Aetna", "Plain OK", "Y", "Y", "Y", "Ann Lee"],
    ["C-2", "Zeb", "Marchbanks", "zeb@mail.example", "Aetna", "Encrypted", "Y", "Y", "Y", "Ann Lee"],
    ["C-3", "Ulla", "Thistlewood", "ulla@mail.example", "Aetna", "Encrypted", "Y", "Y", "Y", "Bo Diaz"],
    ["C-4", "Pia", "Fennimore", "pia@mail.example", "Aetna", "None", "Y", "Y", "Y", "Bo Diaz"],
    ["C-5", "Ned", "Oakenshield", "ned@mail.example", "Aetna", "plain_ok", "Y", "Y", "Y", "Ann Lee"],
    ["C-6", "Ike", "Wadsworth", None, "Aetna", "plain_ok", "Y", "Y", "Y", "Bo Diaz"],
]
APPOINTMENTS = [
    ["Appointment ID", "Client ID", "Provider", "Date", "Time", "Duration Min", "Actual Min", "Service", "CPT",
     "Modality", "Telehealth Link", "Status", "Payer"],
    ["A-1", "C-1", "Ann Lee", date(2026, 11, 27), time(10), 50, None, "individual", "90834", "in_person", None,
     "scheduled", "Aetna"],
    ["A-2", "C-2", "Ann Lee", date(2026, 11, 27), time(11), 50, None, "individual", "90834", "in_person", None,
     "confirmed", "Aetna"],
    ["A-3", "C-3", "Bo Diaz", date(2026, 11, 27), time(13), 50, None, "individual", "90834", "in_person", None,
     "scheduled", "Aetna"],
    ["A-4", "C-4", "Bo Diaz", date(2026, 11, 27), time(14), 50, None, "individual", "90834", "in_person", None,
     "scheduled", "Aetna"],
    ["A-5", "C-5", "Ann Lee", date(2026, 11, 26), time(15), 50, None, "individual", "90834", "video",
     "https://video.example/a5", "scheduled", "Aetna"],
    ["A-6", "C-6", "Bo Diaz", date(2026, 11, 27), time(15), 50, None, "individual", "90834", "in_person", None,
     "scheduled", "Aetna"],
    ["A-7", "C-1", "Ann Lee", date(2026, 12, 1), time(10), 50, None, "individual", "90834", "in_person", None,
     "scheduled", "Aetna"],
    ["A-8", "C-4", "Bo Diaz", date(2026, 11, 27), time(16), 50, None, "individual", "90834", "in_person", None,
     "cancelled", "Aetna"],
    ["A-10", "C-1", "Ann Lee", date(2026, 11, 10), time(10), 50, 45, "individual", "90834", "in_person", None,
     "completed", "Aetna"],
    ["A-11", "C-5", "Bo Diaz", date(2026, 11, 12), time(10), 50, 50, "individual", "90834", "in_person", None,
     "completed", "Aetna"],
]
CLAIMS = [["Claim ID", "Appointment ID", "Client ID", "Provider", "Date of Service", "CPT", "POS", "Billed Amount",
           "Payer", "Submitted On", "Status"],
          ["CL-1", "A-10", "C-1", "Ann Lee", date(2026, 11, 10), "90837", "11", "$170.00", "Aetna",
           date(2026, 11, 11), "submitted"]]
PROVIDERS = [["Provider", "Email"], ["Ann Lee", "ann@lake.example"], ["Bo Diaz", "bo@lake.example"]]
WITH_CERTIFICATES = ["ann@lake.example", "zeb@mail.example", "billing@lake.example"]


@pytest.fixture(scope="module")
def practice(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("lake")
    book = make_workbook(root / "lake.xlsx", {"Clients": CLIENTS, "Providers": PROVIDERS,
                                              "Appointments": APPOINTMENTS, "Claims": CLAIMS})
    keys = {address: make_identity(root / "keys", address, certs_dir=root / "certs") for address in WITH_CERTIFICATES}
    trackers = "\n".join(f'[trackers.{name}]\npath = "{book.name}"\nsheet = "{sheet}"\n' for name, sheet in
                         (("clients", "Clients"), ("providers", "Providers"), ("appointments", "Appointments"),
                          ("claims", "Claims")))
    (root / "practice.toml").write_text(f"""
[practice]
name = "Lakeside Therapy"
timezone = "America/New_York"
phone = "555-0100"

[people]
owner = "owner@lake.example"
billing = "billing@lake.example"
va = ["va@lake.example"]

{trackers}
[email]
transport = "outbox"
from = "Lakeside Therapy <office@lake.example>"
outbox_dir = "outbox"

[work_queue]
path = "out/queue.xlsx"

[state]
dir = "var"

[security]
certificates = "certs"
""")
    runs = {}
    for job in ("reminders", "digests"):
        done = subprocess.run([sys.executable, str(ROOT / "run.py"), "--config", str(root / "practice.toml"), "run",
                               job, "--now", NOW, "--json", "--verbose"], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        runs[job] = (json.loads(done.stdout), done.stderr)
    files = sorted((root / "outbox").glob("*.eml"))
    return {"root": root, "keys": keys, "runs": runs, "files": files}


def parsed(path: Path):
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert not message.defects, (path.name, message.defects)
    return message


def is_encrypted(message) -> bool:
    return message.get_content_type() == "application/pkcs7-mime"


def test_every_message_parses_as_rfc_5322(practice):
    assert practice["files"]
    for path in practice["files"]:
        message = parsed(path)
        for header in ("From", "To", "Subject", "Date", "Message-ID"):
            assert message[header], (path.name, header)


def reminders_to(practice) -> set[str]:
    return {parsed(p)["To"] for p in practice["files"] if p.name.startswith("appointment_reminder")}


def test_every_client_who_consented_with_a_session_within_48_hours_has_a_reminder(practice):
    assert reminders_to(practice) == {"rosa@mail.example", "zeb@mail.example", "ned@mail.example"}
    video = next(parsed(p) for p in practice["files"]
                 if p.name.startswith("appointment_reminder") and parsed(p)["To"] == "ned@mail.example")
    text = video.get_body(("plain",)).get_content()
    assert "https://video.example/a5" in text and "test your camera" in text


def test_every_encrypted_message_decrypts_with_openssl(practice):
    encrypted = [p for p in practice["files"] if is_encrypted(parsed(p))]
    kinds = {parsed(p)["X-Practice-Ops-Kind"] for p in encrypted}
    assert {"appointment_reminder", "clinician_digest", "billing_escalation"} <= kinds
    assert "calendar_invite" not in kinds        # invitations name no client and go in clear, so Outlook takes them
    for path in encrypted:
        cert, key = practice["keys"][parsed(path)["To"]]
        inner = message_from_bytes(openssl_decrypt(path, cert, key), policy=policy.default)
        assert inner.get_body(("plain",)) is not None and inner.get_body(("html",)) is not None
    digest = next(p for p in encrypted if parsed(p)["X-Practice-Ops-Kind"] == "clinician_digest")
    inner = message_from_bytes(openssl_decrypt(digest, *practice["keys"]["ann@lake.example"]), policy=policy.default)
    assert "Ned Oakenshield (C-5)" in inner.get_body(("plain",)).get_content()   # full PHI, but encrypted
    escalation = next(p for p in encrypted if parsed(p)["X-Practice-Ops-Kind"] == "billing_escalation")
    inner = message_from_bytes(openssl_decrypt(escalation, *practice["keys"]["billing@lake.example"]),
                               policy=policy.default)
    assert "CL-1" in inner.get_body(("plain",)).get_content() and "90837" in inner.get_body(("plain",)).get_content()


def clear_text(message) -> str:
    return "\n".join(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")


def test_no_unencrypted_message_carries_a_last_name_a_code_or_an_amount(practice):
    clear = [parsed(p) for p in practice["files"] if not is_encrypted(parsed(p))]
    assert clear
    for message in clear:
        text = clear_text(message) + str(message["Subject"])
        assert not [name for name in LAST_NAMES if name in text], message["X-Practice-Ops-Kind"]
        assert not re.search(r"\b9\d{4}\b", text), message["X-Practice-Ops-Kind"]
        assert not re.search(r"\$\s?\d", text), message["X-Practice-Ops-Kind"]


def test_subjects_never_carry_phi(practice):
    for path in practice["files"]:
        subject = str(parsed(path)["Subject"])
        assert not [n for n in LAST_NAMES if n in subject] and not re.search(r"\bC-\d", subject), subject


def test_a_clinician_without_a_certificate_gets_nothing_in_clear_and_the_va_is_told(practice):
    assert {parsed(p)["X-Practice-Ops-Kind"] for p in practice["files"] if parsed(p)["To"] == "bo@lake.example"} \
        <= {"calendar_invite"}
    digests = practice["runs"]["digests"][0]
    # in the outbox (a review: nothing goes anywhere) the run says so; live, it is a finding for the VA
    assert any("would not be sent" in n and "morning digest for Bo Diaz" in n for n in digests["notices"])
    held = [n for n in digests["notices"] if "would not be sent" in n]
    assert len(held) == len({n.split("(", 1)[1].split("):", 1)[0] for n in held}), "one note per reason, not per message"
    assert not [f for f in digests["findings"] if f["rule"] == "compliance.message_blocked"]
    assert {m["security"] for m in digests["messages"] if m["to"] == "bo@lake.example"} == {"blocked"}
    invites = [parsed(p) for p in practice["files"] if p.name.startswith("calendar_invite")]
    assert invites and all(not is_encrypted(m) for m in invites)


def test_clients_who_cannot_be_emailed_get_nothing_and_the_va_phones(practice):
    to = {parsed(p)["To"] for p in practice["files"]}
    assert "pia@mail.example" not in to and "ulla@mail.example" not in to
    reminders = practice["runs"]["reminders"][0]
    blocked = {f["refs"]["appointment"] for f in reminders["findings"] if f["rule"] == "scheduling.reminder_blocked"}
    assert blocked == {"A-3", "A-4", "A-6"}
    assert "A-8" not in json.dumps(reminders["messages"])          # a cancelled session is never reminded


def test_running_both_jobs_again_adds_nothing(practice):
    before = {p.name: p.read_bytes() for p in practice["files"]}
    for job in ("reminders", "digests"):
        done = subprocess.run([sys.executable, str(ROOT / "run.py"), "--config", str(practice["root"] / "practice.toml"),
                               "run", job, "--now", NOW, "--json"], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "sent" not in {m["status"] for m in json.loads(done.stdout)["messages"]}
    after = {p.name: p.read_bytes() for p in (practice["root"] / "outbox").glob("*.eml")}
    assert after == before


def test_the_va_work_queue_holds_the_blocked_messages(practice):
    import openpyxl

    book = openpyxl.load_workbook(practice["root"] / "out" / "queue.xlsx")
    sheet = book["Work queue"]
    at = [c.value for c in sheet[1]].index("Rule")
    rules = {row[at] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert "scheduling.reminder_blocked" in rules                   # the VA phones the client
    assert "compliance.message_blocked" not in rules                # the outbox sends no digest anywhere


def test_logs_and_progress_never_carry_phi(practice):
    for _, stderr in practice["runs"].values():
        assert "INFO" in stderr                       # the logs were on
        assert not [n for n in LAST_NAMES if n in stderr]
        assert "@mail.example" not in stderr


def test_no_log_record_at_any_level_carries_phi(practice, caplog):
    """In-process, every logger at DEBUG: the records are scanned for the planted names and addresses."""
    import logging
    import shutil
    from datetime import datetime

    from automations import config as config_module
    from automations import jobs

    copy = practice["root"].parent / "lake-logs"
    shutil.copytree(practice["root"], copy, ignore=shutil.ignore_patterns("outbox", "var", "out",
                                                                  ".practice-ops-audit-head.json"))
    cfg = config_module.load(copy / "practice.toml")
    now = datetime.fromisoformat(NOW)
    with caplog.at_level(logging.DEBUG):
        for job in ("reconcile", "reminders", "digests"):
            jobs.run(cfg, job, now.date(), now)
    assert caplog.records
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert not [n for n in LAST_NAMES if n in logged]
    assert "@mail.example" not in logged
