"""What a client's answer says (DOMAIN.md "Replies and texts"): read with care, never guessed.

Only a confirmation acts on its own (the session is confirmed in the ledger), and only when the
whole answer is a confirmation ("C", "yes", "ok", "👍", "Confirmed, thanks!"). Anything that asks to
cancel or move a session goes to the VA with the client's words; so does anything else the product
cannot read with confidence ("yes but can we do 4?"). STOP and its synonyms close the channel at
once; START reopens it; HELP gets the practice's name and phone. Auto-replies (an ``Auto-Submitted``
header other than ``no``, an empty return path, an out-of-office notice, a phone's driving mode)
are never a client's answer. Nothing here writes a tracker.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from enum import StrEnum
from typing import Any, Protocol


class Intent(StrEnum):
    CONFIRM = "confirm"
    RESCHEDULE = "reschedule"        # to cancel or to move: the VA calls
    STOP = "stop"                    # this channel closed for this client
    START = "start"
    HELP = "help"
    UNCLEAR = "unclear"              # the VA reads it
    AUTO_REPLY = "auto_reply"        # not the client's answer: ignored


@dataclass(frozen=True)
class Reply:
    source: str                      # the service it came through (twilio, graph, gmail, ...)
    provider_id: str                 # its id there: each reply is handled once
    channel: str                     # sms | email
    sender: str                      # the number or address it came from
    received_at: datetime
    body: str                        # as written, quoted text and all
    subject: str = ""
    answers: tuple[str, ...] = ()    # the Message-IDs it names (In-Reply-To, References)
    automatic: bool = False          # its headers say a machine wrote it
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


class ReplySource(Protocol):
    name: str

    def fetch_replies(self, position: dict[str, Any], now: datetime) -> tuple[list[Reply], dict[str, Any]]:
        """The replies since ``position`` (what the ledger kept from the last poll) and the new position;
        ``TransportError`` when the service cannot be read."""
        ...

    def close(self) -> None:
        ...


STOP_WORDS = {"stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "opt out"}
"""The words carriers (and Twilio) take as opting out of every text from the number, alone in a text."""
STOP_PHRASES = re.compile(r"\b(stop|quit|no more) (texting|text messages|texts|messaging|emailing|emails)\b|"
                          r"\b(do not|don'?t|dont) (text|email|message|contact) me\b|\bunsubscribe\b|\bremove me\b")
START_WORDS = {"start", "unstop"}
HELP_WORDS = {"help", "info"}
CONFIRMATION = re.compile(
    r"(c|y|yes|yep|yeah|yup|yes please|confirm|confirmed|i confirm|ok|okay|k|sure|correct|absolutely|will do|"
    r"i will be there|ill be there|i'll be there|will be there|see you then|see you there|see you soon|👍|✅)"
    r"( (thanks|thank you|thx|ty|see you then|see you there|see you soon|i will be there|i'll be there|"
    r"ill be there|confirmed|yes|ok|👍|🙂|😊))*")
TO_MOVE = re.compile(
    r"^r$|\breschedul|\bcancel|\b(can'?t|cannot|can not|won'?t|unable to|not able to|couldn'?t) (make|come|attend|"
    r"do|be there|join)|\bmove (it|my|the|our)\b|\b(another|different|other) (time|day)\b|\bchange (the|my) "
    r"(time|day|appointment)\b|\bpostpone|\bsick\b|\bemergency\b|\bno longer\b")
AUTO_TEXT = re.compile(r"\b(out of (the )?office|auto-?reply|automatic reply|away from (my|the) (desk|office)|"
                       r"i'?m driving|do not disturb while driving|on vacation until|on leave until)\b", re.I)
_EMOJI_KEPT = "👍✅🙂😊"


def what_it_says(reply: Reply) -> Intent:
    """The reply's intent, from the answer itself (quoted text and signatures removed)."""
    if reply.automatic:
        return Intent.AUTO_REPLY
    answer = answer_text(reply)
    if AUTO_TEXT.search(answer) or AUTO_TEXT.search(reply.subject):
        return Intent.AUTO_REPLY
    words = _plain(answer)
    if reply.channel == "sms" and words in STOP_WORDS:
        return Intent.STOP
    if words in START_WORDS:
        return Intent.START
    if words in HELP_WORDS:
        return Intent.HELP
    if (reply.channel == "email" and words in STOP_WORDS - {"cancel", "end"}) or STOP_PHRASES.search(words):
        return Intent.STOP
    if TO_MOVE.search(words):
        return Intent.RESCHEDULE
    if CONFIRMATION.fullmatch(words):
        return Intent.CONFIRM
    return Intent.UNCLEAR


