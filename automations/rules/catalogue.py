"""The rule registry: each rule registers its id (from DOMAIN.md), owner, severity, when it
fires and the thresholds it reads. ``python run.py rules`` and docs/rules.md are generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

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

    @property
    def family(self) -> str:
        return self.id.split(".")[0]


RULES: dict[str, Rule] = {}


def rule(id: str, *, owner: str, severity: str, when: str, thresholds: tuple[str, ...] = ()):
    """Register a check. A check takes the context and yields findings."""

    def register(check: Callable[[RuleContext], Iterable[Finding]]):
        RULES[id] = Rule(id, owner, severity, when, thresholds, check)
        return check

    return register


def declare(id: str, *, owner: str, severity: str, when: str, thresholds: tuple[str, ...] = ()) -> None:
    """A rule whose findings come from elsewhere (the reader, the message policy), listed all the same."""
    RULES[id] = Rule(id, owner, severity, when, thresholds, None)
