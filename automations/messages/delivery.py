"""Handing messages to a transport so that nothing is sent twice and nothing is lost.

Each message is written to the ledger as ``pending`` before the transport sees it and marked
``sent`` (with the transport's name) after. A message the outbox wrote is a review, not a
delivery: a live transport still sends it. A rerun skips what is ``sent`` and sends again what is still ``pending`` (a run
killed between the two writes): the same Message-ID goes out, and the outbox rewrites the same
file, so the retry is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from enum import StrEnum
from typing import Any, Protocol

from ..errors import MessageRefused, TransportError, TransportSetupError
from ..ledger import Ledger


class Transport(Protocol):
    name: str

    def send(self, message: EmailMessage) -> None:
        """Hand one message to the mail system, or raise ``TransportError``."""
        ...

    def close(self) -> None:
        """End the run's use of it: a connection closed, or (the outbox) its last files flushed to
        disk; ``TransportError`` when that fails (the Postman makes it a notice)."""
        ...


class Delivery(StrEnum):
    """What became of a message this run (``--json``'s ``messages[].status``)."""

    SENT = "sent"
    ALREADY_SENT = "already_sent"   # an earlier run sent it: not again
    BLOCKED = "blocked"             # no secure way to send its PHI
    FAILED = "failed"               # refused, or the transport's set-up failed
    PENDING = "pending"             # left for the next run (throttled, a passing failure)
    WOULD_SEND = "would_send"       # a dry run


HANDED_OVER = frozenset({Delivery.SENT, Delivery.ALREADY_SENT})
"""The recipient has it (this run or an earlier one)."""


@dataclass
class Outcome:
    kind: str
    to: str
    security: str
    status: Delivery
    message_id: str
    subject: str
    error: str = ""
    permanent: bool = False
    failure: TransportError | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {"kind": self.kind, "to": self.to, "security": self.security, "status": self.status,
                "message_id": self.message_id, "subject": self.subject}
        if self.error:
            data["error"] = self.error
        return data


def deliver(ledger: Ledger, transport: Transport | None, message: EmailMessage, *, kind: str, security: str, run_id: int,
            now: datetime, hold: str = "") -> Outcome:
    """Hand one message over through the ledger. ``hold``: why the transport takes nothing more this
    run (throttled, or its set-up failed); the message is recorded pending for the next run."""
    send = None if transport is None else lambda: transport.send(message)
    return hand_over(ledger, transport_name(transport), send, Outcome(
        kind, str(message["To"]), security, Delivery.SENT, str(message["Message-ID"]), str(message["Subject"])),
        run_id=run_id, now=now, hold=hold)


def hand_over(ledger: Ledger, through: str, send: Callable[[], str | None] | None, outcome: Outcome, *, run_id: int,
              now: datetime, hold: str = "") -> Outcome:
    """The ledger's discipline for any channel: recorded pending, handed over by ``send`` (which
    returns the service's own id for it, if any), recorded sent; ``through``: the service's name."""
    msg_id, kind, security = outcome.message_id, outcome.kind, outcome.security
    if ledger.is_delivered(msg_id, through):
        outcome.status = Delivery.ALREADY_SENT
        return outcome
    if ledger.message_status(msg_id) == "refused":
        outcome.status, outcome.permanent, outcome.error = Delivery.FAILED, True, "refused earlier; not tried again"
        return outcome
    if security == "blocked":
        ledger.queue_message(msg_id, kind, outcome.to, security, run_id, now, status="blocked")
        outcome.status = Delivery.BLOCKED
        return outcome
    ledger.queue_message(msg_id, kind, outcome.to, security, run_id, now)
    if hold:
        outcome.status, outcome.error = Delivery.PENDING, hold
        return outcome
    if send is None:
        raise ValueError("a message to hand over needs a transport")
    try:
        provider_id = send()
    except TransportError as exc:
        ledger.mark_failed(msg_id, str(exc), exc.permanent, now)
        outcome.status = Delivery.FAILED if isinstance(exc, (MessageRefused, TransportSetupError)) else Delivery.PENDING
        outcome.error, outcome.permanent, outcome.failure = str(exc), exc.permanent, exc
        return outcome
    ledger.mark_sent(msg_id, now, through, provider_id)
    return outcome


def transport_name(transport: Transport | None) -> str:
    return getattr(transport, "name", "") if transport is not None else ""
