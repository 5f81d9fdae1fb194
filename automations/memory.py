"""Handing the memory a large parse freed back to the operating system.

Parsing a 200,000-row sheet makes and frees millions of small values (calamine's cells, then
Python's). glibc, Linux's C library, keeps freed small blocks in its heap for later use rather than
returning them, and a heap whose blocks lie among live records can only shrink from its top: after
a parse each of the run's two processes held 50 to 70 MB it no longer used, and at 200,000
appointments the two together peaked above 500 MB for it. ``malloc_trim`` returns those free pages
at once. It is glibc's own call; where the C library has none (macOS, Windows, musl) nothing is
called and nothing changes but the figure.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from functools import cache


@cache
def _trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # a C library without it
        return None


def give_back_freed_memory() -> bool:
    """Return the heap's free pages to the system; False where this C library cannot."""
    trim = _trim()
    if trim is None:
        return False
    trim(0)
    return True
