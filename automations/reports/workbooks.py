"""Writing a workbook whole: to a temporary file beside it, then renamed over it, so a reader never
finds half a file and a failed write leaves the old one in place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import openpyxl

from ..errors import PracticeOpsError


def save_atomically(book: openpyxl.Workbook, path: Path, what: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".~", suffix=".xlsx")
    os.close(fd)
    try:
        book.save(temp)
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise PracticeOpsError(f"{path}: cannot write the {what} ({exc.strerror}); is it open in Excel?") from None
    return path
