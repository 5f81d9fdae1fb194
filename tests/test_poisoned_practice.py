"""Issue 8's acceptance: an unseen practice poisoned the way an attacker or a clumsy practice would,
run through the command line. `run all` exits 0, every other reminder goes, nothing reaches a
smuggled address, no written workbook holds a formula, no tracker changes, no shell command runs,
no client name goes out in clear; a work queue pointed at a tracker is refused by `check`."""

import hashlib
import json
import subprocess
import sys
import zipfile
from datetime import date, time
from email import message_from_bytes, policy

import pytest

from tests.conftest import ROOT, make_workbook

TOMORROW = date(2026, 11, 27)
EVIL = "thief@evil.example"


def practice(tmp_path, marker):
    sheets = {
        "Clients": [
            ["Client ID", "First Name", "Last Name", "Email", "Email Consent", "Payer", "Consent Signed"],
            ["C-1", "Rosa", "Quixote", f"rosa@mail.example\r\nBcc: {EVIL}", "plain_ok", "Aetna", "Y"],
            ["C-2", "Ana", "Bellweather", f"ana@mail.example, {EVIL}", "plain_ok", "Aetna", "Y"],
            ["C-3", "Eli", "Dunmore", f'"Eli" <{EVIL}>', "plain_ok", "Aetna", "Y"],
            ["C-4", "Ida", "Fairweather", "ida@mail.example", "plain_ok", '=HYPERLINK("http://evil.example","Aetna")',
             "Y"],
            ["C-5", "Ned", "Oakenshield", "ned@mail.example", "plain_ok", "Aetna", "Y"],
        ],
        "Providers": [["Provider", "Email"], ["Ann Lee", "ann@lake.example"]],
        "Appointments": [
            ["Appointment ID", "Client ID", "Provider", "Date", "Time", "Duration Min", "Status", "Payer",
             "Authorization ID"],
            *[[f"A-{n}", f"C-{n}", "Ann Lee", TOMORROW, time(9 + n), 50, "scheduled", None, None] for n in range(1, 6)],
            ["A-9", "C-5", "Ann Lee", "9999-12-31", time(9), 50, "scheduled", "Aetna", None],
        ],
        "Authorizations": [["Authorization ID", "Client ID", "Payer", "Sessions Authorized", "End Date"],
                           ["AU-1", "C-5", "Aetna", 10, "12/31/9999"]],
    }
    book = make_workbook(tmp_path / "lake.xlsx", sheets)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "clinician_digest.txt.j2").write_text(      # lowers PHI: must still never go in clear
        '{% set phi = "none" %}{% set subject = "Digest" %}{% for d in days %}{% for s in d.sessions %}'
        '{{ s.client }}{% endfor %}{% endfor %}')
    (templates / "clinician_digest.html.j2").write_text("<p>digest</p>")
    (templates / "balance_notice.txt.j2").write_text(       # calls into Python: must never run
        '{% set phi = "limited" %}{% set subject = "x" %}'
        f"{{{{ cycler.__init__.__globals__.os.system('touch {marker}') }}}}")
    (templates / "balance_notice.html.j2").write_text("<p>x</p>")
    trackers = "".join(f'[trackers.{t}]\npath = "lake.xlsx"\nsheet = "{s}"\n' for t, s in (
        ("clients", "Clients"), ("providers", "Providers"), ("appointments", "Appointments"),
        ("authorizations", "Authorizations")))
    config = tmp_path / "practice.toml"
    config.write_text(f'[practice]\nname = "Lakeside"\n[people]\nva = ["va@lake.example"]\n{trackers}'
                      f'[email]\nfrom = "Lakeside <office@lake.example>"\noutbox_dir = "outbox"\n'
                      f'[work_queue]\npath = "out/queue.xlsx"\n[state]\ndir = "var"\n')
    return config, book


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True, timeout=120)


@pytest.mark.timeout(180)
def test_the_poisoned_practice(tmp_path):
    marker = tmp_path / "pwned"
    config, book = practice(tmp_path, marker)
    before = hashlib.sha256(book.read_bytes()).hexdigest()

    done = run("--config", str(config), "run", "all", "--now", "2026-11-26T09:00-05:00", "--json")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    result = json.loads(done.stdout)

    outbox = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in (tmp_path / "outbox").glob("*.eml")]
    reminders = {m["To"] for m in outbox if m["X-Practice-Ops-Kind"] == "appointment_reminder"}
    assert reminders == {"ida@mail.example", "ned@mail.example"}, "every other reminder still goes"
    assert not [p for p in (tmp_path / "outbox").glob("*.eml") if b"evil.example" in p.read_bytes()]
    bad = {(i["row"], i["column"]) for i in result["data_issues"]}
    assert {(2, "Email"), (3, "Email"), (4, "Email")} <= bad
    assert (7, "Date") in bad                                         # a session on 9999-12-31 is a bad value

    for message in outbox:                                            # no client name in clear
        if message.get_content_type() != "application/pkcs7-mime":
            text = "".join(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")
            assert not [n for n in ("Quixote", "Fairweather", "Oakenshield") if n in text + str(message["Subject"])]
    assert not [m for m in outbox if m["X-Practice-Ops-Kind"] == "clinician_digest"]
    assert not marker.exists(), "no shell command ran"
    assert any("balance_notice.txt.j2" in n and "not allowed in a template" in n for n in result["notices"])
    assert any("clinician_digest.txt.j2" in n and "protected as such" in n for n in result["notices"])
    blocked = {f["refs"]["appointment"]: f["message"] for f in result["findings"]
               if f["rule"] == "scheduling.reminder_blocked"}
    assert set(blocked) == {"A-1", "A-2", "A-3"} and all("cannot be used" in m for m in blocked.values())

    for written in (tmp_path / "out").glob("*.xlsx"):                # no formula in what we wrote
        with zipfile.ZipFile(written) as xlsx:
            assert not [n for n in xlsx.namelist() if n.startswith("xl/worksheets/") and b"<f>" in xlsx.read(n)]
    assert hashlib.sha256(book.read_bytes()).hexdigest() == before, "no tracker changes"

    again = run("--config", str(config), "run", "all", "--now", "2026-11-26T09:00-05:00", "--json")
    assert again.returncode == 0 and "sent" not in {m["status"] for m in json.loads(again.stdout)["messages"]}


@pytest.mark.timeout(60)
def test_a_work_queue_pointed_at_a_tracker_is_refused_by_check(tmp_path):
    config, book = practice(tmp_path, tmp_path / "pwned")
    config.write_text(config.read_text().replace('path = "out/queue.xlsx"', 'path = "lake.xlsx"'))
    before = book.read_bytes()
    done = run("--config", str(config), "check")
    assert done.returncode == 2 and "is a tracker" in done.stderr and book.read_bytes() == before
