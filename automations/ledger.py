"""The ledger: one SQLite file that remembers what practice-ops did.

It records each run, each message before and after it is handed to the transport (so a rerun
sends nothing twice and loses nothing), and an append-only audit log whose entries are chained
by SHA-256 so that ``audit verify`` can tell whether anyone edited history. The file and its
folder are readable by the owner only: message rows name recipients.

One class per concern (Runs, Deliveries, Texts, Answers, Pacing, Reminded, Invitations,
QueueMemory, Kept, AuditTrail), each over the one connection and transaction of ``Store``; ``Ledger`` is all of them,
opened. Every write is inside ``Store._transaction`` (tests/test_ledger.py holds it).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import LedgerBusy, LedgerMissing, LedgerTampered, PracticeOpsError
from .folders import claim_folder, write_whole

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, job TEXT NOT NULL, today TEXT NOT NULL, started_at TEXT NOT NULL,
    finished_at TEXT, status TEXT NOT NULL DEFAULT 'running', summary TEXT
);
CREATE TABLE IF NOT EXISTS messages (
    message_id TEXT PRIMARY KEY, kind TEXT NOT NULL, recipient TEXT NOT NULL, security TEXT NOT NULL,
    status TEXT NOT NULL, run_id INTEGER, queued_at TEXT NOT NULL, sent_at TEXT, error TEXT, transport TEXT,
    provider_id TEXT, receipt TEXT
);
CREATE TABLE IF NOT EXISTS kept (
    key TEXT PRIMARY KEY, value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reminded (
    appointment_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pace (
    transport TEXT NOT NULL, at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS transport_state (
    transport TEXT PRIMARY KEY, not_before REAL NOT NULL, why TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS queue (
    finding_id TEXT PRIMARY KEY, rule TEXT NOT NULL, status TEXT NOT NULL, notes TEXT NOT NULL DEFAULT '',
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, status_since TEXT NOT NULL, snoozed_until TEXT,
    reopened_on TEXT, resolved_on TEXT, summary TEXT NOT NULL DEFAULT '{}', written_status TEXT,
    written_notes TEXT
);
CREATE TABLE IF NOT EXISTS message_findings (
    finding_id TEXT PRIMARY KEY, data TEXT NOT NULL, expires_on TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS invites (
    appointment_id TEXT NOT NULL, recipient TEXT NOT NULL, uid TEXT NOT NULL, sequence INTEGER NOT NULL,
    fingerprint TEXT NOT NULL, method TEXT NOT NULL, sent_at TEXT NOT NULL, shown TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (appointment_id, recipient)
);
CREATE TABLE IF NOT EXISTS asked (
    message_id TEXT PRIMARY KEY, token TEXT NOT NULL, channel TEXT NOT NULL, recipient TEXT NOT NULL,
    client_id TEXT NOT NULL, appointments TEXT NOT NULL, asked_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS asked_by_token ON asked (token);
CREATE INDEX IF NOT EXISTS asked_by_recipient ON asked (channel, recipient, asked_at);
CREATE TABLE IF NOT EXISTS confirmed (
    appointment_id TEXT PRIMARY KEY, at TEXT NOT NULL, via TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS opted_out (
    channel TEXT NOT NULL, recipient TEXT NOT NULL, client_id TEXT NOT NULL DEFAULT '', at TEXT NOT NULL,
    via TEXT NOT NULL, PRIMARY KEY (channel, recipient)
);
CREATE TABLE IF NOT EXISTS replies (
    source TEXT NOT NULL, provider_id TEXT NOT NULL, received_at TEXT NOT NULL, handled_at TEXT NOT NULL,
    intent TEXT NOT NULL, client_id TEXT NOT NULL DEFAULT '', PRIMARY KEY (source, provider_id)
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, event TEXT NOT NULL, data TEXT NOT NULL,
    prev TEXT NOT NULL, hash TEXT NOT NULL
);
"""
GENESIS = "0" * 64
TABLES = ("runs", "messages", "kept", "reminded", "pace", "transport_state", "queue", "message_findings", "invites",
          "asked", "confirmed", "opted_out", "replies", "audit")
"""Every table, in the order a copy writes them (the audit trail last, after what it vouches for)."""
MOVED_NOTE = "ledger-moved.txt"
"""Left in the state folder when the ledger moved to PostgreSQL: the SQLite ledger is then refused."""








