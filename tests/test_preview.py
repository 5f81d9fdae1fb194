import subprocess
import sys

import pytest

from tests.conftest import ROOT


def preview(*args):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), "preview", *args, "--today", "2026-11-26"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


@pytest.mark.parametrize("args, shows", [
    (["appointment_reminder", "A-3032"], "PHI: limited"),
    (["balance_notice", "C-119"], "PHI: limited"),
    (["clinician_digest", "Dr. Maya Chen, LCSW"], "Security: smime"),
    (["clinician_digest", "Sofia Alvarez"], "Security: blocked (it carries PHI"),
    (["calendar_invite", "A-3032"], "Session invitation: Friday, November 27 at 10:00 AM"),
    (["billing_escalation"], "To: billing@riverbend.example"),
    (["credentialing_reminder"], "To: va@riverbend.example"),
    (["waitlist_opening", "W-201"], "An opening at Riverbend Counseling"),
    (["va_work_queue"], "Subject: Riverbend Counseling: your work queue for Thu Nov 26"),
    (["va_work_queue"], "for Front desk"),  # owners in words, as the note the job sends
    (["intake_forms_reminder", "A-3032"], "Before your first visit"),
    (["text_reminder", "A-3032"], "Security: blocked (the client has not consented to texts"),
    (["text_help"], "Riverbend Counseling: for help, call us at (555) 010-0199. Reply STOP to stop these texts."),
])
def test_preview_renders_each_kind_for_a_sample_record(args, shows):
    done = preview(*args)
    assert done.returncode == 0, done.stderr
    assert shows in done.stdout


def test_preview_writes_the_html(tmp_path):
    out = tmp_path / "digest.html"
    done = preview("clinician_digest", "Maya Chen", "--html", str(out))
    assert done.returncode == 0 and out.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("args, says", [(["postcard"], "invalid choice: 'postcard'"),
                                        (["appointment_reminder"], "say which record"),
                                        (["appointment_reminder", "A-0"], "no appointment 'A-0'"),
                                        (["text_help", "--html", "t.html"], "a text message: it has no HTML part")])
def test_preview_mistakes_are_explained(args, says):
    done = preview(*args)
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr


def test_the_va_note_preview_says_what_the_next_run_would_send_and_writes_nothing(tmp_path):
    """The note counts what the queue shows (not every finding) and what was resolved since the
    VA's last note, from the ledger as it is; previewing it changes nothing there."""
    from datetime import date, datetime, time

    from automations import config as config_module
    from automations import jobs
    from automations.preview import preview as preview_kind
    from tests.conftest import MINIMAL, make_workbook, write_config
    from tests.test_jobs import va_note

    day, next_day = date(2026, 12, 20), date(2026, 12, 21)
    book = make_workbook(tmp_path / "t.xlsx", {**MINIMAL, "Claims": MINIMAL["Claims"][:1]})  # A-1 unbilled
    config = config_module.load(write_config(tmp_path, book))
    fresh = preview_kind(config, "va_work_queue", None, day, datetime.combine(day, time(8), tzinfo=config.zone))
    assert "resolved" not in fresh.rendered.text and not (tmp_path / "var").exists()
    jobs.run(config, "reconcile", day, datetime.combine(day, time(8), tzinfo=config.zone))
    make_workbook(book, MINIMAL)  # the claim is entered
    ledger = tmp_path / "var" / "ledger.sqlite3"
    before = ledger.read_bytes()
    shown = preview_kind(config, "va_work_queue", None, next_day,
                         datetime.combine(next_day, time(8), tzinfo=config.zone)).rendered.text
    assert "1 item was resolved since the last note" in shown
    assert ledger.read_bytes() == before
    sent = jobs.run(config, "reconcile", next_day, datetime.combine(next_day, time(8), tzinfo=config.zone))
    assert shown.splitlines() == va_note(config, next_day).splitlines()
    assert f"has {len(sent.queue.open)} open item" in shown
