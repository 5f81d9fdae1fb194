"""A stand-in for Twilio Programmable Messaging's REST API (2010-04-01 Messages), driven through the
real ``twilio`` library (``TWILIO_EMULATOR_HOST``): sending, fetching one message, listing messages
with Twilio's filters and pages, and the faults the real service shows: 429 throttling, refused
credentials, numbers that cannot be texted, a number that texted STOP (as carriers handle it: later
texts to it are refused with 21610, START undoes it), status changes after acceptance, and inbound
texts (a client's reply, the same reply delivered twice, a text from an unknown number)."""

from __future__ import annotations

import itertools
import re
import threading
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import parse_qs, urlencode, urlsplit

from . import StandIn

ACCOUNT = "AC" + "0" * 32
STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}


class TwilioStandIn(StandIn):
    """``number``: the practice's texting number. ``throttle_every``: every N-th send gets 429 (code
    20429); ``refuse_auth``: every request 401 (code 20003); ``page_size_cap``: pages no longer than this,
    so the library follows ``next_page_uri``."""

    def __init__(self, number: str = "+15550100199", throttle_every: int = 0, refuse_auth: bool = False,
                 page_size_cap: int = 50, stall_on: int = 0):
        """``stall_on``: the N-th send hangs until ``release`` is set (the sender is killed meanwhile), then
        is refused: that text was never taken."""
        super().__init__()
        self.stall_on = stall_on
        self.stalled, self.release = threading.Event(), threading.Event()
        self.number = number
        self.throttle_every, self.refuse_auth, self.page_size_cap = throttle_every, refuse_auth, page_size_cap
        self.messages: list[dict] = []
        self.unsubscribed: set[str] = set()
        self.invalid: set[str] = set()
        self.sends = 0
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        self.clock = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)

    # what a test does to the world -------------------------------------------------------------
    def sent(self) -> list[dict]:
        return [m for m in self.messages if m["direction"] == "outbound-api"]

    def client_texts(self, sender: str, body: str, at: datetime | None = None, sid: str | None = None) -> dict:
        """A text from ``sender`` to the practice; STOP and START as carriers handle them. ``sid``: the
        same message delivered twice has the same id."""
        word = body.strip().lower()
        if word in STOP_WORDS:
            self.unsubscribed.add(sender)
        elif word in ("start", "unstop", "yes"):
            self.unsubscribed.discard(sender)
        message = self._message(sid or self._sid(), sender, self.number, body, "inbound", "received", at)
        self.messages.append(message)
        return message

    def set_status(self, sid: str, status: str, error_code: int | None = None) -> None:
        for message in self.messages:
            if message["sid"] == sid:
                message["status"], message["error_code"] = status, error_code
                message["error_message"] = "Unknown destination handset" if error_code == 30005 else None

    # the REST API -------------------------------------------------------------------------------
    def _sid(self) -> str:
        return f"SM{next(self._ids):032x}"

    def _message(self, sid: str, sender: str, to: str, body: str, direction: str, status: str,
                 at: datetime | None = None) -> dict:
        when = at or self.clock
        return {"sid": sid, "account_sid": ACCOUNT, "from": sender, "to": to, "body": body, "direction": direction,
                "status": status, "num_segments": "1", "error_code": None, "error_message": None,
                "date_created": format_datetime(when), "date_sent": format_datetime(when),
                "date_updated": format_datetime(when), "messaging_service_sid": None,
                "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}.json", "api_version": "2010-04-01",
                "price": None, "price_unit": "USD", "subresource_uris": {}}

    @staticmethod
    def _error(status: int, code: int, message: str):
        return status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                        "status": status}, "application/json"

    def answer(self, method, path, headers, body):
        if self.refuse_auth or not headers.get("authorization", "").startswith("Basic "):
            return self._error(401, 20003, "Authenticate")
        parts = urlsplit(path)
        base = f"/2010-04-01/Accounts/{ACCOUNT}/Messages"
        with self.lock:
            if method == "POST" and parts.path == base + ".json":
                return self._create({k: v[0] for k, v in parse_qs(body.decode()).items()})
            if method == "GET" and parts.path == base + ".json":
                return self._list({k: v[0] for k, v in parse_qs(parts.query).items()})
            found = re.fullmatch(re.escape(base) + r"/(SM[0-9a-f]{32})\.json", parts.path)
            if method == "GET" and found:
                message = next((m for m in self.messages if m["sid"] == found[1]), None)
                if message is None:
                    return self._error(404, 20404, "The requested resource was not found")
                return 200, message, "application/json"
        return self._error(404, 20404, "The requested resource was not found")

    def _create(self, form: dict) -> tuple:
        self.sends += 1
        if self.stall_on and self.sends == self.stall_on:
            self.stalled.set()
            self.release.wait(30)
            return self._error(503, 20503, "Service Unavailable")
        if self.throttle_every and self.sends % self.throttle_every == 0:
            return self._error(429, 20429, "Too Many Requests")
        to = form.get("To", "")
        if not re.fullmatch(r"\+[1-9]\d{7,14}", to) or to in self.invalid:
            return self._error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if to in self.unsubscribed:
            return self._error(400, 21610, "Attempt to send to unsubscribed recipient")
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return self._error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required")
        message = self._message(self._sid(), form.get("From", self.number), to, form.get("Body", ""), "outbound-api",
                                "queued")
        self.messages.append(message)
        return 201, message, "application/json"

    def _list(self, query: dict) -> tuple:
        found = self.messages
        if "To" in query:
            found = [m for m in found if m["to"] == query["To"]]
        if "From" in query:
            found = [m for m in found if m["from"] == query["From"]]
        if "DateSent>" in query:
            after = query["DateSent>"][:10]
            found = [m for m in found if _day(m["date_sent"]) >= after]
        found = sorted(found, key=lambda m: m["date_sent"], reverse=True)
        size = min(int(query.get("PageSize", 50)), self.page_size_cap)
        page = int(query.get("Page", 0))
        chunk = found[page * size:(page + 1) * size]
        uri = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
        more = (page + 1) * size < len(found)
        kept = {k: v for k, v in query.items() if k not in ("Page", "PageToken")}
        next_query = urlencode({**kept, "Page": page + 1, "PageToken": f"PA{page + 1}"})
        return 200, {"messages": chunk, "page": page, "page_size": size, "first_page_uri": uri, "uri": uri,
                     "previous_page_uri": None, "start": page * size, "end": page * size + len(chunk),
                     "next_page_uri": f"{uri}?{next_query}" if more else None}, "application/json"


def _day(rfc2822: str) -> str:
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(rfc2822).astimezone(UTC).strftime("%Y-%m-%d")
