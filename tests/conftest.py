"""Shared builders: every test makes its own workbooks and config in tmp_path."""

from __future__ import annotations

import sys
from datetime import date, time
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def lines_executed(step, within: str | None = None) -> tuple[int, object]:
    """(the lines Python executes running ``step()``, in files under the folder ``within`` or
    everywhere; what ``step`` returned). A comprehension's or a generator's every turn counts, which
    call counts miss: the scale tests compare these at two sizes, never times."""
    lines = 0

    def trace(frame, event, arg):
        nonlocal lines
        if within is not None and not frame.f_code.co_filename.startswith(within):
            return None
        lines += event == "line"
        return trace

    measuring = sys.gettrace()  # coverage's tracer, when the suite is measured: back in place after
    sys.settrace(trace)
    try:
        returned = step()
    finally:
        sys.settrace(measuring)
    return lines, returned


def count_calls(monkeypatch, owner, name: str) -> dict[str, int]:
    """Wrap ``owner.name`` (never replace what it does) and count its calls in ``["n"]``."""
    calls = {"n": 0}
    original = getattr(owner, name)

    def counting(*args, **kwargs):
        calls["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


def make_workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


MINIMAL = {
    "Clients": [["Client ID", "Payer", "Email Consent"], ["C-1", "Aetna", "encrypted"], ["C-2", "Self-pay", "none"]],
    "Providers": [["Provider", "Email"], ["Ann Lee", "ann@example.org"]],
    "Appointments": [["Appointment ID", "Client ID", "Provider", "Date", "Time", "Duration Min", "Actual Min",
                      "Status", "Payer"],
                     ["A-1", "C-1", "Ann Lee", date(2026, 11, 2), time(9), 45, 45, "completed", "Aetna"]],
    "Claims": [["Claim ID", "Appointment ID", "Client ID", "Provider", "Date of Service", "CPT", "Payer", "Status"],
               ["CL-1", "A-1", "C-1", "Ann Lee", date(2026, 11, 2), "90834", "Aetna", "submitted"]],
}


def write_config(folder: Path, workbook: Path, trackers: dict[str, str] | None = None, extra: str = "",
                 columns: dict[str, dict[str, str]] | None = None) -> Path:
    """A config whose trackers all live in ``workbook``: {tracker: sheet}."""
    trackers = trackers or {"clients": "Clients", "providers": "Providers", "appointments": "Appointments",
                            "claims": "Claims"}
    lines = ['[practice]', 'name = "Test Practice"', 'timezone = "America/Chicago"', 'phone = "555-0100"', '',
             '[people]', 'va = ["va@test.example"]', '']
    for name, sheet in trackers.items():
        lines += [f'[trackers.{name}]', f'path = "{workbook}"', f'sheet = "{sheet}"']
        for canonical, header in (columns or {}).get(name, {}).items():
            lines.append(f'columns.{canonical} = "{header}"')
        lines.append("")
    lines += ['[email]', 'transport = "outbox"', 'from = "Test <office@test.example>"', 'outbox_dir = "outbox"', '',
              '[work_queue]', 'path = "out/work-queue.xlsx"', '', '[state]', 'dir = "var"', '', extra]
    path = folder / "practice.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def minimal_practice(tmp_path: Path) -> Path:
    """A config over a small clean workbook; returns the config's path."""
    book = make_workbook(tmp_path / "tracker.xlsx", MINIMAL)
    return write_config(tmp_path, book)


@pytest.fixture
def stand_in(monkeypatch):
    """A Google Sheets stand-in with no spreadsheet yet (a test serves its own); a module may
    define its own ``stand_in`` with sheets of its own."""
    from tests.standins.sheets import SheetsStandIn

    with SheetsStandIn({}) as server:
        monkeypatch.setenv("SHEETS_EMULATOR_HOST", server.host)
        yield server


@pytest.fixture
def postgres_url():
    """A database of its own on the PostgreSQL server .ci/run starts (tools/postgres_for_tests.sh),
    named by PRACTICE_OPS_TEST_DATABASE_URL; dropped afterwards. Without the server: skipped."""
    import os
    import uuid

    server = os.environ.get("PRACTICE_OPS_TEST_DATABASE_URL")
    if not server:
        pytest.skip("no PostgreSQL: set PRACTICE_OPS_TEST_DATABASE_URL (.ci/run starts one)")
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    info = conninfo_to_dict(server)
    yield f"postgresql://{info.get('user', 'postgres')}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{name}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
