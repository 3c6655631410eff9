"""How the grading cases run in the trusted process: collected by pytest, called directly.

The cases are ordinary pytest files using two fixtures, `student` (the sandboxed submission:
grader/calling/student.py over grader/grading/session.py) and `expect` (comparisons with the
problem's tolerances). pytest collects them once per process (--noconftest, no cache, no
plugin autoloading, an empty configuration, --strict-markers), with their asserts rewritten as
usual; then each submission's run calls every case function itself with fresh fixtures and
its parameters, and turns it into one `TestOutcome`. pytest's per-case protocol (hooks,
fixture resolution, reports) cost more than the cases themselves, and a batch worker grades
many submissions with the same cases. The references the cases call remember their results
(grader/grading/references.py).

A case directory whose cases need more of pytest (other fixtures, skip or xfail marks, test
classes) runs under pytest as a whole, with this module's plugin providing the fixtures.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from grader.calling import counterexamples
from grader.calling.failures import STUDENT_ERROR, StudentFailure, StudentRaised
from grader.calling.student import Student
from grader.checking.expect import Expect
from grader.grading import references
from grader.grading.session import Session
from grader.problems import Problem, ProblemSet
from grader.results.outcomes import TestOutcome

_MAX_MESSAGE = 1500
_FIXTURES = ("student", "expect")
_MARKS = {"problem", "parametrize"}  # all a directly called case may carry
_SKIPPED = "the grader skipped this case"


# Makes a case's `student` fixture for its problem, and the list the targets it calls go in.
StudentFactory = Callable[[Problem], "tuple[Any, list[str]]"]


@dataclass(frozen=True)
class Case:
    """One collected grading case (one parametrization of a case function)."""

    problem: str  # its problem marker's id ("?" without one)
    name: str  # display name: the docstring's first line and the parameters' id
    visible: bool  # a public case
    function: Callable[..., Any]
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Collected:
    """The cases of one directory, and whether they can be called without pytest."""

    cases: tuple[Case, ...]  # empty unless `direct`
    errors: tuple[str, ...]  # collection errors: case files that did not load
    direct: bool  # every case can be called without pytest (see `_callable_directly`)


@dataclass
class Ran:
    """What running the cases against one submission produced."""

    outcomes: list[TestOutcome]
    collection_errors: list[str]


def run_cases(problems: ProblemSet, session: Session, cases: Path | None = None) -> Ran:
    """Run every grading case under `cases` (the problem set's own by default) against the
    session's submission. The cases import the set's reference package from its folder."""
    cases = cases or problems.cases_dir
    if str(problems.root) not in sys.path:
        sys.path.insert(0, str(problems.root))
    collected = collect(cases, problems)
    if not collected.direct:
        return _run_pytest(problems, session, cases)
    order = {p.id: index for index, p in enumerate(problems.problems)}
    # Problem by problem, in problems.yaml order, as the results list them (a stable sort).
    ordered = sorted(collected.cases, key=lambda case: order.get(case.problem, len(order)))
    outcomes = [run_case(case, problems, _sandboxed(session)) for case in ordered]
    return Ran(outcomes, list(collected.errors))


def collect(cases: Path, problems: ProblemSet) -> Collected:
    """The cases under `cases`, collected once per process while their files are unchanged;
    the set's references are memoised first (grader/grading/references.py)."""
    cases = Path(cases).resolve()
    files = []
    for path in sorted(cases.rglob("*.py")):
        stat = path.stat()
        files.append((str(path), stat.st_mtime_ns, stat.st_size))
    return _collect(cases, tuple(files), problems.modules, problems.solutions_package)


@functools.lru_cache(maxsize=8)
def _collect(
    cases: Path, files: tuple[tuple[str, int, int], ...], modules: tuple[str, ...], package: str
) -> Collected:
    references.memoise(modules, package)  # before the case files import them
    collector = _Collector()
    code = pytest.main([*_arguments(cases), "--collect-only"], plugins=[collector])
    errors = list(collector.errors)
    if code != pytest.ExitCode.OK:  # as under pytest: no case runs if any file did not load
        return Collected((), (*errors, f"pytest exited with {code!s}"), direct=True)
    items = collector.items
    if not all(_callable_directly(item) for item in items):
        return Collected((), tuple(errors), direct=False)
    found = tuple(
        Case(
            _problem_id(item),
            _display_name(item),
            _visible(item),
            item.function,  # type: ignore[attr-defined]
            dict(getattr(getattr(item, "callspec", None), "params", {})),
        )
        for item in items
    )
    return Collected(found, tuple(errors), direct=True)


def _callable_directly(item: pytest.Item) -> bool:
    """A plain function case with a problem marker, asking for the two fixtures and its
    parameters only, carrying no mark but those two: nothing of pytest's is missed."""
    function = getattr(item, "function", None)
    if not isinstance(item, pytest.Function) or item.cls is not None or function is None:
        return False
    if inspect.iscoroutinefunction(function) or inspect.isgeneratorfunction(function):
        return False
    marker = item.get_closest_marker("problem")
    if marker is None or not marker.args:
        return False
    params = getattr(getattr(item, "callspec", None), "params", {})
    wanted = list(inspect.signature(function).parameters)
    return (
        set(wanted) <= {*_FIXTURES, *params}
        and set(item.fixturenames) == set(wanted)
        and {mark.name for mark in item.iter_markers()} <= _MARKS
    )


def run_case(case: Case, problems: ProblemSet, student: StudentFactory) -> TestOutcome:
    """Call one case with fresh fixtures, as pytest would, and record its outcome.

    `student(problem)` makes the case's `student` fixture and the list its calls are noted in
    (the sandboxed submission when grading; benchmarks pass the code imported in-process).
    """
    started = time.perf_counter()
    touched: list[str] = []
    message, grader_error, explainable = "", False, False
    try:
        problem = problems.problem(case.problem)
        proxy, touched = student(problem)
        limits = problem.limits
        expect = Expect(rtol=limits.rtol, atol=limits.atol, reveal=case.visible)
        case.function(**{"student": proxy, "expect": expect, **case.params})
    except (KeyboardInterrupt, pytest.exit.Exception):
        raise
    except pytest.skip.Exception:
        message, grader_error = _SKIPPED, True
    except BaseException as exc:  # noqa: BLE001  (as pytest: any exception fails the case)
        message, grader_error = _message(exc, case.visible)
        explainable = not grader_error and counterexamples.explainable(exc)
    return TestOutcome(
        problem=case.problem,
        name=case.name,
        visible=case.visible,
        passed=not message,
        message=message[:_MAX_MESSAGE],
        targets=tuple(touched),
        duration=time.perf_counter() - started,
        grader_error=grader_error,
        explainable=explainable,
    )


def prime(problems: ProblemSet) -> list[TestOutcome] | None:
    """Run every case once against the set's reference solutions themselves, in this process
    (trusted code: no sandbox), so that every expected value is computed and remembered
    (grader/grading/references.py), e.g. before a batch forks its workers. None, running nothing,
    where the cases need pytest itself or the references are not importable."""
    if str(problems.root) not in sys.path:
        sys.path.insert(0, str(problems.root))
    collected = collect(problems.cases_dir, problems)
    try:
        modules = {
            name: importlib.import_module(f"{problems.solutions_package}.{name}")
            for name in problems.modules
        }
    except ImportError:
        return None
    if not collected.direct:
        return None

    class References:
        def __getattr__(self, module: str) -> Any:
            return modules[module]

    def student(problem: Problem) -> tuple[References, list[str]]:
        return References(), []

    return [run_case(case, problems, student) for case in collected.cases]


def _sandboxed(session: Session) -> StudentFactory:
    def student(problem: Problem) -> tuple[Student, list[str]]:
        proxy = Student(session, problem)
        return proxy, proxy.touched

    return student


class _Collector:
    """The plugin of a collection-only run: the problem marker, the items, the errors."""

    def __init__(self) -> None:
        self.items: list[pytest.Item] = []
        self.errors: list[str] = []

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "problem(id): the problem a grading case belongs to")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(f"{report.nodeid}: {report.longreprtext[-500:]}")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.items = list(session.items)


