"""One practice's one job, in a process of its own: what each agency workflow step starts.

A process per run is the wall between practices: one practice's crash, hang or memory never reaches
another's (a hung run is stopped after ``[agency] job_minutes``), and several practices use several
cores. It prints one JSON line of counts and outcomes, naming no client: that line is all that
reaches the workflow's output and DBOS's tables.

    python -m automations.agency.practice_run AGENCY_FILE PRACTICE_ID JOB [--now ISO]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
import time
import traceback
from collections import Counter
from datetime import datetime
from pathlib import Path

from ..errors import ConfigError, PracticeOpsError
from ..folders import write_private_log
from .settings import load_agency

RUN_LOG = "agency-runs-errors.log"
"""In the practice's own state folder (owner-only): a traceback may quote a cell."""


def outcome(agency_file: Path, practice_id: str, job: str, now: datetime | None) -> dict:
    """Run the job; what became of it, as counts. Never raises."""
    from .. import jobs

    agency = load_agency(agency_file)
    state_dir: Path | None = None
    try:
        config = agency.practice_config(practice_id)
        state_dir = config.state.dir
        today, when = jobs.resolve_clock(config, None, now)
        with contextlib.redirect_stdout(sys.stderr):
            result = jobs.run(config, job, today, when)
    except ConfigError as exc:
        return {"outcome": "config", "why": exc.problems[:5]}
    except PracticeOpsError as exc:
        return {"outcome": "failed", "why": [f"{exc.__class__.__name__}: {_first_line(exc)}"]}
    except Exception:
        where = write_private_log((state_dir or agency.state_dir) / RUN_LOG,
                                  f"{practice_id} {job} at {datetime.now().astimezone()}:\n" + traceback.format_exc(),
                                  append=True)
        return {"outcome": "failed", "why": [f"an internal error (details in {where})"]}
    if not result.usable:
        return {"outcome": "unusable", "why": [f"{len(result.unavailable)} tracker(s) could not be read; `check` "
                                               f"says which"]}
    urgent = sum(1 for f in result.findings if f.severity == "urgent")
    return {"outcome": "ok", "findings": len(result.findings), "urgent": urgent,
            "by_owner": dict(Counter(str(f.owner) for f in result.findings)),
            "messages": dict(Counter(str(m.status) for m in result.messages)),
            "data_issues": len(result.data_issues), "notices": len(result.notices)}


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else ""


def _end_with_parent() -> None:
    """A run whose agency process died ends too, as it would with its machine: the run that takes
    over then finds the practice free (its ledger knows what was already sent)."""
    parent = os.environ.get("PRACTICE_OPS_PARENT")
    if not parent or not parent.isdigit():
        return

    def watch() -> None:
        while os.getppid() == int(parent):
            time.sleep(0.5)
        os._exit(3)

    threading.Thread(target=watch, name="parent", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    _end_with_parent()
    parser = argparse.ArgumentParser(prog="practice_run")
    parser.add_argument("agency", type=Path)
    parser.add_argument("practice")
    parser.add_argument("job")
    parser.add_argument("--now", type=datetime.fromisoformat)
    args = parser.parse_args(argv)
    try:
        print(json.dumps(outcome(args.agency, args.practice, args.job, args.now), sort_keys=True), flush=True)
    except PracticeOpsError as exc:  # the agency file itself went bad between runs
        print(json.dumps({"outcome": "config", "why": [_first_line(exc)]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
