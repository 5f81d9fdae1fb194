"""The pace of one transport, on a fake clock: no test waits on time."""

import pytest

from automations.ledger import Ledger
from automations.messages.pacing import Pacer


class FakeClock:
    def __init__(self, start=1_000_000.0):
        self.now = start
        self.slept: list[float] = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def ledger(tmp_path):
    opened = Ledger(tmp_path / "var")
    yield opened
    opened.close()


def send(pacer, clock, n):
    sent = 0
    for _ in range(n):
        if pacer.ready():
            break
        pacer.sent()
        sent += 1
    return sent


def test_thirty_a_minute_means_thirty_in_any_minute(ledger):
    clock = FakeClock()
    pacer = Pacer(ledger, "graph", 30, 300, clock, clock.sleep)
    assert send(pacer, clock, 31) == 31
    assert clock.slept == [60.0]                  # the 31st waited for the first to leave the window


def test_two_runs_back_to_back_add_up(ledger):
    clock = FakeClock()
    assert send(Pacer(ledger, "graph", 30, 300, clock, clock.sleep), clock, 30) == 30
    clock.now += 5
    second = Pacer(ledger, "graph", 30, 300, clock, clock.sleep)
    assert send(second, clock, 1) == 1 and clock.slept == [55.0]


def test_past_the_waiting_budget_the_rest_waits_for_the_next_run(ledger):
    clock = FakeClock()
    pacer = Pacer(ledger, "graph", 30, 30, clock, clock.sleep)
    assert send(pacer, clock, 100) == 30
    assert "next run" in pacer.ready() and clock.slept == []


def test_no_request_before_a_retry_after_in_this_run_or_the_next(ledger):
    clock = FakeClock()
    Pacer(ledger, "graph", None, 300, clock, clock.sleep).throttled(2.0, "429 ApplicationThrottled")
    fresh = Pacer(ledger, "graph", None, 300, clock, clock.sleep)
    assert fresh.ready() == "" and clock.slept == [2.0]


def test_a_retry_after_beyond_the_budget_holds_the_transport(ledger):
    clock = FakeClock()
    pacer = Pacer(ledger, "graph", None, 10, clock, clock.sleep)
    pacer.throttled(120.0, "429")
    assert "asked to wait" in pacer.ready() and clock.slept == []


@pytest.mark.parametrize("asked, held", [(None, 60.0), (0, 1.0), (10**9, 3600.0)])
def test_retry_after_is_bounded(ledger, asked, held):
    clock = FakeClock()
    Pacer(ledger, "graph", None, 0, clock, clock.sleep).throttled(asked, "429")
    assert ledger.not_before("graph")[0] - clock.now == held


def test_the_outbox_is_not_paced(ledger):
    clock = FakeClock()
    assert send(Pacer(ledger, "outbox", None, 0, clock, clock.sleep), clock, 500) == 500


def test_a_wait_that_ends_exactly_at_the_budget_is_waited(ledger):
    """The budget's edge: a wait ending at the deadline fits it (a mutant reading `>=` held it)."""
    clock = FakeClock()
    pacer = Pacer(ledger, "graph", 30, 60, clock, clock.sleep)
    assert send(pacer, clock, 31) == 31 and clock.slept == [60.0]
