"""The folders practice-ops writes in (the state folder, the outbox, the work queue's folder) and
how it writes: only into folders it made (or that hold only what it writes), so a config pointing
the work queue at a tracker, or the state folder at someone's Documents, is refused instead of
overwriting or locking them down; every file whole (a temporary file, then a rename).

A folder practice-ops makes carries a marker file; a folder made by an older version is
recognised by holding nothing but practice-ops' own files.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import zipfile
from pathlib import Path

from .errors import PracticeOpsError

MARKER = ".practice-ops"
_OWN_FILES = ("ledger.sqlite3", "ledger.sqlite3-wal", "ledger.sqlite3-shm", "run.lock", "serve.lock", MARKER,
              "cache", "serve.pid", "steps-errors.log", "jobs-errors.log", "practice-ops-crash.log")
QUEUE_SHEETS = ("Work queue", "Set aside", "Resolved")
WORKBOOK_CREATOR = "practice-ops"


SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def file_name(*parts: str, suffix: str = "") -> str:
    """A file name built from words that may come from a tracker (an authorization id): only letters,
    digits, hyphens and underscores, at most 120 characters, then ``suffix``. No path is ever built from
    a cell as it stands: `../` in an Authorization ID once wrote a report outside the practice."""
    words = [SAFE_NAME.sub("_", part).strip("_-") for part in parts]
    stem = "-".join(word for word in words if word)[:120] or "file"
    return stem + suffix


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refused unless it is a plain name that stays inside ``folder``."""
    path = folder / name
    if name != Path(name).name or name in ("", ".", "..") or path.resolve().parent != folder.resolve():
        raise PracticeOpsError(f"{name!r} is not a plain file name inside {folder}")
    return path


def open_in_a_spreadsheet_program(path: Path) -> bool:
    """Whether a spreadsheet program has the workbook open: the lock file Excel keeps beside it
    (`~$NAME`, or `~$` and the name less its first two characters for a longer name) or LibreOffice's
    (`.~lock.NAME#`). Her edits not yet saved are not in the file."""
    folder, name = path.parent, path.name
    return any((folder / lock).exists() for lock in (f"~${name}", f"~${name[2:]}", f".~lock.{name}#"))


def content_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes: how practice-ops knows a tracker or its work queue is unchanged
    whatever its timestamps say. Raises OSError when the file cannot be read."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _holds_only_ours(folder: Path, suffixes: tuple[str, ...]) -> bool:
    for entry in folder.iterdir():
        if entry.name in _OWN_FILES or entry.name.startswith((".tmp-", ".~")):
            continue
        if not (entry.is_file() and entry.suffix.lower() in suffixes):
            return False
    return True


def folder_problem(folder: Path, what: str, suffixes: tuple[str, ...] = ()) -> str | None:
    """Why practice-ops may not use ``folder`` for ``what``, or None."""
    if not folder.exists():
        return None
    if not folder.is_dir() or folder.is_symlink():
        return f"{folder}: is not a folder practice-ops made for the {what}; point it at a new folder"
    if (folder / MARKER).is_file() and not (folder / MARKER).is_symlink():
        return None
    try:
        if _holds_only_ours(folder, suffixes):
            return None
    except OSError as exc:
        return f"{folder}: cannot be read ({exc.strerror})"
    return (f"{folder}: holds files practice-ops did not make, so it will not use it for the {what} (or change "
            f"its permissions); point the config at a new folder")


def others_can_write(folder: Path) -> str | None:
    """Why another user could have put files in ``folder`` (it belongs to someone else, or its group
    or everyone may write in it), or None. What practice-ops reads back from its state folder must
    be its own. POSIX permissions only: Windows folders carry their owner's access lists."""
    my_uid = getattr(os, "getuid", None)  # POSIX only
    if my_uid is None or not folder.is_dir():
        return None
    seen = folder.stat()
    if seen.st_uid != my_uid():
        return (f"{folder}: belongs to another user, so practice-ops will not keep its state there; point "
                f"state.dir at a folder of your own")
    if seen.st_mode & 0o022:
        return (f"{folder}: other users may write in it, so practice-ops will not read its state from it; make "
                f"it yours alone (chmod 700 {folder}) or point state.dir at a new folder")
    return None


def claim_folder(folder: Path, what: str, *, private: bool = False, suffixes: tuple[str, ...] = ()) -> Path:
    """Make ``folder`` (or check it is ours) and mark it. ``private``: owner-only, where the OS has
    such permissions."""
    problem = folder_problem(folder, what, suffixes) or (private and others_can_write(folder))
    if problem:
        raise PracticeOpsError(problem)
    made = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if (folder / MARKER).is_symlink():
            (folder / MARKER).unlink()  # a link planted as the marker: replaced, never written through
        if made or not (folder / MARKER).is_file():
            write_whole(folder / MARKER, f"This folder holds practice-ops' {what}. Do not put other files "
                                         f"here.\n".encode(), mode=0o644)
        if private:
            os.chmod(folder, 0o700)
    except OSError as exc:
        raise PracticeOpsError(f"{folder}: the {what} folder cannot be used ({exc.strerror}); check the config") from None
    return folder


