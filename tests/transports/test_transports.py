import socket
from contextlib import contextmanager
from datetime import datetime, UTC
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler

from automations.config import EmailSettings, SmtpSettings
from automations.errors import TransportError
from automations.ledger import Ledger
from automations.messages.compose import compose
from automations.messages.delivery import deliver
from automations.messages.render import Templates
from automations.transports import open_transport

NOW = datetime(2026, 11, 26, 7, tzinfo=UTC)
CONTEXT = dict(practice_name="Lakeside", today="2026-11-26", open=3, by_owner=[("va", 3)], urgent=1,
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


def counting_flushes(monkeypatch) -> list[tuple[str, int]]:
    """What os.fsync is asked to flush from now on: ("file" or "folder", its inode), and flushed."""
    import os
    import stat
    import threading

    asked: list[tuple[str, int]] = []
    lock = threading.Lock()
    flush = os.fsync

    def counted(fd):
        seen = os.fstat(fd)
        with lock:
            asked.append(("file" if stat.S_ISREG(seen.st_mode) else "folder", seen.st_ino))
        flush(fd)

    monkeypatch.setattr(os, "fsync", counted)
    return asked


def test_the_outbox_flushes_its_files_in_groups_and_its_last_ones_when_it_closes(tmp_path, monkeypatch):
    from automations.transports import outbox as outbox_module

    monkeypatch.setattr(outbox_module, "FLUSH_EVERY", 5)
    asked = counting_flushes(monkeypatch)
    outbox = open_transport(EmailSettings(transport="outbox", outbox_dir=tmp_path / "out"))

    def files_flushed() -> list[int]:
        return [inode for kind, inode in asked if kind == "file"]

    for n in range(4):
        outbox.send(a_message(f"<m{n}@lakeside.example>"))
    assert asked == [] and len(list((tmp_path / "out").glob("*.eml"))) == 4  # written whole, not yet flushed
    for n in range(4, 10):
        outbox.send(a_message(f"<m{n}@lakeside.example>"))
    assert len(files_flushed()) >= 5  # the first group, flushed behind the second, is done before the third starts
    for n in range(10, 12):
        outbox.send(a_message(f"<m{n}@lakeside.example>"))
    outbox.close()
    written = {path.stat().st_ino for path in (tmp_path / "out").glob("*.eml")}
    assert sorted(files_flushed()) == sorted(written) and len(written) == 12  # each once, none left out
    assert ("folder", (tmp_path / "out").stat().st_ino) in asked
    outbox.close()
    assert len(files_flushed()) == 12  # nothing written since: nothing flushed twice


def written_ids(folder) -> list[str]:
    return sorted(message_from_bytes(path.read_bytes(), policy=policy.default)["Message-ID"]
                  for path in folder.glob("*.eml"))


def killed_after_sending(folder, count: int, prefix: str, handover_at: int | None = None) -> None:
    """A process sends ``count`` messages to an outbox in ``folder`` and dies without closing it."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    script = (f"from tests.transports.test_transports import a_message\n"
              f"from automations.config import EmailSettings\n"
              f"from automations.transports import open_transport, outbox\n"
              f"import os, pathlib\n"
              f"outbox.HANDOVER_AT = {handover_at or 10**9}\n"
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
    import errno
    import os

    outbox = open_transport(EmailSettings(transport="outbox", outbox_dir=tmp_path / "out"))
    outbox.send(a_message())

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(TransportError, match=r"1 of the 1 review copies last written may not be on disk "
                                             r"\(No space left on device\)") as raised:
        outbox.close()
    assert raised.value.kind == "setup" and str(tmp_path / "out") in str(raised.value)


def test_a_group_the_disk_would_not_flush_stops_the_next_message_that_would_follow_it(tmp_path, monkeypatch):
    """Flushed behind the writing, a group's failure is met when the next group would start: that
    message is refused (so it stays pending), not recorded as written."""
    import errno
    import os

    from automations.transports import outbox as outbox_module

    monkeypatch.setattr(outbox_module, "FLUSH_EVERY", 2)

    def failing(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing)
    outbox = open_transport(EmailSettings(transport="outbox", outbox_dir=tmp_path / "out"))
    outbox.send(a_message("<a@lakeside.example>"))
    outbox.send(a_message("<b@lakeside.example>"))  # the group of two starts flushing, and fails
    outbox.send(a_message("<c@lakeside.example>"))
    with pytest.raises(TransportError, match=r"2 of the 2 review copies last written may not be on disk "
                                             r"\(Input/output error\)"):
        outbox.send(a_message("<d@lakeside.example>"))


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
        assert failed.status == "pending" and "cannot connect" in failed.error and failed.failure.kind == "transient"
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
        assert failure.value.kind == "setup" and "refused the login" in str(failure.value)
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
        assert failure.value.kind == "setup" and "TLS failed" in str(failure.value)
    finally:
        controller.stop()


@pytest.mark.timeout(120)
def test_a_large_run_hands_its_files_to_a_second_process_and_every_one_comes_out_whole(tmp_path, monkeypatch):
    from automations.messages.compose import WIRE
    from automations.transports import outbox as outbox_module

    monkeypatch.setattr(outbox_module, "HANDOVER_AT", 3)
    outbox = open_transport(EmailSettings(transport="outbox", outbox_dir=tmp_path / "out"))
    sent = [a_message(f"<h{n}@lakeside.example>") for n in range(40)]
    for n, message in enumerate(sent):
        outbox.send(message)
        if n == 3:
            assert (tmp_path / "out" / outbox_module.JOURNAL).exists()  # the fourth went to the journal
    outbox.close()
    assert written_ids(tmp_path / "out") == sorted(f"<h{n}@lakeside.example>" for n in range(40))
    for message in sent:
        assert outbox.path_for(message).read_bytes() == message.as_bytes(policy=WIRE)
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.endswith(".eml")) == [".practice-ops"]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("second_process", ["refused", "killed"])
def test_without_its_second_process_a_large_run_writes_every_file_itself(tmp_path, monkeypatch, caplog, second_process):
    import multiprocessing

    from automations.transports import outbox as outbox_module

    monkeypatch.setattr(outbox_module, "HANDOVER_AT", 3)
    if second_process == "refused":
        def refuse(self):
            raise OSError(11, "Resource temporarily unavailable")

        monkeypatch.setattr(multiprocessing.get_context("spawn").Process, "start", refuse)
    outbox = open_transport(EmailSettings(transport="outbox", outbox_dir=tmp_path / "out"))
    for n in range(20):
        outbox.send(a_message(f"<w{n}@lakeside.example>"))
        if n == 5 and second_process == "killed":
            outbox._maker.kill()  # the second process dies mid-run (the test's one reach inside)
            outbox._maker.join()
    outbox.close()
    assert written_ids(tmp_path / "out") == sorted(f"<w{n}@lakeside.example>" for n in range(20))
    assert not (tmp_path / "out" / outbox_module.JOURNAL).exists()
    assert "this one writes" in caplog.text


@pytest.mark.timeout(120)
def test_a_run_killed_after_handing_over_leaves_a_journal_the_next_use_makes_into_files(tmp_path):
    from automations.transports.outbox import JOURNAL

    killed_after_sending(tmp_path / "out", 8, "j", handover_at=2)
    assert (tmp_path / "out" / JOURNAL).exists()
    outbox = open_transport(EmailSettings(transport="outbox", outbox_dir=tmp_path / "out"))
    outbox.send(a_message("<next@lakeside.example>"))
    outbox.close()
    assert written_ids(tmp_path / "out") == sorted([*(f"<j{n}@lakeside.example>" for n in range(8)),
                                                    "<next@lakeside.example>"])
    assert not (tmp_path / "out" / JOURNAL).exists() and not list((tmp_path / "out").glob(".tmp-*"))


def test_a_journal_cut_short_gives_back_its_whole_records_and_no_more(tmp_path, caplog):
    """A power cut can leave the journal's last record in part (or zeros after it): every record
    before it is made a file; the one in part was never recorded as sent."""
    from automations.messages.compose import WIRE
    from automations.transports.outbox import JOURNAL, _record

    folder = tmp_path / "out"
    folder.mkdir()
    (folder / ".practice-ops").write_text("This folder holds practice-ops' outbox.\n")
    whole = [a_message(f"<c{n}@lakeside.example>") for n in range(2)]
    outbox = open_transport(EmailSettings(transport="outbox", outbox_dir=folder))
    journal = b"".join(_record(outbox.path_for(m).name, m.as_bytes(policy=WIRE)) for m in whole)
    torn = _record(outbox.path_for(a_message("<c2@lakeside.example>")).name, a_message("<c2@lakeside.example>")
                   .as_bytes(policy=WIRE))
    (folder / JOURNAL).write_bytes(journal + torn[:-10] + b"\0" * 10)
    outbox.send(a_message("<after@lakeside.example>"))
    outbox.close()
    assert written_ids(folder) == ["<after@lakeside.example>", "<c0@lakeside.example>", "<c1@lakeside.example>"]
    assert "is not as written" in caplog.text and not (folder / JOURNAL).exists()
