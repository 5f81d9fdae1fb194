import socket
from contextlib import contextmanager
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler

from automations.config import EmailSettings, SmtpSettings
from automations.errors import TransportError, TransportSetupError
from automations.ledger import Ledger
from automations.messages.compose import compose
from automations.messages.delivery import deliver
from automations.messages.render import Templates
from automations.transports import open_transport

NOW = datetime(2026, 11, 26, 7, tzinfo=UTC)
CONTEXT = dict(practice_name="Lakeside", today="2026-11-26", open=3, by_owner=[("va", 3)], urgent=1, overdue=0,
               data_issues=0, queue_name="q.xlsx", resolved=0, link="")


def a_message(msg_id="<m1@lakeside.example>"):
    return compose(Templates().render("va_work_queue", **CONTEXT), sender="o@lakeside.example",
                   to="va@lakeside.example", msg_id=msg_id, now=NOW)


def test_outbox_writes_one_parseable_file_per_message_id(tmp_path):
    outbox = open_transport(EmailSettings(transport="outbox", outbox_dir=tmp_path / "out"))
    outbox.send(a_message())
    outbox.send(a_message())
    outbox.send(a_message("<m2@lakeside.example>"))
    files = sorted((tmp_path / "out").glob("*.eml"))
    assert len(files) == 2
    parsed = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert parsed["Message-ID"] in ("<m1@lakeside.example>", "<m2@lakeside.example>")
    assert not list((tmp_path / "out").glob(".tmp-*"))


def test_each_message_is_on_disk_before_send_returns_and_the_folder_at_the_close(tmp_path, monkeypatch):
    """One flush a message, before the ledger records it written: the simplest design that loses
    nothing (the journal, second process and grouped flushes it replaced bought speed no practice needs)."""
    import os
    import stat

    asked: list[str] = []
    flush = os.fsync

    def counted(fd):
        asked.append("file" if stat.S_ISREG(os.fstat(fd).st_mode) else "folder")
        flush(fd)

    monkeypatch.setattr(os, "fsync", counted)
    outbox = open_transport(EmailSettings(transport="outbox", outbox_dir=tmp_path / "out"))
    outbox.send(a_message("<first@lakeside.example>"))       # the folder made, with its marker
    asked.clear()
    for n in range(3):
        outbox.send(a_message(f"<m{n}@lakeside.example>"))
        assert asked == ["file"] * (n + 1)
    outbox.close()
    assert asked == ["file"] * 3 + ["folder"]


def written_ids(folder) -> list[str]:
    return sorted(message_from_bytes(path.read_bytes(), policy=policy.default)["Message-ID"]
                  for path in folder.glob("*.eml"))


