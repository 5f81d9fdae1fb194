"""The agency's board: each practice's last run of each job and what became of it, and which
machines are alive. In the agency's own database (SQLite beside the agency file, or its schema in
the agency's PostgreSQL), never in a practice's ledger, and naming no client: ids, times, counts."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from typing import Any

from .settings import Agency

SCHEMA = """
CREATE TABLE IF NOT EXISTS last_runs (
    practice TEXT NOT NULL, job TEXT NOT NULL, due TEXT NOT NULL, finished_at TEXT NOT NULL, outcome TEXT NOT NULL,
    detail TEXT NOT NULL, PRIMARY KEY (practice, job)
);
CREATE TABLE IF NOT EXISTS machines (
    executor_id TEXT PRIMARY KEY, seen_at DOUBLE PRECISION NOT NULL
)
"""


class Board:
    def __init__(self, agency: Agency):
        url = agency.settings.database_url
        if url:
            import psycopg
            from psycopg import sql

            from ..ledger_postgres import Connection

            self.db: Any = Connection(psycopg.connect(url, autocommit=True, connect_timeout=30))
            self.db.conn.execute("CREATE SCHEMA IF NOT EXISTS practice_ops_agency")
            self.db.conn.execute(sql.SQL("SET search_path TO practice_ops_agency"))
        else:
            agency.state_dir.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(agency.state_dir / "board.sqlite3", isolation_level=None, timeout=30,
                                      check_same_thread=False)
        self._lock = threading.Lock()
        for statement in SCHEMA.split(";"):
            try:
                self.db.execute(statement)
            except Exception:  # another machine made it at the same moment
                if url:
                    continue
                raise

    def _execute(self, query: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            cursor = self.db.execute(query, args)
            return list(cursor) if cursor.description else []

    def record(self, practice: str, job: str, due: str, finished_at: str, detail: dict) -> None:
        self._execute("INSERT INTO last_runs (practice, job, due, finished_at, outcome, detail) VALUES (?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (practice, job) DO UPDATE SET due = excluded.due, finished_at = excluded.finished_at, "
                        "outcome = excluded.outcome, detail = excluded.detail",
                        (practice, job, due, finished_at, str(detail.get("outcome", "")), json.dumps(detail, sort_keys=True)))

    def last_runs(self) -> dict[tuple[str, str], dict]:
        """(practice, job) -> {due, finished_at, outcome, detail}."""
        return {(p, j): {"due": d, "finished_at": f, "outcome": o, "detail": json.loads(detail)} for p, j, d, f, o, detail
                in self._execute("SELECT practice, job, due, finished_at, outcome, detail FROM last_runs")}

    def alive(self, executor_id: str) -> None:
        self._execute("INSERT INTO machines (executor_id, seen_at) VALUES (?, ?) ON CONFLICT (executor_id) DO UPDATE "
                        "SET seen_at = excluded.seen_at", (executor_id, time.time()))

    def silent_since(self, seconds: float) -> list[str]:
        """Machines not heard from for ``seconds``: taken as dead."""
        return [row[0] for row in self._execute("SELECT executor_id FROM machines WHERE seen_at < ?",
                                                  (time.time() - seconds,))]

    def forget(self, executor_id: str) -> None:
        self._execute("DELETE FROM machines WHERE executor_id = ?", (executor_id,))

    def close(self) -> None:
        self.db.close()