class GradingPlugin(_Collector):
    """Runs the cases under pytest, with the two fixtures, one outcome per case."""

    def __init__(self, problems: ProblemSet, session: Session) -> None:
        super().__init__()
        self.problems = problems
        self.session = session
        self.outcomes: list[TestOutcome] = []

    @pytest.fixture
    def student(self, request: pytest.FixtureRequest) -> Student:
        proxy = Student(self.session, self._problem(request.node))
        request.node.stash[_TOUCHED] = proxy.touched
        return proxy

    @pytest.fixture
    def expect(self, request: pytest.FixtureRequest) -> Expect:
        limits = self._problem(request.node).limits
        return Expect(rtol=limits.rtol, atol=limits.atol, reveal=_visible(request.node))

    def _problem(self, item: pytest.Item) -> Any:
        marker = item.get_closest_marker("problem")
        if marker is None or not marker.args:
            raise LookupError(f"{item.nodeid} has no problem marker")
        return self.problems.problem(str(marker.args[0]))

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        # Problem by problem, in problems.yaml order, as the results list them.
        order = {p.id: index for index, p in enumerate(self.problems.problems)}
        items.sort(key=lambda item: order.get(_problem_id(item), len(order)))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> pytest.TestReport:
        """The case's report, and its outcome recorded.

        A failed case's report carries the student-facing message, not pytest's traceback
        text: formatting that (source lines and an AST walk per frame) cost four times the
        case itself, for text nobody reads here. Passes and skips are pytest's own reports.
        """
        excinfo = call.excinfo
        if excinfo is None or isinstance(excinfo.value, pytest.skip.Exception):
            report = pytest.TestReport.from_item_and_call(item, call)
        else:
            report = pytest.TestReport(
                item.nodeid,
                item.location,
                dict.fromkeys(item.keywords, 1),
                "failed",
                _message(excinfo.value, _visible(item))[0],
                call.when,  # type: ignore[arg-type]
                duration=call.duration,
            )
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.outcomes.append(self._outcome(item, call, report))
        return report

    def _outcome(
        self, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport
    ) -> TestOutcome:
        visible = _visible(item)
        message, grader_error, explainable = "", False, False
        if report.skipped:
            message, grader_error = _SKIPPED, True
        elif call.excinfo is not None:
            message, grader_error = _message(call.excinfo.value, visible)
            explainable = not grader_error and counterexamples.explainable(call.excinfo.value)
        return TestOutcome(
            problem=_problem_id(item),
            name=_display_name(item),
            visible=visible,
            passed=report.passed,
            message=message[:_MAX_MESSAGE],
            targets=tuple(item.stash.get(_TOUCHED, [])),
            duration=call.duration,
            grader_error=grader_error,
            explainable=explainable,
        )


