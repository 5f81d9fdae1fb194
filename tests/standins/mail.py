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
        if "$skiptoken" in query:       # a later page: where it starts, and which messages it pages over
            offset, kind, value = query["$skiptoken"].split("|")
        elif "$deltatoken" in query:
            if int(query["$deltatoken"]) < self.expired_below:
                return 410, {"error": {"code": "SyncStateNotFound", "message": "resync required"}}, "application/json"
            offset, kind, value = "0", "from", query["$deltatoken"]
        else:
            since = re.search(r"receivedDateTime ge (\S+)", query.get("$filter", ""))
            offset, kind, value = "0", "since", since[1] if since else ""
        wanted = self.inbox[int(value):] if kind == "from" else [m for m in self.inbox if m[2] >= value]
        self.delta_requests.append(dict(query))
        start = int(offset)
        body = {"value": [{"id": i, "receivedDateTime": at} for i, _, at in wanted[start:start + 2]]}
        if start + 2 < len(wanted):
            body["@odata.nextLink"] = f"{base}?$skiptoken={start + 2}|{kind}|{value}"
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
    """users.messages.send, and the inbox as a reader of replies sees it: getProfile's history id,
    history.list of added messages (404 for a history id Google no longer keeps), messages.list and
    messages.get in the raw format."""

    def __init__(self):
        super().__init__()
        self.sent: list = []
        self.inbox: list[tuple[str, bytes, int, int]] = []    # (id, raw, history id, seconds since 1970)
        self.history_id = 1000
        self.oldest_kept = 0

    def receive(self, raw: bytes, at: int = 1796666400, id: str | None = None) -> str:
        self.history_id += 1
        message_id = id or f"18c{len(self.inbox) + 1:05x}"
        self.inbox.append((message_id, raw, self.history_id, at))
        return message_id

    def forget_history(self) -> None:
        """Every history id handed out so far is too old: history.list answers 404."""
        self.oldest_kept = self.history_id + 1

    def _inbox(self, parts):
        from urllib.parse import parse_qs

        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        route = parts.path.removeprefix("/gmail/v1/users/me/")
        if route == "profile":
            return 200, {"emailAddress": "office@lake.example", "historyId": str(self.history_id)}, "application/json"
        if route == "history":
            start = int(query["startHistoryId"])
            if start < self.oldest_kept:
                return 404, {"error": {"code": 404, "message": "Requested entity was not found."}}, "application/json"
            added = [{"id": str(h), "messagesAdded": [{"message": {"id": i, "labelIds": ["INBOX"]}}]}
                     for i, _, h, _ in self.inbox if h > start]
            return 200, {"history": added, "historyId": str(self.history_id)}, "application/json"
        if route == "messages":
            after = int(re.search(r"after:(\d+)", query.get("q", "after:0"))[1])
            return 200, {"messages": [{"id": i, "threadId": i} for i, _, _, at in self.inbox if at > after]}, \
                "application/json"
        if route.startswith("messages/"):
            found = next((raw for i, raw, _, _ in self.inbox if i == route.split("/")[1]), None)
            if found is None:
                return 404, {"error": {"code": 404, "message": "Not Found"}}, "application/json"
            return 200, {"id": route.split("/")[1], "raw": base64.urlsafe_b64encode(found).decode()}, "application/json"
        return 404, {"error": {"code": 404, "message": "Not Found"}}, "application/json"

    def answer(self, method, path, headers, body):
        from urllib.parse import urlsplit

        if method == "GET":
            return self._inbox(urlsplit(path))
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
        self.inbox: list[tuple[str, bytes, str]] = []     # (item id, MIME, received "2026-12-07T15:00:00Z")
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
        operation = re.search(r"<s:Body><m:(\w+)", text)
        if operation and operation[1] in ("GetFolder", "FindItem", "GetItem"):
            return 200, EWS_HEAD + getattr(self, f"_{operation[1]}")(text).encode() + EWS_TAIL, "text/xml; charset=utf-8"
        disposition = re.search(r'MessageDisposition="(\w+)"', text)
        mime = re.search(r"<t:MimeContent[^>]*>([^<]+)</t:MimeContent>", text)
        if not (disposition and mime):
            return 500, b"unexpected request", "text/plain"
        self.dispositions.append(disposition[1])
        self.sent.append(message_from_bytes(base64.b64decode(mime[1]), policy=policy.default))
        return 200, EWS_OK, "text/xml; charset=utf-8"


    # the inbox, as exchangelib reads it: GetFolder (root, then inbox), FindItem, GetItem --------------
    def receive(self, raw: bytes, at: str = "2026-12-07T20:00:00Z", id: str | None = None) -> str:
        item_id = id or f"AAMkItem{len(self.inbox) + 1}"
        self.inbox.append((item_id, raw, at))
        return item_id

    def _GetFolder(self, text: str) -> str:
        names = re.findall(r'DistinguishedFolderId Id="(\w+)"', text)
        folders = "".join(
            f'<m:GetFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Folders>'
            f'<t:Folder><t:FolderId Id="{name}-id" ChangeKey="ck"/><t:ParentFolderId Id="root-id" ChangeKey="ck"/>'
            f'<t:FolderClass>IPF.Note</t:FolderClass><t:DisplayName>{name}</t:DisplayName>'
            f'<t:TotalCount>{len(self.inbox)}</t:TotalCount><t:ChildFolderCount>0</t:ChildFolderCount>'
            f'<t:UnreadCount>0</t:UnreadCount></t:Folder></m:Folders></m:GetFolderResponseMessage>' for name in names)
        return f"<m:GetFolderResponse {EWS_NS}><m:ResponseMessages>{folders}</m:ResponseMessages></m:GetFolderResponse>"

    def _FindItem(self, text: str) -> str:
        after = re.search(r'IsGreaterThan><t:FieldURI FieldURI="item:DateTimeReceived"/><t:FieldURIOrConstant>'
                          r'<t:Constant Value="([^"]+)"', text)
        found = [(i, at) for i, _, at in self.inbox if not after or at > after[1]]
        items = "".join(f'<t:Message><t:ItemId Id="{i}" ChangeKey="ck"/></t:Message>' for i, _ in found)
        return (f'<m:FindItemResponse {EWS_NS}><m:ResponseMessages><m:FindItemResponseMessage ResponseClass="Success">'
                f'<m:ResponseCode>NoError</m:ResponseCode><m:RootFolder IndexedPagingOffset="{len(found)}" '
                f'TotalItemsInView="{len(found)}" IncludesLastItemInRange="true"><t:Items>{items}</t:Items>'
                f'</m:RootFolder></m:FindItemResponseMessage></m:ResponseMessages></m:FindItemResponse>')

    def _GetItem(self, text: str) -> str:
        wanted = re.findall(r'<t:ItemId Id="([^"]+)"', text)
        by_id = {i: (raw, at) for i, raw, at in self.inbox}
        answers = "".join(
            f'<m:GetItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items>'
            f'<t:Message><t:MimeContent CharacterSet="UTF-8">{base64.b64encode(by_id[i][0]).decode()}</t:MimeContent>'
            f'<t:ItemId Id="{i}" ChangeKey="ck"/><t:DateTimeReceived>{by_id[i][1]}</t:DateTimeReceived></t:Message>'
            f'</m:Items></m:GetItemResponseMessage>' for i in wanted if i in by_id)
        return f"<m:GetItemResponse {EWS_NS}><m:ResponseMessages>{answers}</m:ResponseMessages></m:GetItemResponse>"


EWS_NS = ('xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" '
          'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"')
EWS_HEAD = (b'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
            b'<s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" '
            b'MinorBuildNumber="6" Version="V2017_07_11" '
            b'xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types"/></s:Header><s:Body>')
EWS_TAIL = b"</s:Body></s:Envelope>"


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
