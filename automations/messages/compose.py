"""Rendered text -> one RFC 5322 message with a deterministic Message-ID."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from typing import Any

from .render import Rendered


def message_id(kind: str, recipient: str, key: str, sender: str) -> str:
    """The same message (kind, recipient, occasion) always gets the same id, so a rerun knows it."""
    digest = hashlib.sha256("\x1f".join((kind, recipient.lower(), key)).encode()).hexdigest()[:32]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "practice-ops.invalid"
    return f"<{kind}.{digest}@{domain}>"


class _HeaderClasses(HeaderRegistry):
    """The email package's header registry, making each header's class once: the stock registry
    builds a new class every time a header is set, read for its count or parsed (37 a message)."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made

    def map_to_type(self, name: str, cls: type) -> None:
        super().map_to_type(name, cls)
        self._made.pop(name.lower(), None)


class _OncePerText(EmailPolicy):
    """``email.policy.default``, each header parsed and folded once per text.

    Parsing and folding headers was most of the cost of a message (issue 11), yet a run's messages
    share their sender, date, kind, subjects and every content header. A parsed header is immutable,
    so one serves every message with the same text; a line break in a value is still refused, each
    time, exactly as by the stock policy."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if isinstance(value, str) and not hasattr(value, "name"):
            return name, _parsed(self, name, value)
        return super().header_store_parse(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        if hasattr(value, "name"):
            return _folded(tuple(getattr(self, setting) for setting in _FOLDING), name, value)
        return super().fold_binary(name, value)


@lru_cache(maxsize=4096)
def _parsed(policy: _OncePerText, name: str, value: str) -> Any:
    return EmailPolicy.header_store_parse(policy, name, value)[1]


_FOLDING = ("linesep", "max_line_length", "utf8", "cte_type")
"""What a parsed header's folding depends on. The generator clones its policy for each part it
writes, so the cache is keyed by these settings, not by the policy object."""


@lru_cache(maxsize=4096)
def _folded(folding: tuple[Any, ...], name: str, value: Any) -> bytes:
    return EmailPolicy.fold_binary(EMAIL_POLICY.clone(**dict(zip(_FOLDING, folding, strict=True))), name, value)


EMAIL_POLICY = _OncePerText(header_factory=_HeaderClasses())
"""Every message practice-ops builds uses this policy (the stock default's behaviour)."""
WIRE = EMAIL_POLICY.clone(linesep="\r\n")
"""What a message is written with for a file or a server: ``email.policy.SMTP``'s CRLF line ends."""


def compose(rendered: Rendered, *, sender: str, to: str, msg_id: str, now: datetime,
            subject_tag: str = "", calendar: tuple[str, str] | None = None,
            attachments: tuple[tuple[str, bytes, str], ...] = ()) -> EmailMessage:
    """Text and HTML alternatives; with ``calendar`` = (iCalendar text, METHOD), a third
    text/calendar alternative in the iMIP layout Outlook and Gmail recognise; ``attachments`` are
    (file name, bytes, MIME type) and make the message multipart/mixed."""
    message = EmailMessage(policy=EMAIL_POLICY)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = f"{subject_tag} {rendered.subject}".strip()
    message["Date"] = format_datetime(now)
    message["Message-ID"] = msg_id
    message["X-Practice-Ops-Kind"] = rendered.kind
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    if calendar is not None:
        ics, method = calendar
        message.add_alternative(ics, subtype="calendar", params={"method": method})
    for filename, data, mime_type in attachments:
        maintype, _, subtype = mime_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    _mark_parts(message)
    return message


def _mark_parts(message: EmailMessage) -> None:
    """Give each multipart the same boundary in every message, where none of its parts holds it.

    Left unset, the email package writes a random boundary, so a message's Content-Type is new
    each time it is written: parsed again, searched for with a fresh regular expression, folded
    again (half the cost of sealing a message). A part that holds the text keeps the package's
    random boundary."""
    for part in message.walk():
        if part.is_multipart():
            boundary = f"=_practice-ops-{part.get_content_subtype()}_="
            if not any(boundary in str(leaf.get_payload()) for leaf in part.walk() if not leaf.is_multipart()):
                part.set_boundary(boundary)


def is_address(text: str) -> bool:
    try:
        Address(addr_spec=parseaddr(text)[1])
    except (ValueError, IndexError):
        return False
    return "@" in parseaddr(text)[1]
