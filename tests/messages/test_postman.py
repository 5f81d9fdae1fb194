"""The postman: one door for every message. Sent once per occasion in a run, and a message the
service refused for its pace (nothing accepted) goes once more after the wait, within the run."""

from datetime import UTC, datetime

import pytest

from automations import config as config_module
from automations.errors import Throttled
from automations.ledger import Ledger
from automations.messages.delivery import Delivery
from automations.messages.postman import Postman
from tests.conftest import MINIMAL, make_workbook, write_config
from tests.messages.test_pacing import FakeClock

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
NOTE = {"today": "2026-11-26", "open": 1, "by_owner": [("Front desk", 1)], "urgent": 0, "overdue": 0,
        "data_issues": 0, "queue_name": "q.xlsx", "resolved": 0, "link": ""}


class Service:
    """A mail service in this process: takes what it is handed, refusing the first ``busy`` tries as
    too fast (as a 429 does: nothing accepted)."""

    name = "smtp"

    def __init__(self, busy: int = 0):
        self.busy, self.tries, self.taken = busy, 0, []

    def send(self, message):
        self.tries += 1
        if self.tries <= self.busy:
            raise Throttled("smtp: 421 too many messages, slow down", retry_after=5)
        self.taken.append(message)

    def close(self):
        pass


@pytest.fixture
def postman(tmp_path):
    config = config_module.load(write_config(tmp_path, make_workbook(tmp_path / "t.xlsx", MINIMAL)))
    ledger = Ledger(tmp_path / "var")
    made = []

    def make(service: Service) -> Postman:
        clock = FakeClock()
        made.append(Postman(config, ledger, lambda: service, ledger.start_run("reconcile", "2026-11-26", NOW), NOW,
                            clock=clock, sleep=clock.sleep))
        made[-1].clock = clock
        return made[-1]

    yield make
    ledger.close()


def test_the_same_occasion_asked_twice_in_a_run_is_sent_once_and_counted_once(postman):
    service = Service()
    door = postman(service)
    first = door.send("va_work_queue", "va@test.example", NOTE, key="2026-11-26")
    again = door.send("va_work_queue", "va@test.example", NOTE, key="2026-11-26")
    assert again is first and first.outcome.status == Delivery.SENT
    assert len(service.taken) == 1 and [o.status for o in door.outcomes] == [Delivery.SENT]


def test_a_message_refused_for_the_pace_goes_once_more_after_the_wait(postman):
    service = Service(busy=1)
    door = postman(service)
    sent = door.send("va_work_queue", "va@test.example", NOTE, key="2026-11-26")
    assert sent.outcome.status == Delivery.SENT and service.tries == 2 and len(service.taken) == 1
    assert door.clock.slept == [5.0], "it waited what the service asked, then tried again"


def test_a_second_refusal_leaves_it_for_the_next_run(postman):
    service = Service(busy=2)
    door = postman(service)
    sent = door.send("va_work_queue", "va@test.example", NOTE, key="2026-11-26")
    assert sent.outcome.status == Delivery.PENDING and service.tries == 2 and service.taken == []
