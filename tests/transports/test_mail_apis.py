"""The Microsoft Graph, Gmail and Exchange transports through their real client libraries
(requests, google-api-python-client, exchangelib), against local stand-ins."""

from datetime import UTC, datetime

import pytest
from cryptography import x509

from automations.config import EmailSettings
from automations.errors import Throttled, TransportError, TransportSetupError
from automations.ledger import Ledger
from automations.messages.compose import compose
from automations.messages.delivery import deliver
from automations.messages.render import Templates
from automations.messages.smime import seal
from automations.transports import open_transport
from tests.pki import make_identity
from tests.standins.mail import EwsStandIn, GmailStandIn, GraphStandIn
from tests.transports.test_transports import send_twice

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
CONTEXT = dict(practice_name="Lakeside", today="2026-11-26", open=3, by_owner=[("va", 3)], urgent=1, overdue=0,
               data_issues=0, queue_name="q.xlsx", resolved=0, link="")
SETTINGS = {"graph": ("GRAPH_EMULATOR_HOST", GraphStandIn), "gmail": ("GMAIL_EMULATOR_HOST", GmailStandIn),
            "exchange": ("EWS_EMULATOR_HOST", EwsStandIn)}


def a_message(msg_id="<m1@lake.example>"):
    return compose(Templates().render("va_work_queue", **CONTEXT), sender="Lakeside <office@lake.example>",
                   to="va@lake.example", msg_id=msg_id, now=NOW,
                   calendar=("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n", "REQUEST"))


@pytest.mark.parametrize("transport", sorted(SETTINGS))
def test_each_mail_api_carries_the_whole_mime_message_once(transport, monkeypatch, tmp_path):
    variable, stand_in_type = SETTINGS[transport]
    with stand_in_type() as stand_in:
        monkeypatch.setenv(variable, stand_in.host)
        settings = EmailSettings.model_validate({"transport": transport, "from": "Lakeside <office@lake.example>"})
        first, again = send_twice(settings, tmp_path / "var", a_message())
    assert (first.status, again.status) == ("sent", "already_sent")
    sent = [m if not isinstance(m, tuple) else m[1] for m in stand_in.sent]
    assert len(sent) == 1
    message = sent[0]
    assert message["Message-ID"] == "<m1@lake.example>" and message["To"] == "va@lake.example"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html", "text/calendar"]
    if transport == "graph":
        assert stand_in.sent[0][0] == "/v1.0/users/office%40lake.example/sendMail"
    if transport == "exchange":
        assert stand_in.dispositions == ["SendOnly"]


@pytest.mark.parametrize("transport", sorted(SETTINGS))
def test_an_encrypted_message_passes_through_untouched(transport, monkeypatch, tmp_path):
    variable, stand_in_type = SETTINGS[transport]
    cert_path, _ = make_identity(tmp_path, "va@lake.example")
    sealed = seal(a_message(), x509.load_pem_x509_certificate(cert_path.read_bytes()))
    with stand_in_type() as stand_in:
        monkeypatch.setenv(variable, stand_in.host)
        sender = open_transport(EmailSettings.model_validate({"transport": transport, "from": "office@lake.example"}))
        sender.send(sealed)
        sender.close()
    message = stand_in.sent[0] if transport != "graph" else stand_in.sent[0][1]
    assert message.get_content_type() == "application/pkcs7-mime"
    assert message.get_content() == sealed.get_content()


def test_graph_refusal_leaves_the_message_failed_for_the_next_run(monkeypatch, tmp_path):
    with GraphStandIn(fail_with=429) as stand_in:
        monkeypatch.setenv("GRAPH_EMULATOR_HOST", stand_in.host)
        ledger = Ledger(tmp_path / "var")
        try:
            outcome = deliver(ledger, open_transport(EmailSettings(transport="graph")), a_message(), kind="k",
                              security="plain", run_id=1, now=NOW)
            assert outcome.status == "pending" and "429 (ErrorQuotaExceeded)" in outcome.error
            assert isinstance(outcome.failure, Throttled) and outcome.failure.retry_after == 60.0
            assert ledger.message_status("<m1@lake.example>") == "failed"      # tried; tried again next run
        finally:
            ledger.close()


@pytest.mark.parametrize("transport, says", [("graph", "PRACTICE_OPS_GRAPH_CLIENT_SECRET"),
                                             ("gmail", "GOOGLE_APPLICATION_CREDENTIALS"),
                                             ("exchange", "PRACTICE_OPS_EWS_PASSWORD")])
def test_missing_credentials_are_named_not_a_crash(transport, says, monkeypatch):
    for variable, _ in SETTINGS.values():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    sender = open_transport(EmailSettings(transport=transport))
    with pytest.raises(TransportError, match=says):
        sender.send(a_message())


@pytest.mark.parametrize("where", [{"server": "outlook.office365.com"},
                                   {"service_endpoint": "https://outlook.office365.com/EWS/Exchange.asmx"}])
def test_the_exchange_transport_refuses_exchange_online_and_points_to_graph(where, monkeypatch):
    monkeypatch.delenv("EWS_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("PRACTICE_OPS_EWS_PASSWORD", "x")
    settings = EmailSettings.model_validate({"transport": "exchange", "exchange": {"username": "office", **where}})
    with pytest.raises(TransportError) as refused:
        open_transport(settings).send(a_message())
    assert isinstance(refused.value, TransportSetupError) and 'transport = "graph"' in str(refused.value)


@pytest.mark.timeout(60)
def test_three_unreachable_sends_in_a_row_stop_the_transport_for_the_run(monkeypatch, tmp_path):
    """A dead endpoint (as when DNS or the network fails): three tries, then everything waits."""
    import socket

    from tests.test_delivery import many_clients, using
    from tests.test_message_jobs import run

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("GRAPH_EMULATOR_HOST", dead)
    path = using(many_clients(tmp_path, 4), "graph")
    result = run(path, "reminders")
    assert [o.status for o in result.messages].count("pending") == 8
    assert sum(1 for o in result.messages if o.failure is not None) == 3
    assert any("3 messages in a row failed" in n for n in result.notices)


@pytest.mark.parametrize("password, outcome", [("right", "sent"), ("wrong", "setup")])
@pytest.mark.timeout(60)
def test_exchange_through_exchangelibs_own_authentication(password, outcome, monkeypatch):
    """No stand-in variable: the real credential path, against a local server asking for Basic auth."""
    monkeypatch.delenv("EWS_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("PRACTICE_OPS_EWS_PASSWORD", password)
    with EwsStandIn(basic=("LAKE\\office", "right")) as ews:
        settings = EmailSettings.model_validate({
            "transport": "exchange", "from": "office@lake.example",
            "exchange": {"service_endpoint": f"http://{ews.host}/EWS/Exchange.asmx", "username": "LAKE\\office"}})
        sender = open_transport(settings)
        try:
            if outcome == "sent":
                sender.send(a_message())
                assert len(ews.sent) == 1 and ews.refused >= 1, "challenged first, then authenticated"
            else:
                with pytest.raises(TransportError) as refused:
                    sender.send(a_message())
                assert isinstance(refused.value, TransportSetupError) and ews.sent == []
        finally:
            sender.close()
