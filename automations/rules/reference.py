"""The rule reference, generated from the registry: `python run.py rules` and docs/rules.md."""

from __future__ import annotations

from dataclasses import fields
from itertools import groupby

from . import RULES, Rule, Thresholds


def rule_reference(markdown: bool = False) -> str:
    defaults = {f.name: f.default for f in fields(Thresholds) if f.metadata}
    ordered = sorted(RULES.values(), key=lambda r: r.id)

    def keys(rule: Rule) -> str:
        return "; ".join(f"`{k}` = {defaults[k]!r}" for k in rule.thresholds) or "-"

    if not markdown:
        return "\n".join(f"{r.id}  [{r.owner}, {r.severity}]\n    fires when {r.when}"
                         + (f"\n    thresholds: {keys(r)}" if r.thresholds else "") for r in ordered)
    lines = ["# Rule reference", "",
             "Generated from the rule registry by `python -m automations.docs` (also `python run.py rules`);",
             "do not edit by hand. Thresholds are set for the whole practice in `[rules]` and per payer in",
             "`[payers.\"Name\"]`.", ""]
    for family, rules in groupby(ordered, key=lambda r: r.family):
        lines += [f"## {family}", "", "| rule | owner | severity | fires when | thresholds (config key = default) |",
                  "|---|---|---|---|---|"]
        lines += [f"| `{r.id}` | {r.owner} | {r.severity} | {r.when} | {keys(r)} |" for r in rules]
        lines.append("")
    return "\n".join(lines)
