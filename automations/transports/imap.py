"""Replies for a practice that sends through SMTP: its inbox read over IMAP (Python's imaplib).

Read only: the mailbox is opened with EXAMINE and each message fetched with ``BODY.PEEK[]``, so
nothing is marked read, moved or deleted in the VA's mailbox. The ledger keeps the folder's
UIDVALIDITY and the last UID read; a new UIDVALIDITY (the server rebuilt the folder) reads the last
two weeks again, and replies already handled are known by their Message-ID.
"""

from __future__ import annotations

import imaplib
import os
import re
import ssl
from datetime import datetime, timedelta
from typing import Any

from ..config import RepliesSettings, SmtpSettings, is_loopback
from ..errors import TransportError, TransportSetupError
from ..messages.replies import Reply, reply_from_email

RECENT = timedelta(days=14)
"""How far back a first read (or a rebuilt folder) looks."""
LARGEST = 5 * 2**20


class ImapInbox:
    name = "imap"

    def __init__(self, settings: RepliesSettings, smtp: SmtpSettings):
        self.settings = settings
        self.username = settings.imap_username or smtp.username
        self.timeout = smtp.timeout_seconds
        self._imap: imaplib.IMAP4 | None = None

    def _connect(self) -> imaplib.IMAP4:
        s = self.settings
        password = os.environ.get(s.imap_password_env, "")
        if not password:
            raise TransportSetupError(f"imap: {s.imap_password_env} is not set here (the mailbox's password)")
        if s.imap_security == "none" and not is_loopback(s.imap_host):
            raise TransportSetupError("imap: imap_security = \"none\" sends the password in clear; it is allowed "
                                      "for a server on this computer only")
        try:
            context = ssl.create_default_context(cafile=s.imap_ca_bundle or None)
            if s.imap_security == "ssl":
                imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(s.imap_host, s.imap_port, ssl_context=context,
                                                        timeout=self.timeout)
            else:
                imap = imaplib.IMAP4(s.imap_host, s.imap_port, timeout=self.timeout)
                if s.imap_security == "starttls":
                    imap.starttls(ssl_context=context)
            imap.login(self.username, password)
        except imaplib.IMAP4.error as exc:
            raise TransportSetupError(f"imap: {s.imap_host} refused the sign-in ({_said(exc)})") from None
        except ssl.SSLError as exc:
            raise TransportSetupError(f"imap: TLS with {s.imap_host} failed ({exc.__class__.__name__})") from None
        except (TimeoutError, OSError) as exc:
            raise TransportError(f"imap: {s.imap_host} could not be reached ({exc.__class__.__name__})") from None
        return imap

    def fetch_replies(self, position: dict[str, Any], now: datetime) -> tuple[list[Reply], dict[str, Any]]:
        try:
            return self._fetch(position, now)
        except imaplib.IMAP4.abort as exc:
            raise TransportError(f"imap: the connection was dropped ({_said(exc)})") from None
        except imaplib.IMAP4.error as exc:
            raise TransportError(f"imap: {_said(exc)}") from None
        except (TimeoutError, OSError) as exc:
            raise TransportError(f"imap: {self.settings.imap_host}: {exc.__class__.__name__}") from None

    def _fetch(self, position: dict[str, Any], now: datetime) -> tuple[list[Reply], dict[str, Any]]:
        imap = self._imap = self._imap or self._connect()
        status, _ = imap.select("INBOX", readonly=True)
        if status != "OK":
            raise TransportError("imap: the inbox cannot be opened")
        validity = _response_number(imap, "UIDVALIDITY")
        last = int(position.get("uid", 0)) if position.get("uidvalidity") == validity else 0
        if last:
            status, found = imap.uid("SEARCH", f"UID {last + 1}:*")
        else:
            status, found = imap.uid("SEARCH", f"SINCE {(now - RECENT):%d-%b-%Y}")
        uids = [int(u) for u in (found[0] or b"").split() if int(u) > last] if status == "OK" else []
        replies = []
        for uid in sorted(uids):
            status, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None) if status == "OK" else None
            if isinstance(raw, bytes) and len(raw) <= LARGEST:
                reply = reply_from_email(self.name, f"{validity}:{uid}", raw)
                replies.append(reply)
            last = max(last, uid)
        return replies, {"uidvalidity": validity, "uid": last}

    def close(self) -> None:
        if self._imap is not None:
            imap, self._imap = self._imap, None
            try:
                imap.logout()
            except (imaplib.IMAP4.error, OSError):
                pass


def _response_number(imap: imaplib.IMAP4, name: str) -> str:
    value = imap.response(name)[1]
    return value[0].decode() if value and value[0] else ""


def _said(exc: Exception) -> str:
    text = exc.args[0] if exc.args else exc
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return re.sub(r"\s+", " ", text)[:200]
