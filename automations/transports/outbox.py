"""The default transport: each message is one RFC 5322 ``.eml`` file in ``outbox_dir``.

The file name comes from the Message-ID, and files are written whole (temp file, then rename),
so a rerun rewrites the same file rather than adding a second one, and a run killed at any point
leaves each message either whole or not there (the ledger then has it pending, and the next run
writes it).

The files are flushed to disk in groups (every FLUSH_EVERY messages, behind the writing of the
next ones, and when the transport closes), several at a time, not one by one before each is
recorded: one flush per message made
the disk's rate of flushes the ceiling of a run's outbound (631 messages a second at 1,232
flushes), and what a flush per message protects is a review copy against a power cut. An outbox
message is a review, never a delivery (DESIGN.md): a live transport still sends it, so a power cut
in the seconds before a group's flush costs the review copy at most, never a client's message.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

from ..errors import PracticeOpsError, TransportError
from ..places import claim_folder
from ..messages.compose import WIRE


FLUSH_EVERY = 256
"""Messages written between two flushes to disk (and a run's last ones when the transport closes)."""
FLUSHING_AT_ONCE = 4
"""Files flushed side by side: the disk takes several flushes in one go (fsync lets go of Python's lock)."""


class Outbox:
    name = "outbox"

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._claimed = False
        self._unflushed: list[Path] = []
        self._flushing: list[Future[str]] = []
        self._flushing_count = 0
        self._flusher: ThreadPoolExecutor | None = None

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
            os.replace(temp, target)
        except OSError as exc:
            raise TransportError(f"outbox {self.folder}: cannot write {target.name}: {exc.strerror}",
                                 kind="setup") from None
        self._unflushed.append(target)
        if len(self._unflushed) >= FLUSH_EVERY:
            self._flush_behind()

    def _flush_behind(self) -> None:
        """Start flushing the files written since the last group while the next ones are written
        (a flush lets go of Python's lock); the group before must be on disk first."""
        self._wait()
        written, self._unflushed = self._unflushed, []
        if not written:
            return
        if self._flusher is None:
            self._flusher = ThreadPoolExecutor(FLUSHING_AT_ONCE, thread_name_prefix="outbox-flush")
        self._flushing = [self._flusher.submit(_flush, path) for path in written]
        self._flushing.append(self._flusher.submit(_flush_folder, self.folder))
        self._flushing_count = len(written)

    def _wait(self) -> None:
        flushing, self._flushing = self._flushing, []
        problems = [problem for problem in (done.result() for done in flushing) if problem]
        if problems:
            raise TransportError(f"outbox {self.folder}: {min(len(problems), self._flushing_count)} of the "
                                 f"{self._flushing_count} review copies last written may not be on disk "
                                 f"({problems[0]})", kind="setup")

    def flush(self) -> None:
        """Every file written so far, and the folder's record of them, on disk."""
        self._flush_behind()
        self._wait()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._flusher is not None:
                self._flusher.shutdown(wait=True)
                self._flusher = None

def _flush(path: Path) -> str:
    """Flush one written file to disk; what went wrong, or ""."""
    try:
        with open(path, "rb+") as written:  # a handle that may write: Windows flushes no other
            os.fsync(written.fileno())
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


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
