"""The default transport: each message is one RFC 5322 ``.eml`` file in ``outbox_dir``.

The file name comes from the Message-ID, and files are written whole (temp file, then rename),
so a rerun rewrites the same file rather than adding a second one.

**Nothing lost when a run is killed.** Before ``send`` returns (and the ledger records the message
as sent), the message is in the folder: as its file, or, past the first HANDOVER_AT messages of a
run, as a record appended to the folder's journal (JOURNAL), from which a second process makes
the files while this one prepares the next messages. Creating a file is what costs: this VM's disk
takes from 0.03 to 0.8 ms for a new 4.4 KB file, by the minute, while an append takes 0.005 ms,
so a large run no longer waits for the disk to create each file before it prepares the next
message (measured side by side: 1,545 to 1,612 messages a second where writing each file itself
ran at 855 to 873).
When the transport closes, the second process has made every file and flushed them to disk, and
the journal goes. A journal still there when an outbox is next used is a killed run's: its records
are made into files (each whole, checked by its CRC; a record cut short was never recorded as
sent) before anything else is written, and it goes.

**Flushed to disk in groups** (every FLUSH_EVERY files, behind the writing of the next ones, and
at the close), several at a time, not one by one before each is recorded: one flush per message
made the disk's rate of flushes the ceiling of a run's outbound (631 messages a second at 1,232
flushes). What a flush per message protects is a review copy against a power cut; an outbox
message is a review, never a delivery (DESIGN.md), so a power cut in the seconds before a group's
flush costs the review copy at most, never a client's message.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import struct
import tempfile
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from ..errors import PracticeOpsError, TransportError
from ..messages.compose import WIRE
from ..places import claim_folder

log = logging.getLogger("practice_ops.transports")

FLUSH_EVERY = 256
"""Files written between two flushes to disk (and a run's last ones when the transport closes)."""
FLUSHING_AT_ONCE = 4
"""Files flushed side by side: the disk takes several flushes in one go (fsync lets go of Python's lock)."""
HANDOVER_AT = 200
"""Messages a run writes as files itself before a second process takes over making them: below
this a run is over before a process would have started (0.1 to 0.5 s, Windows the slowest)."""
JOURNAL = ".practice-ops-journal"
"""The messages not yet made into files, in the outbox folder while a large run writes."""

_RECORD = struct.Struct("<4sIII")
_MAGIC, _END = b"POJ1", b"POJ."
"""A record: magic, the file name's length, the message's length, the CRC-32 of both; then both.
The journal's last record, written at the close, is an empty one with the END magic."""


class Outbox:
    name = "outbox"

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._claimed = False
        self._written = 0
        self._flushing = GroupFlush(self.folder)
        self._journal: int | None = None
        self._maker: Any = None
        self._no_maker = False

    def path_for(self, message: EmailMessage) -> Path:
        kind = message.get("X-Practice-Ops-Kind", "message")
        digest = hashlib.sha256(str(message["Message-ID"]).encode()).hexdigest()[:20]
        return self.folder / f"{kind}-{digest}.eml"

    def send(self, message: EmailMessage) -> None:
        target = self.path_for(message)
        self._claim()
        data = message.as_bytes(policy=WIRE)
        self._written += 1
        try:
            if self._written > HANDOVER_AT and self._handing_over():
                _append(self._journal_handle(), _record(target.name, data))
                return
            _write_whole(target, data)
        except OSError as exc:
            raise TransportError(f"outbox {self.folder}: cannot write {target.name}: {exc.strerror}",
                                 kind="setup") from None
        self._flushed(self._flushing.add(target))

    def _claim(self) -> None:
        """The folder made or checked once per run, and a stopped run's journal made into files."""
        if self._claimed:
            return
        try:
            claim_folder(self.folder, "outbox", suffixes=(".eml",))
        except PracticeOpsError as exc:
            raise TransportError(f"outbox: {exc}", kind="setup") from None
        journal = self.folder / JOURNAL
        if journal.exists():
            try:
                made = replay(journal)
                journal.unlink()
            except OSError as exc:
                raise TransportError(f"outbox {self.folder}: the messages a stopped run left in {JOURNAL} cannot "
                                     f"be written ({exc.strerror or exc})", kind="setup") from None
            log.info("outbox: %d messages a stopped run left in its journal were written", made)
        self._claimed = True

    def _handing_over(self) -> bool:
        """Whether a second process makes the files from here on (started now, the first time)."""
        if self._maker is not None or self._no_maker:
            return self._maker is not None
        import multiprocessing

        try:
            self._journal_handle()
            self._maker = multiprocessing.get_context("spawn").Process(
                target=_maker_main, args=(str(self.folder / JOURNAL),), name="outbox-files", daemon=True)
            self._maker.start()
        except Exception as exc:  # no second process: this one writes every file, as a small run does
            log.warning("outbox: no second process (%s): this one writes the files", exc.__class__.__name__)
            self._no_maker, self._maker = True, None
            self._finish_journal()
            return False
        return True

    def _journal_handle(self) -> int:
        if self._journal is None:
            self._journal = os.open(self.folder / JOURNAL, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC
                                    | getattr(os, "O_BINARY", 0), 0o600)
        return self._journal

    def _flushed(self, problem: str) -> None:
        if problem:
            raise TransportError(f"outbox {self.folder}: {problem}", kind="setup")

    def flush(self) -> None:
        """Every file this process wrote so far, and the folder's record of them, on disk."""
        self._flushed(self._flushing.finish())

    def close(self) -> None:
        """Every message a file, on disk; the journal gone. Waits for the second process."""
        try:
            self._finish_journal()
        finally:
            self.flush()

    def _finish_journal(self) -> None:
        """The journal ended, every record of it a file on disk (the second process's, or made here
        when it could not), and gone. What cannot be done stays in the journal for the next run."""
        if self._journal is None:
            return
        made = False
        try:
            _append(self._journal, _RECORD.pack(_END, 0, 0, 0))
            if self._maker is not None:
                self._maker.join()
                made = self._maker.exitcode == 0
        except OSError:
            pass
        finally:
            if self._maker is not None and self._maker.is_alive():
                self._maker.terminate()
                self._maker.join()
            self._maker = None
            os.close(self._journal)
            self._journal = None
        journal = self.folder / JOURNAL
        try:
            if not made:
                log.warning("outbox: the second process did not write every file: this one writes them")
                replay(journal)
            journal.unlink()
        except OSError as exc:
            raise TransportError(f"outbox {self.folder}: the run's last messages may not be on disk "
                                 f"({exc.strerror or exc}); {JOURNAL} keeps them for the next run",
                                 kind="setup") from None
        problem = _flush_folder(self.folder)
        if problem:
            raise TransportError(f"outbox {self.folder}: the folder may not be on disk ({problem})", kind="setup")


class GroupFlush:
    """Files written, flushed to disk in groups of FLUSH_EVERY behind the writing of the next
    group (FLUSHING_AT_ONCE side by side; a flush lets go of Python's lock), the group before done
    first; then the folder's record of them. Each step says what went wrong, or ""."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._unflushed: list[Path] = []
        self._flushing: list[Future[str]] = []
        self._count = 0
        self._threads: ThreadPoolExecutor | None = None

    def add(self, path: Path) -> str:
        self._unflushed.append(path)
        return self._behind() if len(self._unflushed) >= FLUSH_EVERY else ""

    def _behind(self) -> str:
        problem = self._wait()
        written, self._unflushed = self._unflushed, []
        if written:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(FLUSHING_AT_ONCE, thread_name_prefix="outbox-flush")
            self._flushing = [self._threads.submit(_flush, path) for path in written]
            self._flushing.append(self._threads.submit(_flush_folder, self.folder))
            self._count = len(written)
        return problem

    def _wait(self) -> str:
        flushing, self._flushing = self._flushing, []
        problems = [problem for problem in (done.result() for done in flushing) if problem]
        if problems:
            return (f"{min(len(problems), self._count)} of the {self._count} review copies last written may not be "
                    f"on disk ({problems[0]})")
        return ""

    def finish(self) -> str:
        """Everything added so far on disk (the threads let go)."""
        try:
            return self._behind() or self._wait()
        finally:
            if self._threads is not None:
                self._threads.shutdown(wait=True)
                self._threads = None


def _record(name: str, data: bytes) -> bytes:
    encoded = name.encode("utf-8")
    return _RECORD.pack(_MAGIC, len(encoded), len(data), zlib.crc32(data, zlib.crc32(encoded))) + encoded + data


def _append(handle: int, record: bytes) -> None:
    view = memoryview(record)
    while view:
        view = view[os.write(handle, view):]


def records(data: bytes) -> Iterator[tuple[int, str | None, bytes]]:
    """(where the next record starts, file name, message) for each whole record of ``data``; the
    name is None for the END record, the last. Stops at a record not yet whole; ValueError for one
    that is whole but not as written (a power cut's torn end, or damage)."""
    at = 0
    while at + _RECORD.size <= len(data):
        magic, name_length, data_length, crc = _RECORD.unpack_from(data, at)
        if magic == _END:
            yield at + _RECORD.size, None, b""
            return
        if magic != _MAGIC:
            raise ValueError(f"{JOURNAL}: no record at byte {at}")
        end = at + _RECORD.size + name_length + data_length
        if end > len(data):
            return
        name = data[at + _RECORD.size:at + _RECORD.size + name_length]
        message = data[at + _RECORD.size + name_length:end]
        if zlib.crc32(message, zlib.crc32(name)) != crc:
            raise ValueError(f"{JOURNAL}: the record at byte {at} is not as written")
        yield end, name.decode("utf-8"), message
        at = end


def replay(journal: Path) -> int:
    """Make every whole record of ``journal`` its file, flushed to disk; how many. A record not as
    written ends it: a run stopped by a power cut wrote it in part, and never recorded it as sent."""
    made, flushing = 0, GroupFlush(journal.parent)
    try:
        for _, name, message in records(journal.read_bytes()):
            if name is None:
                break
            target = journal.parent / Path(name).name
            _write_whole(target, message)
            made += 1
            if problem := flushing.add(target):
                raise OSError(errno.EIO, problem)
    except ValueError as exc:
        log.warning("outbox: %s; the messages before it were written", exc)
    if problem := flushing.finish():
        raise OSError(errno.EIO, problem)
    return made


def _maker_main(journal: str) -> None:
    """The second process's life: exit 0 when every record is a file on disk, 1 when not."""
    try:
        problem = make_files(journal)
    except (Exception, KeyboardInterrupt) as exc:  # said by the exit code, never a traceback (Ctrl+C reaches both)
        problem = exc.__class__.__name__
    raise SystemExit(1 if problem else 0)


def make_files(journal: str) -> str:
    """Make each record of ``journal`` its file as it is appended, until the END record; flush them
    to disk in groups. "" when all went well, else what did not. It gives up (leaving the journal to
    the next run) when the process that writes the journal is gone."""
    import multiprocessing

    folder = Path(journal).parent
    parent = multiprocessing.parent_process()
    try:
        with open(journal, "rb") as source:
            pending = b""
            flushing = GroupFlush(folder)
            while True:
                chunk = source.read(1 << 20)
                if not chunk:
                    if parent is not None and not parent.is_alive():
                        return "the run stopped"
                    time.sleep(0.002)
                    continue
                pending += chunk
                consumed = 0
                for next_record, name, message in records(pending):
                    if name is None:
                        return flushing.finish()
                    target = folder / Path(name).name
                    _write_whole(target, message)
                    consumed = next_record
                    if problem := flushing.add(target):
                        return problem
                pending = pending[consumed:]
    except (OSError, ValueError) as exc:
        return f"{exc.__class__.__name__}: {getattr(exc, 'strerror', None) or exc}"


def _write_whole(target: Path, data: bytes) -> None:
    """``target`` holds ``data`` whole or is as it was: a temporary file beside it, renamed over it."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".eml")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


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
