"""Stand-ins for the three mail APIs: Microsoft Graph sendMail, Gmail users.messages.send and
Exchange Web Services CreateItem. Each records the MIME messages it was given."""

from __future__ import annotations

import base64
import json
import re
from email import message_from_bytes, policy

from . import StandIn


class GraphStandIn(StandIn):
    """Graph's sendMail, with the faults a real mailbox shows: ``throttle_every`` N-th request gets
    429 with Retry-After (Exchange Online allows 30 messages a minute per mailbox), ``accept_then_fail``
    answers 503 after keeping the message, ``token`` requires that bearer token."""

    def __init__(self, fail_with: int | None = None, throttle_every: int = 0, retry_after: float = 2.0,
                 accept_then_fail: int = 0, token: str | None = None):
        super().__init__()
        self.sent: list = []
        self.fail_with = fail_with
        self.throttle_every, self.retry_after = throttle_every, retry_after
        self.accept_then_fail = accept_then_fail
        self.token = token
        self.seen = 0
        self.throttled_at: list[float] = []
        self.request_times: list[float] = []
        self.inbox: list[tuple[str, bytes, str]] = []
        self.expired_below = 0
        self.delta_requests: list[dict] = []

    # the inbox: what clients sent the practice, read by delta query --------------------------------
    def receive(self, raw: bytes, at: str = "2026-12-07T15:00:00Z", id: str | None = None) -> str:
        """A message arriving in the mailbox's inbox; ``id``: the same id twice is one message."""
        message_id = id or f"AAMk{len(self.inbox) + 1:04d}"
        self.inbox.append((message_id, raw, at))
        return message_id

    def expire_delta_links(self) -> None:
        """Every delta link handed out so far answers 410 Gone, as an expired sync state does."""
        self.expired_below = len(self.inbox) + 1

    def _inbox(self, method, parts, headers):
        from urllib.parse import parse_qs

        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        base = f"http://{self.host}{parts.path}"
        if parts.path.endswith("/$value"):
            message_id = parts.path.split("/")[-2]
            raw = next((r for i, r, _ in self.inbox if i == message_id), None)
            return (200, raw, "message/rfc822") if raw is not None else (404, {"error": {"code": "ErrorItemNotFound"}},
                                                                           "application/json")
        if "$deltatoken" in query:
            start = int(query["$deltatoken"])
            if start < self.expired_below:
                return 410, {"error": {"code": "SyncStateNotFound", "message": "resync required"}}, "application/json"
            wanted = self.inbox[start:]
        else:
            since = re.search(r"receivedDateTime ge (\S+)", query.get("$filter", ""))
            wanted = [m for m in self.inbox if not since or m[2] >= since[1]] if "$skiptoken" not in query else None
        offset = int(query.get("$skiptoken", "0:0").split(":")[0])
        if wanted is None:  # a later page of the first sync
            since_index = int(query["$skiptoken"].split(":")[1])
            wanted = self.inbox[since_index:]
            first = since_index
        else:
            first = len(self.inbox) - len(wanted)
        self.delta_requests.append(dict(query))
        page = wanted[offset:offset + 2]
        body = {"value": [{"id": i, "receivedDateTime": at} for i, _, at in page]}
        if offset + 2 < len(wanted):
            body["@odata.nextLink"] = f"{base}?$skiptoken={offset + 2}:{first}"
        else:
            body["@odata.deltaLink"] = f"{base}?$deltatoken={len(self.inbox)}"
        return 200, body, "application/json"

    def answer(self, method, path, headers, body):
        import time
        from urllib.parse import urlsplit

        parts = urlsplit(path)
        if method == "GET" and re.fullmatch(r"/v1\.0/users/[^/]+/(mailFolders/inbox/messages/delta|messages/[^/]+/"
                                            r"\$value)", parts.path):
            return self._inbox(method, parts, headers)
        if method != "POST" or not re.fullmatch(r"/v1\.0/users/[^/]+/sendMail", path):
            return 404, {"error": {"code": "ResourceNotFound"}}, "application/json"
        self.seen += 1
        self.request_times.append(time.monotonic())
        if self.token and headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty."}}, \
                "application/json"
        if self.fail_with:
            return self.fail_with, {"error": {"code": "ErrorQuotaExceeded"}}, "application/json"
        if self.throttle_every and self.seen % self.throttle_every == 0:
            self.throttled_at.append(time.monotonic())
            return 429, {"error": {"code": "ApplicationThrottled", "message": "Application is over its MailboxConcurrency "
                                                                               "limit."}}, "application/json", \
                {"Retry-After": str(int(self.retry_after))}
        if headers.get("content-type") != "text/plain":
            return 400, {"error": {"code": "RequestBodyRead"}}, "application/json"
        self.sent.append((path, message_from_bytes(base64.b64decode(body), policy=policy.default)))
        if self.accept_then_fail and len(self.sent) == self.accept_then_fail:
            return 503, {"error": {"code": "ServiceUnavailable"}}, "application/json"
        return 202, b"", "text/plain"