def _plain(text: str) -> str:
    """Lower case, one space between words, no punctuation but the apostrophe, the few emoji that answer."""
    text = text.lower().replace("\u2019", "'")
    text = "".join(c if c.isalnum() or c in " '" or c in _EMOJI_KEPT else " " for c in text)
    text = re.sub(rf"([{_EMOJI_KEPT}])", r" \1 ", text)
    return " ".join(text.split())


_QUOTE_HEADER = re.compile(r"^(on .{0,200}wrote:|-{2,}\s*original message\s*-{2,}|_{5,}|from: .*|sent from my .*|"
                           r"get outlook for .*|-- ?)$", re.I)


def answer_text(reply: Reply) -> str:
    """What the client wrote above the quoted message and their signature."""
    if reply.channel == "sms":
        return reply.body.strip()
    kept: list[str] = []
    lines = reply.body.replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">"):
            break
        if _QUOTE_HEADER.match(stripped) and not (stripped.lower().startswith("from:") and not _header_block(lines, index)):
            break
        if re.match(r"^on .{0,120}$", stripped, re.I) and index + 1 < len(lines) \
                and lines[index + 1].strip().lower().endswith("wrote:"):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def _header_block(lines: list[str], index: int) -> bool:
    """A quoted message's "From:" line is followed by its Sent/Date/To/Subject lines."""
    return any(re.match(r"^(sent|date|to|subject):", line.strip(), re.I) for line in lines[index + 1:index + 5])


def quoted_words(reply: Reply, limit: int = 300) -> str:
    """The client's own words, as the VA reads them in the queue (never in a plain email)."""
    words = " ".join(answer_text(reply).split())
    return words if len(words) <= limit else words[:limit - 1] + "…"


def reply_from_email(source: str, provider_id: str, raw: bytes, received_at: datetime | None = None) -> Reply:
    """A reply as any mailbox gives it (the whole RFC 5322 message): its sender, what it answers, its
    text, and whether a machine wrote it. It is known by its Message-ID where it has one (a reply
    delivered twice, or read again after the mailbox was rebuilt, is the same reply), else by the
    mailbox's ``provider_id``."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    sender = (getaddresses([str(message.get("From", ""))]) or [("", "")])[0][1].lower()
    answers = tuple(re.findall(r"<[^<>\s]+>", f"{message.get('In-Reply-To', '')} {message.get('References', '')}"))
    if received_at is None:
        try:
            received_at = parsedate_to_datetime(str(message.get("Date")))
        except (TypeError, ValueError):
            received_at = datetime.now().astimezone()
    known_as = str(message.get("Message-ID", "")).strip() or provider_id
    return Reply(source=source, provider_id=known_as, channel="email", sender=sender, received_at=received_at,
                 body=_body_text(message), subject=str(message.get("Subject", "")), answers=answers,
                 automatic=is_automatic(message))


def is_automatic(message: EmailMessage) -> bool:
    """RFC 3834's Auto-Submitted, an empty return path (bounces), and the headers mail programs add to
    their vacation replies."""
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    if auto and auto != "no":
        return True
    if str(message.get("Return-Path", "")).strip() == "<>":
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond") or message.get("X-Autoreply-From"):
        return True
    if str(message.get("Precedence", "")).strip().lower() in ("auto_reply", "bulk", "junk", "list"):
        return True
    return bool(re.match(r"^(automatic reply|auto:|autoreply|out of (the )?office)", str(message.get("Subject", "")),
                         re.I))


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        return ""
    if part.get_content_subtype() == "html":
        content = re.sub(r"(?is)<(script|style).*?</\1>", " ", content)
        content = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", content)
        content = re.sub(r"(?i)<blockquote.*", "", content, flags=re.S)
        content = html.unescape(re.sub(r"<[^>]+>", "", content))
    return str(content)


REF = re.compile(r"\bRef ([A-HJ-NP-Z2-9]{8})\b")
"""The token a reminder carries (``Ref K7P2M9XD``): what matches an email answer when its mail program
dropped In-Reply-To and References. Eight letters and digits, none that reads as another."""


def refs_in(reply: Reply) -> list[str]:
    return REF.findall(reply.body)

_TOKEN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def reply_token(key: bytes, occasion: str) -> str:
    """The reminder's own token: eight characters of an HMAC of its occasion under the practice's key
    (opaque: it names no record), in the alphabet ``REF`` reads."""
    import hmac

    digest = hmac.new(key, f"reply-token:{occasion}".encode(), "sha256").digest()
    return "".join(_TOKEN_ALPHABET[b % 32] for b in digest[:8])
