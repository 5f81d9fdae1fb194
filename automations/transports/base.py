"""The failure model the HTTP transports share; the interface every transport meets is
``messages.delivery.Transport`` (the delivery defines what it hands messages to)."""

from __future__ import annotations

from ..errors import MessageRefused, Throttled, TransportError, TransportSetupError
from ..messages.delivery import Transport

__all__ = ["Transport", "for_status", "retry_after"]


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def for_status(service: str, status: int, detail: str, retry: str | None = None) -> TransportError:
    """The failure model for an HTTP answer: 429 is throttling, 5xx passing, 401/403 the set-up
    (credentials, permissions), any other 4xx a refusal of this message for good."""
    text = f"{service} answered {status} ({detail})"
    if status == 429:
        return Throttled(text, retry_after=retry_after(retry) or 60.0)
    if status >= 500:
        return TransportError(text, retry_after=retry_after(retry))
    if status in (401, 403):
        return TransportSetupError(f"{text}: check the credentials and the mailbox's permission to send")
    return MessageRefused(text)