class GmailStandIn(StandIn):
    def __init__(self):
        super().__init__()
        self.sent: list = []

    def answer(self, method, path, headers, body):
        if method != "POST" or not path.startswith("/gmail/v1/users/me/messages/send"):
            return 404, {"error": {"code": 404, "message": "Not Found"}}, "application/json"
        raw = json.loads(body)["raw"]
        self.sent.append(message_from_bytes(base64.urlsafe_b64decode(raw), policy=policy.default))
        return 200, {"id": f"m{len(self.sent)}", "threadId": f"t{len(self.sent)}", "labelIds": ["SENT"]}, \
            "application/json"


EWS_OK = b"""<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
<s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" MinorBuildNumber="6"
 Version="V2017_07_11" xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types"/></s:Header>
<s:Body><m:CreateItemResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"
 xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><m:ResponseMessages>
<m:CreateItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items/>
</m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse></s:Body></s:Envelope>"""


class EwsStandIn(StandIn):
    """EWS CreateItem. With ``basic`` = (user, password) it asks for HTTP Basic auth as an on-premises
    server does, answering 401 with WWW-Authenticate to anything else, so exchangelib's own
    authentication code runs."""

    def __init__(self, basic: tuple[str, str] | None = None):
        super().__init__()
        self.sent: list = []
        self.dispositions: list[str] = []
        self.basic = basic
        self.refused = 0

    def answer(self, method, path, headers, body):
        if method != "POST" or path != "/EWS/Exchange.asmx":
            return 404, b"", "text/plain"
        if self.basic is not None:
            expected = "Basic " + base64.b64encode(":".join(self.basic).encode()).decode()
            if headers.get("authorization") != expected:
                self.refused += 1
                return 401, b"", "text/plain", {"WWW-Authenticate": 'Basic realm="mail.lake.example"'}
        text = body.decode()
        disposition = re.search(r'MessageDisposition="(\w+)"', text)
        mime = re.search(r"<t:MimeContent[^>]*>([^<]+)</t:MimeContent>", text)
        if not (disposition and mime):
            return 500, b"unexpected request", "text/plain"
        self.dispositions.append(disposition[1])
        self.sent.append(message_from_bytes(base64.b64decode(mime[1]), policy=policy.default))
        return 200, EWS_OK, "text/xml; charset=utf-8"


class SignInStandIn(StandIn):
    """The sign-in services a transport's real credential code talks to: Microsoft Entra ID's
    tenant discovery and token endpoint (MSAL, over HTTPS), and Google's OAuth token endpoint
    (google-auth's service-account JWT grant). ``refuse`` answers as each refuses an app."""

    def __init__(self, refuse: bool = False, tls: tuple | None = None):
        super().__init__(tls=tls)
        self.refuse = refuse
        self.token_requests = 0

    def answer(self, method, path, headers, body):
        base = f"https://{self.host}"
        if method == "GET" and path.endswith("/v2.0/.well-known/openid-configuration"):
            tenant = path.split("/")[1]
            return 200, {"issuer": f"{base}/{tenant}/v2.0", "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
                         "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize"}, "application/json"
        if method == "POST" and path.endswith("/oauth2/v2.0/token"):
            self.token_requests += 1
            if self.refuse:
                return 401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret "
                             "provided. Ensure the secret being sent in the request is the client secret value.",
                             "error_codes": [7000215]}, "application/json"
            return 200, {"token_type": "Bearer", "expires_in": 3599, "access_token": "entra-token"}, "application/json"
        if method == "POST" and path == "/token":
            self.token_requests += 1
            if self.refuse:
                return 401, {"error": "unauthorized_client", "error_description": "Client is unauthorized to retrieve "
                             "access tokens using this method, or client not authorized for any of the scopes "
                             "requested."}, "application/json"
            return 200, {"access_token": "google-token", "expires_in": 3600, "token_type": "Bearer"}, "application/json"
        return 404, {"error": "not_found"}, "application/json"
