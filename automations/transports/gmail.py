"""Google Workspace through the Gmail API (users.messages.send with the raw MIME message), via
google-api-python-client.

Credentials: a service account's key file (named by the environment variable in
`email.gmail.credentials_env`) with domain-wide delegation of the gmail.send scope, acting as the
sending mailbox. With GMAIL_EMULATOR_HOST set, the same client talks plain HTTP to that address
with no credentials: the local stand-in the tests use.
"""

from __future__ import annotations

import base64
import os
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from ..config import GmailSettings
from ..emulators import emulator_host
from ..errors import TransportError, TransportSetupError
from ..messages.compose import WIRE
from ..messages.replies import Reply, reply_from_email
from .base import for_status

SCOPES = ["https://www.googleapis.com/auth/gmail.send"]
RECENT = timedelta(days=14)


class Gmail:
    name = "gmail"

    scopes = SCOPES

    def __init__(self, settings: GmailSettings, default_sender: str):
        self.settings = settings
        self.sender = settings.sender or default_sender
        self._service: Any = None

    def _client(self):
        if self._service is not None:
            return self._service
        from googleapiclient.discovery import build

        emulator = emulator_host("GMAIL_EMULATOR_HOST")
        key_file = os.environ.get(self.settings.credentials_env)
        endpoint = {"client_options": {"api_endpoint": f"http://{emulator}/"}} if emulator else {}
        if emulator and not key_file:  # a stand-in with no credentials at all
            import httplib2

            self._service = build("gmail", "v1", http=httplib2.Http(timeout=30), static_discovery=True, **endpoint)
            return self._service
        if not key_file:
            raise TransportSetupError(f"gmail: set {self.settings.credentials_env} to the service account's key file")
        from google.oauth2 import service_account

        try:
            credentials = service_account.Credentials.from_service_account_file(
                key_file, scopes=self.scopes, subject=self.sender)
        except (OSError, ValueError) as exc:
            raise TransportSetupError(f"gmail: the service account key cannot be used ({exc.__class__.__name__})") from None
        self._service = build("gmail", "v1", credentials=credentials, static_discovery=True, cache_discovery=False,
                              **endpoint)
        return self._service

    def _execute(self, request: Any, what: str, *, retries: int = 1, missing_ok: bool = False) -> Any:
        """The answer to one request, Google's failures as the family's; None for a 404 where
        ``missing_ok`` (an expired history id, a message deleted since it was listed)."""
        import httplib2
        from google.auth import exceptions as auth_errors
        from googleapiclient.errors import HttpError

        try:
            return request.execute(num_retries=retries)
        except HttpError as exc:
            if missing_ok and int(exc.resp.status) == 404:
                return None
            raise for_status(f"gmail: {what}", int(exc.resp.status), exc.resp.reason or "no reason given",
                             exc.resp.get("retry-after")) from None
        except auth_errors.RefreshError as exc:
            scope = self.scopes[0].rsplit("/", 1)[1]
            raise TransportSetupError(f"gmail: Google refused the service account ({_first_line(exc)}); check its "
                                      f"domain-wide delegation of gmail.{scope} for {self.sender}") from None
        except auth_errors.TransportError as exc:
            raise TransportError(f"gmail: Google's sign-in could not be reached ({_first_line(exc)})") from None
        except (OSError, httplib2.HttpLib2Error) as exc:
            raise TransportError(f"gmail: the Gmail API could not be reached ({exc.__class__.__name__})") from None

    def send(self, message: EmailMessage) -> None:
        """One request, never retried by the client: a 5xx can come after Gmail accepted the message,
        and a retry would deliver it twice. The ledger retries next run instead."""
        raw = base64.urlsafe_b64encode(message.as_bytes(policy=WIRE)).decode()
        self._execute(self._client().users().messages().send(userId="me", body={"raw": raw}), "messages.send",
                      retries=0)

    def close(self) -> None:
        if self._service is not None and hasattr(self._service, "close"):
            self._service.close()


class GmailInbox(Gmail):
    """Replies from the practice's Google Workspace mailbox: ``history.list`` from the history id the
    ledger kept (new messages in the inbox since the last poll), a full read of the last two weeks when
    there is none or Google says it expired (404); each new message read whole (``format=raw``). The
    service account needs the gmail.readonly scope, delegated for this mailbox only, through the
    practice's own internal app (Google restricts the scope)."""

    name = "gmail-inbox"
    scopes = ["https://www.googleapis.com/auth/gmail.readonly"]

    def fetch_replies(self, position: dict[str, Any], now: datetime) -> tuple[list[Reply], dict[str, Any]]:
        users = self._client().users()
        ids: list[str] = []
        newest = position.get("history_id")
        token = None
        while newest:
            page = self._execute(users.history().list(userId="me", startHistoryId=newest, historyTypes=["messageAdded"],
                                                      labelId="INBOX", pageToken=token), "history.list", missing_ok=True)
            if page is None:  # the history id expired: read the last two weeks
                newest, ids = None, []
                break
            for record in page.get("history", []):
                ids.extend(added["message"]["id"] for added in record.get("messagesAdded", []))
            token = page.get("nextPageToken")
            if not token:
                newest = page.get("historyId") or newest
                break
        if not newest:
            newest = self._execute(users.getProfile(userId="me"), "getProfile").get("historyId")
            token = None
            while True:
                page = self._execute(users.messages().list(userId="me", labelIds=["INBOX"], pageToken=token,
                                                           q=f"after:{int((now - RECENT).timestamp())}"), "messages.list")
                ids.extend(m["id"] for m in page.get("messages", []))
                token = page.get("nextPageToken")
                if not token:
                    break
        replies = []
        for message_id in dict.fromkeys(ids):
            found = self._execute(users.messages().get(userId="me", id=message_id, format="raw"), "messages.get",
                                  missing_ok=True)
            if found is not None:
                replies.append(reply_from_email(self.name, message_id, base64.urlsafe_b64decode(found["raw"])))
        return replies, {"history_id": str(newest)} if newest else position


def _first_line(exc: Exception) -> str:
    text = str(exc.args[0]) if exc.args else exc.__class__.__name__
    return text.splitlines()[0][:200] if text else exc.__class__.__name__
