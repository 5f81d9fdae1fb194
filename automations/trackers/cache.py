"""Parsed trackers kept between runs: a tracker file that has not changed (same size and
modification time, or else the same content) is not parsed again. The cache lives in the state
folder (owner-only) and is keyed by everything that shapes a read: the file's content, the sheet,
the config's column mapping and header row, the locale, and this reader's version and columns, so
a changed tracker, config or release reads afresh. A cache entry that cannot be used is ignored.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from .reader import SheetRead
from .records import columns_of

READER_VERSION = "2"
"""Raise when what a read produces changes shape, so old cache entries are not used."""


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


class TrackerCache:
    def __init__(self, folder: Path, writable: bool = True):
        self.folder = folder
        self.writable = writable
        self.hits = 0

    def _entry(self, tracker: str, sheet: str, settings: tuple) -> Path:
        key = repr((READER_VERSION, tracker, sheet, settings, [repr(c) for c in columns_of(tracker)]))
        return self.folder / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".pickle")

    def get(self, path: Path, tracker: str, sheet: str, settings: tuple) -> SheetRead | None:
        entry = self._entry(tracker, sheet, settings)
        try:
            stat = path.stat()
            with open(entry, "rb") as handle:
                kept = pickle.load(handle)  # our own owner-only state folder: trusted as the ledger is
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
            return None
        same_file = (kept.get("size"), kept.get("mtime")) == (stat.st_size, stat.st_mtime_ns)
        if not same_file and kept.get("digest") != _digest(path):
            return None
        self.hits += 1
        return kept.get("read")

    def put(self, path: Path, tracker: str, sheet: str, settings: tuple, read: SheetRead) -> None:
        if not self.writable:
            return
        entry = self._entry(tracker, sheet, settings)
        temp = entry.with_suffix(".tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            stat = path.stat()
            with open(temp, "wb") as handle:
                pickle.dump({"size": stat.st_size, "mtime": stat.st_mtime_ns, "digest": _digest(path), "read": read},
                            handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, entry)
        except OSError:
            temp.unlink(missing_ok=True)