_TOUCHED = pytest.StashKey[list]()


def _problem_id(item: pytest.Item) -> str:
    marker = item.get_closest_marker("problem")
    return str(marker.args[0]) if marker and marker.args else "?"


def _visible(item: pytest.Item) -> bool:
    # Only the case file's own folder counts: a checkout under some ".../public/..." path
    # must not reveal the hidden cases.
    return Path(str(item.path)).parent.name == "public"


def _display_name(item: pytest.Item) -> str:
    function = getattr(item, "function", None)
    doc = (getattr(function, "__doc__", None) or "").strip().splitlines()
    name = doc[0].strip() if doc else item.name
    callspec = getattr(item, "callspec", None)
    return f"{name} [{callspec.id}]" if callspec is not None else name


def _message(exc: BaseException, visible: bool) -> tuple[str, bool]:
    """The student-facing message for a failed case, and whether the grader is at fault.

    A hidden case's message holds nothing the student's code chose (exception texts, class
    names, exit statuses): those could carry the hidden inputs out.
    """
    info = getattr(exc, STUDENT_ERROR, None)
    if info is not None:
        function = info["function"]
        if visible:
            if isinstance(exc, StudentRaised):  # its message is already complete
                detail = str(exc)
            else:
                # The student's message as raised: str() of a rebuilt KeyError would quote it.
                message = info["message"]
                detail = f"{function} raised {info['type']}" + (f": {message}" if message else "")
            trace = info.get("traceback", "")
            return (f"{detail}\n{trace}" if trace else detail), False
        if info["unsupported"]:
            return (
                f"{function} returned something the grader cannot read: return a numpy "
                "array, a number, a string, or a list, tuple or dict of those",
                False,
            )
        kind = info["type"] if info["builtin"] else "an exception of its own class"
        return f"{function} raised {kind}", False
    if isinstance(exc, StudentFailure):
        shown = f"{exc}: {exc.detail}" if visible and exc.detail else str(exc)
        return shown, False
    if isinstance(exc, (AssertionError, pytest.fail.Exception)):
        return str(exc).strip() or "the result is not what was expected", False
    return (
        f"the grader could not run this case ({type(exc).__name__}); please tell the course staff",
        True,
    )


def _run_pytest(problems: ProblemSet, session: Session, cases: Path) -> Ran:
    """Run the cases under pytest itself, for case files that need more than `_run` does."""
    plugin = GradingPlugin(problems, session)
    code = pytest.main(_arguments(cases), plugins=[plugin])
    errors = list(plugin.errors)
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        errors.append(f"pytest exited with {code!s}")
    return Ran(plugin.outcomes, errors)


def _arguments(cases: Path) -> list[str]:
    """pytest's command line: nothing but the grader's plugin and the case files count."""
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return [
        str(cases),
        "-c",
        os.devnull,
        f"--rootdir={cases}",
        "--noconftest",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
        "-p",
        "no:stepwise",
        # These two call gc.collect() around every case: about 0.15 s per submission.
        "-p",
        "no:unraisableexception",
        "-p",
        "no:threadexception",
        "-p",
        "no:warnings",
        "-p",
        "no:logging",
        "--capture=no",  # the cases print nothing; student output is the worker's, captured there
        "--strict-markers",
    ]
