"""The command line as a user meets it: real processes, real files, the sample practice."""

import json
import shutil
import subprocess
import sys
from datetime import UTC
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.conftest import MINIMAL, ROOT, make_workbook, write_config


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def sample(tmp_path) -> Path:
    """The committed sample practice, copied so that the run writes only under tmp_path."""
    shutil.copytree(ROOT / "workbooks" / "sample", tmp_path / "workbooks" / "sample")
    (tmp_path / "config").mkdir()
    shutil.copy(ROOT / "config" / "practice.toml", tmp_path / "config" / "practice.toml")
    return tmp_path / "config" / "practice.toml"


def test_run_all_on_the_sample_practice(sample):
    done = cli("--config", str(sample), "run", "all", "--today", "2026-11-26", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {"findings", "messages", "data_issues"} <= data.keys()
    for finding in data["findings"]:
        assert {"id", "rule", "severity", "owner", "message", "due", "refs"} <= finding.keys()
    families = {f["rule"].split(".")[0] for f in data["findings"]}
    assert {"data", "billing", "authorizations"} <= families
    for message in data["messages"]:
        assert {"kind", "to", "security", "status"} <= message.keys()
    notes = [m for m in data["messages"] if m["kind"] == "va_work_queue"]
    assert [(m["to"], m["status"], m["security"]) for m in notes] == [("va@riverbend.example", "sent", "plain")]
    outbox = sorted((sample.parent.parent / "outbox").glob("*.eml"))
    assert len(outbox) == sum(1 for m in data["messages"] if m["status"] == "sent")
    note = next(p for p in outbox if p.name.startswith("va_work_queue"))
    parsed = message_from_bytes(note.read_bytes(), policy=policy.default)
    assert parsed["To"] == "va@riverbend.example" and parsed.get_body(("html",)) and parsed.get_body(("plain",))
    assert (sample.parent.parent / "workbooks" / "out" / "work-queue.xlsx").exists()
    assert "Reading appointments" in done.stderr  # progress while it reads

    again = cli("--config", str(sample), "run", "all", "--today", "2026-11-26", "--json")
    assert "Trackers unchanged since the last check today" in again.stderr   # the last check's findings
    assert not [n for n in json.loads(again.stdout)["notices"] if "step stopped" in n]  # records read for the jobs
    assert {m["status"] for m in json.loads(again.stdout)["messages"]} <= {"already_sent", "blocked"}
    assert sorted((sample.parent.parent / "outbox").glob("*.eml")) == outbox
    assert [f["id"] for f in json.loads(again.stdout)["findings"]] == [f["id"] for f in data["findings"]]


def test_check_json_writes_nothing(sample):
    done = cli("--config", str(sample), "check", "--json", "--today", "2026-11-26")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["messages"] == [] and data["findings"]
    issue = data["data_issues"][0]
    assert {"file", "sheet", "row", "column", "value", "why"} <= issue.keys()
    assert not (sample.parent.parent / "outbox").exists() and not (sample.parent.parent / "var").exists()


def test_human_summary_counts_by_owner_and_severity(sample):
    done = cli("--config", str(sample), "run", "reconcile", "--today", "2026-11-26", "--quiet")
    assert done.returncode == 0
    assert "open findings" in done.stdout and "Most urgent:" in done.stdout and "  Billing  " in done.stdout
    assert done.stderr == ""


def test_a_broken_config_exits_2_with_every_problem_and_no_traceback(tmp_path):
    cfg = tmp_path / "p.toml"
    cfg.write_text('[practice]\nname = "X"\nzone = "UTC"\n[emial]\n')
    done = cli("--config", str(cfg), "check")
    assert done.returncode == 2
    assert "practice.zone: unknown key" in done.stderr and "emial: unknown key (did you mean email?)" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_a_corrupt_workbook_exits_2_without_a_traceback(tmp_path):
    book = tmp_path / "tracker.xlsx"
    book.write_bytes(b"PK\x03\x04 this is not really a workbook")
    done = cli("--config", str(write_config(tmp_path, book)), "run", "all", "--today", "2026-11-26")
    assert done.returncode == 2
    assert "tracker.xlsx" in done.stderr and "Traceback" not in done.stderr + done.stdout


def test_a_tracker_without_its_required_columns_exits_2_and_names_them(tmp_path):
    sheets = dict(MINIMAL, Claims=[["Claim", "Amount"], ["CL-1", 5]])
    cfg = write_config(tmp_path, make_workbook(tmp_path / "t.xlsx", sheets))
    done = cli("--config", str(cfg), "check", "--json")
    assert done.returncode == 2
    assert any("claim_id" in u or "client_id" in u for u in json.loads(done.stdout)["unavailable"])


@pytest.mark.parametrize("args, words", [
    (["run", "all", "--today", "2026-13-01"], "is not a date"),
    (["run", "all", "--now", "yesterday"], "is not an ISO date"),
])
def test_bad_dates_on_the_command_line(minimal_practice, args, words):
    done = cli("--config", str(minimal_practice), *args)
    assert done.returncode == 2 and words in done.stderr


def test_an_unknown_job_says_which_there_are(minimal_practice):
    done = cli("--config", str(minimal_practice), "run", "payroll", "--today", "2026-11-26")
    assert done.returncode == 2 and "invalid choice: 'payroll'" in done.stderr and "weekly-summary" in done.stderr


def test_rules_prints_the_reference():
    done = cli("rules")
    assert done.returncode == 0 and "billing.cpt_time_mismatch" in done.stdout


def test_audit_verify(sample):
    assert cli("--config", str(sample), "run", "all", "--today", "2026-11-26").returncode == 0
    done = cli("--config", str(sample), "audit", "verify")
    assert done.returncode == 0 and "intact" in done.stdout


def test_now_with_an_offset_sets_today_in_the_practice_timezone(minimal_practice):
    # 03:00 UTC on the 27th is still the 26th in Chicago
    done = cli("--config", str(minimal_practice), "run", "all", "--now", "2026-11-27T03:00+00:00", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["messages"][0]["subject"].endswith("Thu Nov 26")


def test_check_names_certificates_that_will_not_be_used(minimal_practice, tmp_path):
    from datetime import datetime

    from tests.pki import make_identity

    make_identity(tmp_path / "keys", "old@test.example", valid_from=datetime(2024, 1, 1, tzinfo=UTC),
                  days=300, certs_dir=tmp_path / "certs")
    done = cli("--config", str(minimal_practice), "check", "--today", "2026-11-26")
    assert done.returncode == 0
    assert "Note: old@test.example.pem: expired on 2024-10-27; not used" in done.stdout


def test_the_command_line_basics(tmp_path):
    version = cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("practice-ops ")
    after = cli("check", "--config", str(ROOT / "config" / "practice.toml"), "--today", "2026-11-26", "--quiet")
    assert after.returncode == 0
    assert all(job in cli("run", "--help").stdout for job in ("reconcile", "reminders", "digests", "weekly-summary"))
    assert all(kind in cli("preview", "--help").stdout for kind in ("appointment_reminder", "calendar_invite",
                                                                     "balance_notice", "weekly_summary"))
    broken = cli("--config", str(tmp_path / "missing.toml"), "check", "--json")
    assert broken.returncode == 2 and json.loads(broken.stdout)["errors"][0].endswith("no such config file "
                                                                                     "(pass --config PATH)")


@pytest.mark.timeout(120)
def test_audit_binder_writes_the_compliance_binder(tmp_path):
    import shutil

    import openpyxl

    for part in ("config", "workbooks/sample", "templates"):  # the committed files, not what a run left beside them
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns(".practice-ops-audit-head.json*"))
    config = str(tmp_path / "config" / "practice.toml")
    assert cli("--config", config, "run", "reminders", "--today", "2026-11-26", "--quiet").returncode == 0
    done = cli("--config", config, "audit", "binder", "--today", "2026-11-26")
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(tmp_path / "workbooks" / "out" / "compliance-binder-2026-11-26.xlsx")
    assert {"BAAs", "Releases", "Privacy notice", "Consent", "Disclosure log", "Missing or expiring"} <= set(
        book.sheetnames)
    cover = {row[0]: row[1] for row in book["Binder"].iter_rows(values_only=True) if row[0]}
    assert cover["Clients seen remotely with telehealth consent"] == "31 of 32"
    months = list(book["Disclosure log"].iter_rows(min_row=2, values_only=True))
    assert months and months[0][0] == "Nov 2026" and months[0][-1] > 0
    assert book["Binder"].page_setup.orientation == "portrait" and book["Binder"].page_setup.fitToWidth == 1
    assert any(row[1] == "BAA renewal due" for row in book["Missing or expiring"].iter_rows(values_only=True))
    consent = list(book["Consent"].iter_rows(values_only=True))
    guardian = [row[3] for row in consent[1:]]
    assert consent[0][3] == "Guardian consent (under 18)"          # asked of minors only, never of all 60 clients
    assert (guardian.count("yes"), guardian.count("missing")) == (4, 1)  # five minors, one without it


def test_a_reconcile_that_writes_the_queue_from_nothing_never_loads_openpyxl(sample):
    """openpyxl (and numpy, which it loads when installed) cost a tenth of a second at every start;
    only a queue the VA worked in, the weekly summary and reports need it."""
    code = ("import sys; from automations import cli; "
            f"code = cli.main(['--config', {str(sample)!r}, 'run', 'reconcile', '--today', '2026-11-26', '--quiet']); "
            "print(code, 'openpyxl' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.split()[-2:] == ["0", "False"], done.stderr


def test_a_one_off_command_logs_like_its_other_lines_and_serve_keeps_a_timed_log():
    import subprocess
    import sys

    code = ("import logging; from automations.cli import _log_to_terminal; _log_to_terminal(False, serving={}); "
            "logging.getLogger('automations.trackers.second_process').warning('read here')")
    said = [subprocess.run([sys.executable, "-c", code.format(serving)], capture_output=True, text=True,
                           timeout=60).stderr for serving in (False, True)]
    assert said[0] == "practice-ops: read here\n"
    assert said[1].endswith("WARNING automations.trackers.second_process: read here\n") and said[1][:4].isdigit()
