"""The attack list of issue 8 that is about configs, processes and failures: each one a real
config, a real process or a real fault, and the run goes on (or refuses with one line)."""

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time as clock
from datetime import date, time

import pytest

from automations import config as config_module
from automations import jobs
from automations.errors import ConfigError
from automations.ledger import Ledger
from tests.conftest import MINIMAL, ROOT, make_workbook, write_config

RUN = [sys.executable, str(ROOT / "run.py")]


def cli(*args, **kw):
    return subprocess.run([*RUN, *args], capture_output=True, text=True, timeout=90, **kw)


def config_with(tmp_path, extra: str):
    return write_config(tmp_path, make_workbook(tmp_path / "tracker.xlsx", MINIMAL), extra=extra)


@pytest.mark.parametrize("extra, says", [
    ('[schedule]\nreminders = "every 0 minutes"', "schedule.reminders"),
    ('[schedule]\nreconcile = "daily 25:99"', "schedule.reconcile"),
    ('[schedule]\nreminders = "hourly :75"', "schedule.reminders"),
    ('[reminders]\nsending_hours = "25:99-26:00"', "reminders.sending_hours"),
    ('[reminders]\nsending_hours = "20:00-08:00"', "reminders.sending_hours"),
    ('[email.smtp]\nhost = "mail.example.org"\nsecurity = "none"\nusername = "office"', "email.smtp"),
])
def test_check_refuses_configs_that_would_hang_or_leak(tmp_path, extra, says):
    with pytest.raises(ConfigError) as refused:
        config_module.load(config_with(tmp_path, extra))
    assert says in str(refused.value)


def test_smtp_in_clear_is_fine_for_a_relay_on_this_computer(tmp_path):
    config_module.load(config_with(tmp_path, '[email.smtp]\nhost = "127.0.0.1"\nsecurity = "none"\nusername = "x"'))


def test_a_secret_pasted_where_a_variable_name_belongs_is_refused_and_never_echoed(tmp_path):
    path = config_with(tmp_path, '[email.smtp]\npassword_env = "hunter2 correct horse!"')
    done = cli("--config", str(path), "check")
    assert done.returncode == 2 and "email.smtp.password_env" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout
    assert not (tmp_path / "var").exists() or "hunter2" not in "".join(
        p.read_text(errors="replace") for p in (tmp_path / "var").rglob("*") if p.is_file())


@pytest.mark.parametrize("host, honoured", [("127.0.0.1:9", True), ("localhost:9", True), ("[::1]:9", True),
                                            ("10.0.0.5:9", False), ("sheets.example.org:80", False),
                                            ("127.0.0.1:9@evil.example", False), ("127.0.0.1:9/@evil.example", False),
                                            ("127.0.0.1@evil.example:9", False), ("127.0.0.1:99999", False),
                                            ("127.0.0.1", False), ("127.0.0.1:9#@evil.example", False)])
def test_stand_ins_are_honoured_on_loopback_only_and_announced(host, honoured, monkeypatch, capsys):
    from automations import emulators
    from automations.errors import PracticeOpsError

    monkeypatch.setenv("SHEETS_EMULATOR_HOST", host)
    emulators._announced.clear()
    if honoured:
        assert emulators.emulator_host("SHEETS_EMULATOR_HOST") == host
        assert "local stand-in" in capsys.readouterr().err
    else:
        with pytest.raises(PracticeOpsError, match="this computer only|is not host:port"):
            emulators.emulator_host("SHEETS_EMULATOR_HOST")


def test_a_step_that_fails_leaves_the_others_running_and_the_run_partial(tmp_path):
    path = config_with(tmp_path, "")
    path.write_text(path.read_text().replace('va = ["va@test.example"]', 'va = ["va@test.example"]\nowner = "o@test.example"'))
    (tmp_path / "out").mkdir()
    someone_elses = tmp_path / "out" / "weekly-summary-2026-W47.xlsx"
    import openpyxl
    openpyxl.Workbook().save(someone_elses)
    config = config_module.load(path)
    result = jobs.run(config, "all", date(2026, 11, 26), jobs.resolve_clock(config, date(2026, 11, 26), None)[1])
    assert any(n.startswith("the weekly-summary step stopped") for n in result.notices)
    assert [m.kind for m in result.messages if m.status == "sent"] == ["va_work_queue"]
    ledger = Ledger(config.state.dir)
    run = ledger.runs()[-1]
    assert run["status"] == "partial" and json.loads(run["summary"])["failed_steps"] == ["weekly-summary"]
    log = config.state.dir / jobs.STEP_LOG
    assert "Traceback" in log.read_text() and stat.S_IMODE(log.stat().st_mode) == 0o600


