"""An agency: one installation, many practices walled off, on DBOS (SQLite on one machine; the
multi-machine tests on the real PostgreSQL .ci/run starts, skipped without it)."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from automations import agency
from automations.agency.settings import load_agency
from automations.errors import ConfigError, PracticeOpsError
from automations.timetable import cron, parse
from tests.conftest import MINIMAL, ROOT, make_workbook, write_config
from tests.test_never_twice import StallsOnThird

NOW = "2026-11-26T09:00:00-05:00"


def agency_file(folder: Path, practices: list[Path], extra: str = "", url: str = "") -> Path:
    lines = ['[agency]', 'name = "Northwind VA Services"', 'lead = "lead@northwind.example"',
             f'database_url = "{url}"', extra, ""]
    for config in practices:
        lines += ["[[practices]]", f'config = "{config.relative_to(folder).as_posix()}"', ""]
    path = folder / "agency.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def practice(folder: Path, name: str, sheets: dict | None = None, extra: str = "", zone: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    book = make_workbook(folder / "tracker.xlsx", sheets or MINIMAL)
    trackers = {sheet.lower(): sheet for sheet in sheets} if sheets else None
    config = write_config(folder, book, trackers, extra=extra)
    text = config.read_text(encoding="utf-8").replace('name = "Test Practice"', f'name = "{name}"')
    if zone:
        text = text.replace('timezone = "America/Chicago"', f'timezone = "{zone}"')
    config.write_text(text, encoding="utf-8")
    return config


# --- the agency file -------------------------------------------------------------------------------


def test_practices_are_named_by_their_practice_name_and_two_of_one_name_are_refused(tmp_path):
    a = practice(tmp_path / "a", "Riverbend Counseling")
    b = practice(tmp_path / "b", "Lakeside Therapy")
    loaded = load_agency(agency_file(tmp_path, [a, b]))
    assert [p.id for p in loaded.practices] == ["riverbend-counseling", "lakeside-therapy"]
    twin = practice(tmp_path / "c", "Riverbend Counseling")
    with pytest.raises(ConfigError) as refused:
        load_agency(agency_file(tmp_path, [a, twin]))
    assert "riverbend-counseling" in str(refused.value) and "id = " in str(refused.value)


@pytest.mark.parametrize(("text", "says"), [
    ('[agency]\nname = "X"\ndatabase_url = "mysql://x"\n[[practices]]\nconfig = "p.toml"', "postgresql://"),
    ('[agency]\nname = "X"\n', "no [[practices]]"),
    ('[agency]\nname = "X"\nworkers = -1\n[[practices]]\nconfig = "p.toml"', "agency.workers"),
    ('[agency]\nname = "X"\noverview = "sometimes"\n[[practices]]\nconfig = "p.toml"', "not a schedule"),
    ('[agency\n', "not valid TOML"),
])
def test_a_bad_agency_file_is_one_clear_error(tmp_path, text, says):
    path = tmp_path / "agency.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_agency(path)
    assert says in str(refused.value) and str(path) in str(refused.value)


@pytest.mark.parametrize(("spec", "expected"), [
    ("daily 06:30", ["30 6 * * *"]), ("weekdays 07:00", [f"0 7 * * {d}" for d in ("mon", "tue", "wed", "thu", "fri")]),
    ("monday 07:30", ["30 7 * * mon"]), ("hourly", ["0 * * * *"]), ("hourly :15", ["15 * * * *"]),
    ("every 20 minutes", ["*/20 * * * *"]), ("every 60 minutes", ["*/60 * * * *"]),
    ("every 120 minutes", ["0 */2 * * *"]),
])
def test_each_schedule_is_the_cron_expression_serve_keeps(spec, expected):
    assert [cron(slot) for slot in parse("job", spec)] == expected


@pytest.mark.parametrize("spec", ["every 45 minutes", "every 90 minutes", "every 420 minutes"])
def test_a_schedule_cron_cannot_keep_exactly_is_refused_by_name(spec):
    with pytest.raises(ConfigError, match="divide"):
        cron(parse("job", spec)[0])


# --- one machine: SQLite, DBOS embedded ------------------------------------------------------------


def dbos_tables_text(path: Path) -> str:
    db = sqlite3.connect(path)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return "\n".join(repr(row) for t in tables for row in db.execute(f"SELECT * FROM {t}"))
    finally:
        db.close()


@pytest.mark.timeout(180)
def test_run_runs_every_practice_walled_off_and_dbos_holds_no_phi(tmp_path):
    good = practice(tmp_path / "good", "Riverbend Counseling",
                    extra='[reminders]\nhours_before = [48]\n')
    broken = practice(tmp_path / "broken", "Lakeside Therapy")
    (tmp_path / "broken" / "tracker.xlsx").write_bytes(b"not a workbook")
    path = agency_file(tmp_path, [good, broken])
    said: list[str] = []
    results = agency.run(load_agency(path), "all", None, datetime.fromisoformat(NOW), said.append)
    by_id = {r["practice"]: r for r in results}
    assert by_id["riverbend-counseling"]["outcome"] == "ok"
    assert by_id["lakeside-therapy"]["outcome"] == "config"   # its bad tracker stops only itself
    assert any(line.startswith("lakeside-therapy: all: config") and "tracker.xlsx" in line for line in said)
    assert (tmp_path / "good" / "var" / "ledger.sqlite3").exists()
    assert not (tmp_path / "broken" / "var" / "ledger.sqlite3").exists()
    stored = dbos_tables_text(tmp_path / "agency-state" / "dbos.sqlite3")
    assert "riverbend-counseling/all/" in stored  # named by practice, job and time
    for phi in ("C-1", "C-2", "A-1", "CL-1", "Aetna", "ann@example.org", "py_pickle"):
        assert phi not in stored, phi


def test_a_row_claiming_to_be_pickled_is_refused_never_unpickled():
    from dbos import _serialization

    from automations.agency import engine

    assert isinstance(_serialization.DBOSDefaultSerializer, engine.NoPickle)
    with pytest.raises(TypeError, match="refused"):
        _serialization.deserialize_value("gASVAAAAAAAAAAAu", "py_pickle", _serialization.DBOSPortableJSON)


@pytest.mark.timeout(120)
def test_check_says_one_line_per_practice(tmp_path):
    good = practice(tmp_path / "good", "Riverbend Counseling")
    broken = practice(tmp_path / "broken", "Lakeside Therapy", extra='[schedule]\nreminders = "every 45 minutes"\n')
    said: list[str] = []
    ready = agency.check(load_agency(agency_file(tmp_path, [good, broken])), date(2026, 11, 26), said.append)
    assert not ready and len(said) == 2
    assert said[0].startswith("riverbend-counseling: ready")
    assert said[1].startswith("lakeside-therapy: not ready") and "every 45 minutes" in said[1]


@pytest.mark.timeout(180)
def test_the_overview_names_no_client_and_the_lead_gets_it_once(tmp_path):
    from openpyxl import load_workbook

    good = practice(tmp_path / "good", "Riverbend Counseling")
    broken = practice(tmp_path / "broken", "Lakeside Therapy")
    (tmp_path / "broken" / "tracker.xlsx").write_bytes(b"not a workbook")
    path = agency_file(tmp_path, [good, broken], extra='\n[email]\ntransport = "outbox"\n'
                       'from = "Northwind <ops@northwind.example>"\noutbox_dir = "lead-outbox"')
    loaded = load_agency(path)
    agency.run(loaded, "reconcile", None, datetime.fromisoformat(NOW), lambda _: None)
    for _ in range(2):
        agency.run(loaded, "overview", None, datetime.fromisoformat("2026-11-26T07:00:00-05:00"), lambda _: None)
    book = load_workbook(tmp_path / "agency-state" / "agency-overview-2026-11-26.xlsx")
    assert book.sheetnames == ["Practices", "Failures"]
    header = [c.value for c in book["Practices"][2]]
    assert header[0] == "Practice" and "Reconcile: last run" in header and "Urgent" in header
    rows = {book["Practices"].cell(row, 1).value: [c.value for c in book["Practices"][row]] for row in (3, 4)}
    assert rows["Riverbend Counseling"][header.index("Reconcile: last run")].endswith(" ok")
    assert rows["Riverbend Counseling"][header.index("Reminders: last run")] in ("", None)   # not run yet
    names = {book["Practices"].cell(row, 1).value for row in (3, 4)}
    assert names == {"Riverbend Counseling", "lakeside-therapy"}  # a config that cannot be read: its id
    failures = [[c.value for c in row] for row in book["Failures"].iter_rows(min_row=2)]
    assert any(r[0] == "lakeside-therapy" and "tracker.xlsx" in r[4] and "config" in r[5] for r in failures)
    notes = list((tmp_path / "lead-outbox").glob("agency_overview-*.eml"))
    assert len(notes) == 1   # the second overview run does not send it again
    text = notes[0].read_text(encoding="utf-8")
    for phi in ("C-1", "C-2", "A-1", "ann@example.org"):
        assert phi not in text
    assert "lakeside-therapy" in text and "lead@northwind.example" in text


# --- the ledger in PostgreSQL ----------------------------------------------------------------------


def test_the_ledger_moves_to_postgresql_with_its_chain_and_the_old_one_is_refused(tmp_path, postgres_url):
    from automations.ledger import Ledger
    from automations.ledger_postgres import PostgresLedger, move_ledger

    now = datetime(2026, 11, 26, 9, tzinfo=UTC)
    old = Ledger(tmp_path / "var", tmp_path / "head.json")
    run_id = old.start_run("reminders", "2026-11-26", now)
    old.queue_message("<m1@x>", "appointment_reminder", "a@x", "plain", run_id, now)
    old.mark_sent("<m1@x>", now, "smtp")
    old.record_send("smtp", 1_764_000_000.125)
    old.finish_run(run_id, now, "ok", {})
    old.close()
    copied = move_ledger(tmp_path / "var", tmp_path / "head.json", postgres_url, "ledger_p1", now)
    assert copied["audit"] == 4 and copied["messages"] == 1
    with pytest.raises(PracticeOpsError, match="moved to PostgreSQL"):
        Ledger(tmp_path / "var", tmp_path / "head.json")
    moved = PostgresLedger(postgres_url, "ledger_p1", tmp_path / "var", tmp_path / "head.json")
    assert moved.verify_audit() == (4, [])
    assert moved.is_delivered("<m1@x>", "smtp") and moved.recent_sends("smtp", 1_764_000_000) == [1_764_000_000.125]
    with moved.exclusive():
        assert moved.start_run("reminders", "2026-11-27", now) == 2  # numbering goes on after the copy
        with pytest.raises(PracticeOpsError, match="another practice-ops run"):
            second = PostgresLedger(postgres_url, "ledger_p1", tmp_path / "var")
            try:
                with second.exclusive():
                    pass
            finally:
                second.db.close()
    moved.db.execute("UPDATE messages SET status = 'pending'")  # an edit behind the ledger's back
    assert any("messages table was edited" in p for p in moved.verify_audit()[1])
    moved.close()


def test_a_ledger_whose_chain_is_broken_is_not_moved(tmp_path, postgres_url):
    from automations.ledger import Ledger
    from automations.ledger_postgres import move_ledger

    now = datetime(2026, 11, 26, 9, tzinfo=UTC)
    old = Ledger(tmp_path / "var")
    old.start_run("reminders", "2026-11-26", now)
    old.db.execute("UPDATE audit SET data = '{}'")
    old.close()
    with pytest.raises(PracticeOpsError, match="does not verify"):
        move_ledger(tmp_path / "var", None, postgres_url, "ledger_p2", now)
    assert (tmp_path / "var" / "ledger.sqlite3").exists()


# --- several machines on one PostgreSQL ------------------------------------------------------------


def machine(path: Path, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--agency", str(path), "serve", "--verbose"],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def workflows(url: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as db:
        return list(db.execute("SELECT workflow_uuid, name, status, executor_id FROM dbos.workflow_status"))


@pytest.mark.skipif(sys.platform == "win32", reason="a machine's death is a process group killed with SIGKILL")
@pytest.mark.timeout(240)
def test_two_machines_run_each_scheduled_run_once_and_one_killed_mid_delivery_is_finished_by_the_other(
        tmp_path, postgres_url):
    from aiosmtpd.controller import Controller

    from tests.transports.test_transports import free_port

    handler = StallsOnThird()
    port = free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    start = datetime.now(UTC) + timedelta(hours=30)
    clients = [["Client ID", "Email", "Email Consent", "Payer", "Privacy Notice Ack"]]
    appointments = [["Appointment ID", "Client ID", "Provider", "Date", "Time", "Status"]]
    for n in range(8):
        at = start + timedelta(minutes=5 * n)
        clients.append([f"C-{n}", f"client{n}@mail.example", "plain_ok", "Self-pay", "Y"])
        appointments.append([f"A-{n}", f"C-{n}", "Ann Lee", at.date(), at.time().replace(microsecond=0), "scheduled"])
    sheets = {"Clients": clients, "Appointments": appointments, "Providers": [["Provider"], ["Ann Lee"]]}
    timing = '[reminders]\nhours_before = [48]\nsending_hours = "00:00-23:59"\n[schedule]\nreminders = "every 1 minutes"\n'
    mailed = practice(tmp_path / "mailed", "Lakeside", sheets, zone="UTC", extra=timing.replace(
        "[reminders]", f'[email.smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n[reminders]'))
    mailed.write_text(mailed.read_text(encoding="utf-8").replace('transport = "outbox"', 'transport = "smtp"'),
                      encoding="utf-8")
    quiet = practice(tmp_path / "quiet", "Riverbend", sheets, extra=timing, zone="UTC")
    path = agency_file(tmp_path, [mailed, quiet], url=postgres_url, extra="takeover_seconds = 5\nworkers = 2")
    first, second = machine(path, tmp_path / "first.log"), machine(path, tmp_path / "second.log")
    try:
        assert handler.stalled.wait(120), "no machine reached the third message"
        running = [w for w in workflows(postgres_url) if w[1] == "practice_job" and w[0].startswith("lakeside/")
                   and w[2] == "PENDING"]
        assert len(running) == 1
        victim = first if running[0][3].endswith(f"-{first.pid}") else second
        survivor = second if victim is first else first
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(30)
        handler.release.set()
        deadline = time.monotonic() + 90

        def finished() -> bool:
            return [w[2] for w in workflows(postgres_url) if w[0] == running[0][0]] == ["SUCCESS"]

        while not (len(handler.received) >= 8 and finished()) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert survivor.poll() is None
    finally:
        handler.release.set()
        for process in (first, second):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(30)
        server.stop()
    logs = {name: (tmp_path / f"{name}.log").read_text(errors="replace") for name in ("first", "second")}
    assert len(handler.received) == 8, logs   # every reminder once, none lost
    assert len(set(handler.received)) == 8
    taken_over = [w for w in workflows(postgres_url) if w[0] == running[0][0]][0]
    assert taken_over[2] == "SUCCESS" and taken_over[3] != running[0][3]
    fired = {w[0].rsplit("/", 1)[1] for w in workflows(postgres_url) if w[1] == "practice_job"
             and w[0].startswith("riverbend/")}
    from automations.ledger_postgres import PostgresLedger

    ledger = PostgresLedger(postgres_url, "ledger_riverbend", tmp_path / "quiet" / "var")
    try:
        runs = [r for r in ledger.runs() if r["job"] == "reminders" and r["status"] != "stopped"]
        assert len(runs) == len(fired) >= 1   # each scheduled run once (one the kill stopped is finished again)
        assert len([m for m in ledger.messages() if m[4] == "sent"]) == 8
    finally:
        ledger.db.close()


@pytest.mark.timeout(120)
def test_a_run_missed_while_no_machine_served_is_caught_up_once(tmp_path):
    from dbos import DBOS

    from automations.agency import engine

    config = practice(tmp_path / "p", "Riverbend Counseling", extra='[schedule]\nreconcile = "daily 06:30"\n')
    loaded = load_agency(agency_file(tmp_path, [config], extra='overview = "daily 07:00"\ntimezone = "America/Chicago"'))
    engine.start(loaded, serving=False)
    try:
        count, caught_up, problems = engine.keep_schedules(loaded, datetime.fromisoformat("2026-11-26T09:00-06:00"))
        assert (count, caught_up, problems) == (2, [], [])   # a new schedule has nothing to catch up
        from dbos._dbos import _get_dbos_instance  # as a machine that last fired six days ago left it

        _get_dbos_instance()._sys_db.update_last_fired_at("riverbend-counseling/reconcile",
                                                          "2026-11-20T06:30:00-06:00")
        later = datetime.fromisoformat("2026-11-26T09:00-06:00")   # six mornings missed
        _, caught_up, _ = engine.keep_schedules(loaded, later)
        assert caught_up == ["riverbend-counseling/reconcile at 2026-11-26 06:30"]   # the latest, once
        assert engine.keep_schedules(loaded, later)[1] == []   # started again: not a second time
        names = [s["schedule_name"] for s in DBOS.list_schedules()]
        assert sorted(names) == ["agency-overview/0", "riverbend-counseling/reconcile"]
    finally:
        engine.stop()


@pytest.mark.timeout(120)
def test_the_command_line_speaks_for_the_agency_and_refuses_agency_commands_without_one(tmp_path):
    good = practice(tmp_path / "good", "Riverbend Counseling")
    path = agency_file(tmp_path, [good])
    checked = subprocess.run([sys.executable, str(ROOT / "run.py"), "--agency", str(path), "check", "--today",
                              "2026-11-26"], capture_output=True, text=True, timeout=100)
    assert checked.returncode == 0 and checked.stdout.startswith("riverbend-counseling: ready")
    alone = subprocess.run([sys.executable, str(ROOT / "run.py"), "--config", str(good), "move-ledger", "--practice",
                            "x"], capture_output=True, text=True, timeout=100)
    assert alone.returncode == 2 and "--agency" in alone.stderr and "Traceback" not in alone.stderr
    nothing = subprocess.run([sys.executable, str(ROOT / "run.py"), "--agency", str(path), "move-ledger",
                              "--practice", "riverbend-counseling"], capture_output=True, text=True, timeout=100)
    assert nothing.returncode == 2 and "database_url is empty" in nothing.stderr


@pytest.mark.timeout(120)
def test_an_unreachable_database_is_one_line_never_a_traceback(tmp_path):
    good = practice(tmp_path / "good", "Riverbend Counseling")
    path = agency_file(tmp_path, [good], url="postgresql://nobody@127.0.0.1:1/agency")
    for command in (["run", "reconcile"], ["serve"]):
        done = subprocess.run([sys.executable, str(ROOT / "run.py"), "--agency", str(path), *command],
                              capture_output=True, text=True, timeout=100)
        assert done.returncode == 2 and "Traceback" not in done.stderr + done.stdout
        assert "127.0.0.1:1/agency cannot be reached" in done.stderr and "nobody" not in done.stderr
