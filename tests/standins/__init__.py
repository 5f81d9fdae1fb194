"""Local stand-ins for services that live on the internet, driven through the real client libraries
(google-api-python-client, requests under MSAL's place, exchangelib): each answers on loopback,
plain HTTP, no credentials, as the *_EMULATOR_HOST variables of DESIGN.md say."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StandIn:
    """A loopback HTTP server; subclasses answer ``answer(method, path, headers, body)`` with
    (status, JSON-able body or bytes, content type[, extra headers]). With ``tls`` = (certificate
    file, key file) it speaks HTTPS, for clients (MSAL) that accept nothing else."""

    def __init__(self, tls: tuple | None = None):
        self.requests: list[tuple[str, str, dict, bytes]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                stand_in.requests.append((method, self.path, headers, body))
                status, payload, content_type, *extra = stand_in.answer(method, self.path, headers, body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for name, value in (extra[0] if extra else {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def answer(self, method: str, path: str, headers: dict, body: bytes):
        raise NotImplementedError

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
