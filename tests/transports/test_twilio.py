"""Texts through the real ``twilio`` library against a local stand-in of Twilio's Messages API: sent
once through the ledger, Twilio's faults as the failure family, what became of each text, replies
read page by page."""

from datetime import UTC, datetime

import pytest

from automations.config import SmsSettings
from automations.errors import MessageRefused, Throttled, TransportError, TransportSetupError
from automations.ledger import Ledger
from automations.messages.delivery import Delivery, Outcome, hand_over
from automations.messages.texts import Text
from automations.transports.twilio import TwilioTexts
from tests.standins.twilio import TwilioStandIn

NOW = datetime(2026, 12, 7, 15, tzinfo=UTC)
pytestmark = pytest.mark.timeout(60)


def texts(monkeypatch, stand_in: TwilioStandIn, **settings) -> TwilioTexts:
    monkeypatch.setenv("TWILIO_EMULATOR_HOST", stand_in.host)
    return TwilioTexts(SmsSettings(from_number="+15550100199", **settings))


def a_text(to="+15550100101", n=1) -> Text:
    return Text(f"<text_reminder.{n}@riverbend.example>", "text_reminder", to, "Riverbend Counseling: reminder")


def test_a_text_goes_once_through_the_ledger_with_twilios_id_kept(monkeypatch, tmp_path):
    with TwilioStandIn() as twilio:
        sender, ledger = texts(monkeypatch, twilio), Ledger(tmp_path / "var")
        try:
            for _ in range(2):
                text = a_text()
                outcome = hand_over(ledger, "twilio", lambda text=text: sender.send(text),
                                    Outcome("text_reminder", text.to, "plain", Delivery.SENT, text.message_id, ""),
                                    run_id=1, now=NOW)
            assert outcome.status == Delivery.ALREADY_SENT
            assert [(m["to"], m["body"], m["from"]) for m in twilio.sent()] == [
                ("+15550100101", "Riverbend Counseling: reminder", "+15550100199")]
            assert ledger.texts_awaiting_receipt(NOW.replace(day=1)) == [
                (text.message_id, twilio.sent()[0]["sid"], "text_reminder", "+15550100101")]
        finally:
            ledger.close()


def test_a_messaging_service_sends_in_place_of_a_number(monkeypatch):
    with TwilioStandIn() as twilio:
        monkeypatch.setenv("TWILIO_EMULATOR_HOST", twilio.host)
        TwilioTexts(SmsSettings(messaging_service_sid="MG" + "1" * 32)).send(a_text())
        assert len(twilio.sent()) == 1


@pytest.mark.parametrize(("fault", "failure"), [
    ({"throttle_every": 1}, Throttled), ({"refuse_auth": True}, TransportSetupError)])
def test_throttling_and_refused_credentials_are_their_failures(monkeypatch, fault, failure):
    with TwilioStandIn(**fault) as twilio:
        with pytest.raises(failure):
            texts(monkeypatch, twilio).send(a_text())


def test_a_number_that_texted_stop_or_is_no_number_is_refused_for_good(monkeypatch):
    with TwilioStandIn() as twilio:
        sender = texts(monkeypatch, twilio)
        twilio.client_texts("+15550100102", "STOP")
        with pytest.raises(MessageRefused, match="21610"):
            sender.send(a_text("+15550100102"))
        twilio.invalid.add("+15550100103")
        with pytest.raises(MessageRefused, match="21211"):
            sender.send(a_text("+15550100103"))
        twilio.client_texts("+15550100102", "START")
        sender.send(a_text("+15550100102", 2))


def test_a_service_out_of_reach_is_tried_again_next_run(monkeypatch):
    with TwilioStandIn() as twilio:
        host = twilio.host
    monkeypatch.setenv("TWILIO_EMULATOR_HOST", host)      # the stand-in has stopped: nothing listens there
    with pytest.raises(TransportError) as raised:
        TwilioTexts(SmsSettings(from_number="+15550100199", timeout_seconds=2)).send(a_text())
    assert type(raised.value) is TransportError


def test_without_a_stand_in_the_auth_token_must_be_set(monkeypatch):
    monkeypatch.delenv("TWILIO_EMULATOR_HOST", raising=False)
    monkeypatch.delenv("PRACTICE_OPS_TWILIO_AUTH_TOKEN", raising=False)
    with pytest.raises(TransportSetupError, match="PRACTICE_OPS_TWILIO_AUTH_TOKEN"):
        TwilioTexts(SmsSettings(account_sid="AC" + "1" * 32, from_number="+15550100199")).send(a_text())


def test_what_became_of_each_text_is_known_once_final(monkeypatch):
    with TwilioStandIn() as twilio:
        sender = texts(monkeypatch, twilio)
        first, second, third = (sender.send(a_text(n=n)) for n in (1, 2, 3))
        twilio.set_status(first, "undelivered", 30005)
        twilio.set_status(second, "delivered")
        receipts = {r.provider_id: r for r in sender.receipts([first, second, third], NOW)}
        reads = [path for method, path, _, _ in twilio.requests if method == "GET"]
        assert len(reads) == 1 and "/Messages.json?" in reads[0]     # one paged read, never one request a text
        assert receipts[first].status == "undelivered" and "30005" in receipts[first].error
        assert receipts[second].status == "delivered" and third not in receipts   # still on its way


def test_replies_are_read_across_pages_from_a_day_before_the_last_one(monkeypatch):
    with TwilioStandIn(page_size_cap=2) as twilio:
        sender = texts(monkeypatch, twilio)
        sender.send(a_text())
        for n in range(5):
            twilio.client_texts("+15550100101", f"C{n}")
        twilio.client_texts("+15550100104", "old", at=datetime(2026, 11, 1, tzinfo=UTC))
        replies, position = sender.fetch_replies({}, NOW)
        assert sorted(r.body for r in replies) == ["C0", "C1", "C2", "C3", "C4"]     # inbound only, two weeks back
        assert all(r.channel == "sms" and r.sender == "+15550100101" for r in replies)
        assert position == {"since": "2026-12-07T14:00:00+00:00"}
        again, _ = sender.fetch_replies(position, NOW)
        assert {r.provider_id for r in again} == {r.provider_id for r in replies}   # the ledger knows them
