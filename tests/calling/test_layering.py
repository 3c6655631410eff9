"""The calling core sits under both backends, and the student bundle imports only what it
ships (grader/authoring/release.py STUDENT_PACKAGES and STUDENT_MODULES)."""

from __future__ import annotations

import ast
from pathlib import Path

from grader.authoring import release

GRADER = Path(release.GRADER)
TRUSTED_ONLY = ("grading", "sandbox", "results", "instructor", "authoring")


def _imports(path: Path) -> set[str]:
    """The grader subpackages and modules `path` imports anywhere in it: "grading", ...."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        found |= {name.split(".")[1] for name in names if name.startswith("grader.")}
    return found


def test_calling_imports_neither_backend_nor_anything_trusted() -> None:
    """Does grader/calling import only problems, intake, runtime and checking?"""
    for path in (GRADER / "calling").glob("*.py"):
        assert _imports(path) <= {"calling", "problems", "intake", "runtime", "checking"}, path


def test_the_student_bundle_imports_only_what_it_ships() -> None:
    """Does no shipped file import the grading, sandbox, results, instructor or authoring
    packages (a student's `python -m pytest` would fail on a missing module)?"""
    assert "calling" in release.STUDENT_PACKAGES
    for name in release.student_grader_files():
        imported = _imports(GRADER / name)
        assert not imported & set(TRUSTED_ONLY), (name, imported)