@pytest.mark.timeout(60)
def test_a_broken_pipe_is_not_an_internal_error(tmp_path):
    done = subprocess.run(f'"{sys.executable}" "{ROOT / "run.py"}" rules | head -c 10', shell=True,
                          capture_output=True, text=True, timeout=60)
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr


def test_the_crash_log_goes_to_the_state_folder_owner_only_and_never_through_a_link(tmp_path, monkeypatch):
    from automations import cli as cli_module

    path = config_with(tmp_path, "")
    from automations.folders import claim_folder

    state = claim_folder(config_module.load(path).state.dir, "state")
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    (state / cli_module.CRASH_LOG).symlink_to(target)

    def broken(*_, **__):  # a fault injected where no user input could reach
        raise RuntimeError("boom at a cell reading Rosa")

    monkeypatch.setattr(jobs, "check", broken)
    assert cli_module.main(["--config", str(path), "check"]) == cli_module.EXIT_INTERNAL
    crash = state / cli_module.CRASH_LOG
    assert not crash.is_symlink() and "RuntimeError" in crash.read_text() and target.read_text() == "keep me"
    assert stat.S_IMODE(crash.stat().st_mode) == 0o600


def test_preview_html_is_owner_only(tmp_path):
    out = tmp_path / "digest.html"
    done = cli("preview", "clinician_digest", "Maya Chen", "--html", str(out), "--today", "2026-11-26")
    assert done.returncode == 0 and stat.S_IMODE(out.stat().st_mode) == 0o600


class BlackHole:
    """A mail server that accepts a connection and never says a word: a job sending to it hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.held: list = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                return


def serving_practice(tmp_path, port):
    sheets = {**MINIMAL, "Appointments": [*MINIMAL["Appointments"],
                                          ["A-2", "C-1", "Ann Lee", date.today(), time(23, 59), 45, None, "scheduled",
                                           "Aetna"]]}
    book = make_workbook(tmp_path / "tracker.xlsx", sheets)
    extra = (f'[email.smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout_seconds = 300\n'
             '[schedule]\nreconcile = "daily 06:30"\nreminders = "hourly"\n[reminders]\nsending_hours = "00:00-23:59"\n')
    path = write_config(tmp_path, book, extra=extra)
    path.write_text(path.read_text().replace('transport = "outbox"', 'transport = "smtp"'))
    return path


@pytest.mark.timeout(90)
def test_serve_stops_on_sigterm_even_while_a_job_hangs(tmp_path):
    hole = BlackHole()
    path = serving_practice(tmp_path, hole.port)
    process = subprocess.Popen([*RUN, "--config", str(path), "serve", "--run-now"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().startswith("Serving")
        deadline = clock.monotonic() + 30
        while not hole.held and clock.monotonic() < deadline:   # the job is now stuck on the mail server
            clock.sleep(0.1)
        assert hole.held, "the job never reached the mail server"
        started = clock.monotonic()
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
        assert clock.monotonic() - started < 10
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0 and "Stopped." in out and "Traceback" not in err


@pytest.mark.timeout(90)
def test_a_second_serve_for_the_same_practice_is_refused_naming_the_first(tmp_path):
    path = serving_practice(tmp_path, 9)
    first = subprocess.Popen([*RUN, "--config", str(path), "serve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        assert first.stdout.readline().startswith("Serving")
        second = cli("--config", str(path), "serve")
        assert second.returncode == 2 and f"process {first.pid}" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=20)
    assert not (tmp_path / "var" / "serve.pid").exists()


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_the_ledger_and_its_folder_are_owner_only(tmp_path):
    Ledger(tmp_path / "var").close()
    assert stat.S_IMODE((tmp_path / "var").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "var" / "ledger.sqlite3").stat().st_mode) == 0o600
