"""The rule registry: each rule registers its id (from DOMAIN.md), owner, severity, when it
fires and the thresholds it reads. ``python run.py rules`` and docs/rules.md are generated from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .context import RuleContext
from .findings import Finding


@dataclass(frozen=True)
class Rule:
    """A rule as DOMAIN.md's catalogue states it, once: its id, owner, severity, title and when it
    fires. Its findings take those from here (``found``); called with a context, it checks."""

    id: str
    owner: str
    severity: str
    title: str
    """What the practice calls the problem: the work queue's first words for each finding."""
    when: str
    thresholds: tuple[str, ...]
    check: Callable[[RuleContext], Iterable[Finding]] | None
    needs: tuple[tuple[str, str], ...] = ()
    """(tracker, column) pairs without which the rule stays quiet rather than read blanks as 'no'."""

    @property
    def family(self) -> str:
        return self.id.split(".")[0]

    def __call__(self, ctx: RuleContext) -> Iterable[Finding]:
        if self.check is None:
            raise TypeError(f"{self.id} has no check of its own: its findings come from elsewhere")
        return self.check(ctx)

    def found(self, message: str, refs: dict[str, str], due: date | None = None, *, severity: str | None = None,
              owner: str | None = None, key: str = "", details: dict[str, Any] | None = None) -> Finding:
        """One finding of this rule: its owner and severity unless this one is more (or less) pressing."""
        return Finding(self.id, severity or self.severity, owner or self.owner, message, refs, due, key,
                       details or {})


RULES: dict[str, Rule] = {}


def rule(id: str, *, owner: str, severity: str, title: str, when: str, thresholds: tuple[str, ...] = (),
         needs: tuple[tuple[str, str], ...] = ()) -> Callable[[Callable[[RuleContext], Iterable[Finding]]], Rule]:
    """Register a check. A check takes the context and yields findings (``its_rule.found(...)``);
    ``needs`` names the optional columns it reads, so that ``check`` can say which rules a
    practice's sheets switch off."""

    def register(check: Callable[[RuleContext], Iterable[Finding]]) -> Rule:
        RULES[id] = Rule(id, owner, severity, title, when, thresholds, _quiet_without(needs, check), needs)
        return RULES[id]

    return register


def _quiet_without(needs: tuple[tuple[str, str], ...],
                   check: Callable[[RuleContext], Iterable[Finding]]) -> Callable[[RuleContext], Iterable[Finding]]:
    """The check, quiet where a column it needs is missing from a sheet the practice keeps (or the
    tracker is not kept): one place for what every such rule would otherwise test first."""
    if not needs:
        return check

    def where_kept(ctx: RuleContext) -> Iterable[Finding]:
        if not all(ctx.practice.keeps(tracker, column) for tracker, column in needs):
            return ()
        return check(ctx)

    where_kept.__name__ = getattr(check, "__name__", "check")
    return where_kept


def declare(id: str, *, owner: str, severity: str, title: str, when: str, thresholds: tuple[str, ...] = ()) -> Rule:
    """A rule whose findings come from elsewhere (the reader, the message policy), listed all the same."""
    RULES[id] = Rule(id, owner, severity, title, when, thresholds, None)
    return RULES[id]


def rules_switched_off(present: frozenset[str], columns: dict[str, frozenset[str]]) -> list[str]:
    """One line per optional column a kept tracker lacks, with the rules that stay quiet for it."""
    missing: dict[tuple[str, str], list[str]] = {}
    for registered in RULES.values():
        for tracker, column in registered.needs:
            if tracker in present and tracker in columns and column not in columns[tracker]:
                missing.setdefault((tracker, column), []).append(registered.id)
    return [f"the {tracker} tracker has no {column} column, so {', '.join(sorted(ids))} "
            f"{'is' if len(ids) == 1 else 'are'} off; add the column (or map it in [trackers.{tracker}.columns]) "
            f"to switch {'it' if len(ids) == 1 else 'them'} on"
            for (tracker, column), ids in sorted(missing.items())]


def title_of(rule_id: str) -> str:
    """A rule's plain title, in the practice's words (its id only for a rule no longer registered)."""
    return RULES[rule_id].title if rule_id in RULES else rule_id


def problem_of(finding: Finding) -> str:
    """The plain title of one finding: its rule's, unless the finding says better (a license that
    already expired is "License expired", not "License expiring")."""
    return str(finding.details.get("title") or title_of(finding.rule))
