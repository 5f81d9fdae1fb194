"""The default transport: each message is one RFC 5322 ``.eml`` file in ``outbox_dir``.

The file name comes from the Message-ID, and each file is written whole and flushed to disk before
``send`` returns (a temporary file beside it, flushed, then renamed over the name), so a rerun
rewrites the same file rather than adding a second one, and a run killed at any moment leaves every
message the ledger recorded as written whole on disk, and nothing half-written.

Nothing is ever opened through a link: the temporary file is made new (``mkstemp``: exclusive, never
following a link) and the rename replaces whatever has the message's name (a link planted there
included) without writing through it. An outbox is a review folder: one file and one flush per
message is its simplest design, and it writes several hundred messages a second (docs/performance.md),
where a busy practice sends a few a second and every mail service paces at 30 to 60 a minute.
"""

from __future__ import annotations

import errno
import hashlib
import os
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from ..errors import PracticeOpsError, TransportSetupError
from ..folders import claim_folder, replace_whole
from ..messages.compose import WIRE
from ..messages.texts import Receipt, Text

OURS = (".eml", ".txt")
"""What the outbox holds: emails, and texts when [sms] provider = "outbox" (TextOutbox)."""


class ReviewFolder:
    """The outbox folder, claimed on first write: each file written whole (a temporary file flushed,
    then renamed over the name), the folder's renames flushed at the close."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._claimed = False

    def write(self, target: Path, data: bytes) -> None:
        if not self._claimed:
            try:
                claim_folder(self.folder, "outbox", suffixes=OURS)
            except PracticeOpsError as exc:
                raise TransportSetupError(f"outbox: {exc}") from None
            self._claimed = True
        try:
            replace_whole(target, data)
        except OSError as exc:
            raise TransportSetupError(f"outbox {self.folder}: cannot write {target.name}: {exc.strerror or exc}") from None

    def close(self) -> None:
        """The folder's record of the files (the renames) on disk."""
        if self._claimed and (problem := _flush_folder(self.folder)):
            raise TransportSetupError(f"outbox {self.folder}: the folder may not be on disk ({problem})")


class Outbox(ReviewFolder):
    name = "outbox"

    def path_for(self, message: EmailMessage) -> Path:
        kind = message.get("X-Practice-Ops-Kind", "message")
        digest = hashlib.sha256(str(message["Message-ID"]).encode()).hexdigest()[:20]
        return self.folder / f"{kind}-{digest}.eml"

    def send(self, message: EmailMessage) -> None:
        self.write(self.path_for(message), message.as_bytes(policy=WIRE))


def _flush_folder(folder: Path) -> str:
    """The folder's entries (the renames) on disk, where the system lets a folder be opened for that
    (Linux, macOS); Windows' NTFS keeps them with the files. What went wrong, or ""."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return ""
    try:
        os.fsync(handle)
    except OSError as exc:
        return "" if exc.errno in (errno.EINVAL, errno.EBADF, errno.EACCES) else exc.strerror or str(exc)
    finally:
        os.close(handle)
    return ""


class TextOutbox(ReviewFolder):
    """Texts for review (``[sms] provider = "outbox"``): each one a ``text-*.txt`` file in the outbox
    beside the emails, written whole like them; nothing leaves the computer."""

    name = "text-outbox"

    def send(self, text: Text) -> str:
        digest = hashlib.sha256(text.message_id.encode()).hexdigest()[:20]
        self.write(self.folder / f"{text.kind}-{digest}.txt",
                   f"To: {text.to}\nMessage-ID: {text.message_id}\n\n{text.body}\n".encode())
        return f"outbox-{digest}"

    def receipts(self, provider_ids: list[str], since: datetime) -> list[Receipt]:
        """A text in the outbox is where it was sent: nothing more will become of it."""
        return [Receipt(provider_id, "delivered") for provider_id in provider_ids]