class Store:
    """One connection and one transaction discipline, under every concern below. A second backend
    (PostgreSQL, for an agency's machines) is a second Store: the concerns' SQL is the shared part."""

    db: sqlite3.Connection

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """What is written inside reaches the disk together, in one flush, or not at all: the
        queue's rows, and each change with its audit entry (apart, a crash between them left a
        status the trail never recorded, which the next check reads as an edited table; and each
        was a flush of its own, two more per message sent). Inside another, it is part of that one."""
        if self._in_transaction():
            yield
            return
        self._begin()
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _in_transaction(self) -> bool:
        return self.db.in_transaction

    def _begin(self) -> None:
        """SQLite's write lock, taken at the start: two runs never both read the chain's last link."""
        self.db.execute("BEGIN IMMEDIATE")

    def append_audit(self, event: str, data: dict, now: datetime) -> None:
        """Every concern's changes are audited (AuditTrail writes the entry)."""
        raise NotImplementedError


class Runs(Store):
    """The runs: each job run, from started to ok, partial or failed."""

    def start_run(self, job: str, today: str, now: datetime) -> int:
        with self._transaction():
            run_id = int(self.db.execute("INSERT INTO runs (job, today, started_at) VALUES (?, ?, ?) RETURNING id",
                                         (job, today, now.isoformat())).fetchone()[0])
            self.append_audit("run.started", {"run": run_id, "job": job, "today": today}, now)
        return run_id

    def close_stopped_runs(self, now: datetime) -> int:
        """Runs a killed process left "running", marked "stopped" (called holding the run lock, so none
        of them can still be running); how many."""
        stopped = [row[0] for row in self.db.execute("SELECT id FROM runs WHERE status = 'running'")]
        for run_id in stopped:
            self.finish_run(run_id, now, "stopped", {"why": "the process ended before the run did"})
        return len(stopped)

    def finish_run(self, run_id: int, now: datetime, status: str, summary: dict) -> None:
        with self._transaction():
            self.db.execute("UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
                            (now.isoformat(), status, json.dumps(summary, sort_keys=True), run_id))
            self.append_audit("run.finished", {"run": run_id, "status": status, **summary}, now)

    RUN_COLUMNS = ("id", "job", "today", "started_at", "finished_at", "status", "summary")

    def runs(self) -> list[dict]:
        return [dict(zip(self.RUN_COLUMNS, row, strict=True)) for row in
                self.db.execute(f"SELECT {', '.join(self.RUN_COLUMNS)} FROM runs ORDER BY id")]


