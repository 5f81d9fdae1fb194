"""The rule registry: each rule registers its id (from DOMAIN.md), owner, severity, when it
fires and the thresholds it reads. ``python run.py rules`` and docs/rules.md are generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable, Iterable

from .context import RuleContext
from .findings import Finding


@dataclass(frozen=True)
class Rule:
    id: str
    owner: str
    severity: str
    when: str
    thresholds: tuple[str, ...]
    check: Callable[[RuleContext], Iterable[Finding]] | None
    needs: tuple[tuple[str, str], ...] = ()
    """(tracker, column) pairs without which the rule stays quiet rather than read blanks as 'no'."""

    @property
    def family(self) -> str:
        return self.id.split(".")[0]


RULES: dict[str, Rule] = {}


def rule(id: str, *, owner: str, severity: str, when: str, thresholds: tuple[str, ...] = (),
         needs: tuple[tuple[str, str], ...] = ()):
    """Register a check. A check takes the context and yields findings; ``needs`` names the optional
    columns it reads, so that ``check`` can say which rules a practice's sheets switch off."""

    def register(check: Callable[[RuleContext], Iterable[Finding]]):
        RULES[id] = Rule(id, owner, severity, when, thresholds, check, needs)
        return check

    return register


def declare(id: str, *, owner: str, severity: str, when: str, thresholds: tuple[str, ...] = ()) -> None:
    """A rule whose findings come from elsewhere (the reader, the message policy), listed all the same."""
    RULES[id] = Rule(id, owner, severity, when, thresholds, None)


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
