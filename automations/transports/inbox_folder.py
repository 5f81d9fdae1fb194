"""Replies for review, the outbox's counterpart (``[replies] inbox_dir``): a folder where the VA (or a
test) saves clients' answers as ``.eml`` files. Read only: nothing in it is written, moved or
deleted, and each file is known by its Message-ID (or its content's digest), so it is handled once
however long it stays."""

from __future__ import annotations

import hashlib
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import TransportError
from ..messages.replies import Reply, reply_from_email

LARGEST = 5 * 2**20
"""A reply larger than this is not a client's answer (an attachment, a forwarded thread): passed over."""


class InboxFolder:
    name = "inbox-folder"

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def fetch_replies(self, position: dict[str, Any], now: datetime) -> tuple[list[Reply], dict[str, Any]]:
        if not self.folder.is_dir():
            raise TransportError(f"the replies folder {self.folder} does not exist (replies.inbox_dir)")
        replies = []
        for path in sorted(self.folder.glob("*.eml")):
            try:
                info = path.lstat()
                if not stat.S_ISREG(info.st_mode) or info.st_size > LARGEST:
                    continue
                raw = path.read_bytes()
            except OSError:
                continue
            replies.append(reply_from_email(self.name, hashlib.sha256(raw).hexdigest()[:32], raw))
        return replies, position

    def close(self) -> None:
        pass
