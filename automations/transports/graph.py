"""Microsoft 365 through Microsoft Graph: POST /users/{sender}/sendMail with the whole MIME message
(base64, Content-Type text/plain), so S/MIME, calendar parts and attachments travel untouched.

Tokens come from MSAL's client-credentials flow (an app registration with the Mail.Send
application permission); the client secret is read from the environment variable the config
names. With GRAPH_EMULATOR_HOST set, the same requests go over plain HTTP to that address with no
token: the local stand-in the tests use.
"""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

import requests

from ..config import GraphSettings
from ..emulators import emulator_host
from ..errors import TransportError, TransportSetupError
from ..messages.compose import WIRE
from ..messages.replies import Reply, reply_from_email
from .base import for_status

GRAPH = "https://graph.microsoft.com/v1.0"
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
SCOPE = ["https://graph.microsoft.com/.default"]
RECENT = timedelta(days=14)
"""How far back a first read (or a sync that expired) looks."""


class Graph:
    name = "graph"

    def __init__(self, settings: GraphSettings, default_sender: str):
        self.settings = settings
        self.sender = settings.sender or default_sender
        emulator = emulator_host("GRAPH_EMULATOR_HOST")
        self.base = f"http://{emulator}/v1.0" if emulator else GRAPH
        self._emulated = bool(emulator)
        self._app: Any = None  # msal.ConfidentialClientApplication, made when first needed
        self._session = requests.Session()

    def _token(self) -> str | None:
        """A bearer token through MSAL's client-credentials flow. Against a stand-in, only when the
        config names an app (so the real credential path is tested against a local sign-in service)."""
        s = self.settings
        secret = os.environ.get(s.client_secret_env)
        if self._emulated and not (s.tenant_id and s.client_id and secret):
            return None
        if not (s.tenant_id and s.client_id and secret):
            raise TransportSetupError(f"graph: set email.graph.tenant_id and client_id in the config and the client secret "
                                 f"in the {s.client_secret_env} environment variable")
        try:
            if self._app is None:
                import msal

                microsoft = s.authority.rstrip("/") == DEFAULT_AUTHORITY
                self._app = msal.ConfidentialClientApplication(
                    s.client_id, authority=f"{s.authority.rstrip('/')}/{s.tenant_id}", client_credential=secret,
                    validate_authority=microsoft, instance_discovery=None if microsoft else False,
                    http_client=PinnedSession(s.ca_bundle or True, s.timeout_seconds))
            result = self._app.acquire_token_for_client(scopes=SCOPE)
        except requests.RequestException as exc:
            raise TransportError(f"graph: the sign-in service could not be reached ({exc.__class__.__name__})") from None
        except ValueError as exc:  # MSAL's word for an authority it cannot use
            raise TransportSetupError(f"graph: the sign-in authority cannot be used ({exc})") from None
        if "access_token" not in result:
            first_line = (result.get("error_description") or "").splitlines()[:1]
            raise TransportSetupError(f"graph: Microsoft Entra ID refused the sign-in ({result.get('error', 'unknown error')}"
                                 f"{': ' + first_line[0] if first_line else ''})")
        return result["access_token"]

    def send(self, message: EmailMessage) -> None:
        headers = {"Content-Type": "text/plain"}
        token = self._token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = f"{self.base}/users/{quote(self.sender)}/sendMail"
        body = base64.b64encode(message.as_bytes(policy=WIRE))
        try:
            response = self._session.post(url, data=body, headers=headers, timeout=self.settings.timeout_seconds)
        except requests.exceptions.SSLError as exc:
            raise TransportSetupError(f"graph: TLS with Microsoft Graph failed ({exc.__class__.__name__})") from None
        except requests.RequestException as exc:
            raise TransportError(f"graph: Microsoft Graph could not be reached ({exc.__class__.__name__})") from None
        if response.status_code != 202:
            raise for_status("graph: sendMail", response.status_code, _graph_error(response),
                             response.headers.get("Retry-After"))

    def close(self) -> None:
        self._session.close()


class GraphInbox(Graph):
    """Replies from the practice's Microsoft 365 mailbox: a delta query on its inbox (the app needs
    the Mail.Read application permission, limited to that mailbox by an application access policy).
    The ledger keeps the delta link; a 410 (the sync state expired) starts a new sync of the last two
    weeks. Each new message is fetched whole (``$value``: its MIME), so its headers say what it
    answers and whether a machine wrote it."""

    name = "graph-inbox"

    def __init__(self, settings: GraphSettings, mailbox: str):
        super().__init__(settings, mailbox)

    def _get(self, url: str, what: str, params: dict[str, str] | None = None) -> requests.Response:
        headers = {"Prefer": "odata.maxpagesize=50"}
        token = self._token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            return self._session.get(url, params=params, headers=headers, timeout=self.settings.timeout_seconds)
        except requests.exceptions.SSLError as exc:
            raise TransportSetupError(f"graph: TLS with Microsoft Graph failed ({exc.__class__.__name__})") from None
        except requests.RequestException as exc:
            raise TransportError(f"graph: {what}: Microsoft Graph could not be reached ({exc.__class__.__name__})") \
                from None

    def fetch_replies(self, position: dict[str, Any], now: datetime) -> tuple[list[Reply], dict[str, Any]]:
        start = f"{self.base}/users/{quote(self.sender)}/mailFolders/inbox/messages/delta"
        fresh = {"$select": "id,receivedDateTime",
                 "$filter": f"receivedDateTime ge {(now - RECENT).astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"}
        url, params = (_local(position["delta_link"], self.base), None) if position.get("delta_link") else (start, fresh)
        ids: list[str] = []
        while True:
            response = self._get(url, "reading the inbox", params)
            if response.status_code == 410 and params is None:  # the sync state expired: start again
                url, params, ids = start, fresh, []
                continue
            if response.status_code != 200:
                raise for_status("graph: inbox delta", response.status_code, _graph_error(response),
                                 response.headers.get("Retry-After"))
            page = response.json()
            ids.extend(item["id"] for item in page.get("value", []) if "id" in item and "@removed" not in item)
            if "@odata.nextLink" in page:
                url, params = _local(page["@odata.nextLink"], self.base), None
                continue
            delta_link = page.get("@odata.deltaLink", "")
            break
        replies = []
        for message_id in dict.fromkeys(ids):
            response = self._get(f"{self.base}/users/{quote(self.sender)}/messages/{quote(message_id)}/$value",
                                 "reading a reply")
            if response.status_code == 404:  # deleted since the delta listed it
                continue
            if response.status_code != 200:
                raise for_status("graph: a reply", response.status_code, _graph_error(response),
                                 response.headers.get("Retry-After"))
            replies.append(reply_from_email(self.name, message_id, response.content))
        return replies, {"delta_link": delta_link} if delta_link else position


def _local(link: str, base: str) -> str:
    """A link Graph handed back, on the address this run talks to (a stand-in answers with its own)."""
    return base + link.split("/v1.0", 1)[1] if "/v1.0" in link else link


def _graph_error(response: requests.Response) -> str:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return response.reason or "no reason given"


class PinnedSession(requests.Session):
    """A requests session whose CA bundle and timeout hold for every request. requests lets the
    REQUESTS_CA_BUNDLE environment variable override a session's own ``verify``; a bundle named in
    the config must win."""

    def __init__(self, verify: str | bool, timeout: float):
        super().__init__()
        self._verify, self._timeout = verify, timeout

    def request(self, method, url, *args, **kwargs):
        kwargs["verify"] = self._verify
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)
