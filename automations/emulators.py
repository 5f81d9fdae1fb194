"""The local stand-ins of DESIGN.md: `SHEETS_EMULATOR_HOST`, `GMAIL_EMULATOR_HOST`,
`GCAL_EMULATOR_HOST`, `GRAPH_EMULATOR_HOST` and `EWS_EMULATOR_HOST` point a real client library at
a stand-in over plain HTTP with no credentials. Honoured for loopback addresses only (anything else
would send a practice's mail or records, unauthenticated and in clear, across a network), and
announced on stderr, so a run that uses one says so.
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys

from .errors import PracticeOpsError

_announced: set[str] = set()


def emulator_host(variable: str) -> str | None:
    """``host:port`` of the stand-in named by ``variable``, or None for the real service."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    parsed = _HOST_PORT.fullmatch(value)
    if parsed is None or not 1 <= int(parsed["port"]) <= 65535:
        raise PracticeOpsError(f"{variable}={value}: is not host:port (such as 127.0.0.1:8085); unset it to use the "
                               f"real service")
    host = parsed["v6"] or parsed["host"]
    if not _loopback(host):
        raise PracticeOpsError(f"{variable}={value}: a stand-in is honoured on this computer only (127.0.0.1, "
                               f"localhost or ::1); unset it to use the real service")
    if variable not in _announced:
        _announced.add(variable)
        print(f"practice-ops: {variable} is set: using the local stand-in at {value}, not the real service",
              file=sys.stderr)
    return value


_HOST_PORT = re.compile(r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9.-]+)):(?P<port>\d{1,5})")
"""Exactly a host and a port: nothing before the host that a URL would read as a user (`127.0.0.1:9@host`
once passed the loopback check and sent to the host after the @), nothing after the port."""


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
