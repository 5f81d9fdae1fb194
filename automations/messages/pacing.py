"""How fast one transport may be used, across runs.

- At most ``max_per_minute`` messages in any 60 seconds (Exchange Online allows 30 a minute per
  mailbox). The sends are remembered in the ledger, so two runs back to back add up.
- No request before the time a service named in Retry-After (kept in the ledger too, so the next
  run honours it as well).
- No more than ``max_wait_seconds`` of waiting in one run: past that, what is left stays pending
  for the next run rather than holding the run (and the reminders behind it) open.

The clock and the sleep are the real ones in a run and fakes in tests, so no test waits on time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..ledger import Ledger

DEFAULT_PER_MINUTE = {"outbox": None, "smtp": 60, "graph": 30, "gmail": 60, "exchange": 30}
LONGEST_RETRY_AFTER = 3600.0
"""A Retry-After longer than an hour is taken as an hour: a confused service must not park the
practice's mail for days."""


class Pacer:
    def __init__(self, ledger: Ledger, transport: str, max_per_minute: int | None, max_wait_seconds: float,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep):
        self.ledger, self.transport = ledger, transport
        self.per_minute = max_per_minute
        self.clock, self.sleep = clock, sleep
        self.deadline = clock() + max_wait_seconds
        self.waited = 0.0

    def _wait_until(self, moment: float, why: str) -> str:
        """Sleep until ``moment`` if the run's waiting budget allows; else the reason to hold."""
        delay = moment - self.clock()
        if delay <= 0:
            return ""
        if moment > self.deadline:
            return why
        self.sleep(delay)
        self.waited += delay
        return ""

    def ready(self) -> str:
        """"" when the next message may go now (after waiting, if that fits the budget); otherwise
        why the rest must wait for the next run."""
        not_before, why = self.ledger.not_before(self.transport)
        held = self._wait_until(not_before, f"{self.transport} asked to wait ({why}) until "
                                            f"{time.strftime('%H:%M:%S', time.localtime(not_before))}")
        if held or not self.per_minute:
            return held
        window = self.ledger.recent_sends(self.transport, self.clock() - 60)
        if len(window) < self.per_minute:
            return ""
        oldest = window[len(window) - self.per_minute]
        return self._wait_until(oldest + 60, f"the pace of {self.per_minute} messages a minute through "
                                             f"{self.transport} leaves the rest for the next run")

    def sent(self) -> None:
        self.ledger.record_send(self.transport, self.clock())

    def throttled(self, retry_after: float | None, why: str) -> None:
        """The service said to wait: no request to it before then, in this run or the next."""
        wait = min(max(retry_after if retry_after is not None else 60.0, 1.0), LONGEST_RETRY_AFTER)
        self.ledger.hold_until(self.transport, self.clock() + wait, why)
