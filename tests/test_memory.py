import sys
from pathlib import Path

import pytest

from automations import memory


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_where_the_c_library_cannot_trim_nothing_is_called(monkeypatch, platform):
    memory._trim.cache_clear()
    monkeypatch.setattr(sys, "platform", platform)
    try:
        assert memory._trim() is None and memory.give_back_freed_memory() is False
    finally:
        memory._trim.cache_clear()


FREED_AMONG_LIVE = """
from pathlib import Path

from automations import memory


def resident_mb():
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 // 2**20


blocks = [(bytes(65536) + bytes([n % 256]), bytes(600) + bytes([n % 256])) for n in range(800)]
alive = [kept for _, kept in blocks]
before = resident_mb()
del blocks
kept = resident_mb()
trimmed = memory.give_back_freed_memory()
print(before, kept, resident_mb(), trimmed, len(alive))
"""


@pytest.mark.timeout(60)
@pytest.mark.skipif(memory._trim() is None, reason="glibc's malloc_trim only")
def test_memory_freed_among_live_values_goes_back_to_the_system():
    """A parse's freed cells lie among values still alive: the C library keeps those pages until
    asked (freed blocks of 64 KB, each between two that stay, so none can merge with the heap's top).
    In a process of its own: in one that has run other tests, the heap's old holes take the small
    blocks, the large ones lie together, and freeing them gives their pages back at once."""
    import subprocess

    shown = subprocess.run([sys.executable, "-c", FREED_AMONG_LIVE], capture_output=True, text=True, timeout=50,
                           check=True, cwd=Path(__file__).resolve().parents[1]).stdout.split()
    before, kept, after = (int(n) for n in shown[:3])
    assert shown[3:] == ["True", "800"]
    assert before - kept < 20 and kept - after > 30, (before, kept, after)