class Deliveries(Store):
    """Each message, recorded before the transport sees it and after: nothing twice, nothing lost."""

    def message_status(self, message_id: str) -> str | None:
        row = self.db.execute("SELECT status FROM messages WHERE message_id = ?", (message_id,)).fetchone()
        return row[0] if row else None

    def queue_message(self, message_id: str, kind: str, recipient: str, security: str, run_id: int | None,
                      now: datetime, status: str = "pending") -> None:
        """Recorded before the transport sees it: a crash after this line resends, never forgets."""
        with self._transaction():
            before = self.message_status(message_id)
            self.db.execute(
                "INSERT INTO messages (message_id, kind, recipient, security, status, run_id, queued_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(message_id) DO UPDATE SET run_id = excluded.run_id",
                (message_id, kind, recipient, security, status, run_id, now.isoformat()))
            if before is None:
                self.append_audit(f"message.{status}", {"message_id": message_id, "kind": kind,
                                                        "security": security}, now)

    def mark_sent(self, message_id: str, now: datetime, transport: str = "", provider_id: str | None = None) -> None:
        """``provider_id``: the service's own id for it (a text's, to ask later what became of it)."""
        with self._transaction():
            self.db.execute("UPDATE messages SET status = 'sent', sent_at = ?, error = NULL, transport = ?, "
                            "provider_id = COALESCE(?, provider_id) WHERE message_id = ?",
                            (now.isoformat(), transport, provider_id, message_id))
            self.append_audit("message.sent", {"message_id": message_id, "transport": transport}, now)

    def is_delivered(self, message_id: str, transport: str) -> bool:
        """Sent, and through a transport that counts: what the outbox wrote was a review, so a live
        transport still sends it (once)."""
        row = self.db.execute("SELECT status, transport FROM messages WHERE message_id = ?", (message_id,)).fetchone()
        if row is None or row[0] != "sent":
            return False
        return row[1] != "outbox" or transport in ("outbox", "")

    def failing_messages(self, first_tried_before: datetime, not_before: datetime) -> list[tuple]:
        """(message_id, kind, recipient, error, queued_at) still failing that were first handed over
        in [not_before, first_tried_before)."""
        return list(self.db.execute(
            "SELECT message_id, kind, recipient, error, queued_at FROM messages WHERE status IN ('failed', 'pending') "
            "AND queued_at < ? AND queued_at >= ? ORDER BY queued_at",
            (first_tried_before.isoformat(), not_before.isoformat())))

    def mark_failed(self, message_id: str, error: str, permanent: bool = False, now: datetime | None = None) -> None:
        """``failed`` is tried again next run; ``refused`` (permanent) never is."""
        status = "refused" if permanent else "failed"
        with self._transaction():
            changed = self.message_status(message_id) != status
            self.db.execute("UPDATE messages SET status = ?, error = ? WHERE message_id = ?",
                            (status, error, message_id))
            if changed:
                self.append_audit(f"message.{status}", {"message_id": message_id},
                                  now or datetime.now().astimezone())

    def messages(self) -> list[tuple]:
        return list(self.db.execute("SELECT message_id, kind, recipient, security, status FROM messages ORDER BY queued_at"))

    def disclosures(self) -> list[tuple[str, str, str, str]]:
        """(queued_at, kind, security, status) of every message: the disclosure log's rows."""
        return list(self.db.execute("SELECT queued_at, kind, security, status FROM messages ORDER BY queued_at"))

    def message_counts(self, since: str, until: str) -> dict[str, dict[str, int]]:
        """status -> kind -> messages first handed over in [since, until)."""
        counts: dict[str, dict[str, int]] = {}
        for status, kind, n in self.db.execute(
                "SELECT status, kind, COUNT(*) FROM messages WHERE queued_at >= ? AND queued_at < ? "
                "GROUP BY status, kind", (since, until)):
            counts.setdefault(status, {})[kind] = n
        return counts


class Texts(Store):
    """What became of each text after the carrier took it (Twilio's status, fetched later), and how many
    texts a number had lately (at most 1 a day and 3 a week)."""

    def texts_since(self, recipient: str, since: datetime) -> list[str]:
        """When each text handed over (or being handed over) to this number since ``since`` was queued."""
        return [row[0] for row in self.db.execute(
            "SELECT queued_at FROM messages WHERE recipient = ? AND kind LIKE 'text_%' AND status IN ('sent', 'pending') "
            "AND queued_at >= ? ORDER BY queued_at", (recipient, since.isoformat()))]

    def texts_awaiting_receipt(self, since: datetime) -> list[tuple[str, str, str, str]]:
        """(message_id, provider id, kind, recipient) of texts sent since ``since`` whose final status is not known."""
        return list(self.db.execute(
            "SELECT message_id, provider_id, kind, recipient FROM messages WHERE kind LIKE 'text_%' AND status = 'sent' "
            "AND provider_id IS NOT NULL AND receipt IS NULL AND queued_at >= ? ORDER BY queued_at",
            (since.isoformat(),)))

    def record_receipt(self, message_id: str, receipt: str, now: datetime) -> None:
        with self._transaction():
            self.db.execute("UPDATE messages SET receipt = ? WHERE message_id = ?", (receipt, message_id))
            self.append_audit("message.receipt", {"message_id": message_id, "receipt": receipt}, now)


