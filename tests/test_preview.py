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
    (["calendar_invite", "A-3032"], "Session invitation: 2026-11-27"),
    (["billing_escalation"], "To: billing@riverbend.example"),
    (["credentialing_reminder"], "To: va@riverbend.example"),
    (["waitlist_opening", "W-201"], "An opening at Riverbend Counseling"),
    (["va_work_queue"], "Subject: Riverbend Counseling: your work queue for 2026-11-26"),
    (["va_work_queue"], "for Front desk"),  # owners in words, as the note the job sends
    (["intake_forms_reminder", "A-3032"], "Before your first visit"),
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
                                        (["appointment_reminder", "A-0"], "no appointment 'A-0'")])
def test_preview_mistakes_are_explained(args, says):
    done = preview(*args)
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr
