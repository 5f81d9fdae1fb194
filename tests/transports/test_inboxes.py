"""Clients' email answers read from the practice's mailbox through each service's real client
library, against local stand-ins: each reply once, from where the last read ended, a lost position
(an expired delta link or history id, a rebuilt IMAP folder) answered by reading the last two weeks
again, and nothing in the mailbox marked read or moved."""

from datetime import UTC, datetime

import pytest

from automations.config import EmailSettings, RepliesSettings, SmtpSettings
from automations.errors import TransportError, TransportSetupError
from automations.transports.exchange import ExchangeInbox
from automations.transports.gmail import GmailInbox
from automations.transports.graph import GraphInbox
from automations.transports.imap import ImapInbox
from automations.transports.inbox_folder import InboxFolder
from tests.standins.imap import ImapStandIn
from tests.standins.mail import EwsStandIn, GmailStandIn, GraphStandIn

NOW = datetime(2026, 12, 7, 21, tzinfo=UTC)
pytestmark = pytest.mark.timeout(60)


def reply(n: int, body: str = "C") -> bytes:
    return (f"From: Rosa <rosa@mail.example>\r\nTo: office@lake.example\r\nSubject: Re: Appointment reminder\r\n"
            f"Message-ID: <reply-{n}@mail.example>\r\nIn-Reply-To: <appointment_reminder.{n}@lake.example>\r\n"
            f"Date: Mon, 07 Dec 2026 15:0{n}:00 -0500\r\n\r\n{body}\r\n").encode()


def read_all(source, position):
    found, position = source.fetch_replies(position, NOW)
    return [r.provider_id for r in found], position


def test_graph_reads_the_inbox_by_delta_and_starts_again_when_the_link_expires(monkeypatch):
    with GraphStandIn() as graph:
        monkeypatch.setenv("GRAPH_EMULATOR_HOST", graph.host)
        inbox = GraphInbox(EmailSettings.model_validate({"transport": "graph"}).graph, "office@lake.example")
        for n in range(1, 4):
            graph.receive(reply(n))
        graph.receive(reply(9), at="2026-11-01T12:00:00Z")                   # older than two weeks
        ids, position = read_all(inbox, {})
        assert ids == ["<reply-1@mail.example>", "<reply-2@mail.example>", "<reply-3@mail.example>"]
        assert "$skiptoken" in str(graph.delta_requests) and "delta_link" in position   # three on two pages
        assert read_all(inbox, position)[0] == []
        graph.receive(reply(4))
        ids, position = read_all(inbox, position)
        assert ids == ["<reply-4@mail.example>"]
        graph.expire_delta_links()
        ids, _ = read_all(inbox, position)                                      # 410: the last two weeks again
        assert ids == ["<reply-1@mail.example>", "<reply-2@mail.example>", "<reply-3@mail.example>",
                       "<reply-4@mail.example>"]


def test_gmail_reads_history_and_the_last_two_weeks_when_the_history_id_expired(monkeypatch):
    with GmailStandIn() as gmail:
        monkeypatch.setenv("GMAIL_EMULATOR_HOST", gmail.host)
        monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
        inbox = GmailInbox(EmailSettings.model_validate({"transport": "gmail"}).gmail, "office@lake.example")
        gmail.receive(reply(1))
        gmail.receive(reply(8), at=1_700_000_000)                               # November 2023
        ids, position = read_all(inbox, {})
        assert ids == ["<reply-1@mail.example>"] and position == {"history_id": "1002"}
        gmail.receive(reply(2))
        ids, position = read_all(inbox, position)
        assert ids == ["<reply-2@mail.example>"] and position == {"history_id": "1003"}
        gmail.forget_history()
        gmail.receive(reply(3))
        ids, _ = read_all(inbox, position)
        assert ids == ["<reply-1@mail.example>", "<reply-2@mail.example>", "<reply-3@mail.example>"]


def test_exchange_reads_the_inbox_since_the_last_reply_it_read(monkeypatch):
    with EwsStandIn() as ews:
        monkeypatch.setenv("EWS_EMULATOR_HOST", ews.host)
        inbox = ExchangeInbox(EmailSettings.model_validate({"transport": "exchange"}).exchange, "office@lake.example")
        ews.receive(reply(1), at="2026-12-07T20:01:00Z")
        ews.receive(reply(2), at="2026-12-07T20:02:00Z")
        ids, position = read_all(inbox, {})
        assert ids == ["<reply-1@mail.example>", "<reply-2@mail.example>"]
        ews.receive(reply(3), at="2026-12-07T20:03:00Z")
        assert read_all(inbox, position)[0] == ["<reply-3@mail.example>"]


def imap_inbox(port: int, monkeypatch, password="secret") -> ImapInbox:
    monkeypatch.setenv("PRACTICE_OPS_IMAP_PASSWORD", password)
    settings = RepliesSettings(imap_host="127.0.0.1", imap_port=port, imap_security="none")
    return ImapInbox(settings, SmtpSettings(username="office@lake.example", timeout_seconds=5))


def test_imap_reads_new_replies_by_uid_without_marking_them_read(monkeypatch):
    with ImapStandIn() as server:
        server.deliver(reply(1))
        server.deliver(reply(7), day="01-Nov-2026")
        inbox = imap_inbox(server.port, monkeypatch)
        try:
            ids, position = read_all(inbox, {})
            assert ids == ["<reply-1@mail.example>"] and position == {"uidvalidity": "1", "uid": 1}
            assert read_all(inbox, {"uidvalidity": "1", "uid": 2})[0] == []     # RFC 3501's 3:* answers 2: passed over
            server.deliver(reply(2))
            ids, position = read_all(inbox, {"uidvalidity": "1", "uid": 2})
            assert ids == ["<reply-2@mail.example>"] and position["uid"] == 3
            server.rebuild()                                                     # a new UIDVALIDITY: two weeks again
            assert read_all(inbox, position)[0] == ["<reply-1@mail.example>", "<reply-2@mail.example>"]
            assert server.marked_read == [] and all(not c.startswith("SELECT") for c in server.commands)
        finally:
            inbox.close()


def test_imap_refused_sign_in_and_a_server_out_of_reach_are_their_failures(monkeypatch):
    with ImapStandIn() as server:
        with pytest.raises(TransportSetupError, match="refused the sign-in"):
            imap_inbox(server.port, monkeypatch, password="wrong").fetch_replies({}, NOW)
        port = server.port
    with pytest.raises(TransportError):
        imap_inbox(port, monkeypatch).fetch_replies({}, NOW)


def test_imap_in_clear_is_for_this_computer_only(monkeypatch):
    monkeypatch.setenv("PRACTICE_OPS_IMAP_PASSWORD", "secret")
    inbox = ImapInbox(RepliesSettings(imap_host="imap.lake.example", imap_security="none"), SmtpSettings())
    with pytest.raises(TransportSetupError, match="this computer only"):
        inbox.fetch_replies({}, NOW)


def test_the_review_folder_is_read_and_never_written(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "rosa.eml").write_bytes(reply(1))
    (folder / "notes.txt").write_text("not a reply")
    (folder / "huge.eml").write_bytes(b"x" * (5 * 2**20 + 1))
    before = sorted((p.name, p.stat().st_mtime_ns) for p in folder.iterdir())
    ids, _ = read_all(InboxFolder(folder), {})
    assert ids == ["<reply-1@mail.example>"]
    assert sorted((p.name, p.stat().st_mtime_ns) for p in folder.iterdir()) == before
