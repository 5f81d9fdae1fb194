import sqlite3
import stat
from datetime import datetime, UTC

import pytest

from automations.ledger import Ledger, LedgerBusy

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path):
    book = Ledger(tmp_path / "var")
    yield book
    book.close()


def test_the_ledger_is_private_to_its_owner(ledger):
    assert stat.S_IMODE(ledger.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(ledger.dir.stat().st_mode) == 0o700


def test_a_message_is_pending_until_sent(ledger):
    ledger.queue_message("<m1@x>", "va_work_queue", "va@x", "plain", 1, NOW)
    assert ledger.message_status("<m1@x>") == "pending"
    ledger.mark_sent("<m1@x>", NOW)
    assert ledger.message_status("<m1@x>") == "sent"
    ledger.queue_message("<m1@x>", "va_work_queue", "va@x", "plain", 2, NOW)  # a rerun does not reset it
    assert ledger.message_status("<m1@x>") == "sent"


def test_the_audit_chain_is_intact_after_normal_use(ledger):
    run = ledger.start_run("reconcile", "2026-11-26", NOW)
    ledger.finish_run(run, NOW, "ok", {"findings": 3})
    assert ledger.verify_audit() == (2, [])


@pytest.mark.parametrize("tamper, words", [
    ("UPDATE audit SET data = '{\"findings\": 0}' WHERE seq = 2", "contents were changed"),
    ("DELETE FROM audit WHERE seq = 2", "does not follow"),
])
def test_the_audit_chain_notices_edits(ledger, tamper, words):
    for n in range(3):
        ledger.append_audit("event", {"n": n}, NOW)
    raw = sqlite3.connect(ledger.path)
    raw.execute(tamper)
    raw.commit()
    raw.close()
    checked, problems = ledger.verify_audit()
    assert problems and words in problems[0]


def test_one_run_at_a_time(ledger, tmp_path):
    other = Ledger(tmp_path / "var")
    try:
        with ledger.exclusive():
            with pytest.raises(LedgerBusy, match="another practice-ops run"):
                with other.exclusive():
                    pass
        with other.exclusive():
            pass
    finally:
        other.close()


def test_a_damaged_ledger_is_explained(tmp_path):
    from automations.errors import PracticeOpsError

    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "ledger.sqlite3").write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(PracticeOpsError, match="the ledger cannot be opened"):
        Ledger(tmp_path / "var")


def test_a_state_folder_that_cannot_be_made_is_explained(tmp_path):
    from automations.errors import PracticeOpsError

    (tmp_path / "blocker").write_text("a file where the folder should be")
    with pytest.raises(PracticeOpsError, match="the state folder cannot be used"):
        Ledger(tmp_path / "blocker" / "var")
