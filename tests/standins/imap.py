"""A small IMAP4rev1 server on loopback for Python's own imaplib: the commands a reader of replies
uses (CAPABILITY, LOGIN, EXAMINE/SELECT, UID SEARCH, UID FETCH, LOGOUT), with RFC 3501's answers, a
UIDVALIDITY that can change (a rebuilt folder), refused logins, and a record of whether any message
was fetched in a way that marks it read."""

from __future__ import annotations

import re
import shlex
import socketserver
import threading


class ImapStandIn:
    def __init__(self, user: str = "office@lake.example", password: str = "secret"):
        self.user, self.password = user, password
        self.messages: list[tuple[int, bytes, str]] = []       # (uid, raw, internal date "07-Dec-2026")
        self.uidvalidity = 1
        self.marked_read: list[int] = []
        self.commands: list[str] = []
        stand_in = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(b"* OK IMAP4rev1 stand-in ready\r\n")
                authenticated = False
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    tag, _, rest = line.decode().rstrip("\r\n").partition(" ")
                    command, _, args = rest.partition(" ")
                    stand_in.commands.append(f"{command.upper()} {args}".strip())
                    reply = stand_in.command(command.upper(), args, authenticated)
                    if command.upper() == "LOGIN" and reply[-1].startswith("OK"):
                        authenticated = True
                    for untagged in reply[:-1]:
                        self.wfile.write(untagged if isinstance(untagged, bytes) else f"* {untagged}\r\n".encode())
                    self.wfile.write(f"{tag} {reply[-1]}\r\n".encode())
                    if command.upper() == "LOGOUT":
                        return

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def deliver(self, raw: bytes, day: str = "07-Dec-2026") -> int:
        uid = (self.messages[-1][0] if self.messages else 0) + 1
        self.messages.append((uid, raw, day))
        return uid

    def rebuild(self) -> None:
        """The server rebuilt the folder: a new UIDVALIDITY, every message renumbered."""
        self.uidvalidity += 1
        self.messages = [(n + 1, raw, day) for n, (_, raw, day) in enumerate(self.messages)]

    def command(self, command: str, args: str, authenticated: bool) -> list:
        if command == "CAPABILITY":
            return ["CAPABILITY IMAP4rev1 AUTH=PLAIN", "OK CAPABILITY completed"]
        if command == "LOGIN":
            user, password = shlex.split(args)
            if (user, password) != (self.user, self.password):
                return ["NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)"]
            return ["OK LOGIN completed"]
        if command == "LOGOUT":
            return ["BYE logging out", "OK LOGOUT completed"]
        if command == "NOOP":
            return ["OK NOOP completed"]
        if not authenticated:
            return ["BAD not authenticated"]
        if command in ("EXAMINE", "SELECT"):
            return [f"{len(self.messages)} EXISTS", f"OK [UIDVALIDITY {self.uidvalidity}] UIDs valid",
                    f"OK [{'READ-ONLY' if command == 'EXAMINE' else 'READ-WRITE'}] {command} completed"]
        if command == "UID":
            sub, _, rest = args.partition(" ")
            if sub.upper() == "SEARCH":
                return [f"SEARCH {' '.join(str(uid) for uid in self._search(rest))}".rstrip(), "OK SEARCH completed"]
            if sub.upper() == "FETCH":
                wanted, _, items = rest.partition(" ")
                lines: list = []
                for n, (uid, raw, _) in enumerate(self.messages, start=1):
                    if str(uid) == wanted:
                        if "PEEK" not in items.upper():
                            self.marked_read.append(uid)
                        lines.append(f"* {n} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n".encode() + raw + b")\r\n")
                return [*lines, "OK FETCH completed"]
        return ["BAD unknown command"]

    def _search(self, criteria: str) -> list[int]:
        uids = [uid for uid, _, _ in self.messages]
        if found := re.fullmatch(r"UID (\d+):\*", criteria, re.I):
            return [u for u in uids if u >= int(found[1])] or uids[-1:]     # RFC 3501: n:* includes the last
        if found := re.fullmatch(r"SINCE (\d{2}-\w{3}-\d{4})", criteria, re.I):
            from datetime import datetime

            since = datetime.strptime(found[1], "%d-%b-%Y")
            return [uid for uid, _, day in self.messages if datetime.strptime(day, "%d-%b-%Y") >= since]
        return uids

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
