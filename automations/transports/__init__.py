"""How messages leave: one small interface, the adapter chosen by ``[email] transport``.

Nothing outside this package imports a concrete adapter; ask ``open_transport``.
"""

from __future__ import annotations

from ..config import Config, EmailSettings
from ..errors import ConfigError, TransportSetupError
from ..messages.replies import ReplySource
from ..messages.texts import TextSender
from .base import Transport

__all__ = ["ReplySource", "TextSender", "Transport", "open_texts", "open_transport", "reply_sources"]


def open_transport(settings: EmailSettings) -> Transport:
    if settings.transport == "outbox":
        from .outbox import Outbox

        return Outbox(settings.outbox_dir)
    if settings.transport == "smtp":
        from .smtp import Smtp

        return Smtp(settings.smtp)
    if settings.transport == "graph":
        from .graph import Graph

        return Graph(settings.graph, settings.sender_address)
    if settings.transport == "gmail":
        from .gmail import Gmail

        return Gmail(settings.gmail, settings.sender_address)
    if settings.transport == "exchange":
        from .exchange import Exchange

        return Exchange(settings.exchange, settings.sender_address)
    raise ConfigError([f"email.transport: {settings.transport!r} is not a transport"])


def open_texts(config: Config) -> TextSender:
    """The text service ``[sms] provider`` names."""
    if config.sms is None:
        raise TransportSetupError("no [sms] table in the config: texts cannot go")
    if config.sms.provider == "outbox":
        from .outbox import TextOutbox

        return TextOutbox(config.email.outbox_dir)
    from .twilio import TwilioTexts

    return TwilioTexts(config.sms)


def reply_sources(config: Config) -> list[ReplySource]:
    """Where clients' answers come from: the text service (Twilio), and the practice's mailbox through
    the email transport's own service when the practice reads replies (reminders ask for them, or
    [replies] names the mailbox): Graph, Gmail or Exchange as it sends; IMAP for SMTP; the replies
    folder beside the outbox. Opened lazily: nothing is asked of a service before a reply is read."""
    sources: list[ReplySource] = []
    if config.sms is not None and config.sms.provider == "twilio":
        from .twilio import TwilioTexts

        sources.append(TwilioTexts(config.sms))
    replies, email = config.replies, config.email
    wanted = config.reminders.ask_to_confirm or bool(replies.mailbox or replies.imap_host or replies.inbox_dir)
    if not wanted:
        return sources
    mailbox = replies.mailbox or email.sender_address
    if email.transport == "outbox" and replies.inbox_dir is not None:
        from .inbox_folder import InboxFolder

        sources.append(InboxFolder(replies.inbox_dir))
    elif email.transport == "smtp" and replies.imap_host:
        from .imap import ImapInbox

        sources.append(ImapInbox(replies, email.smtp))
    elif email.transport == "graph":
        from .graph import GraphInbox

        sources.append(GraphInbox(email.graph, mailbox))
    elif email.transport == "gmail":
        from .gmail import GmailInbox

        sources.append(GmailInbox(email.gmail, mailbox))
    elif email.transport == "exchange":
        from .exchange import ExchangeInbox

        sources.append(ExchangeInbox(email.exchange, mailbox))
    return sources
