"""Text messages (DOMAIN.md "Replies and texts"): what a text may hold and how it leaves.

A text goes in clear, so it carries at most limited PHI (the practice's name, a time, the video
link) and fits one segment: 160 characters of the GSM alphabet a phone shows as they are, or 70
when any other character (an emoji, a curly quote) makes the carrier send it as Unicode. A text that
does not fit is not sent (never cut, never split into parts that arrive out of order); the caller
says why. The service behind ``TextSender`` is chosen by ``[sms] provider``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from ..errors import PracticeOpsError

TEXT_SERVICE = {"twilio": "twilio", "outbox": "text-outbox"}
"""``[sms] provider`` -> the name the ledger records texts as handed over through."""
GSM_LIMIT, UNICODE_LIMIT = 160, 70
_GSM = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
           "¿abcdefghijklmnopqrstuvwxyzäöñüà")
_PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                        "\u00a0": " ", "\u2026": "..."})
CONFIRM_ASK = "Reply C to confirm or R to reschedule."
"""What a reminder asks (never CANCEL or STOP: carriers read those as opting out of every text)."""


class TextTooLong(PracticeOpsError):
    """A text that would not fit one segment."""


@dataclass(frozen=True)
class Text:
    message_id: str
    kind: str
    to: str
    body: str


@dataclass(frozen=True)
class Receipt:
    """What became of a text, once its service knows for good: delivered, undelivered or failed."""

    provider_id: str
    status: str
    error: str = ""


class TextSender(Protocol):
    name: str

    def send(self, text: Text) -> str:
        """Hand one text to the service; its id there (to ask later what became of it), or raise
        ``TransportError``."""
        ...

    def receipts(self, provider_ids: list[str], since: datetime) -> list[Receipt]:
        """What became of these texts (the first sent at ``since``), where the service knows for good."""
        ...

    def close(self) -> None:
        ...


def fit_text(rendered: str) -> str:
    """The text as it goes: one line of plain characters (typographic quotes and dashes as a phone
    keyboard types them), or ``TextTooLong`` saying by how much."""
    body = re.sub(r"\s+", " ", rendered.translate(_PLAIN)).strip()
    limit = GSM_LIMIT if set(body) <= _GSM else UNICODE_LIMIT
    if len(body) > limit:
        alphabet = "" if limit == GSM_LIMIT else " (it holds a character outside the texting alphabet, which halves it)"
        raise TextTooLong(f"the text would be {len(body)} characters and one text holds {limit}{alphabet}: shorten "
                          f"the video link or [email] client_sender_name")
    return body


def texts_used_up(sent_at: list[str], now: datetime, zone: ZoneInfo) -> str:
    """Why a reminder may not go by text now (the FCC's health-care exemption: at most one a day and
    three a week to a number), or "". ``sent_at``: when each text of the last seven days was queued."""
    today = now.astimezone(zone).date()
    times = [datetime.fromisoformat(at).astimezone(zone) for at in sent_at]
    if any(at.date() == today for at in times):
        return "had a text today already (at most one a day)"
    if sum(1 for at in times if now - at < timedelta(days=7)) >= 3:
        return "had three texts this week already (at most three a week)"
    return ""
