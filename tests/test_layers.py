"""The house has floors, and every import goes down or along, never up, never round: the config is
data near the bottom, the reading of trackers above it, messages above that, then transports,
reports, the jobs, and the commands at the top. Imports inside functions and for type checking
count too (they hide a circle, they do not remove it). README.md "Architecture" lists the floors."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "automations"

FLOORS = (
    ("base", ("errors", "folders", "memory", "emulators")),
    ("records", ("trackers.values", "trackers.records")),
    ("rules", ("rules", "rules.*")),
    ("config", ("config", "timetable")),
    ("state", ("ledger", "ledger_postgres", "ledgers")),
    ("reading", ("trackers.*",)),
    ("messages", ("messages.*",)),
    ("transports", ("transports", "transports.*")),
    ("reports", ("reports.*",)),
    ("jobs", ("jobs", "jobs.*", "setup_check", "preview", "agency.settings", "agency.board", "agency.overview",
              "agency.practice_run")),
    ("commands", ("scheduler", "cli", "new_practice", "sample_practice", "docs", "__main__", "agency",
                  "agency.engine")),
)
"""Bottom to top. A module takes the first floor with a pattern it matches (an exact name before
a package's ``.*``); a module on no floor fails the test, so a new one is placed on purpose."""


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        found[name.removesuffix(".__init__") if name != "__init__" else ""] = path
    found.pop("", None)
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module of the package this one imports, wherever the import statement is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name.removeprefix("automations.") for a in node.names if a.name.startswith("automations.")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[:len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            elif (node.module or "").startswith("automations"):
                target = node.module.removeprefix("automations").lstrip(".")
            else:
                continue
            targets = [f"{target}.{a.name}".lstrip(".") for a in node.names]
            targets = [t if t in known else target for t in targets]
        else:
            continue
        found.update(t for t in targets if t in known and t != name)
    return found


def floor_of(name: str) -> int:
    for exact in (True, False):
        for number, (_, patterns) in enumerate(FLOORS):
            for pattern in patterns:
                if (name == pattern) if exact else (pattern.endswith(".*") and name.startswith(pattern[:-1])):
                    return number
    raise AssertionError(f"automations/{name.replace('.', '/')}.py is on no floor: add it to FLOORS and the README")


GRAPH = {name: imports(name, path, set(modules())) for name, path in modules().items()}


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_every_module_imports_only_down_or_along(name):
    upward = sorted(t for t in GRAPH[name] if floor_of(t) > floor_of(name))
    assert not upward, (f"{name} ({FLOORS[floor_of(name)][0]}) imports from above: "
                        + ", ".join(f"{t} ({FLOORS[floor_of(t)][0]})" for t in upward))


def test_no_import_circle():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in GRAPH[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                other = stack.pop()
                group.append(other)
                if other == node:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for node in GRAPH:
        if node not in index:
            visit(node)
    assert circles == []


def test_the_check_sees_an_import_circle_and_an_upward_import(tmp_path):
    """The two tests above fail on what they guard against (a function-level import included)."""
    package = tmp_path / "automations"
    (package / "trackers").mkdir(parents=True)
    (package / "config.py").write_text("def f():\n    from .jobs import run\n")
    (package / "jobs.py").write_text("from . import config\n")
    (package / "trackers" / "records.py").write_text("from ..config import Config\n")
    known = {"config", "jobs", "trackers.records"}
    assert imports("config", package / "config.py", known) == {"jobs"}
    assert imports("jobs", package / "jobs.py", known) == {"config"}
    assert floor_of("trackers.records") < floor_of("config") < floor_of("jobs")
