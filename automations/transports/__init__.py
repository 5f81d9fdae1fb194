"""How messages leave: one small interface, the adapter chosen by ``[email] transport``.

Nothing outside this package imports a concrete adapter; ask ``open_transport``.
"""

from __future__ import annotations

from ..config import EmailSettings
from ..errors import ConfigError
from .base import Transport

__all__ = ["Transport", "open_transport"]


def open_transport(settings: EmailSettings) -> Transport:
    if settings.transport == "outbox":
        from .outbox import Outbox

        return Outbox(settings.outbox_dir)
    if settings.transport == "smtp":
        from .smtp import Smtp

        return Smtp(settings.smtp)
    if settings.transport == "graph":
        from .graph import Graph

        return Graph(settings.graph, settings.sender_address)
    if settings.transport == "gmail":
        from .gmail import Gmail

        return Gmail(settings.gmail, settings.sender_address)
    if settings.transport == "exchange":
        from .exchange import Exchange

        return Exchange(settings.exchange, settings.sender_address)
    raise ConfigError([f"email.transport: {settings.transport!r} is not a transport"])
