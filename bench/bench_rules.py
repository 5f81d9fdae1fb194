"""How long the whole rule catalogue takes beside reading the trackers it runs on.

    python bench/bench_rules.py [PRACTICES]

Merges PRACTICES copies of the sample practice (different seeds, ids kept apart) into one large
practice, then prints the time to read it from Excel (the reference) and the time to evaluate every
rule over it, as a ratio. The rules should stay a small fraction of the read.
"""

from __future__ import annotations

import sys
import tempfile
import time as clock
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from automations import config as config_module  # noqa: E402
from automations import rules, sample_practice  # noqa: E402
from automations.trackers.load import load_practice  # noqa: E402
from automations.trackers.records import TRACKERS, Practice  # noqa: E402

ID_FIELDS = ("client_id", "appointment_id", "claim_id", "authorization_id", "prospect_id", "provider",
             "preferred_provider", "primary_provider")


def main() -> None:
    copies = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    merged: dict[str, list] = {name: [] for name in TRACKERS}
    read_seconds = 0.0
    with tempfile.TemporaryDirectory() as folder:
        seeds = iter(range(sample_practice.SEED, sample_practice.SEED + 10 * copies))
        for seed in range(copies):
            root = Path(folder) / str(seed)
            while True:  # a seed whose random practice has nowhere to plant a problem is passed over
                try:
                    sample_practice.write(root / "workbooks" / "sample", seed=next(seeds))
                    break
                except StopIteration:
                    continue
            (root / "config").mkdir()
            (root / "config" / "practice.toml").write_text((ROOT / "config" / "practice.toml").read_text())
            config = config_module.load(root / "config" / "practice.toml")
            began = clock.perf_counter()
            loaded = load_practice(config)
            read_seconds += clock.perf_counter() - began
            for name in TRACKERS:
                for record in getattr(loaded.practice, name):
                    changes = {f: f"{getattr(record, f)} {seed:02d}" for f in ID_FIELDS
                               if hasattr(record, f) and getattr(record, f)}
                    merged[name].append(replace(record, **changes))
    practice = Practice(**merged, present=frozenset(TRACKERS))
    began = clock.perf_counter()
    found = rules.evaluate(practice, config.thresholds(), date(2026, 11, 26))
    rule_seconds = clock.perf_counter() - began
    print(f"practices merged: {copies} ({len(practice.appointments)} appointments, {len(practice.claims)} claims)")
    print(f"reading the trackers (reference): {read_seconds:.3f}s")
    print(f"every rule: {rule_seconds:.3f}s, {len(found)} findings")
    print(f"ratio: {rule_seconds / read_seconds:.2f}x the read")


if __name__ == "__main__":
    main()
