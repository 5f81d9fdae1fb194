"""Texts through Twilio Programmable Messaging, with the official ``twilio`` library.

Sending is ``messages.create``; what became of a text (delivered, undelivered, failed) and what
clients texted back are fetched by polling the Messages list, so the practice needs no public web
address for Twilio to call. With ``TWILIO_EMULATOR_HOST`` set (loopback only) the same client talks
to a local stand-in over plain HTTP: the library's own HTTP client, with the address rewritten.

Twilio's answers as the failure family: 429 (code 20429) is ``Throttled``; refused credentials (401,
403, code 20003) stop texting for the run; a number that cannot be texted (21211 not a number, 21610
the person texted STOP, 21614 not a mobile, 21408/21612 not reachable) is ``MessageRefused``;
anything else, and the network, is tried again next run.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from ..config import SmsSettings
from ..emulators import emulator_host
from ..errors import MessageRefused, Throttled, TransportError, TransportSetupError
from ..messages.replies import Reply
from ..messages.texts import Receipt, Text

FINAL_RECEIPTS = {"delivered", "undelivered", "failed", "read"}
FAILED_RECEIPTS = {"undelivered", "failed"}
NOT_A_TEXTABLE_NUMBER = {21211, 21408, 21610, 21612, 21614}
OVERLAP = timedelta(days=1)
"""Twilio filters the Messages list by the day sent (in UTC): each poll reads from a day before the
last reply it saw, and replies already handled are known by their id."""


class TwilioTexts:
    name = "twilio"

    def __init__(self, settings: SmsSettings):
        self.settings = settings
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The library's client, made on first use (a run that texts nobody needs no token)."""
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Any:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        settings = self.settings
        host = emulator_host("TWILIO_EMULATOR_HOST")
        token = os.environ.get(settings.auth_token_env, "")
        if host is None and not token:
            raise TransportSetupError(f"{settings.auth_token_env} is not set here: Twilio needs the account's auth "
                                      f"token (set it where the scheduled runs start)")
        if host is None and not settings.account_sid:
            raise TransportSetupError("sms.account_sid is empty: Twilio needs the account (it starts with AC)")
        if not (settings.from_number or settings.messaging_service_sid):
            raise TransportSetupError("sms.from_number is empty: set the practice's texting number or "
                                      "messaging_service_sid")

        class LocalStandIn(TwilioHttpClient):
            def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
                return super().request(method, url.replace("https://api.twilio.com", f"http://{host}", 1),
                                       *args, **kwargs)

        http = (LocalStandIn if host else TwilioHttpClient)(timeout=settings.timeout_seconds)
        return Client(settings.account_sid or "AC" + "0" * 32, token or "stand-in", http_client=http)

    def _call(self, what: str, call: Any) -> Any:
        from requests import RequestException
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            return call()
        except TwilioRestException as exc:
            raise _failure(what, exc) from None
        except RequestException as exc:
            raise TransportError(f"Twilio {what}: {exc.__class__.__name__} (the service could not be reached)") from None
        except TwilioException as exc:
            raise TransportSetupError(f"Twilio {what}: {exc}") from None

    def send(self, text: Text) -> str:
        sender: dict[str, str] = ({"messaging_service_sid": self.settings.messaging_service_sid}
                                  if self.settings.messaging_service_sid else {"from_": self.settings.from_number})
        created = self._call("send", lambda: self.client.messages.create(to=text.to, body=text.body, **sender))
        return str(created.sid)

    def receipts(self, provider_ids: list[str], since: datetime) -> list[Receipt]:
        """What became of these texts, where Twilio knows for good: one paged read of the Messages list
        from the practice's number since the first of them was sent (never one request a text)."""
        wanted = set(provider_ids)
        filters: dict[str, Any] = {"date_sent_after": (since - OVERLAP).astimezone(UTC)}
        if self.settings.from_number:
            filters["from_"] = self.settings.from_number
        listed = self._call("status", lambda: self.client.messages.list(page_size=1000, **filters))
        found = []
        for message in listed:
            if message.sid in wanted and message.status in FINAL_RECEIPTS:
                error = f"{message.error_code}: {message.error_message or 'not delivered'}" if message.error_code else ""
                found.append(Receipt(str(message.sid), str(message.status), error))
        return found

    def fetch_replies(self, position: dict[str, Any], now: datetime) -> tuple[list[Reply], dict[str, Any]]:
        """Texts to the practice's number since the last poll (at most two weeks back)."""
        since = datetime.fromisoformat(position["since"]) if position.get("since") else now - timedelta(days=14)
        since = max(since - OVERLAP, now - timedelta(days=14))
        filters: dict[str, Any] = {"date_sent_after": since.astimezone(UTC)}
        if self.settings.from_number:
            filters["to"] = self.settings.from_number
        listed = self._call("replies", lambda: self.client.messages.list(page_size=200, **filters))
        replies, newest = [], position.get("since", "")
        for message in listed:
            if str(message.direction) != "inbound":
                continue
            sent = message.date_sent or message.date_created or now
            replies.append(Reply(source=self.name, provider_id=str(message.sid), channel="sms", sender=str(message.from_),
                                 received_at=sent, body=str(message.body or "")))
            newest = max(newest, sent.isoformat())
        return replies, {"since": newest} if newest else position

    def close(self) -> None:
        pass


def _failure(what: str, exc: Any) -> TransportError:
    code = exc.code or 0
    said = f"Twilio {what}: {exc.status} {code or ''} {exc.msg}".replace("  ", " ")
    if exc.status == 429 or code == 20429:
        return Throttled(said, retry_after=None)
    if exc.status in (401, 403) or code == 20003:
        return TransportSetupError(f"{said} (check [sms] account_sid and the auth token)")
    if code in NOT_A_TEXTABLE_NUMBER:
        return MessageRefused(said)
    if 400 <= exc.status < 500 and exc.status not in (408, 409):
        return MessageRefused(said)
    return TransportError(said)
