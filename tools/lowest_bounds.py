"""The lowest version each dependency's bound admits, as pip constraints: CI installs them once and
runs the tests on them, so a `>=` in pyproject.toml is a version that works, not a hope.

    python tools/lowest_bounds.py > lowest.txt && pip install -c lowest.txt -e '.[test]'
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lowest(requirements: list[str]) -> list[str]:
    """`name>=1.2` as `name==1.2`; a requirement with no lower bound is left out."""
    pins = []
    for requirement in requirements:
        spec = requirement.split(";")[0].split("#")[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([0-9][^,\s]*)(?:,.*)?", spec)
        if match:
            name = re.sub(r"\[.*\]", "", match[1])
            pins.append(f"{name}=={match[2]}")
    return pins


if __name__ == "__main__":
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    sys.stdout.write("\n".join(lowest(project["dependencies"])) + "\n")