class Answers(Store):
    """Clients' answers: which reminders asked for one (and with which token), the sessions confirmed,
    the channels a client closed, and each reply handled once (by its service's own id)."""

    def record_asked(self, message_id: str, token: str, channel: str, recipient: str, client_id: str,
                     appointments: list[str], now: datetime) -> None:
        with self._transaction():
            self.db.execute("INSERT INTO asked (message_id, token, channel, recipient, client_id, "
                            "appointments, asked_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                            (message_id, token, channel, recipient.lower(), client_id, json.dumps(appointments),
                             now.isoformat()))

    def _asked(self, where: str, args: tuple) -> list[dict]:
        rows = self.db.execute("SELECT message_id, token, channel, recipient, client_id, appointments, asked_at "
                               f"FROM asked WHERE {where} ORDER BY asked_at DESC", args)
        return [{"message_id": m, "token": t, "channel": c, "recipient": r, "client_id": cl,
                 "appointments": json.loads(a), "asked_at": at} for m, t, c, r, cl, a, at in rows]

    def asked_by_message(self, message_ids: list[str]) -> list[dict]:
        if not message_ids:
            return []
        return self._asked(f"message_id IN ({', '.join('?' for _ in message_ids)})", tuple(message_ids))

    def asked_by_token(self, token: str) -> list[dict]:
        return self._asked("token = ?", (token,))

    def asked_of(self, channel: str, recipient: str) -> list[dict]:
        """What was asked of this number or address, the latest first."""
        return self._asked("channel = ? AND recipient = ?", (channel, recipient.lower()))

    def asked_appointments(self) -> dict[str, str]:
        """appointment id -> when it was first asked about."""
        asked: dict[str, str] = {}
        for appointments, at in self.db.execute("SELECT appointments, asked_at FROM asked ORDER BY asked_at DESC"):
            for appointment_id in json.loads(appointments):
                asked[appointment_id] = at
        return asked

    def confirm(self, appointment_id: str, via: str, now: datetime) -> None:
        with self._transaction():
            cur = self.db.execute("INSERT INTO confirmed (appointment_id, at, via) VALUES (?, ?, ?) "
                                  "ON CONFLICT DO NOTHING",
                                  (appointment_id, now.isoformat(), via))
            if cur.rowcount:
                self.append_audit("session.confirmed", {"appointment": appointment_id, "via": via}, now)

    def confirmed(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT appointment_id, at FROM confirmed"))

    def opt_out(self, channel: str, recipient: str, client_id: str, via: str, now: datetime) -> None:
        with self._transaction():
            cur = self.db.execute("INSERT INTO opted_out (channel, recipient, client_id, at, via) "
                                  "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                                  (channel, recipient.lower(), client_id, now.isoformat(), via))
            if cur.rowcount:
                self.append_audit("channel.opted_out", {"channel": channel, "client": client_id, "via": via}, now)

    def opt_in(self, channel: str, recipient: str, now: datetime) -> None:
        with self._transaction():
            cur = self.db.execute("DELETE FROM opted_out WHERE channel = ? AND recipient = ?",
                                  (channel, recipient.lower()))
            if cur.rowcount:
                self.append_audit("channel.opted_in", {"channel": channel}, now)

    def opted_out(self) -> list[dict]:
        return [{"channel": c, "recipient": r, "client_id": cl, "at": at, "via": via} for c, r, cl, at, via in
                self.db.execute("SELECT channel, recipient, client_id, at, via FROM opted_out ORDER BY at")]

    def is_opted_out(self, channel: str, recipient: str, client_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM opted_out WHERE channel = ? AND (recipient = ? OR (client_id != '' AND "
                               "client_id = ?))", (channel, recipient.lower(), client_id)).fetchone() is not None

    def reply_handled(self, source: str, provider_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM replies WHERE source = ? AND provider_id = ?",
                               (source, provider_id)).fetchone() is not None

    def record_reply(self, source: str, provider_id: str, received_at: datetime, intent: str, client_id: str,
                     now: datetime) -> None:
        with self._transaction():
            cur = self.db.execute("INSERT INTO replies (source, provider_id, received_at, handled_at, intent, "
                                  "client_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                                  (source, provider_id, received_at.isoformat(), now.isoformat(), intent, client_id))
            if cur.rowcount:
                self.append_audit("reply.handled", {"source": source, "id": provider_id, "intent": intent}, now)

    def reply_counts(self, since: str, until: str) -> dict[str, int]:
        return dict(self.db.execute("SELECT intent, COUNT(*) FROM replies WHERE handled_at >= ? AND handled_at < ? "
                                    "GROUP BY intent", (since, until)))


class Pacing(Store):
    """How fast a transport was used, and how long a service asked to wait, across runs (wall-clock seconds)."""

    def recent_sends(self, transport: str, since: float) -> list[float]:
        with self._transaction():
            self.db.execute("DELETE FROM pace WHERE at < ?", (since - 3600,))
        return [row[0] for row in self.db.execute("SELECT at FROM pace WHERE transport = ? AND at >= ? ORDER BY at",
                                                  (transport, since))]

    def record_send(self, transport: str, at: float) -> None:
        with self._transaction():
            self.db.execute("INSERT INTO pace (transport, at) VALUES (?, ?)", (transport, at))

    def not_before(self, transport: str) -> tuple[float, str]:
        row = self.db.execute("SELECT not_before, why FROM transport_state WHERE transport = ?", (transport,)).fetchone()
        return (row[0], row[1]) if row else (0.0, "")

    def hold_until(self, transport: str, until: float, why: str) -> None:
        with self._transaction():
            self.db.execute("INSERT INTO transport_state (transport, not_before, why) VALUES (?, ?, ?) "
                            "ON CONFLICT(transport) DO UPDATE SET not_before = excluded.not_before, why = excluded.why",
                            (transport, until, why))


class Reminded(Store):
    """What each client was last reminded of (a changed session gets one corrected reminder)."""

    def reminded(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT appointment_id, fingerprint FROM reminded"))

    def record_reminded(self, appointment_id: str, fingerprint: str, now: datetime) -> None:
        with self._transaction():
            self.db.execute("INSERT INTO reminded (appointment_id, fingerprint, at) VALUES (?, ?, ?) ON CONFLICT"
                            "(appointment_id) DO UPDATE SET fingerprint = excluded.fingerprint, at = excluded.at",
                            (appointment_id, fingerprint, now.isoformat()))


class Invitations(Store):
    """What each attendee's calendar was last told of each session."""

    def invite_state(self, appointment_id: str, recipient: str) -> tuple[str, int, str, str] | None:
        """(uid, sequence, fingerprint, method) last sent, or None."""
        row = self.db.execute("SELECT uid, sequence, fingerprint, method FROM invites WHERE appointment_id = ? "
                              "AND recipient = ?", (appointment_id, recipient.lower())).fetchone()
        return tuple(row) if row else None

    def record_invite(self, appointment_id: str, recipient: str, uid: str, sequence: int, fingerprint: str,
                      method: str, now: datetime, shown: dict | None = None) -> None:
        """What the attendee's calendar now shows (``shown``: start, minutes, where, label, name), so
        a later CANCEL can be built even when the row or the attendee is gone."""
        with self._transaction():
            self.db.execute(
                "INSERT INTO invites (appointment_id, recipient, uid, sequence, fingerprint, method, sent_at, shown) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(appointment_id, recipient) DO UPDATE SET "
                "sequence = excluded.sequence, fingerprint = excluded.fingerprint, method = excluded.method, "
                "sent_at = excluded.sent_at, shown = CASE WHEN excluded.shown = '{}' THEN invites.shown "
                "ELSE excluded.shown END",
                (appointment_id, recipient.lower(), uid, sequence, fingerprint, method, now.isoformat(),
                 json.dumps(shown or {}, sort_keys=True)))

    def live_invites(self) -> list[dict]:
        """Every attendee whose calendar still shows a session (last told REQUEST)."""
        rows = self.db.execute("SELECT appointment_id, recipient, uid, sequence, shown FROM invites "
                               "WHERE method = 'REQUEST' ORDER BY appointment_id, recipient")
        return [{"appointment_id": a, "recipient": r, "uid": u, "sequence": s, "shown": json.loads(sh or "{}")}
                for a, r, u, s, sh in rows]


class QueueMemory(Store):
    """The work queue's decisions, and the findings raised while sending, kept whatever becomes of the workbook."""

    QUEUE_COLUMNS = ("finding_id", "rule", "status", "notes", "first_seen", "last_seen", "status_since",
                     "snoozed_until", "reopened_on", "resolved_on", "summary", "written_status", "written_notes")

    def queue_rows(self) -> dict[str, dict]:
        """Every finding the queue has ever shown, by id, with what the VA decided about it."""
        cursor = self.db.execute(f"SELECT {', '.join(self.QUEUE_COLUMNS)} FROM queue")
        return {row[0]: dict(zip(self.QUEUE_COLUMNS, row, strict=False)) for row in cursor}

    def save_queue_rows(self, rows: list[dict]) -> None:
        placeholders = ", ".join("?" for _ in self.QUEUE_COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in self.QUEUE_COLUMNS[1:])
        with self._transaction():
            self.db.executemany(
                f"INSERT INTO queue ({', '.join(self.QUEUE_COLUMNS)}) VALUES ({placeholders}) "
                f"ON CONFLICT(finding_id) DO UPDATE SET {updates}",
                [tuple(row.get(c) for c in self.QUEUE_COLUMNS) for row in rows])

    def keep_message_findings(self, findings: list[tuple[str, dict, str]]) -> None:
        """(finding id, finding as a dict, the last day it applies)."""
        with self._transaction():
            self.db.executemany("INSERT INTO message_findings (finding_id, data, expires_on) VALUES (?, ?, ?) "
                                "ON CONFLICT(finding_id) DO UPDATE SET data = excluded.data, expires_on = excluded.expires_on",
                                [(fid, json.dumps(data, sort_keys=True), until) for fid, data, until in findings])

    def message_findings(self, today: str) -> list[dict]:
        with self._transaction():
            self.db.execute("DELETE FROM message_findings WHERE expires_on < ?", (today,))
        return [json.loads(row[0]) for row in self.db.execute("SELECT data FROM message_findings ORDER BY finding_id")]


class Kept(Store):
    """Figures and keys kept from one run for later ones (the weekly A/R snapshots, the practice's own keys)."""

    def keep(self, key: str, value: dict) -> None:
        with self._transaction():
            self.db.execute("INSERT INTO kept (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                            "excluded.value", (key, json.dumps(value, sort_keys=True, default=str)))

    def practice_key(self, name: str) -> bytes:
        """A random key of this practice's, made on first use and kept in the ledger (owner-only): what
        opaque identifiers are keyed with, so that no record id travels in clear (an invitation's UID)."""
        key = f"secret:{name}"
        with self._transaction():
            self.db.execute("INSERT INTO kept (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                            (key, json.dumps({"hex": os.urandom(32).hex()})))
        row = self.db.execute("SELECT value FROM kept WHERE key = ?", (key,)).fetchone()
        return bytes.fromhex(json.loads(row[0])["hex"])

    def kept(self, prefix: str) -> dict[str, dict]:
        return {key[len(prefix):]: json.loads(value) for key, value in
                self.db.execute("SELECT key, value FROM kept WHERE key LIKE ?", (prefix + "%",))}


class AuditTrail(Store):
    """The append-only audit log, chained by SHA-256, and its head kept apart from the ledger."""

    path: Path
    audit_head: Path | None
    _head_problems: list[str]

    def append_audit(self, event: str, data: dict, now: datetime) -> None:
        """The next link of the chain, read and written in one transaction (the caller's, usually,
        so the change and its entry go together)."""
        with self._transaction():
            row = self.db.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            prev = row[0] if row else GENESIS
            payload = json.dumps(data, sort_keys=True, default=str)
            digest = _chain(prev, now.isoformat(), event, payload)
            self.db.execute("INSERT INTO audit (at, event, data, prev, hash) VALUES (?, ?, ?, ?, ?)",
                            (now.isoformat(), event, payload, prev, digest))

    def _messages_against_the_trail(self) -> list[str]:
        """Each message's status must be the last one the audit trail recorded for it: an edited
        row (a sent message set back to pending, so it goes again) is caught."""
        audited: dict[str, str] = {}
        for event, data in self.db.execute("SELECT event, data FROM audit WHERE event LIKE 'message.%' ORDER BY seq"):
            message_id = json.loads(data).get("message_id")
            if message_id:
                audited[message_id] = event.removeprefix("message.")
        problems = []
        held = set()
        for message_id, status in self.db.execute("SELECT message_id, status FROM messages"):
            held.add(message_id)
            if message_id in audited and audited[message_id] != status:
                problems.append(f"message {message_id} reads {status!r}, but the audit trail last recorded "
                                f"{audited[message_id]!r}: the messages table was edited")
            elif message_id not in audited:
                problems.append(f"message {message_id} is in the messages table but the audit trail never recorded "
                                f"it: the messages table was edited")
        problems.extend(f"message {message_id} is in the audit trail but its row was deleted from the messages "
                        f"table (it would be sent again)" for message_id in audited if message_id not in held)
        return problems

    def verify_audit(self) -> tuple[int, list[str]]:
        """(entries checked, problems): each entry must chain to the one before it, and the chain must
        still hold the entry the audit head (kept apart) last recorded, unchanged."""
        problems: list[str] = []
        prev = GENESIS
        count = 0
        hashes: dict[int, str] = {}
        for seq, at, event, data, stored_prev, stored_hash in self.db.execute(
                "SELECT seq, at, event, data, prev, hash FROM audit ORDER BY seq"):
            count += 1
            hashes[seq] = stored_hash
            if stored_prev != prev:
                problems.append(f"audit entry {seq}: does not follow entry {seq - 1} (an entry was removed or reordered)")
            if _chain(stored_prev, at, event, data) != stored_hash:
                problems.append(f"audit entry {seq} ({event} at {at}): its contents were changed after it was written")
            prev = stored_hash
        problems.extend(self._messages_against_the_trail())
        head = self._read_head()
        if head is not None:
            problems.extend(self._against_the_head(head))
        elif self.audit_head is not None and count:
            problems.append(f"the audit head ({self.audit_head}) is missing, so deleted or rebuilt history cannot "
                            f"be ruled out")
        return count, problems

    def refuse_if_tampered(self) -> None:
        """What a run asks before it sends anything: the ledger still holds the audit entry and the
        messages the head (kept apart) last recorded. If not, the run stops with what `audit verify`
        says, and the head is never moved to follow the forgery."""
        if self._head_problems:
            raise LedgerTampered("; ".join(self._head_problems) + f". Restore {self.path} from its backup; "
                                 f"`python run.py audit verify` says the same")

    def _read_head(self) -> dict | None:
        if self.audit_head is None or not self.audit_head.exists():
            return None
        try:
            head = json.loads(self.audit_head.read_text(encoding="utf-8"))
            return head if isinstance(head, dict) and isinstance(head.get("seq"), int) else None
        except (OSError, ValueError):
            return None

    def _against_the_head(self, head: dict | None) -> list[str]:
        """What no longer matches the audit head: its entry (deleted or rebuilt history) and its count
        of message rows (a row deleted, so that message would go again). Two lookups, at every open."""
        if head is None:
            return []
        problems = []
        row = self.db.execute("SELECT hash FROM audit WHERE seq = ?", (head["seq"],)).fetchone()
        if row is None:
            last = self.db.execute("SELECT MAX(seq) FROM audit").fetchone()[0] or 0
            problems.append(f"the audit head ({self.audit_head}) records entry {head['seq']}, but the ledger ends at "
                            f"{last}: entries were deleted")
        elif row[0] != head.get("hash"):
            problems.append(f"audit entry {head['seq']} differs from the one the audit head recorded: the chain was "
                            f"rebuilt")
        recorded = head.get("messages")
        if isinstance(recorded, int):
            held = self.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
            if held < recorded:
                problems.append(f"the ledger holds {held} message rows, but the audit head recorded {recorded}: "
                                f"message rows were deleted (those messages would go again)")
        return problems

    def write_head(self) -> None:
        """Record the newest audit entry, and how many message rows there are, outside the ledger
        (written whole, then renamed). The head only moves forward from the chain it recorded: over a
        ledger that no longer holds its entry it is left as it is, so a forgery never passes later."""
        if self.audit_head is None or self._head_problems or self._against_the_head(self._read_head()):
            return
        row = self.db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        if row is None:
            return
        messages = self.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        head = json.dumps({"seq": row[0], "hash": row[1], "ledger": str(self.path), "messages": messages}).encode()
        try:
            write_whole(self.audit_head, head, mode=0o644, ours=lambda old: old.startswith(b'{"seq": '))
        except OSError:
            pass


class Ledger(Runs, Deliveries, Texts, Answers, Pacing, Reminded, Invitations, QueueMemory, Kept, AuditTrail):
    """The ledger, every concern over one SQLite connection: opened (or copied into memory for a
    dry run), its schema, its lock and its close."""

    def __init__(self, state_dir: Path, audit_head: Path | None = None):
        """``audit_head``: a file kept apart from the ledger (beside the config, by default) that
        records the newest audit entry, so a deleted tail, a rebuilt chain or a vanished ledger is
        noticed."""
        self.dir = claim_folder(Path(state_dir), "state", private=True)
        self.path = self.dir / "ledger.sqlite3"
        self.audit_head = audit_head
        if (self.dir / MOVED_NOTE).exists():
            raise PracticeOpsError(f"{self.dir}: this practice's ledger was moved to PostgreSQL "
                                   f"({(self.dir / MOVED_NOTE).read_text(encoding='utf-8').strip()}); run it through "
                                   f"its agency (`python run.py --agency agency.toml ...`), so nothing is sent twice")
        head = self._read_head()
        if head and not self.path.exists():
            raise LedgerMissing(f"{self.path}: the ledger is missing, but {audit_head} records {head['seq']} audit "
                                f"entries: restore the ledger from its backup before anything runs (otherwise "
                                f"messages already sent would go again). To start afresh knowingly, delete "
                                f"{audit_head}.")
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            os.chmod(self.path, 0o600)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self._schema()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise LedgerBusy(f"{self.dir}: another practice-ops run is in progress; try again when it ends") from None
            raise PracticeOpsError(f"{self.path}: the ledger cannot be opened ({exc}); check the folder's "
                                   f"permissions and free space") from None
        except sqlite3.DatabaseError as exc:
            raise PracticeOpsError(f"{self.path}: the ledger cannot be opened ({exc}); restore it from the "
                                   f"backup, or move it aside to start a new one (messages may then repeat)") from None
        self._head_problems = self._against_the_head(head)

    @classmethod
    def in_memory(cls, state_dir: Path) -> Ledger:
        """An empty ledger in memory (its tables made by ``snapshot`` or whoever fills it)."""
        ledger = cls.__new__(cls)
        ledger.dir = Path(state_dir)
        ledger.path = ledger.dir / "ledger.sqlite3"
        ledger.audit_head = None
        ledger._head_problems = []
        ledger.db = sqlite3.connect(":memory:", isolation_level=None)
        return ledger

    @classmethod
    def snapshot(cls, state_dir: Path) -> Ledger:
        """The ledger as it is, copied into memory and never written back: what `run --dry-run` reads
        and scribbles on. Creates no folder and no file."""
        ledger = cls.in_memory(state_dir)
        if ledger.path.is_file():
            wal = ledger.path.with_name(ledger.path.name + "-wal")
            try:
                if wal.exists():  # a killed run's log: read from a copy, so not even a -shm file is made here
                    with tempfile.TemporaryDirectory() as scratch:
                        copy = Path(scratch) / ledger.path.name
                        shutil.copyfile(ledger.path, copy)
                        shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
                        source = sqlite3.connect(copy)
                        source.backup(ledger.db)
                        source.close()
                else:  # immutable: nothing is created beside it
                    source = sqlite3.connect(f"{ledger.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
                    source.backup(ledger.db)
                    source.close()
            except (sqlite3.DatabaseError, OSError) as exc:
                raise PracticeOpsError(f"{ledger.path}: the ledger cannot be read ({exc})") from None
        ledger._schema()
        return ledger

    def _schema(self) -> None:
        """The tables, made whole for a new ledger; an older ledger gains the columns it lacks, in
        one transaction, so two runs started together on it never both add one."""
        self.db.executescript(SCHEMA)
        with self._transaction():
            for table, column, declared in (("messages", "transport", "TEXT"),   # the outbox stopped counting
                                            ("invites", "shown", "TEXT NOT NULL DEFAULT '{}'"),
                                            ("messages", "provider_id", "TEXT"),  # a text's id at its service
                                            ("messages", "receipt", "TEXT")):     # and what became of it

                if column not in {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declared}")

    def close(self) -> None:
        self.write_head()
        self.db.close()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """One job at a time per practice: a second run waits for nothing and says so. The lock is
        filelock's, which works the same on Windows, macOS and Linux."""
        lock = FileLock(str(self.dir / "run.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise LedgerBusy(f"{self.dir}: another practice-ops run is in progress; try again when it ends") from None
        try:
            yield
        finally:
            lock.release()


def _chain(prev: str, at: str, event: str, payload: str) -> str:
    return hashlib.sha256("\x1f".join((prev, at, event, payload)).encode()).hexdigest()


def copy_tables(source, target) -> dict[str, int]:
    """Every row of every table from one ledger's connection to another's (SQLite or PostgreSQL, each
    with the concerns' ``?`` placeholders), inside the target's open transaction: rows per table."""
    copied = {}
    for table in TABLES:
        cursor = source.execute(f"SELECT * FROM {table}")
        columns = [d[0] for d in cursor.description]
        rows = [tuple(row) for row in cursor]
        if rows:
            target.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                               f"({', '.join('?' for _ in columns)})", rows)
        copied[table] = len(rows)
    return copied
