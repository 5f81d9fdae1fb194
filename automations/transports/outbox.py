"""The default transport: each message is one RFC 5322 ``.eml`` file in ``outbox_dir``.

The file name comes from the Message-ID, and files are written whole (temp file, then rename),
so a rerun rewrites the same file rather than adding a second one.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from email.message import EmailMessage
from pathlib import Path

from ..errors import PracticeOpsError, TransportError
from ..places import claim_folder
from ..messages.compose import WIRE


class Outbox:
    name = "outbox"

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._claimed = False

    def path_for(self, message: EmailMessage) -> Path:
        kind = message.get("X-Practice-Ops-Kind", "message")
        digest = hashlib.sha256(str(message["Message-ID"]).encode()).hexdigest()[:20]
        return self.folder / f"{kind}-{digest}.eml"

    def send(self, message: EmailMessage) -> None:
        target = self.path_for(message)
        if not self._claimed:
            try:
                claim_folder(self.folder, "outbox", suffixes=(".eml",))
            except PracticeOpsError as exc:
                raise TransportError(f"outbox: {exc}", kind="setup") from None
            self._claimed = True
        try:
            fd, temp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes(policy=WIRE))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except OSError as exc:
            raise TransportError(f"outbox {self.folder}: cannot write {target.name}: {exc.strerror}",
                                 kind="setup") from None

    def close(self) -> None:
        pass
