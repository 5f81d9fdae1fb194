"""The `reconcile` job: the rules ran when the trackers were read; the queue and the VA's note
come when every run ends (RunState.finish)."""

from __future__ import annotations

from .run_state import RunState


def run(work: RunState) -> None:
    """The rules ran when the trackers were read; the queue and the VA's note come in ``finish``."""