def is_our_workbook(path: Path) -> bool:
    """A workbook practice-ops wrote: its creator says so, or it has the work queue's sheets."""
    try:
        with zipfile.ZipFile(path) as book:
            core = book.read("docProps/core.xml").decode("utf-8", "replace") \
                if "docProps/core.xml" in book.namelist() else ""
            listing = book.read("xl/workbook.xml").decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile, KeyError):
        return False
    return bool(re.search(rf"<dc:creator\b[^>]*>{WORKBOOK_CREATOR}</dc:creator>", core)) or all(
        f'name="{sheet}"' in listing for sheet in QUEUE_SHEETS)


def output_problems(work_queue: Path | None, state_dir: Path, outbox_dir: Path | None,
                    trackers: list[Path], audit_head: Path | None = None) -> list[str]:
    """Everything wrong with where the config tells practice-ops to write, one line each."""
    problems = []
    tracker_files = {p.resolve() for p in trackers}
    if audit_head is not None and (audit_head.resolve() in tracker_files or audit_head.is_symlink() or (
            audit_head.exists() and not (audit_head.is_file() and _is_audit_head(audit_head)))):
        problems.append(f"state.audit_head: {audit_head} is not an audit head practice-ops wrote (a tracker, a link "
                        f"or another file); name a new file")
    if work_queue is not None:
        queue = work_queue.resolve()
        if queue in tracker_files:
            problems.append(f"work_queue.path: {work_queue} is a tracker; the work queue needs a workbook of its own")
        elif queue.suffix.lower() != ".xlsx":
            problems.append(f"work_queue.path: {work_queue} must be an .xlsx file")
        elif work_queue.is_symlink() or (queue.exists() and not queue.is_file()):
            problems.append(f"work_queue.path: {work_queue} is not a file (a folder, a link or a device); name a "
                            f"new file")
    for key, folder, what, suffixes in (("state.dir", state_dir, "state", ()),
                                        ("email.outbox_dir", outbox_dir, "outbox", (".eml",))):
        if folder is None:
            continue
        if any(folder.resolve() == t or folder.resolve() in t.parents for t in tracker_files):
            problems.append(f"{key}: {folder} holds a tracker; give practice-ops a folder of its own")
            continue
        problem = folder_problem(folder, what, suffixes)
        if problem:
            problems.append(f"{key}: {problem}")
    return problems


def _is_audit_head(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(8) == b'{"seq": '
    except OSError:
        return False


def write_whole(path: Path, data: bytes, *, mode: int = 0o600, ours=None) -> Path:
    """Write a file practice-ops makes, whole: a new temporary file beside it (exclusive, never through
    a link), flushed, then renamed over ``path``, which replaces a link planted there rather than
    writing through it. ``ours(existing bytes)`` says whether a file already at ``path`` is one
    practice-ops wrote; one it did not write (a tracker named by mistake) is refused, never overwritten.
    Raises OSError, or PracticeOpsError for a file that is not practice-ops'."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise PracticeOpsError(f"{path}: is not a file practice-ops wrote (a link, a folder or a device); "
                               f"name a new file")
    if ours is not None and path.exists():
        with open(path, "rb") as handle:
            head = handle.read(4096)
        if not ours(head):
            raise PracticeOpsError(f"{path}: is a file practice-ops did not write, so it is not written over; name "
                                   f"a new file")
    return replace_whole(path, data, mode)


def replace_whole(path: Path, data: bytes, mode: int | None = None) -> Path:
    """``path`` holds ``data`` whole, on disk, or is as it was: a new temporary file beside it (made
    exclusive, never through a link), flushed, then renamed over the name (which replaces a link
    there instead of writing through it)."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


TEMPORARY = (".tmp-*", ".~*.xlsx")
"""The names of the temporary files practice-ops writes a file through (then renames): one still there
an hour later was left by a run that was killed mid-save."""


def remove_stale_temporaries(folders: list[Path], older_than: float = 3600.0) -> int:
    """Remove the temporary files killed runs left in practice-ops' folders; how many. Called holding
    the run lock, and only for names practice-ops gives its own temporary files."""
    import time

    removed = 0
    cutoff = time.time() - older_than
    for folder in dict.fromkeys(folders):
        for pattern in TEMPORARY:
            for path in folder.glob(pattern) if folder.is_dir() else ():
                try:
                    if path.is_file() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                except OSError:
                    continue
    return removed


def write_private_log(path: Path, text: str, *, append: bool = False) -> Path | None:
    """Write a log only its owner may read (a traceback can quote a cell), never through a link
    someone planted in its place. Returns where it went, or None when it could not be written."""
    try:
        if path.is_symlink():
            path.unlink()
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC) | getattr(os, "O_NOFOLLOW", 0)
        descriptor = os.open(path, flags, 0o600)
        os.chmod(path, 0o600)  # an older file keeps its mode otherwise
        with os.fdopen(descriptor, "a" if append else "w", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
        return path
    except OSError:
        return None
