"""The `student` and `expect` fixtures for running the grading cases in the student's process.

Students run the public cases on their own work with plain pytest; the submission is read by
the grader's own intake and run statement by statement (grader/selfcheck/inprocess.py), so
what passes here passes the same cases in the grader:

    python -m pytest                                    # exercises/ (from the bundle's folder)
    python -m pytest --submission tutorial9.ipynb       # a notebook, folder, .py or .zip
    python -m pytest grader/cases/public --problem 1a   # one problem's public cases

Instructors also run every case against the references or the stubs:

    python -m pytest grader/cases --submission solutions

TUTORIAL9_SUBMISSION=PATH works like --submission. The grader never reads this file (it runs
pytest with --noconftest and its own plugin, which provides the same two fixtures with the
student's code in a sandbox). grader/selfcheck/command.py runs these cases from a notebook, with the
running kernel as the submission.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from grader.calling import counterexamples
from grader.calling.student import Student
from grader.checking.expect import Expect
from grader.problems import ProblemSet, load
from grader.selfcheck import inprocess
from grader.selfcheck.options import PROBLEMS, SUBMISSION, SUBMISSION_ENV, add_options

ROOT = Path(__file__).resolve().parents[2]


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "problem(id): the problems.yaml problem a grading case belongs to"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep only the cases of the problems given with --problem."""
    wanted = config.getoption("problem", default=[])
    if not wanted:
        return
    known = [p.id for p in problem_set(config).problems if p.graded]
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


def submission_path(config: pytest.Config) -> Path:
    """--submission, else $TUTORIAL9_SUBMISSION, else exercises/; a relative path from where
    pytest was started, else from this project's folder. Stops pytest (exit status 4) when
    there is no such file or folder."""
    given = config.getoption("submission", default=None) or os.environ.get(SUBMISSION_ENV)
    if not given:
        return ROOT / "exercises"
    path = Path(given).expanduser()
    for base in (Path(config.invocation_params.dir), ROOT):
        if (base / path).exists():
            return base / path
    pytest.exit(f"--submission {given}: no such file or folder", returncode=4)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Report a failing case in a few lines (what was called and what went wrong), not with a
    traceback through the case and the whole function."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.excinfo is not None:
        text = inprocess.describe(call.excinfo.value)
        if text is not None:
            report.longrepr = text
        line = _counterexample(item, call.excinfo.value)
        if line is not None:
            report.longrepr = f"{report.longreprtext.rstrip()}\n{line}"


def _counterexample(item: pytest.Item, exc: BaseException) -> str | None:
    """The `Try:` line of a failed case, as the grader gives it (grader/calling/
    counterexamples.py): the first public example on which this function and the reference
    part ways."""
    student = getattr(item, "funcargs", {}).get("student")
    if not isinstance(student, Student) or not counterexamples.explainable(exc):
        return None
    package = problem_set(item.config).solutions_package
    return counterexamples.for_case(student, counterexamples.references(package))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """What the grader would say about the submission itself: the files it used, statements
    that failed (once each)."""
    submission = config.stash.get(_LOADED, None)
    if submission is None or not submission.messages:
        return
    terminalreporter.section("your submission, as the grader reads it")
    for message in submission.messages:
        terminalreporter.line(message)


_LOADED = pytest.StashKey[inprocess.InProcessSubmission]()


def problem_set(config: pytest.Config) -> ProblemSet:
    """The set whose cases run: a plugin's (see PROBLEMS), else ROOT/problems.yaml."""
    given = config.stash.get(PROBLEMS, None)
    return given if given is not None else load(ROOT / "problems.yaml")


@pytest.fixture(scope="session")
def _problem_set(request: pytest.FixtureRequest) -> ProblemSet:
    return problem_set(request.config)


@pytest.fixture(scope="session")
def _submission(request: pytest.FixtureRequest, _problem_set: ProblemSet) -> Any:
    config = request.config
    given = config.stash.get(SUBMISSION, None)
    if given is not None:
        yield given
        return
    submission = inprocess.InProcessSubmission.from_path(submission_path(config), _problem_set)
    config.stash[_LOADED] = submission
    yield submission
    submission.close()


@pytest.fixture
def student(
    request: pytest.FixtureRequest,
    _submission: inprocess.InProcessSubmission,
    _problem_set: ProblemSet,
) -> Student:
    """The submission's modules, run in this process as the grader runs them."""
    return _submission.student(_problem_set.problem(_problem_id(request)))


@pytest.fixture
def expect(request: pytest.FixtureRequest, _problem_set: ProblemSet) -> Expect:
    """An Expect with the test's problem tolerances; revealing only for public cases."""
    limits = _problem_set.problem(_problem_id(request)).limits
    public = request.node.path.parent.name == "public"
    return Expect(rtol=limits.rtol, atol=limits.atol, reveal=public)


def _problem_id(request: pytest.FixtureRequest) -> str:
    marks = list(request.node.iter_markers("problem"))
    if len(marks) != 1 or len(marks[0].args) != 1:
        pytest.fail(f"{request.node.nodeid} needs exactly one @pytest.mark.problem(id)")
    return str(marks[0].args[0])
