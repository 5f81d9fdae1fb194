"""One door for every message: render, decide the security per recipient, seal, and deliver
through the ledger. Callers say what to send to whom; the privacy policy decides how, here only."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from ..config import Config
from ..errors import MessageRefused, TemplateError, Throttled, TransportError, TransportSetupError
from ..ledger import Ledger
from .certificates import CertificateStore
from .compose import compose, is_address, message_id
from .delivery import Delivery, Outcome, Transport, deliver
from .kinds import phi_floor, sender_for, template_names
from .pacing import DEFAULT_PER_MINUTE, Pacer
from .policy import decide
from .render import Rendered, Templates
from .smime import load_signer, seal

log = logging.getLogger("practice_ops.messages")


@dataclass
class Sent:
    outcome: Outcome
    why_blocked: str = ""


class Postman:
    """Also the one place that decides, per transport, what a failure means for the rest of the run:
    a set-up failure (refused credentials, TLS) stops the transport for the run, throttling waits
    (within the run's budget) or stops it, and what is not sent stays pending for the next run."""

    MAX_TRANSIENT_IN_A_ROW = 3

    def __init__(self, config: Config, ledger: Ledger, transport_factory: Callable[[], Transport], run_id: int, now: datetime,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
                 dry_run: bool = False):
        self.config = config
        self.ledger = ledger
        self.run_id = run_id
        self.now = now
        self.templates = Templates(config.path.parent / "templates")
        self.certificates = CertificateStore(config.security.certificates, now)
        self.gateway_tag = config.security.gateway_subject_tag.strip()
        self.signer, signing_problem = load_signer(config.security.signing_cert, config.security.signing_key,
                                                   config.security.signing_key_password_env, now)
        if signing_problem:
            self.certificates.problems.append(signing_problem)
        self.practice_copy = self.signer.cert if self.signer and config.security.copy_to_practice else None
        if config.security.copy_to_practice and self.practice_copy is None:
            self.certificates.problems.append("security.copy_to_practice: needs a usable signing_cert (the practice's "
                                              "own certificate); messages go without the practice's copy")
        self._transport_factory = transport_factory
        self._transport: Transport | None = None
        self.outcomes: list[Outcome] = []
        self.notices: list[str] = []
        self._this_run: dict[str, Sent] = {}
        self._clock, self._sleep = clock, sleep
        self._pacer: Pacer | None = None
        self._hold = ""
        self._transient_in_a_row = 0
        self.dry_run = dry_run

    def send(self, kind: str, to: str, context: dict[str, Any], *, key: str, consent: str | None = None,
             to_client: bool = False, calendar: tuple[str, str] | None = None,
             attachments: tuple[tuple[str, bytes, str], ...] = ()) -> Sent:
        """Send one message, or say why not. Nothing raised inside one message (a template, a
        certificate, the mail service) stops the others: it becomes this message's outcome."""
        sender = sender_for(self.config, kind)
        msg_id = message_id(kind, to, key, sender)
        if msg_id in self._this_run:  # the same occasion asked twice (two rows for one record): once is enough
            return self._this_run[msg_id]
        try:
            rendered = self.templates.render(kind, phi_floor(kind, self.config), **template_names(self.config, kind),
                                             **context)
        except TemplateError as exc:
            sent = self._not_sent(kind, to, msg_id, Delivery.BLOCKED, f"its template cannot be used: {exc}")
        else:
            try:
                sent = self._send(kind, to, rendered, msg_id, sender, consent, to_client, calendar, attachments)
            except Exception as exc:  # the boundary of one message: record it, go on with the rest
                log.warning("%s: not sent (%s)", kind, exc.__class__.__name__)
                sent = self._not_sent(kind, to, msg_id, Delivery.FAILED, f"{exc.__class__.__name__}: {exc}",
                                      rendered.subject)
        self._this_run[msg_id] = sent
        return sent

    def _not_sent(self, kind: str, to: str, msg_id: str, status: Delivery, why: str, subject: str = "") -> Sent:
        outcome = Outcome(kind, to, "blocked", status, msg_id, subject, error=why)
        self.outcomes.append(outcome)
        return Sent(outcome, why if status == Delivery.BLOCKED else "")

    def _send(self, kind: str, to: str, rendered: Rendered, msg_id: str, sender: str, consent: str | None, to_client: bool,
              calendar: tuple[str, str] | None, attachments: tuple[tuple[str, bytes, str], ...]) -> Sent:
        if not is_address(to):
            outcome = Outcome(kind, to, "blocked", Delivery.BLOCKED, msg_id, rendered.subject)
            self.outcomes.append(outcome)
            return Sent(outcome, "the email address on file is not a valid address")
        certificate = self.certificates.for_address(to)
        security, why = decide(rendered.phi, has_certificate=certificate is not None, gateway=bool(self.gateway_tag),
                               consent=consent, to_client=to_client, no_certificate=self.certificates.why_not(to))
        message = compose(rendered, sender=sender, to=to, msg_id=msg_id, now=self.now,
                          subject_tag=self.gateway_tag if security == "gateway" else "", calendar=calendar,
                          attachments=attachments)
        if security == "smime" and certificate is not None:
            message = seal(message, certificate, self.signer, self.practice_copy)
        outcome = self._hand_over(message, kind, security)
        self.outcomes.append(outcome)
        return Sent(outcome, why if outcome.status == Delivery.BLOCKED else "")

    def _hand_over(self, message: EmailMessage, kind: str, security: str) -> Outcome:
        msg_id = str(message["Message-ID"])
        if security == "blocked" or self.ledger.is_delivered(msg_id, self.config.email.transport):
            return deliver(self.ledger, None, message, kind=kind, security=security, run_id=self.run_id, now=self.now)
        if self.dry_run:  # rendered, sealed and checked: what a real run would hand over
            return Outcome(kind, str(message["To"]), security, Delivery.WOULD_SEND, msg_id, str(message["Subject"]))
        transport = self._open_transport()
        pacer = self._pacing(transport)
        for _attempt in range(2):  # a 429 was refused, not accepted: once more after its wait is safe
            hold = self._hold or pacer.ready()
            outcome = deliver(self.ledger, transport, message, kind=kind, security=security, run_id=self.run_id,
                              now=self.now, hold=hold)
            if outcome.status == Delivery.SENT:
                pacer.sent()
                self._transient_in_a_row = 0
                return outcome
            failure = outcome.failure
            if hold:
                self._stop(hold)
            if failure is None:
                return outcome
            if isinstance(failure, TransportSetupError):
                self._stop(f"{failure}")
            elif isinstance(failure, Throttled):
                pacer.throttled(failure.retry_after, str(failure))
                continue  # refused, not accepted: wait (within the budget) and try this one once more
            elif not isinstance(failure, MessageRefused):
                if failure.retry_after is not None:
                    pacer.throttled(failure.retry_after, str(failure))
                self._transient_in_a_row += 1
                if self._transient_in_a_row >= self.MAX_TRANSIENT_IN_A_ROW:
                    self._stop(f"{self.MAX_TRANSIENT_IN_A_ROW} messages in a row failed ({failure})")
            return outcome
        return outcome

    def _pacing(self, transport: Transport) -> Pacer:
        if self._pacer is None:
            name = getattr(transport, "name", self.config.email.transport)
            per_minute = self.config.email.max_per_minute or DEFAULT_PER_MINUTE.get(name)
            self._pacer = Pacer(self.ledger, name, per_minute, self.config.email.max_wait_seconds, self._clock,
                                self._sleep)
        return self._pacer

    def _stop(self, why: str) -> None:
        """Nothing more goes through the transport this run; what is left stays pending."""
        if not self._hold:
            self._hold = why
            self.notices.append(f"email through {self.config.email.transport} stopped for this run: {why}; "
                                f"what was not sent waits for the next run")

    def _open_transport(self) -> Transport:
        if self._transport is None:
            self._transport = self._transport_factory()
        return self._transport

    def close(self) -> None:
        """The transport closed (the outbox flushes its last files then); a failure to is a notice."""
        if self._transport is not None:
            transport, self._transport = self._transport, None
            try:
                transport.close()
            except TransportError as exc:
                self.notices.append(f"email through {self.config.email.transport}: {exc}")
        tally: dict[tuple[str, str], int] = {}
        for outcome in self.outcomes:
            tally[(outcome.kind, outcome.status)] = tally.get((outcome.kind, outcome.status), 0) + 1
        for (kind, status), count in sorted(tally.items()):
            log.info("%s: %d %s", kind, count, status)
