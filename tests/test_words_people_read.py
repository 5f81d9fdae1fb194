"""Issue 24's one scan: no text a person reads, in any message kind rendered for the sample practice,
holds an ISO date, a 24-hour clock or a snake_case word (a rule id, a status code, a kind's name)."""

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
SNAKE_CASE = re.compile(r"\b[a-z]+_[a-z_]+\b")
CLOCK_24 = re.compile(r"\b(?:[01]\d|2[0-3]):[0-5]\d\b(?!\s?[AP]M)")  # 14:00, 09:00; never 9:00 AM
KINDS = [["appointment_reminder", "A-3032"], ["balance_notice", "C-119"], ["clinician_digest", "Maya Chen"],
         ["calendar_invite", "A-3032"], ["billing_escalation"], ["credentialing_reminder"],
         ["waitlist_opening", "W-201"], ["va_work_queue"], ["intake_forms_reminder", "A-3032"],
         ["weekly_summary"], ["eap_report", "EAP-113"]]


def people_text(text: str) -> str:
    """The words, less what is not for reading: links, addresses, file names and HTML's own markup."""
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"https?://\S+|\S+@\S+|\S+\.(xlsx|eml|pem)\b", " ", text)
    return text


@pytest.mark.timeout(120)
@pytest.mark.parametrize("args", KINDS, ids=[k[0] for k in KINDS])
def test_every_message_kind_reads_in_words(args, tmp_path):
    html = tmp_path / "message.html"
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "preview", *args, "--today", "2026-11-26",
                           "--html", str(html)], capture_output=True, text=True, timeout=100, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    body = done.stdout.split("\n\n", 1)[1]                   # the message, below To/Subject/PHI/Security
    subject = next(line for line in done.stdout.splitlines() if line.startswith("Subject:"))
    for text in (subject, body, html.read_text()):
        words = people_text(text)
        assert not ISO_DATE.findall(words), (args[0], ISO_DATE.findall(words)[:3])
        assert not SNAKE_CASE.findall(words), (args[0], SNAKE_CASE.findall(words)[:3])
        assert not CLOCK_24.findall(words), (args[0], CLOCK_24.findall(words)[:3])


@pytest.mark.timeout(240)
def test_every_sheet_of_the_workbooks_reads_in_words(tmp_path):
    """The queue, the weekly summary and the compliance binder of the sample practice: every text cell
    in words, but for the queue's two reference columns (Rule, Finding ID)."""
    import shutil

    import openpyxl

    for part in ("config", "workbooks/sample", "templates"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns(".practice-ops-audit-head.json*"))
    config = str(tmp_path / "config" / "practice.toml")
    for command in (["run", "all", "--today", "2026-11-30", "--quiet"], ["audit", "binder", "--today", "2026-11-30"]):
        done = subprocess.run([sys.executable, str(ROOT / "run.py"), "--config", config, *command],
                              capture_output=True, text=True, timeout=200, cwd=ROOT)
        assert done.returncode == 0, done.stderr
    books = sorted((tmp_path / "workbooks" / "out").glob("*.xlsx"))
    assert {p.name.split("-2026")[0] for p in books} >= {"work-queue.xlsx", "weekly-summary", "compliance-binder"}
    for path in books:
        for sheet in openpyxl.load_workbook(path).worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            header = [str(h) for h in rows[0]] if rows else []
            skip = {i for i, h in enumerate(header) if h in ("Rule", "Finding ID")}
            for row in rows:
                for i, cell in enumerate(row):
                    if i in skip or not isinstance(cell, str):
                        continue
                    words = people_text(cell)
                    assert not ISO_DATE.findall(words), (path.name, sheet.title, cell[:120])
                    assert not SNAKE_CASE.findall(words), (path.name, sheet.title, cell[:120])
                    assert not CLOCK_24.findall(words), (path.name, sheet.title, cell[:120])
