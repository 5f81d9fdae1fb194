"""practice-ops writes only into places it made: a work queue, state folder or outbox pointed at a
tracker, or at a folder holding other files, is refused by check and never overwritten or chmod-ed."""

import os
import stat
import subprocess
import sys

import openpyxl
import pytest

from automations.errors import PracticeOpsError
from automations.folders import MARKER, claim_folder
from automations.ledger import Ledger
from tests.conftest import MINIMAL, ROOT, make_workbook, write_config


def cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True, timeout=60)


def practice(tmp_path, extra_lines: dict[str, str]):
    book = make_workbook(tmp_path / "tracker.xlsx", MINIMAL)
    config = write_config(tmp_path, book)
    text = config.read_text()
    for old, new in extra_lines.items():
        text = text.replace(old, new)
    config.write_text(text)
    return config, book


@pytest.mark.timeout(60)
def test_a_work_queue_pointed_at_a_tracker_is_refused_and_the_tracker_is_untouched(tmp_path):
    config, book = practice(tmp_path, {'path = "out/work-queue.xlsx"': f'path = "{tmp_path / "tracker.xlsx"}"'})
    before = book.read_bytes()
    for command in (["check"], ["run", "all"]):
        done = cli("--config", str(config), *command, "--today", "2026-11-26")
        assert done.returncode == 2 and "work_queue.path" in done.stderr and "is a tracker" in done.stderr
    assert book.read_bytes() == before


@pytest.mark.timeout(60)
def test_a_work_queue_pointed_at_someone_elses_workbook_keeps_it_aside_and_runs(tmp_path):
    other = make_workbook(tmp_path / "budget.xlsx", {"Budget": [["Item", "Cost"]]})
    before = other.read_bytes()
    config, _ = practice(tmp_path, {'path = "out/work-queue.xlsx"': f'path = "{other}"'})
    done = cli("--config", str(config), "run", "all", "--today", "2026-11-26")
    assert done.returncode == 0, done.stderr
    assert "budget.xlsx was not a work queue practice-ops could use" in done.stdout
    assert (tmp_path / "budget (set aside 2026-11-26).xlsx").read_bytes() == before
    assert "Work queue" in openpyxl.load_workbook(other).sheetnames


@pytest.mark.timeout(60)
def test_a_state_folder_holding_other_files_is_refused_and_not_chmodded(tmp_path):
    documents = tmp_path / "Documents"
    documents.mkdir()
    (documents / "taxes.pdf").write_bytes(b"%PDF")
    os.chmod(documents, 0o755)
    config, _ = practice(tmp_path, {'dir = "var"': f'dir = "{documents}"'})
    done = cli("--config", str(config), "run", "all", "--today", "2026-11-26")
    assert done.returncode == 2 and "state.dir" in done.stderr
    assert stat.S_IMODE(documents.stat().st_mode) == 0o755 and sorted(p.name for p in documents.iterdir()) == ["taxes.pdf"]


def test_an_outbox_holding_other_files_is_refused(tmp_path):
    config, _ = practice(tmp_path, {'outbox_dir = "outbox"': 'outbox_dir = "."'})
    done = cli("--config", str(config), "check", "--today", "2026-11-26")
    assert done.returncode == 2 and "email.outbox_dir" in done.stderr


def test_folders_practice_ops_made_are_marked_and_reused(tmp_path):
    folder = claim_folder(tmp_path / "var", "state", private=True)
    assert (folder / MARKER).exists()
    Ledger(folder).close()
    assert claim_folder(folder, "state") == folder


def test_a_ledger_never_claims_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(PracticeOpsError, match="did not make"):
        Ledger(tmp_path)
