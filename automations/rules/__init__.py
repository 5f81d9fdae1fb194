"""Pure reconciliation rules: records, thresholds and a date in; findings out. No I/O, no clock."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date

from ..errors import CellError
from ..trackers.records import Practice
from . import (  # noqa: F401  (registers)
    authorizations,
    billing,
    compliance,
    continuity,
    credentialing,
    data,
    replies,
    scheduling,
)
from .catalogue import RULES, Rule
from .context import RuleContext
from .findings import Finding, sort_key
from .thresholds import Thresholds

__all__ = ["RULES", "Rule", "Finding", "Thresholds", "apply", "evaluate"]


def apply(practice: Practice, thresholds: Thresholds, today: date, rule_ids: Collection[str]) -> dict[str, list[Finding]]:
    """These rules' findings, by rule id: part of a check, applied in another process
    (automations/trackers/second_process.py) and handed to ``evaluate``."""
    ctx = RuleContext(practice, thresholds, today)
    return {rule_id: list(registered.check(ctx)) for rule_id, registered in RULES.items()
            if rule_id in rule_ids and registered.check is not None}


def evaluate(practice: Practice, thresholds: Thresholds, today: date, cell_issues: Sequence[CellError] = (),
             applied: Mapping[str, list[Finding]] | None = None) -> list[Finding]:
    """Every registered rule over the practice, plus the reader's cell problems, most urgent first.
    The same finding (same id) is reported once. ``applied``: the findings of rules already applied
    (``apply``), taken as they are; the result is the same as applying them here."""
    ctx = RuleContext(practice, thresholds, today)
    found: dict[str, Finding] = {}
    for finding in data.cell_findings(cell_issues, today):
        found.setdefault(finding.id, finding)
    for rule_id, registered in RULES.items():
        if registered.check is None:
            continue
        for finding in applied[rule_id] if applied is not None and rule_id in applied else registered.check(ctx):
            found.setdefault(finding.id, finding)
    return sorted(found.values(), key=sort_key)
