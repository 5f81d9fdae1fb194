"""Stand-ins for the three mail APIs: Microsoft Graph sendMail, Gmail users.messages.send and
Exchange Web Services CreateItem. Each records the MIME messages it was given."""

from __future__ import annotations

import base64
import json
import re
from email import message_from_bytes, policy

from . import StandIn


class GraphStandIn(StandIn):
    def __init__(self, fail_with: int | None = None):
        super().__init__()
        self.sent: list = []
        self.fail_with = fail_with

    def answer(self, method, path, headers, body):
        if method != "POST" or not re.fullmatch(r"/v1\.0/users/[^/]+/sendMail", path):
            return 404, {"error": {"code": "ResourceNotFound"}}, "application/json"
        if self.fail_with:
            return self.fail_with, {"error": {"code": "ErrorQuotaExceeded"}}, "application/json"
        if headers.get("content-type") != "text/plain":
            return 400, {"error": {"code": "RequestBodyRead"}}, "application/json"
        self.sent.append((path, message_from_bytes(base64.b64decode(body), policy=policy.default)))
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
    def __init__(self):
        super().__init__()
        self.sent: list = []
        self.dispositions: list[str] = []

    def answer(self, method, path, headers, body):
        if method != "POST" or path != "/EWS/Exchange.asmx":
            return 404, b"", "text/plain"
        text = body.decode()
        disposition = re.search(r'MessageDisposition="(\w+)"', text)
        mime = re.search(r"<t:MimeContent[^>]*>([^<]+)</t:MimeContent>", text)
        if not (disposition and mime):
            return 500, b"unexpected request", "text/plain"
        self.dispositions.append(disposition[1])
        self.sent.append(message_from_bytes(base64.b64decode(mime[1]), policy=policy.default))
        return 200, EWS_OK, "text/xml; charset=utf-8"
