"""The core imports nothing but the standard library and python-stdnum (besides itself).

import-linter forbids the known heavy packages; this test closes the list: any other third-party
import in passengine/domain fails here.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import passengine.domain

ALLOWED_THIRD_PARTY = {"stdnum"}
FORBIDDEN_STDLIB = {"random", "sqlite3", "socket", "os", "subprocess"}
"""Randomness, I/O and the environment stay in the shell (generation takes an rng argument)."""


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_domain_imports_only_stdlib_and_stdnum() -> None:
    domain_dir = Path(passengine.domain.__file__).parent
    for path in sorted(domain_dir.glob("*.py")):
        for name in imported_modules(path) - {"passengine", "__future__"}:
            assert name in sys.stdlib_module_names or name in ALLOWED_THIRD_PARTY, (path.name, name)
            if name in FORBIDDEN_STDLIB:
                # identifiers.py takes a random.Random from the caller for reproducible numbers.
                assert (path.name, name) == ("identifiers.py", "random"), (path.name, name)
