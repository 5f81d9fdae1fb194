"""What each of the run's two memory and collector tunings is worth, one at a time.

    python bench/bench_tuning.py [APPOINTMENTS] [--shape authorized] [--repeat 3]

The run pauses Python's cycle collector while it reads and applies the rules (``jobs.check.bulk_work``
and the second process's own pause), and hands the memory a parse freed back to the system
(``memory.give_back_freed_memory``, glibc's ``malloc_trim``). Each stays only while it earns its keep,
so this times the first ``run reconcile`` of one generated practice (bench_practice's) as built, then
with each tuning switched off in every process of the run (a ``sitecustomize`` on ``PYTHONPATH``
replaces it with nothing, in the run and in the second process it spawns), and prints each as a
ratio to the run as built: seconds, the largest process's peak and both processes' peak together.
Nothing in the product changes for it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_practice import SHAPES, TODAY, generate, no_state, run_reconcile

WITHOUT = {
    "as built": "",
    "collector not paused": "import gc\ngc.disable = lambda: None\ngc.freeze = lambda: None\n",
    "freed memory kept (no malloc_trim)": "import automations.memory as memory\nmemory._trim = lambda: None\n",
}
"""Each variant's ``sitecustomize``: the tuning it switches off, in every process the run starts."""


def measure(folder: Path, config: Path, patch: str, repeat: int) -> tuple[float, float, float]:
    """The medians of ``repeat`` first runs (seconds), and their largest peaks (MB)."""
    site = folder / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(patch, encoding="utf-8")
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(site), str(Path(__file__).resolve().parents[1])])
    try:
        runs = []
        for _ in range(repeat):
            no_state(folder)
            runs.append(run_reconcile(config, TODAY))
    finally:
        if before is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = before
    return median(r[0] for r in runs), max(r[1] for r in runs), max(r[2] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("appointments", type=int, nargs="?", default=100_000)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="authorized")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        config = generate(folder, args.appointments, 0.05, shape=args.shape)
        print(f"{args.appointments:,} appointments, {args.shape} shape, medians of {args.repeat} first runs")
        reference = None
        for name, patch in WITHOUT.items():
            seconds, largest, together = measure(folder, config, patch, args.repeat)
            reference = reference or (seconds, largest, together)
            print(f"{name:36} {seconds:6.2f} s ({seconds / reference[0]:.2f}x)  "
                  f"largest {largest:5.0f} MB ({largest / reference[1]:.2f}x)  "
                  f"together {together:5.0f} MB ({together / reference[2]:.2f}x)")


if __name__ == "__main__":
    main()
