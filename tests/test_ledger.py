import sqlite3
import stat
from datetime import UTC, datetime

import pytest

from automations.errors import LedgerBusy
from automations.ledger import Ledger

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
    trail = [event for (event,) in ledger.db.execute("SELECT event FROM audit ORDER BY seq")]
    assert trail == ["message.pending", "message.sent"], "a requeue is not a new entry in the trail"


@pytest.mark.parametrize("change", [
    lambda book: book.queue_message("<m2@x>", "va_work_queue", "va@x", "plain", 1, NOW),
    lambda book: book.mark_sent("<m1@x>", NOW, "outbox"),
    lambda book: book.mark_failed("<m1@x>", "550 no such user", permanent=True, now=NOW),
    lambda book: book.finish_run(1, NOW, "ok", {}),
])
def test_a_change_and_its_audit_entry_reach_the_disk_together_or_not_at_all(ledger, monkeypatch, change):
    """A crash between them would leave a status the trail never recorded (read as an edited table)."""
    ledger.start_run("reminders", "2026-11-26", NOW)
    ledger.queue_message("<m1@x>", "va_work_queue", "va@x", "plain", 1, NOW)
    before = (ledger.messages(), list(ledger.db.execute("SELECT * FROM runs")), ledger.verify_audit())

    def crash(*_args):
        raise KeyboardInterrupt  # the process stopped between the change and its entry

    monkeypatch.setattr(ledger, "append_audit", crash)
    with pytest.raises(KeyboardInterrupt):
        change(ledger)
    monkeypatch.undo()
    assert (ledger.messages(), list(ledger.db.execute("SELECT * FROM runs")), ledger.verify_audit()) == before
    assert not ledger.db.in_transaction
    change(ledger)
    assert ledger.verify_audit()[1] == []


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


def _tamper(path, *statements):
    raw = sqlite3.connect(path)
    for statement in statements:
        raw.execute(statement)
    raw.commit()
    raw.close()


def anchored(tmp_path, entries=4):
    head = tmp_path / "config" / ".practice-ops-audit-head.json"
    head.parent.mkdir(exist_ok=True)
    ledger = Ledger(tmp_path / "var", head)
    for n in range(entries):
        ledger.append_audit("event", {"n": n}, NOW)
    ledger.close()
    return head


def test_a_deleted_tail_is_noticed(tmp_path):
    head = anchored(tmp_path)
    _tamper(tmp_path / "var" / "ledger.sqlite3", "DELETE FROM audit WHERE seq >= 3")
    ledger = Ledger(tmp_path / "var", head)
    checked, problems = ledger.verify_audit()
    assert checked == 2 and any("entries were deleted" in p for p in problems)


def test_a_rebuilt_chain_is_noticed(tmp_path):
    """Someone edits entry 2 and recomputes every hash after it: the chain is consistent again, but
    the head kept apart no longer matches."""
    from automations.ledger import _chain

    head = anchored(tmp_path)
    raw = sqlite3.connect(tmp_path / "var" / "ledger.sqlite3")
    rows = list(raw.execute("SELECT seq, at, event, data FROM audit ORDER BY seq"))
    prev = "0" * 64
    for seq, at, event, data in rows:
        data = '{"n": 99}' if seq == 2 else data
        digest = _chain(prev, at, event, data)
        raw.execute("UPDATE audit SET data = ?, prev = ?, hash = ? WHERE seq = ?", (data, prev, digest, seq))
        prev = digest
    raw.commit()
    raw.close()
    problems = Ledger(tmp_path / "var", head).verify_audit()[1]
    assert [p for p in problems if "rebuilt" in p]


def test_a_vanished_ledger_is_noticed_before_anything_is_resent(tmp_path):
    from automations.errors import LedgerMissing

    head = anchored(tmp_path)
    for name in ("ledger.sqlite3", "ledger.sqlite3-wal", "ledger.sqlite3-shm"):
        (tmp_path / "var" / name).unlink(missing_ok=True)
    with pytest.raises(LedgerMissing, match="restore the ledger"):
        Ledger(tmp_path / "var", head)


def test_message_status_changes_are_in_the_audit_trail(ledger):
    ledger.queue_message("<m1@x>", "appointment_reminder", "a@x.example", "plain", 1, NOW)
    ledger.mark_failed("<m1@x>", "451 try later", now=NOW)
    ledger.mark_sent("<m1@x>", NOW)
    events = [row[0] for row in ledger.db.execute("SELECT event FROM audit ORDER BY seq")]
    assert events == ["message.pending", "message.failed", "message.sent"]
    assert ledger.verify_audit()[1] == []
    _tamper(ledger.path, "UPDATE messages SET status = 'pending' WHERE message_id = '<m1@x>'")
    assert [p for p in ledger.verify_audit()[1] if "messages table was edited" in p]


def test_every_write_of_the_ledger_is_inside_a_transaction():
    """One discipline: a change (and its audit entry) reaches the disk whole or not at all; no write
    autocommits on its own beside the others."""
    import ast
    import inspect

    from automations import ledger as ledger_module

    tree = ast.parse(inspect.getsource(ledger_module))
    loose = []

    def visit(node, guarded, method):
        if isinstance(node, ast.With) and any("_transaction" in ast.unparse(item.context_expr) for item in node.items):
            guarded = True
        if isinstance(node, ast.FunctionDef):
            method = node.name
        if isinstance(node, ast.Call) and ast.unparse(node.func).startswith("self.db.execute") and node.args:
            sql = ast.unparse(node.args[0]).strip("'\"(f ").upper()
            if sql.startswith(("INSERT", "UPDATE", "DELETE")) and not guarded:
                loose.append(method)
        for child in ast.iter_child_nodes(node):
            visit(child, guarded, method)

    visit(tree, False, "")
    assert loose == []


def test_a_ledger_from_before_the_transport_shown_and_text_columns_gains_them(tmp_path):
    import sqlite3

    from automations.ledger import SCHEMA

    folder = tmp_path / "var"
    Ledger(folder).close()                                   # a folder of ours, then an older ledger in it
    (folder / "ledger.sqlite3").unlink()
    old = SCHEMA.replace(", transport TEXT,\n    provider_id TEXT, receipt TEXT\n", "\n").replace(
        ", shown TEXT NOT NULL DEFAULT '{}'", "")
    db = sqlite3.connect(folder / "ledger.sqlite3")
    db.executescript(old)
    assert not {"transport", "provider_id", "receipt"} & {row[1] for row in db.execute("PRAGMA table_info(messages)")}
    db.execute("INSERT INTO messages (message_id, kind, recipient, security, status, queued_at) VALUES "
               "('<m@x>', 'text_reminder', '+15550100101', 'plain', 'pending', '2026-12-01T09:00:00+00:00')")
    db.commit()
    db.close()
    ledger = Ledger(folder)
    try:
        assert {"transport", "provider_id", "receipt"} <= {row[1] for row in ledger.db.execute(
            "PRAGMA table_info(messages)")}
        assert "shown" in {row[1] for row in ledger.db.execute("PRAGMA table_info(invites)")}
        ledger.mark_sent("<m@x>", datetime(2026, 12, 1, 9, 1, tzinfo=UTC), "twilio", "SM1")
        assert ledger.texts_awaiting_receipt(datetime(2026, 11, 30, tzinfo=UTC)) == [
            ("<m@x>", "SM1", "text_reminder", "+15550100101")]
    finally:
        ledger.close()