def killed_after_sending(folder, count: int, prefix: str) -> None:
    """A process sends ``count`` messages to an outbox in ``folder`` and dies without closing it."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    script = (f"from tests.transports.test_transports import a_message\n"
              f"from automations.config import EmailSettings\n"
              f"from automations.transports import open_transport\n"
              f"import os, pathlib\n"
              f"box = open_transport(EmailSettings(transport='outbox', outbox_dir=pathlib.Path({str(folder)!r})))\n"
              f"for n in range({count}):\n"
              f"    box.send(a_message(f'<{prefix}{{n}}@lakeside.example>'))\n"
              f"os._exit(9)\n")
    killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=60)
    assert killed.returncode == 9, killed.stderr


@pytest.mark.timeout(120)
def test_a_run_killed_before_the_flush_leaves_every_message_whole_and_no_litter(tmp_path):
    """Killed without a chance to close: what was written is whole (the system keeps it), under its
    own name, and nothing half-written lies beside it."""
    killed_after_sending(tmp_path / "out", 3, "k")
    assert written_ids(tmp_path / "out") == ["<k0@lakeside.example>", "<k1@lakeside.example>",
                                             "<k2@lakeside.example>"]
    assert not list((tmp_path / "out").glob(".tmp-*"))


def test_a_flush_the_disk_refuses_is_a_transport_error_naming_the_outbox(tmp_path, monkeypatch):
    """The message stays pending (the transport refused it), and no half-written file is left."""
    import errno
    import os

    outbox = open_transport(EmailSettings(transport="outbox", outbox_dir=tmp_path / "out"))
    outbox.send(a_message())

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(TransportError, match=r"cannot write .*: No space left on device") as raised:
        outbox.send(a_message("<m2@lakeside.example>"))
    assert isinstance(raised.value, TransportSetupError) and str(tmp_path / "out") in str(raised.value)
    assert len(list((tmp_path / "out").glob("*.eml"))) == 1 and not list((tmp_path / "out").glob(".tmp-*"))


def test_a_link_planted_in_the_outbox_is_replaced_never_written_through(tmp_path):
    """A link at a message's file name (or at the old journal's) never makes the outbox write into
    the file it points at (once a tracker was overwritten with message records)."""
    import os

    tracker = tmp_path / "tracker.xlsx"
    tracker.write_bytes(b"the VA's tracker")
    outbox = open_transport(EmailSettings(transport="outbox", outbox_dir=tmp_path / "out"))
    message = a_message("<planted@lakeside.example>")
    outbox.send(a_message())                                   # the folder exists, as during a run
    os.symlink(tracker, outbox.path_for(message))
    os.symlink(tracker, tmp_path / "out" / ".practice-ops-journal")
    os.symlink(tmp_path / "nowhere.eml", tmp_path / "out" / "dangling.eml")
    outbox.send(message)
    outbox.close()
    assert tracker.read_bytes() == b"the VA's tracker"
    assert not outbox.path_for(message).is_symlink() and b"planted" in outbox.path_for(message).read_bytes()
    assert not (tmp_path / "nowhere.eml").exists()


class Recorder(MessageHandler):
    def __init__(self):
        super().__init__()
        self.received = []

    def handle_message(self, message):
        self.received.append(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_running(handler):
    """A real SMTP server (aiosmtpd) on loopback with ``handler``, for the length of the block."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_server():
    with smtp_running(Recorder()) as running:
        yield running


def send_twice(settings: EmailSettings, state_dir, message) -> tuple:
    """The same message handed over twice through the ledger: (first outcome, second outcome)."""
    transport = open_transport(settings)
    ledger = Ledger(state_dir)
    try:
        return tuple(deliver(ledger, transport, message, kind="va_work_queue", security="plain", run_id=run,
                             now=NOW) for run in (1, 2))
    finally:
        transport.close()
        ledger.close()


def test_smtp_delivers_to_a_real_server_on_loopback(smtp_server, tmp_path):
    controller, handler = smtp_server
    settings = EmailSettings(transport="smtp", smtp=SmtpSettings(host="127.0.0.1", port=controller.port,
                                                                 security="none"))
    first, second = send_twice(settings, tmp_path / "var", a_message())
    assert (first.status, second.status) == ("sent", "already_sent")
    assert len(handler.received) == 1
    assert handler.received[0]["Message-ID"] == "<m1@lakeside.example>"


def test_a_refused_connection_leaves_the_message_failed_and_retried_next_time(smtp_server, tmp_path):
    controller, handler = smtp_server
    dead = EmailSettings(transport="smtp", smtp=SmtpSettings(host="127.0.0.1", port=1, security="none",
                                                             timeout_seconds=2))
    ledger = Ledger(tmp_path / "var")
    try:
        failed = deliver(ledger, open_transport(dead), a_message(), kind="k", security="plain", run_id=1, now=NOW)
        assert failed.status == "pending" and "cannot connect" in failed.error and type(failed.failure) is TransportError
        assert ledger.message_status("<m1@lakeside.example>") == "failed"
        live = open_transport(EmailSettings(transport="smtp", smtp=SmtpSettings(
            host="127.0.0.1", port=controller.port, security="none")))
        retried = deliver(ledger, live, a_message(), kind="k", security="plain", run_id=2, now=NOW)
        live.close()
    finally:
        ledger.close()
    assert retried.status == "sent" and len(handler.received) == 1


