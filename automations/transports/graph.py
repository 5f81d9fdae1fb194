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
from typing import Any
from email.message import EmailMessage
from email.policy import SMTP
from urllib.parse import quote

import requests

from ..config import GraphSettings
from ..emulators import emulator_host
from ..errors import TransportError

GRAPH = "https://graph.microsoft.com/v1.0"
SCOPE = ["https://graph.microsoft.com/.default"]


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
        if self._emulated:
            return None
        s = self.settings
        secret = os.environ.get(s.client_secret_env)
        if not (s.tenant_id and s.client_id and secret):
            raise TransportError(f"graph: set email.graph.tenant_id and client_id in the config and the client secret "
                                 f"in the {s.client_secret_env} environment variable")
        if self._app is None:
            import msal

            self._app = msal.ConfidentialClientApplication(
                s.client_id, authority=f"https://login.microsoftonline.com/{s.tenant_id}", client_credential=secret)
        result = self._app.acquire_token_for_client(scopes=SCOPE)
        if "access_token" not in result:
            raise TransportError(f"graph: no token from Microsoft Entra ID ({result.get('error', 'unknown error')}: "
                                 f"{result.get('error_description', '').splitlines()[0] if result.get('error_description') else ''})")
        return result["access_token"]

    def send(self, message: EmailMessage) -> None:
        headers = {"Content-Type": "text/plain"}
        token = self._token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = f"{self.base}/users/{quote(self.sender)}/sendMail"
        body = base64.b64encode(message.as_bytes(policy=SMTP))
        try:
            response = self._session.post(url, data=body, headers=headers, timeout=self.settings.timeout_seconds)
        except requests.RequestException as exc:
            raise TransportError(f"graph: Microsoft Graph could not be reached ({exc.__class__.__name__})") from None
        if response.status_code != 202:
            raise TransportError(f"graph: sendMail answered {response.status_code} ({_graph_error(response)})")

    def close(self) -> None:
        self._session.close()


def _graph_error(response: requests.Response) -> str:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return response.reason or "no reason given"
