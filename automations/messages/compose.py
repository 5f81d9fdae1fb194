"""Rendered text -> one RFC 5322 message with a deterministic Message-ID."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from typing import Any

from .render import Rendered


def message_id(kind: str, recipient: str, key: str, sender: str) -> str:
    """The same message (kind, recipient, occasion) always gets the same id, so a rerun knows it."""
    digest = hashlib.sha256("\x1f".join((kind, recipient.lower(), key)).encode()).hexdigest()[:32]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "practice-ops.invalid"
    return f"<{kind}.{digest}@{domain}>"


@lru_cache(maxsize=4096)
def header(name: str, value: str) -> Any:
    """A header parsed once per (name, value). The email package parses every header it is handed,
    which was most of the cost of a message; a run's messages share their sender, date, kind and
    subjects. A parsed header is immutable, so one serves every message; a line break in a value
    is refused exactly as when the header is set directly."""
    return default.header_store_parse(name, value)[1]


def compose(rendered: Rendered, *, sender: str, to: str, msg_id: str, now: datetime,
            subject_tag: str = "", calendar: tuple[str, str] | None = None,
            attachments: tuple[tuple[str, bytes, str], ...] = ()) -> EmailMessage:
    """Text and HTML alternatives; with ``calendar`` = (iCalendar text, METHOD), a third
    text/calendar alternative in the iMIP layout Outlook and Gmail recognise; ``attachments`` are
    (file name, bytes, MIME type) and make the message multipart/mixed."""
    message = EmailMessage()
    message["From"] = header("From", sender)
    message["To"] = header("To", to)
    message["Subject"] = header("Subject", f"{subject_tag} {rendered.subject}".strip())
    message["Date"] = header("Date", format_datetime(now))
    message["Message-ID"] = msg_id
    message["X-Practice-Ops-Kind"] = header("X-Practice-Ops-Kind", rendered.kind)
    message["Auto-Submitted"] = header("Auto-Submitted", "auto-generated")
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    if calendar is not None:
        ics, method = calendar
        message.add_alternative(ics, subtype="calendar", params={"method": method})
    for filename, data, mime_type in attachments:
        maintype, _, subtype = mime_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def is_address(text: str) -> bool:
    try:
        Address(addr_spec=parseaddr(text)[1])
    except (ValueError, IndexError):
        return False
    return "@" in parseaddr(text)[1]
