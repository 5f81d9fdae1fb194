"""Delivery that survives real mail services, through the jobs and the real client libraries
(requests under MSAL, google-api-python-client and google-auth, smtplib) against local stand-ins
that fail the way the real services do."""

import json
import subprocess
import sys
from datetime import time, timedelta

import pytest

from automations.ledger import Ledger
from tests.conftest import ROOT
from tests.pki import make_service_account_key, make_tls_identity
from tests.standins.mail import GmailStandIn, GraphStandIn, SignInStandIn
from tests.test_message_jobs import AT_NINE, DAY, run, write_practice

TOMORROW = DAY + timedelta(days=1)


def many_clients(tmp_path, n, extra=""):
    clients = [[f"C-{i}", "Pat", f"Client{i}", f"c{i}@mail.example", "plain_ok", "Aetna", None, None]
               for i in range(1, n + 1)]
    appointments = [[f"A-{i}", f"C-{i}", "Ann Lee", TOMORROW, time(8 + i % 10, (i // 10) * 5), 50, "in_person", None,
                     "scheduled", "Aetna"] for i in range(1, n + 1)]
    return write_practice(tmp_path, appointments, clients=clients, extra=extra)


def using(path, transport, extra_email=""):
    path.write_text(path.read_text().replace("[email]\n", f'[email]\ntransport = "{transport}"\n{extra_email}'))
    return path


def delivered(stand_in) -> list[str]:
    return [str(m["Message-ID"]) for _, m in stand_in.sent]


@pytest.mark.timeout(120)
def test_a_throttling_graph_mailbox_gets_everything_once_within_three_runs(tmp_path, monkeypatch):
    path = using(many_clients(tmp_path, 20), "graph", "max_per_minute = 600\n")
    with GraphStandIn(throttle_every=11, retry_after=2) as graph:
        monkeypatch.setenv("GRAPH_EMULATOR_HOST", graph.host)
        results = [run(path, "reminders", AT_NINE + timedelta(minutes=m)) for m in (0, 1, 2)]
    ids = delivered(graph)
    assert len(ids) == len(set(ids)) == 40, "20 reminders and 20 invitations, each once"
    assert graph.throttled_at, "the stand-in did throttle"
    for throttled in graph.throttled_at:                       # no request before Retry-After
        after = [t for t in graph.request_times if t > throttled]
        assert not after or after[0] - throttled >= 2 - 0.05
    assert all(r.usable for r in results)
    ledger = Ledger(tmp_path / "var")
    assert {row["status"] for row in ledger.runs()} == {"ok"}
    ledger.close()


@pytest.mark.timeout(60)
def test_a_503_after_graph_kept_the_message_is_never_retried_in_the_same_run(tmp_path, monkeypatch):
    path = using(many_clients(tmp_path, 2), "graph", "max_per_minute = 600\n")
    with GraphStandIn(accept_then_fail=1) as graph:
        monkeypatch.setenv("GRAPH_EMULATOR_HOST", graph.host)
        first = run(path, "reminders")
        assert graph.seen == 4, "one request per message: the 503 was not retried in the run"
        assert sorted(o.status for o in first.messages) == ["pending", "sent", "sent", "sent"]


@pytest.mark.timeout(60)
def test_graph_through_msal_against_a_local_sign_in_service(tmp_path, monkeypatch):
    cert, key = make_tls_identity(tmp_path / "tls")
    with SignInStandIn(tls=(cert, key)) as entra, GraphStandIn(token="entra-token") as graph:
        monkeypatch.setenv("GRAPH_EMULATOR_HOST", graph.host)
        monkeypatch.setenv("PRACTICE_OPS_GRAPH_CLIENT_SECRET", "s3cret")
        path = using(many_clients(tmp_path, 2), "graph", "max_per_minute = 600\n")
        path.write_text(path.read_text() + f'[email.graph]\ntenant_id = "lake-tenant"\nclient_id = "app-1"\n'
                                           f'authority = "https://{entra.host}"\nca_bundle = "{cert}"\n')
        result = run(path, "reminders")
    assert sorted(o.status for o in result.messages) == ["sent"] * 4 and entra.token_requests == 1


@pytest.mark.timeout(60)
def test_a_refused_graph_app_stops_the_transport_for_the_run_and_leaves_everything_pending(tmp_path, monkeypatch):
    cert, key = make_tls_identity(tmp_path / "tls")
    with SignInStandIn(refuse=True, tls=(cert, key)) as entra, GraphStandIn() as graph:
        monkeypatch.setenv("GRAPH_EMULATOR_HOST", graph.host)
        monkeypatch.setenv("PRACTICE_OPS_GRAPH_CLIENT_SECRET", "wrong")
        path = using(many_clients(tmp_path, 3), "graph")
        path.write_text(path.read_text() + f'[email.graph]\ntenant_id = "lake-tenant"\nclient_id = "app-1"\n'
                                           f'authority = "https://{entra.host}"\nca_bundle = "{cert}"\n')
        result = run(path, "reminders")
    assert entra.token_requests == 1 and graph.seen == 0
    assert {o.status for o in result.messages} == {"failed", "pending"}
    stopped = [n for n in result.notices if "stopped for this run" in n]
    assert len(stopped) == 1 and "invalid_client" in stopped[0]


@pytest.mark.timeout(90)
def test_a_google_service_account_without_delegation_ends_the_run_cleanly(tmp_path):
    with SignInStandIn(refuse=True) as google, GmailStandIn() as gmail:
        key = make_service_account_key(tmp_path / "keys", f"http://{google.host}/token")
        path = using(many_clients(tmp_path, 2), "gmail")
        env = {"PATH": "/usr/bin:/bin", "GMAIL_EMULATOR_HOST": gmail.host, "GOOGLE_APPLICATION_CREDENTIALS": str(key)}
        done = subprocess.run([sys.executable, str(ROOT / "run.py"), "--config", str(path), "run", "reminders",
                               "--now", AT_NINE.isoformat(), "--json"], capture_output=True, text=True, timeout=60,
                              env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr
    result = json.loads(done.stdout)
    stopped = [n for n in result["notices"] if "stopped for this run" in n]
    assert len(stopped) == 1 and "domain-wide delegation" in stopped[0]
    assert gmail.sent == [] and google.token_requests == 1
    ledger = Ledger(tmp_path / "var")
    assert {row[4] for row in ledger.messages()} <= {"pending", "failed"}
    ledger.close()


def invitations(tmp_path) -> list[tuple[str, str, int]]:
    """(recipient, METHOD, SEQUENCE) of every invitation in the outbox."""
    from email import message_from_bytes, policy

    from icalendar import Calendar

    found = []
    for path in sorted((tmp_path / "outbox").glob("calendar_invite-*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                cal = Calendar.from_ical(part.get_payload(decode=True))
                found.append((message["To"], str(cal["method"]), int(cal.walk("VEVENT")[0]["sequence"])))
    return sorted(found)


def two_clinicians(tmp_path, provider="Ann Lee", rows=True):
    from openpyxl import load_workbook

    appointments = [["A-1", "C-1", provider, TOMORROW, time(10), 50, "in_person", None, "scheduled", "Aetna"]] \
        if rows else []
    path = write_practice(tmp_path, appointments)
    book = load_workbook(tmp_path / "t.xlsx")
    book["Providers"].append(["Bo Diaz", "bo@lake.example", "Y", "grief", 20])
    book.save(tmp_path / "t.xlsx")
    return path


def test_a_reassigned_session_is_cancelled_for_the_old_clinician_and_offered_to_the_new(tmp_path):
    path = two_clinicians(tmp_path)
    run(path, "reminders")
    two_clinicians(tmp_path, provider="Bo Diaz")
    run(path, "reminders", AT_NINE + timedelta(hours=1))
    assert invitations(tmp_path) == [("ann@lake.example", "CANCEL", 1), ("ann@lake.example", "REQUEST", 0),
                                     ("bo@lake.example", "REQUEST", 0)]
    run(path, "reminders", AT_NINE + timedelta(hours=2))
    assert len(invitations(tmp_path)) == 3, "a rerun on unchanged trackers sends nothing"


def test_a_future_session_whose_row_is_deleted_is_cancelled(tmp_path):
    path = two_clinicians(tmp_path)
    run(path, "reminders")
    two_clinicians(tmp_path, rows=False)
    result = run(path, "reminders", AT_NINE + timedelta(hours=1))
    assert ("ann@lake.example", "CANCEL", 1) in invitations(tmp_path)
    assert [o.status for o in result.messages if o.kind == "calendar_invite"] == ["sent"]


@pytest.mark.timeout(60)
def test_reminders_reviewed_in_the_outbox_then_sent_over_smtp_reach_the_clients_once(tmp_path):
    from tests.transports.test_transports import Recorder, smtp_running

    path = many_clients(tmp_path, 3)
    reviewed = run(path, "reminders")
    assert {o.status for o in reviewed.messages} == {"sent"} and len(list((tmp_path / "outbox").glob("*.eml"))) == 6
    with smtp_running(Recorder()) as (controller, handler):
        using(path, "smtp", "")
        path.write_text(path.read_text() + f'[email.smtp]\nhost = "127.0.0.1"\nport = {controller.port}\n'
                                           f'security = "none"\n')
        live = run(path, "reminders")
        again = run(path, "reminders", AT_NINE + timedelta(minutes=5))
    assert sorted(m["To"] for m in handler.received if m["X-Practice-Ops-Kind"] == "appointment_reminder") == [
        "c1@mail.example", "c2@mail.example", "c3@mail.example"]
    assert {o.status for o in live.messages} == {"sent"} and {o.status for o in again.messages} == {"already_sent"}


def test_a_tracker_that_suddenly_lost_most_sessions_cancels_nothing(tmp_path):
    path = many_clients(tmp_path, 8)
    run(path, "reminders")
    write_practice(tmp_path, [["A-1", "C-1", "Ann Lee", TOMORROW, time(9), 50, "in_person", None, "scheduled",
                               "Aetna"]])
    result = run(path, "reminders", AT_NINE + timedelta(hours=1))
    assert not [o for o in result.messages if o.kind == "calendar_invite"]
    assert any("no invitation was cancelled" in n for n in result.notices)


def test_a_video_reminder_held_for_its_link_goes_once_the_link_is_added(tmp_path):
    from email import message_from_bytes, policy

    video = ["A-1", "C-1", "Ann Lee", TOMORROW, time(16), 50, "video", None, "scheduled", "Aetna"]  # 31 h away
    path = write_practice(tmp_path, [video])
    first = run(path, "all")
    assert any(f.rule == "scheduling.missing_telehealth_link" and "so the reminder carries it" in f.message
               for f in first.findings)
    assert not [o for o in first.messages if o.kind == "appointment_reminder" and o.status == "sent"]
    write_practice(tmp_path, [[*video[:7], "https://video.example/a1", *video[8:]]])
    second = run(path, "reminders", AT_NINE + timedelta(hours=1))
    reminders = list((tmp_path / "outbox").glob("appointment_reminder-*.eml"))
    assert len(reminders) == 1 and b"https://video.example/a1" in reminders[0].read_bytes()
    message = message_from_bytes(reminders[0].read_bytes(), policy=policy.default)
    assert "Appointment reminder" in message["Subject"]
    third = run(path, "reminders", AT_NINE + timedelta(hours=2))
    assert [o.status for o in second.messages if o.kind == "appointment_reminder"] == ["sent"]
    assert not [o for o in third.messages if o.kind == "appointment_reminder" and o.status == "sent"]


def snapshot_of(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.timeout(60)
def test_a_dry_run_renders_and_reports_everything_and_writes_nothing(tmp_path):
    path = many_clients(tmp_path, 2)
    before = snapshot_of(tmp_path)
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "--config", str(path), "run", "all", "--dry-run",
                           "--now", AT_NINE.isoformat(), "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert {m["status"] for m in result["messages"]} == {"would_send"}
    assert {"appointment_reminder", "calendar_invite", "weekly_summary", "va_work_queue"} <= {
        m["kind"] for m in result["messages"]}
    assert snapshot_of(tmp_path) == before, "no file was made or changed"

    run(path, "reminders")                                   # a real run, then a dry one over its ledger
    ledger_before = snapshot_of(tmp_path / "var")
    again = subprocess.run([sys.executable, str(ROOT / "run.py"), "--config", str(path), "run", "reminders",
                            "--dry-run", "--now", AT_NINE.isoformat(), "--json"], capture_output=True, text=True,
                           timeout=60)
    assert {m["status"] for m in json.loads(again.stdout)["messages"]} == {"already_sent"}
    assert snapshot_of(tmp_path / "var") == ledger_before
