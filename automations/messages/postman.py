"""One door for every message: render, decide the security per recipient, seal, and deliver
through the ledger. Callers say what to send to whom; the privacy policy decides how, here only."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Generic, TypeVar

from ..config import Config
from ..errors import MessageRefused, TemplateError, Throttled, TransportError, TransportSetupError
from ..ledger import Ledger
from .certificates import CertificateStore
from .compose import compose, is_address, message_id
from .delivery import Delivery, Outcome, Transport, hand_over
from .kinds import phi_floor, sender_for, template_names
from .pacing import DEFAULT_PER_MINUTE, Pacer
from .policy import decide
from .render import Rendered, Templates
from .smime import load_signer, seal
from .texts import TEXT_SERVICE, Text, TextSender, TextTooLong, fit_text

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
                 dry_run: bool = False, text_factory: Callable[[], TextSender] | None = None):
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
        self.outcomes: list[Outcome] = []
        self.notices: list[str] = []
        self._this_run: dict[str, Sent] = {}
        self.dry_run = dry_run
        email = config.email
        self.email: Lane[Transport] = Lane(f"email through {email.transport}", email.transport, transport_factory,
                                           email.max_per_minute or DEFAULT_PER_MINUTE.get(email.transport),
                                           email.max_wait_seconds, ledger, run_id, now, self.notices, dry_run, clock, sleep)
        sms = config.sms
        self.texts: Lane[TextSender] = Lane(
            f"texts through {sms.provider if sms else 'nothing'}", TEXT_SERVICE.get(sms.provider, "") if sms else "",
            text_factory or _no_texts, None if sms is None or sms.provider == "outbox" else sms.max_per_minute,
            email.max_wait_seconds, ledger, run_id, now, self.notices, dry_run, clock, sleep)

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
        outcome = Outcome(kind, str(message["To"]), security, Delivery.SENT, str(message["Message-ID"]),
                          str(message["Subject"]))
        return self.email.hand_over(outcome, lambda transport: transport.send(message))

    def text_id(self, kind: str, to: str, key: str) -> str:
        """The Message-ID a text of this occasion is recorded under."""
        return message_id(kind, to, key, self.config.email.from_)

    def send_text(self, kind: str, to: str, context: dict[str, Any], *, key: str) -> Sent:
        """Send one text (``to``: a number in international form), or say why not. A text carries
        limited PHI at most and goes in clear: the client's consent to texts is the consent (the caller
        has checked it, and that the client has not opted out)."""
        msg_id = self.text_id(kind, to, key)
        if msg_id in self._this_run:
            return self._this_run[msg_id]
        try:
            rendered = self.templates.render_text(kind, phi_floor(kind, self.config),
                                                  **template_names(self.config, kind), **context)
            body = fit_text(rendered.text)
        except (TemplateError, TextTooLong) as exc:
            sent = self._not_sent(kind, to, msg_id, Delivery.BLOCKED, f"{exc}")
        else:
            text = Text(msg_id, kind, to, body)
            try:
                sent = Sent(self.texts.hand_over(Outcome(kind, to, "plain", Delivery.SENT, msg_id, ""),
                                                 lambda sender: sender.send(text)))
                self.outcomes.append(sent.outcome)
            except Exception as exc:  # the boundary of one message
                log.warning("%s: not sent (%s)", kind, exc.__class__.__name__)
                sent = self._not_sent(kind, to, msg_id, Delivery.FAILED, f"{exc.__class__.__name__}: {exc}")
        self._this_run[msg_id] = sent
        return sent

    def close(self) -> None:
        """Each lane's service closed (the outbox flushes its last files then); a failure to is a notice."""
        for lane in (self.email, self.texts):
            lane.close()
        tally: dict[tuple[str, str], int] = {}
        for outcome in self.outcomes:
            tally[(outcome.kind, outcome.status)] = tally.get((outcome.kind, outcome.status), 0) + 1
        for (kind, status), count in sorted(tally.items()):
            log.info("%s: %d %s", kind, count, status)


def _no_texts() -> TextSender:
    raise TransportSetupError("no [sms] table in the config: texts cannot go")


Service = TypeVar("Service", Transport, TextSender)


class Lane(Generic[Service]):
    """One channel's way out (the email transport, the text service): opened on first use, paced,
    stopped for the run by a set-up failure or throttling beyond the run's budget, and three passing
    failures in a row; what is not sent stays pending for the next run."""

    MAX_TRANSIENT_IN_A_ROW = 3

    def __init__(self, label: str, name: str, factory: Callable[[], Service], per_minute: int | None,
                 max_wait_seconds: float, ledger: Ledger, run_id: int, now: datetime, notices: list[str],
                 dry_run: bool, clock: Callable[[], float], sleep: Callable[[float], None]):
        self.label, self.name = label, name
        self.factory: Callable[[], Service] = factory
        self.per_minute, self.max_wait_seconds = per_minute, max_wait_seconds
        self.ledger, self.run_id, self.now, self.notices, self.dry_run = ledger, run_id, now, notices, dry_run
        self.clock, self.sleep = clock, sleep
        self.service: Service | None = None
        self.pacer: Pacer | None = None
        self.hold = ""
        self.transient_in_a_row = 0

    def hand_over(self, outcome: Outcome, send: Callable[[Service], str | None]) -> Outcome:
        if outcome.security == "blocked" or self.ledger.is_delivered(outcome.message_id, self.name):
            return hand_over(self.ledger, self.name, None, outcome, run_id=self.run_id, now=self.now)
        if self.dry_run:  # rendered, sealed and checked: what a real run would hand over
            outcome.status = Delivery.WOULD_SEND
            return outcome
        service = self._open()
        name = getattr(service, "name", self.name)
        if self.pacer is None:
            self.pacer = Pacer(self.ledger, name, self.per_minute, self.max_wait_seconds, self.clock, self.sleep)
        pacer = self.pacer
        for _attempt in range(2):  # a 429 was refused, not accepted: once more after its wait is safe
            hold = self.hold or pacer.ready()
            attempt = replace(outcome)
            result = hand_over(self.ledger, name, lambda: send(service), attempt, run_id=self.run_id, now=self.now,
                               hold=hold)
            if result.status == Delivery.SENT:
                pacer.sent()
                self.transient_in_a_row = 0
                return result
            failure = result.failure
            if hold:
                self._stop(hold)
            if failure is None:
                return result
            if isinstance(failure, TransportSetupError):
                self._stop(f"{failure}")
            elif isinstance(failure, Throttled):
                pacer.throttled(failure.retry_after, str(failure))
                continue  # refused, not accepted: wait (within the budget) and try this one once more
            elif not isinstance(failure, MessageRefused):
                if failure.retry_after is not None:
                    pacer.throttled(failure.retry_after, str(failure))
                self.transient_in_a_row += 1
                if self.transient_in_a_row >= self.MAX_TRANSIENT_IN_A_ROW:
                    self._stop(f"{self.MAX_TRANSIENT_IN_A_ROW} messages in a row failed ({failure})")
            return result
        return result

    def _open(self) -> Service:
        if self.service is None:
            self.service = self.factory()
        return self.service

    def _stop(self, why: str) -> None:
        """Nothing more goes through this lane this run; what is left stays pending."""
        if not self.hold:
            self.hold = why
            self.notices.append(f"{self.label} stopped for this run: {why}; what was not sent waits for the next run")

    def close(self) -> None:
        if self.service is not None:
            service, self.service = self.service, None
            try:
                service.close()
            except TransportError as exc:
                self.notices.append(f"{self.label}: {exc}")
