"""compliance.message_failed: a refused message reaches the VA at once and is never retried; a
deferred one waits, and reaches the VA once it has failed for 24 hours. Real SMTP on loopback."""

from datetime import date, time, timedelta

import pytest

from tests.test_message_jobs import AT_NINE, run, write_practice
from tests.transports.test_transports import smtp_running

REFUSED, DEFERRED = "gone@mail.example", "full@mail.example"


class Picky:
    """Accepts every recipient but two: one refused for good (550), one deferred (451)."""

    def __init__(self):
        self.attempts: list[str] = []
        self.received: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.attempts.append(address)
        if address == REFUSED:
            return "550 5.1.1 mailbox unavailable"
        if address == DEFERRED:
            return "451 4.2.2 mailbox full, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def picky_server():
    with smtp_running(Picky()) as running:
        yield running


def practice_with_smtp(tmp_path, port):
    tomorrow = date(2026, 11, 27)
    clients = [["C-1", "Rosa", "Q", REFUSED, "plain_ok", "Aetna", None, None],
               ["C-2", "Ana", "B", DEFERRED, "plain_ok", "Aetna", None, None],
               ["C-3", "Eli", "D", "eli@mail.example", "plain_ok", "Aetna", None, None]]
    appointments = [[f"A-{i}", f"C-{i}", "Ann Lee", tomorrow, time(9 + i), 50, "in_person", None, "scheduled", "Aetna"]
                    for i in (1, 2, 3)]
    return write_practice(tmp_path, appointments, clients=clients, extra=f"""
[email.smtp]
host = "127.0.0.1"
port = {port}
security = "none"
""".replace("[security]", "[security]")).parent / "practice.toml"


def failed_findings(result):
    return [f for f in result.findings if f.rule == "compliance.message_failed"]


@pytest.mark.timeout(60)
def test_refused_at_once_deferred_after_a_day_and_the_rest_delivered(tmp_path, picky_server):
    controller, handler = picky_server
    path = practice_with_smtp(tmp_path, controller.port)
    text = path.read_text().replace('[email]\n', '[email]\ntransport = "smtp"\n')
    path.write_text(text)

    first = run(path, "reminders")
    assert "eli@mail.example" in handler.received
    assert [f.refs["recipient"] for f in failed_findings(first)] == [REFUSED]
    assert "was refused" in failed_findings(first)[0].message

    later = run(path, "reminders", now=AT_NINE + timedelta(minutes=30))
    assert handler.attempts.count(REFUSED) == 1, "a refused message is never tried again"
    assert handler.attempts.count(DEFERRED) == 2, "a deferred message is tried again"
    assert [f.refs["recipient"] for f in failed_findings(later)] == [REFUSED]

    day_later = run(path, "reminders", now=AT_NINE + timedelta(hours=24, minutes=5))
    assert {f.refs["recipient"] for f in failed_findings(day_later)} == {REFUSED, DEFERRED}
