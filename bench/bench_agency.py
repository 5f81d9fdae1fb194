"""An agency of many sample-size practices on one machine (DBOS on SQLite), and two processes
sharing one PostgreSQL: how long every practice's daily reconcile and hourly reminders take, how
that grows from the small agency to the large one (the target: linear, and every practice's hourly
job done within 10 minutes of its hour), and the agency's peak memory.

    python bench/bench_agency.py [SMALL LARGE] [--postgres URL]

Each practice is a copy of the sample practice (its own folder, trackers, state and outbox). The
first run of a practice reads its trackers cold; the hourly figure is a second run (caches warm, as
every hour after the first). Ratios are against the small agency in the same script.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from automations import agency  # noqa: E402
from automations.agency.settings import load_agency  # noqa: E402
from automations.sample_practice import write_agency  # noqa: E402

NOW = "2026-11-26T07:00:00-05:00"
HOUR = "2026-11-26T09:00:00-05:00"


def timed_run(path: Path, job: str, now: str) -> tuple[float, int]:
    started = time.perf_counter()
    results = agency.run(load_agency(path), job, None, datetime.fromisoformat(now), lambda _: None)
    return time.perf_counter() - started, sum(1 for r in results if r.get("outcome") == "ok")


def one_agency(practices: int, folder: Path) -> dict:
    path = write_agency(folder, practices)
    reconcile, ok = timed_run(path, "reconcile", NOW)
    timed_run(path, "reminders", NOW)   # the first hour reads cold
    hourly, ok_hourly = timed_run(path, "reminders", HOUR)
    return {"practices": practices, "reconcile_s": reconcile, "hourly_s": hourly, "ok": min(ok, ok_hourly),
            "largest_run_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "agency_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def two_processes(url: str, practices: int, folder: Path) -> dict:
    """The same agency run from one process, then from two at once (each half the practices), on one
    PostgreSQL: the throughput of two machines' worth of processes on this machine."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        for schema in [r[0] for r in db.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ledger_%' "
                                                "OR nspname IN ('dbos', 'practice_ops_agency')")]:
            db.execute(f'DROP SCHEMA "{schema}" CASCADE')
    path = write_agency(folder, practices, database_url=url)
    one, _ = timed_run(path, "reconcile", NOW)
    ids = [p.id for p in load_agency(path).practices]
    halves = [ids[: len(ids) // 2], ids[len(ids) // 2:]]
    script = ("import sys; from datetime import datetime; from automations import agency; "
              "from automations.agency.settings import load_agency; "
              "agency.run(load_agency(sys.argv[1]), 'reminders', sys.argv[3:], datetime.fromisoformat(sys.argv[2]), "
              "print)")
    started = time.perf_counter()
    workers = [subprocess.Popen([sys.executable, "-c", script, str(path), HOUR, *half], cwd=ROOT,
                                stdout=subprocess.DEVNULL) for half in halves]
    for worker in workers:
        worker.wait()
    two = time.perf_counter() - started
    alone, _ = timed_run(path, "reminders", "2026-11-26T10:00:00-05:00")
    return {"practices": practices, "one_process_reconcile_s": one, "two_processes_hourly_s": two,
            "one_process_hourly_s": alone}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[50, 200])
    parser.add_argument("--postgres", default="")
    parser.add_argument("--only-postgres", action="store_true", help="skip the SQLite agencies")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-agency-"))
    try:
        rows = [] if args.only_postgres else [one_agency(n, scratch / f"agency-{n}") for n in args.sizes]
        for row in rows:
            print(f"{row['practices']:>4} practices: daily reconcile {row['reconcile_s']:7.1f} s, hourly reminders "
                  f"{row['hourly_s']:6.1f} s ({row['hourly_s'] / row['practices']:.2f} s a practice), "
                  f"{row['ok']} ok; agency process {row['agency_mb']:.0f} MB, largest practice run "
                  f"{row['largest_run_mb']:.0f} MB")
        if len(rows) == 2:
            small, large = rows
            scale = large["practices"] / small["practices"]
            print(f"growth x{scale:.0f} practices: reconcile x{large['reconcile_s'] / small['reconcile_s']:.2f}, "
                  f"hourly x{large['hourly_s'] / small['hourly_s']:.2f} (linear = x{scale:.2f}); the last practice's "
                  f"hourly job done {large['hourly_s'] / 60:.1f} min after its hour (target: within 10)")
        if args.postgres:
            row = two_processes(args.postgres, min(args.sizes), scratch / "two")
            print(f"PostgreSQL, {row['practices']} practices: reconcile from one process {row['one_process_reconcile_s']:.1f} s; "
                  f"hourly reminders from two processes at once {row['two_processes_hourly_s']:.1f} s, from one "
                  f"{row['one_process_hourly_s']:.1f} s (x{row['one_process_hourly_s'] / row['two_processes_hourly_s']:.2f})")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
