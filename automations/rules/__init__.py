"""Pure reconciliation rules: records, thresholds and a date in; findings out. No I/O, no clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..errors import CellError
from ..trackers.records import Practice
from . import authorizations, billing, compliance, credentialing, data, scheduling  # noqa: F401  (registers)
from .catalogue import RULES, Rule
from .context import RuleContext
from .findings import Finding, sort_key
from .thresholds import Thresholds

__all__ = ["RULES", "Rule", "Finding", "Thresholds", "evaluate"]


def evaluate(practice: Practice, thresholds: Thresholds, today: date,
             cell_issues: Sequence[CellError] = ()) -> list[Finding]:
    """Every registered rule over the practice, plus the reader's cell problems, most urgent first.
    The same finding (same id) is reported once."""
    ctx = RuleContext(practice, thresholds, today)
    found: dict[str, Finding] = {}
    for finding in data.cell_findings(cell_issues, today):
        found.setdefault(finding.id, finding)
    for registered in RULES.values():
        if registered.check is None:
            continue
        for finding in registered.check(ctx):
            found.setdefault(finding.id, finding)
    return sorted(found.values(), key=sort_key)
