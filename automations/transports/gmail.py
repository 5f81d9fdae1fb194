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
from email.message import EmailMessage

from ..config import GmailSettings
from ..emulators import emulator_host
from ..errors import TransportError, TransportSetupError
from ..messages.compose import WIRE
from .base import for_status

SCOPES = ["https://www.googleapis.com/auth/gmail.send"]


class Gmail:
    name = "gmail"

    def __init__(self, settings: GmailSettings, default_sender: str):
        self.settings = settings
        self.sender = settings.sender or default_sender
        self._service = None

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
                key_file, scopes=SCOPES, subject=self.sender)
        except (OSError, ValueError) as exc:
            raise TransportSetupError(f"gmail: the service account key cannot be used ({exc.__class__.__name__})") from None
        self._service = build("gmail", "v1", credentials=credentials, static_discovery=True, cache_discovery=False,
                              **endpoint)
        return self._service

    def send(self, message: EmailMessage) -> None:
        """One request, never retried by the client: a 5xx can come after Gmail accepted the message,
        and a retry would deliver it twice. The ledger retries next run instead."""
        import httplib2
        from google.auth import exceptions as auth_errors
        from googleapiclient.errors import HttpError

        raw = base64.urlsafe_b64encode(message.as_bytes(policy=WIRE)).decode()
        try:
            self._client().users().messages().send(userId="me", body={"raw": raw}).execute(num_retries=0)
        except HttpError as exc:
            raise for_status("gmail: messages.send", int(exc.resp.status), exc.resp.reason or "no reason given",
                             exc.resp.get("retry-after")) from None
        except auth_errors.RefreshError as exc:
            raise TransportSetupError(f"gmail: Google refused the service account ({_first_line(exc)}); check its "
                                 f"domain-wide delegation of gmail.send for {self.sender}") from None
        except auth_errors.TransportError as exc:
            raise TransportError(f"gmail: Google's sign-in could not be reached ({_first_line(exc)})") from None
        except (OSError, httplib2.HttpLib2Error) as exc:
            raise TransportError(f"gmail: the Gmail API could not be reached ({exc.__class__.__name__})") from None

    def close(self) -> None:
        if self._service is not None and hasattr(self._service, "close"):
            self._service.close()


def _first_line(exc: Exception) -> str:
    text = str(exc.args[0]) if exc.args else exc.__class__.__name__
    return text.splitlines()[0][:200] if text else exc.__class__.__name__
