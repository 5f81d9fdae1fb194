"""Where a practice's ledger lives: SQLite in its state folder (ledger.py), or its schema in its
agency's PostgreSQL (ledger_postgres.py), chosen by ``[state] database_url``. Everything that opens
a ledger asks here."""

from __future__ import annotations

from .config import StateSettings
from .ledger import Ledger


def open_ledger(state: StateSettings) -> Ledger:
    """The practice's ledger where its config (or its agency) keeps it: SQLite in the state folder,
    or its schema in the agency's PostgreSQL."""
    if state.database_url:
        from .ledger_postgres import PostgresLedger  # psycopg: loaded only by a practice that needs it

        return PostgresLedger(state.database_url, state.ledger_schema, state.dir, state.audit_head)
    return Ledger(state.dir, state.audit_head)


def snapshot_ledger(state: StateSettings) -> Ledger:
    """The ledger copied into memory, never written back: what dry runs and previews read."""
    if state.database_url:
        from .ledger_postgres import PostgresLedger

        return PostgresLedger.snapshot_of(state.database_url, state.ledger_schema, state.dir)
    return Ledger.snapshot(state.dir)
