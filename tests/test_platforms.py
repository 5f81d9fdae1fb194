"""practice-ops runs on a practice's office PC: Windows and macOS as well as Linux. This pins that
no POSIX-only call (nor a POSIX-only date format) comes back into the package."""

import ast
import re

from tests.conftest import ROOT

POSIX_ONLY_MODULES = {"fcntl", "pwd", "grp", "termios", "tty", "pty", "resource", "posix", "crypt", "syslog"}
POSIX_ONLY_ATTRIBUTES = {("os", "fork"), ("os", "getuid"), ("os", "geteuid"), ("os", "getgid"), ("os", "setsid"),
                         ("os", "killpg"), ("os", "mkfifo"), ("os", "fchmod"), ("os", "fchown"), ("os", "chown"),
                         ("os", "sync"), ("signal", "SIGKILL"), ("signal", "SIGHUP"), ("signal", "SIGALRM"),
                         ("signal", "alarm"), ("signal", "SIGUSR1"), ("os", "O_NOFOLLOW")}
POSIX_ONLY_FORMAT = re.compile(r"%-[a-zA-Z]")   # glibc's no-padding flag; Windows' strftime rejects it


def package_sources():
    return sorted((ROOT / "automations").rglob("*.py"))


def test_no_posix_only_module_is_imported():
    found = []
    for path in package_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.name}: {name}" for name in names if name.split(".")[0] in POSIX_ONLY_MODULES]
    assert found == []


def test_no_posix_only_call_or_constant_is_used_directly():
    """``getattr(os, "O_NOFOLLOW", 0)`` is fine; ``os.O_NOFOLLOW`` is not."""
    found = []
    for path in package_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and (node.value.id, node.attr) in POSIX_ONLY_ATTRIBUTES):
                found.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert found == []


def test_no_posix_only_date_format():
    found = [f"{p.name}:{n}" for p in package_sources()
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if POSIX_ONLY_FORMAT.search(line)]
    assert found == []


def test_the_lock_is_the_cross_platform_one():
    source = (ROOT / "automations" / "ledger.py").read_text(encoding="utf-8")
    assert "from filelock import" in source
