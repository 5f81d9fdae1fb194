"""Parsed trackers kept between runs: a tracker file that has not changed (same size and
modification time, or else the same content) is not parsed again. The cache lives in the state
folder (owner-only) and is keyed by everything that shapes a read: the file's content, the sheet,
the config's column mapping and header row, the locale, and the reader's own source code, so a
changed tracker, config or release reads afresh. A cache entry that cannot be used is ignored.

It also keeps the last check: the findings of the rules over trackers that have not changed, for
the same day, thresholds and rules (their source code is part of the key). The rules are pure
functions of those, so a second run on unchanged trackers reads neither the trackers nor the
records, and applies no rule.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from functools import cache
from pathlib import Path
from typing import Any

from ..places import content_digest
from .reader import SheetRead
from .records import columns_of

READER_VERSION = "4"
"""Raise when what a read produces changes shape, so old cache entries are not used."""
CHECKED = "checked-"


@cache
def code_version(*packages: str) -> str:
    """A digest of the source of these packages (folders beside this one): an upgrade, or a
    developer's edit, never meets an entry made by other code."""
    root = Path(__file__).resolve().parents[1]
    sha = hashlib.sha256(READER_VERSION.encode())
    for package in packages:
        for source in sorted((root / package).glob("*.py")):
            sha.update(source.name.encode())
            sha.update(source.read_bytes())
    return sha.hexdigest()[:16]


class TrackerCache:
    def __init__(self, folder: Path, writable: bool = True):
        self.folder = folder
        self.writable = writable
        self.hits = 0
        self._digests: dict[tuple[str, int, int], str] = {}

    def _digest(self, path: Path) -> str:
        """A file's SHA-256 once per version in a run: a workbook holding five trackers is hashed once."""
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if key not in self._digests:
            self._digests[key] = content_digest(path)
        return self._digests[key]

    def _entry(self, tracker: str, sheet: str, settings: tuple) -> Path:
        key = repr((code_version("trackers"), tracker, sheet, settings, [repr(c) for c in columns_of(tracker)]))
        return self.folder / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".pickle")

    def current(self, path: Path, tracker: str, sheet: str, settings: tuple) -> str | None:
        """The content digest of ``path`` when the entry for it is current, else None. The stamp
        beside the entry answers without loading the entry."""
        entry = self._entry(tracker, sheet, settings)
        try:
            stat = path.stat()
            stamp = json.loads(entry.with_suffix(".stamp").read_text())
            if not entry.is_file():
                return None
        except (OSError, ValueError):
            return None
        if (stamp.get("size"), stamp.get("mtime")) == (stat.st_size, stat.st_mtime_ns):
            return stamp.get("digest")
        try:
            return stamp.get("digest") if stamp.get("digest") == self._digest(path) else None
        except OSError:
            return None

    def get(self, path: Path, tracker: str, sheet: str, settings: tuple) -> SheetRead | None:
        if self.current(path, tracker, sheet, settings) is None:
            return None
        try:
            with open(self._entry(tracker, sheet, settings), "rb") as handle:
                read = pickle.load(handle)  # our own owner-only state folder: trusted as the ledger is
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
            return None
        if not isinstance(read, SheetRead):
            return None
        self.hits += 1
        return read

    def put(self, path: Path, tracker: str, sheet: str, settings: tuple, read: SheetRead,
            seen: tuple[int, int] | None = None) -> bytes | None:
        """Keep a read of ``path``; return what was kept (the read pickled), None when nothing was.
        ``seen``: the file's (size, mtime) before it was read; a file saved again while it was
        being read is not kept (its stamp would vouch for other content)."""
        if not self.writable or (seen is not None and self.seen(path) != seen):  # no pickling for a file saved meanwhile
            return None
        pickled = pickle.dumps(read, protocol=pickle.HIGHEST_PROTOCOL)
        self.put_pickled(path, tracker, sheet, settings, pickled, seen)
        return pickled

    def put_pickled(self, path: Path, tracker: str, sheet: str, settings: tuple, pickled: bytes,
                    seen: tuple[int, int] | None = None) -> None:
        """``put`` for a read already pickled (by the process that parsed it)."""
        if not self.writable:
            return
        entry = self._entry(tracker, sheet, settings)
        try:
            stat = path.stat()
            if seen is not None and seen != (stat.st_size, stat.st_mtime_ns):
                return
            stamp = {"size": stat.st_size, "mtime": stat.st_mtime_ns, "digest": self._digest(path)}
            self._replace(entry, pickled)
            self._replace(entry.with_suffix(".stamp"), json.dumps(stamp).encode())
        except OSError:
            return

    @staticmethod
    def seen(path: Path) -> tuple[int, int] | None:
        """A file's (size, mtime) now: taken before it is read, given to ``put``."""
        try:
            stat = path.stat()
        except OSError:
            return None
        return stat.st_size, stat.st_mtime_ns

    # the last check -------------------------------------------------------------------------
    def get_checked(self, key: str) -> Any:
        try:
            with open(self.folder / f"{CHECKED}{key}.pickle", "rb") as handle:
                return pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
            return None

    def put_checked(self, key: str, value: Any) -> None:
        """Keep one check: the older ones (another day's, another config's) are removed."""
        if not self.writable:
            return
        try:
            for old in self.folder.glob(f"{CHECKED}*.pickle"):
                old.unlink(missing_ok=True)
            self._replace(self.folder / f"{CHECKED}{key}.pickle", pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            return

    def _replace(self, target: Path, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(target.name + ".tmp")
        try:
            temp.write_bytes(data)
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)