def test_a_blocked_message_is_recorded_and_never_handed_over(tmp_path):
    class Refuses:
        def send(self, message):
            raise AssertionError("a blocked message reached the transport")

    ledger = Ledger(tmp_path / "var")
    try:
        outcome = deliver(ledger, Refuses(), a_message(), kind="k", security="blocked", run_id=1, now=NOW)
        assert outcome.status == "blocked" and ledger.message_status("<m1@lakeside.example>") == "blocked"
    finally:
        ledger.close()


def test_smtp_login_needs_its_password_from_the_environment(smtp_server, monkeypatch):
    controller, _ = smtp_server
    monkeypatch.delenv("PRACTICE_OPS_SMTP_PASSWORD", raising=False)
    transport = open_transport(EmailSettings(transport="smtp", smtp=SmtpSettings(
        host="127.0.0.1", port=controller.port, security="none", username="office")))
    with pytest.raises(TransportError, match="PRACTICE_OPS_SMTP_PASSWORD"):
        transport.send(a_message())


def tls_server_context(tmp_path):
    import ssl

    from tests.pki import make_tls_identity

    cert, key = make_tls_identity(tmp_path / "tls")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return cert, context


def check_login(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult

    return AuthResult(success=(auth_data.login, auth_data.password) == (b"office", b"right-password"))


@pytest.mark.parametrize("security", ["starttls", "ssl"])
@pytest.mark.timeout(60)
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # implicit TLS: aiosmtpd cannot see it
def test_smtp_over_tls_with_a_login_against_a_real_server(security, tmp_path, monkeypatch):
    cert, context = tls_server_context(tmp_path)
    handler = Recorder()
    tls = ({"tls_context": context, "require_starttls": True, "auth_require_tls": True} if security == "starttls"
           else {"ssl_context": context, "auth_require_tls": False})   # implicit TLS: the whole session is
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), authenticator=check_login,
                            auth_required=True, **tls)
    controller.start()
    try:
        monkeypatch.setenv("PRACTICE_OPS_SMTP_PASSWORD", "right-password")
        settings = SmtpSettings(host="127.0.0.1", port=controller.port, security=security, username="office",
                                ca_bundle=str(cert))
        sender = open_transport(EmailSettings(transport="smtp", smtp=settings))
        sender.send(a_message())
        sender.close()
        monkeypatch.setenv("PRACTICE_OPS_SMTP_PASSWORD", "wrong")   # aiosmtpd then stalls: a short timeout
        refused = open_transport(EmailSettings(transport="smtp", smtp=settings.model_copy(update={"timeout_seconds": 2})))
        with pytest.raises(TransportError) as failure:
            refused.send(a_message("<m2@lakeside.example>"))
        assert isinstance(failure.value, TransportSetupError) and "refused the login" in str(failure.value)
    finally:
        controller.stop()
    assert [m["Message-ID"] for m in handler.received] == ["<m1@lakeside.example>"]


@pytest.mark.timeout(60)
def test_smtp_refuses_a_server_certificate_it_cannot_trust(tmp_path):
    _, context = tls_server_context(tmp_path)
    controller = Controller(Recorder(), hostname="127.0.0.1", port=free_port(), ssl_context=context)
    controller.start()
    try:
        sender = open_transport(EmailSettings(transport="smtp", smtp=SmtpSettings(host="127.0.0.1", port=controller.port,
                                                                                  security="ssl")))
        with pytest.raises(TransportError) as failure:
            sender.send(a_message())
        assert isinstance(failure.value, TransportSetupError) and "TLS failed" in str(failure.value)
    finally:
        controller.stop()


def test_texts_for_review_are_files_in_the_outbox_beside_the_emails(tmp_path):
    from automations.messages.texts import Text
    from automations.transports.outbox import TextOutbox

    outbox = TextOutbox(tmp_path / "outbox")
    sid = outbox.send(Text("<text_reminder.1@lake.example>", "text_reminder", "+15552100101", "Lakeside: reminder"))
    outbox.close()
    written = list((tmp_path / "outbox").glob("text_reminder-*.txt"))
    assert len(written) == 1 and written[0].read_text().endswith("\n\nLakeside: reminder\n")
    assert "To: +15552100101" in written[0].read_text() and sid.startswith("outbox-")
    assert [r.status for r in outbox.receipts([sid], datetime(2026, 12, 7, tzinfo=UTC))] == ["delivered"]
