"""`audit`: the compliance binder and the audit log's verification; they read, never send."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ..config import Config
from ..errors import PracticeOpsError
from ..ledgers import open_ledger, snapshot_ledger
from ..reports import binder
from ..rules.context import RuleContext
from .check import check


def compliance_binder(config: Config, today: date) -> Path:
    """Write the compliance binder beside the work queue; reads the ledger, sends nothing."""
    result = check(config, today)
    if not result.usable or result.practice is None:
        raise PracticeOpsError("; ".join(result.unavailable) or "the trackers could not be read")
    ledger = snapshot_ledger(config.state)
    try:
        disclosures = ledger.disclosures()
    finally:
        ledger.close()
    path = config.work_queue.path.parent / f"compliance-binder-{today.isoformat()}.xlsx"
    return binder.write(path, RuleContext(result.practice, config.thresholds(), today), result.findings, disclosures,
                        config.practice.name)


def verify_audit(config: Config) -> tuple[int, list[str]]:
    ledger = open_ledger(config.state)
    try:
        return ledger.verify_audit()
    finally:
        ledger.close()
