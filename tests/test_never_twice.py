"""A job killed mid-run and run again sends nothing twice and loses nothing: a real process, a
real SMTP server on loopback, SIGKILL while the server is taking the third message."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from datetime import date, time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from tests.conftest import ROOT, make_workbook
from tests.transports.test_transports import free_port

CLIENTS = 8
NOW = "2026-11-26T09:00-05:00"


class StallsOnThird:
    def __init__(self):
        self.received: list[str] = []
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    async def handle_DATA(self, server, session, envelope):
        self.calls += 1
        if self.calls == 3:
            self.stalled.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
            return "451 try again later"  # the sender is dead by now: this message was never taken
        self.received.append(message_from_bytes(envelope.content, policy=policy.default)["Message-ID"])
        return "250 OK"


def practice(tmp_path, port: int):
    clients = [["Client ID", "Email", "Email Consent", "Payer", "Privacy Notice Ack"]]
    appointments = [["Appointment ID", "Client ID", "Provider", "Date", "Time", "Status"]]
    for n in range(CLIENTS):
        clients.append([f"C-{n}", f"client{n}@mail.example", "plain_ok", "Self-pay", "Y"])
        appointments.append([f"A-{n}", f"C-{n}", "Ann Lee", date(2026, 11, 27), time(9 + n), "scheduled"])
    book = make_workbook(tmp_path / "t.xlsx", {"Clients": clients, "Appointments": appointments,
                                               "Providers": [["Provider"], ["Ann Lee"]]})
    config = tmp_path / "practice.toml"
    config.write_text(f"""
[practice]
name = "Lakeside"
timezone = "America/New_York"
phone = "555-0100"
[trackers.clients]
path = "{book.name}"
sheet = "Clients"
[trackers.appointments]
path = "{book.name}"
sheet = "Appointments"
[trackers.providers]
path = "{book.name}"
sheet = "Providers"
[email]
transport = "smtp"
from = "Lakeside <office@lake.example>"
[email.smtp]
host = "127.0.0.1"
port = {port}
security = "none"
[state]
dir = "var"
[work_queue]
path = "queue.xlsx"
""")
    return config


def command(config):
    return [sys.executable, str(ROOT / "run.py"), "--config", str(config), "run", "reminders", "--now", NOW,
            "--json", "--quiet"]


def test_killed_mid_run_then_rerun_sends_each_reminder_exactly_once(tmp_path):
    handler = StallsOnThird()
    port = free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        config = practice(tmp_path, port)
        job = subprocess.Popen(command(config), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert handler.stalled.wait(60), "the job never reached the third message"
        os.kill(job.pid, signal.SIGKILL)
        job.wait(30)
        handler.release.set()
        assert len(handler.received) == 2

        rerun = subprocess.run(command(config), capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr
        statuses = [m["status"] for m in json.loads(rerun.stdout)["messages"]]
        assert statuses.count("already_sent") == 2 and statuses.count("sent") == CLIENTS - 2
        assert any("an earlier run was stopped" in n for n in json.loads(rerun.stdout)["notices"])
        from automations.ledger import Ledger

        ledger = Ledger(tmp_path / "var")
        assert [row["status"] for row in ledger.runs()] == ["stopped", "ok"]
        ledger.close()

        third = subprocess.run(command(config), capture_output=True, text=True, timeout=120)
        assert {m["status"] for m in json.loads(third.stdout)["messages"]} == {"already_sent"}
    finally:
        handler.release.set()
        server.stop()
    assert len(handler.received) == CLIENTS
    assert len(set(handler.received)) == CLIENTS
