"""The `student` and `expect` fixtures for running the grading cases in-process.

Students run the public cases on their own code with plain pytest, and instructors run all of
them against the reference solutions or the stubs:

    TUTORIAL9_SUBMISSION=solutions python -m pytest grader/cases
    python -m pytest grader/cases/public --problem 1a     # one problem's public cases

The grader never reads this file (it runs pytest with --noconftest and its own plugin, which
provides the same two fixtures with the student's code in a sandbox).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from grader.checks import Expect
from grader.problems import ProblemSet, load

ROOT = Path(__file__).resolve().parents[2]
SUBMISSION_ENV = "TUTORIAL9_SUBMISSION"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--problem", action="append", default=[], metavar="ID",
        help="run only the cases of problem ID (repeatable), e.g. --problem 1a",
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "problem(id): the problems.yaml problem a grading case belongs to"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep only the cases of the problems given with --problem."""
    wanted = config.getoption("problem")
    if not wanted:
        return
    known = [p.id for p in load(ROOT / "problems.yaml").problems if p.graded]
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise pytest.UsageError(
            f"--problem {unknown[0]}: not a code problem (choose from {', '.join(known)})"
        )
    keep, drop = [], []
    for item in items:
        marks = [m.args[0] for m in item.iter_markers("problem") if m.args]
        (keep if set(marks) & set(wanted) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


class _Module:
    """One student module, or why it could not be imported (only its tests fail)."""

    def __init__(
        self, name: str, module: ModuleType | None, error: str | None, targets: tuple[str, ...]
    ) -> None:
        self._name = name
        self._module = module
        self._error = error
        self._targets = targets

    def __getattr__(self, attr: str) -> Any:
        # The grader's proxy serves problems.yaml targets only; fail the same way here.
        if f"{self._name}.{attr}" not in self._targets:
            raise AttributeError(f"{self._name}.{attr} is not an exercise in problems.yaml")
        if self._module is None:
            pytest.fail(f"{self._name}.py could not be imported: {self._error}", pytrace=False)
        if not hasattr(self._module, attr):
            pytest.fail(f"{self._name}.py does not define {attr}", pytrace=False)
        return getattr(self._module, attr)


class _Student:
    """`student.<module>.<name>`: the submission's functions and constants, called directly."""

    def __init__(self, modules: dict[str, _Module]) -> None:
        self._modules = modules

    def __getattr__(self, name: str) -> _Module:
        try:
            return self._modules[name]
        except KeyError:
            raise AttributeError(
                f"no student module {name!r} (known: {', '.join(self._modules)})"
            ) from None


def _import(name: str, directory: Path, targets: tuple[str, ...]) -> _Module:
    path = directory / f"{name}.py"
    if not path.is_file():
        return _Module(name, None, f"{path} does not exist", targets)
    # Load from this exact file under its plain name, even if another `conv` was imported
    # before; registering it first lets the submission's modules import each other.
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # any error in student code: report it, keep going
        del sys.modules[name]
        return _Module(name, None, f"{type(exc).__name__}: {exc}", targets)
    return _Module(name, module, None, targets)


@pytest.fixture(scope="session")
def _problem_set() -> ProblemSet:
    return load(ROOT / "problems.yaml")


@pytest.fixture(scope="session")
def _submission(_problem_set: ProblemSet) -> _Student:
    directory = Path(os.environ.get(SUBMISSION_ENV) or ROOT / "exercises").resolve()
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    targets = _problem_set.targets
    return _Student({name: _import(name, directory, targets) for name in _problem_set.modules})


@pytest.fixture
def student(_submission: _Student) -> _Student:
    """The submission's modules, imported in this process."""
    return _submission


@pytest.fixture
def expect(request: pytest.FixtureRequest, _problem_set: ProblemSet) -> Expect:
    """An Expect with the test's problem tolerances; revealing only for public cases."""
    marks = list(request.node.iter_markers("problem"))
    if len(marks) != 1 or len(marks[0].args) != 1:
        pytest.fail(f"{request.node.nodeid} needs exactly one @pytest.mark.problem(id)")
    limits = _problem_set.problem(marks[0].args[0]).limits
    public = request.node.path.parent.name == "public"
    return Expect(rtol=limits.rtol, atol=limits.atol, reveal=public)
