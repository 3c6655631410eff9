"""The package map as rules: who may import whom, read from every module's imports (ast).

grader/ is split by concern (docs/architecture.md). These tests hold the rules that keep the
tree honest, so that a change breaking one fails here rather than in a sandbox or a student's
bundle:

- the import graph between packages is the one drawn in ALLOWED, so it is a DAG and only the
  CLI knows everything;
- grader/runtime/ runs beside student code, copied into each sandbox without the rest of the
  grader: it imports nothing of `grader`;
- the student bundle ships a fixed set of packages and modules, and none of them imports a
  module the bundle does not ship.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from grader.authoring import release
from grader.sandbox import workspace

GRADER = Path(__file__).resolve().parents[1] / "grader"

# package -> the packages its modules may import. "top" is grader/problems.py and what
# grader/__init__.py holds (the problem set every package reads, and the version); "cases" is
# the bundled tutorial's conftest, which gives the public cases their fixtures. The entry points
# (grader/cli.py, grader/__main__.py, grader/__init__.py's lazy `grade`) know everything.
ALLOWED: dict[str, set[str]] = {
    "runtime": set(),
    "intake": {"top"},
    "checking": set(),
    "top": {"checking"},  # problems.yaml's examples are parsed at load
    "calling": {"top", "intake", "runtime", "checking"},
    "sandbox": {"top", "runtime"},
    "results": {"top"},
    "selfcheck": {"top", "intake", "runtime", "checking", "calling"},
    "cases": {"top", "checking", "calling", "selfcheck"},
    "grading": {"top", "intake", "runtime", "checking", "calling", "sandbox", "results"},
    "instructor": {"top", "intake", "results", "grading", "sandbox", "checking"},
    "authoring": {"top", "intake", "results", "grading", "sandbox", "selfcheck", "cases"},
}
ENTRY_POINTS = ("grader", "grader.cli", "grader.__main__")


def package_of(module: str) -> str:
    """'grader.intake.tree' -> 'intake'; grader/problems.py and grader itself -> 'top'."""
    parts = module.split(".")
    return "top" if parts[1:] in ([], ["problems"]) else parts[1]


def module_name(path: Path) -> str:
    relative = path.relative_to(GRADER.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def grader_imports(path: Path) -> set[str]:
    """The grader modules `path` imports anywhere in it (also inside functions), resolved to
    the module a name comes from where `from grader.x import y` names a submodule."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "grader"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "grader":
                continue
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                exists = GRADER.parent.joinpath(*submodule.split(".")).with_suffix(".py")
                found.add(submodule if exists.is_file() else node.module)
    return found


MODULES = sorted(
    path
    for path in GRADER.rglob("*.py")
    if "templates" not in path.parts
    and "__pycache__" not in path.parts
    and not (path.parent.name in ("public", "hidden") and path.parent.parent.name == "cases")
)


def _id(path: Path) -> str:
    return path.relative_to(GRADER.parent).as_posix()


@pytest.mark.parametrize("path", MODULES, ids=_id)
def test_imports_follow_the_package_map(path: Path) -> None:
    """Does each module import only from the packages its own package may use?"""
    name = module_name(path)
    if name in ENTRY_POINTS:
        return
    own = package_of(name)
    assert own in ALLOWED, f"{_id(path)}: package {own!r} is not in the map (ALLOWED)"
    wrong = sorted(
        f"{target} ({package_of(target)})"
        for target in grader_imports(path)
        if package_of(target) not in ALLOWED[own] | {own}
    )
    assert not wrong, f"{_id(path)} ({own}) may not import {wrong}"


def test_the_package_map_is_a_dag() -> None:
    """Could the allowed edges ever form a cycle between packages?"""
    state: dict[str, str] = {}

    def visit(package: str, trail: tuple[str, ...]) -> None:
        if state.get(package) == "done":
            return
        assert state.get(package) != "open", " -> ".join((*trail, package))
        state[package] = "open"
        for target in ALLOWED[package] - {package}:
            visit(target, (*trail, package))
        state[package] = "done"

    for package in ALLOWED:
        visit(package, ())


def test_runtime_imports_nothing_of_the_grader() -> None:
    """Do the files copied into every sandbox stand alone (stdlib, numpy and each other)?"""
    runtime = GRADER / "runtime"
    for path in runtime.glob("*.py"):
        tree = ast.parse(path.read_bytes())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "grader.runtime":
                continue  # the worker imported as a package in tests (its sibling, runner)
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not [n for n in names if n.split(".")[0] == "grader"], _id(path)


def test_the_workspace_copies_the_whole_runtime() -> None:
    """Is every runtime module copied into the sandbox (a new one cannot be forgotten)?"""
    shipped = {p.name for p in (GRADER / "runtime").glob("*.py") if p.name != "__init__.py"}
    assert set(workspace.RUNTIME_FILES) == shipped


def test_the_student_bundle_is_closed_under_imports() -> None:
    """Does every module the student bundle ships import only modules it also ships?"""
    shipped = {module_name(GRADER / name) for name in release.student_grader_files()} | {"grader"}
    for name in release.student_grader_files():
        for target in grader_imports(GRADER / name):
            assert target in shipped, f"grader/{name} imports {target}, which the bundle lacks"


def test_the_bundle_ships_nothing_trusted() -> None:
    """Does the student bundle hold none of the sandbox, grading, results or instructor code?"""
    packages = {name.split("/")[0] for name in release.student_grader_files() if "/" in name}
    assert not packages & {"sandbox", "grading", "results", "instructor", "authoring"}
