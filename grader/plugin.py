"""The pytest plugin that runs the grading cases in the trusted process.

It provides the two fixtures the cases use, `student` (the sandboxed submission, see
grader/proxy.py) and `expect` (comparisons with the problem's tolerances), and turns every
case into one `TestOutcome`. pytest runs with --noconftest, no cache, no plugin autoloading
and an empty configuration, so nothing but this plugin and the case files shapes the run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from grader.checks import Expect
from grader.outcomes import TestOutcome
from grader.problems import ProblemSet
from grader.proxy import STUDENT_ERROR, Session, StudentFailure, StudentProxy, StudentRaised

CASES = Path(__file__).resolve().parent / "cases"
_MAX_MESSAGE = 1500


class GradingPlugin:
    """Collects one outcome per grading case."""

    def __init__(self, problems: ProblemSet, session: Session) -> None:
        self.problems = problems
        self.session = session
        self.outcomes: list[TestOutcome] = []
        self.collection_errors: list[str] = []

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "problem(id): the problem a grading case belongs to")

    @pytest.fixture
    def student(self, request: pytest.FixtureRequest) -> StudentProxy:
        proxy = StudentProxy(self.session, self._problem(request.node))
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

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {report.longreprtext[-500:]}")

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
        message, grader_error = "", False
        if report.skipped:
            message, grader_error = "the grader skipped this case", True
        elif call.excinfo is not None:
            message, grader_error = _message(call.excinfo.value, visible)
        return TestOutcome(
            problem=_problem_id(item),
            name=_display_name(item),
            visible=visible,
            passed=report.passed,
            message=message[:_MAX_MESSAGE],
            targets=tuple(item.stash.get(_TOUCHED, [])),
            duration=call.duration,
            grader_error=grader_error,
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
                detail = f"{function} raised {info['type']}" + (f": {exc}" if str(exc) else "")
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


def run_cases(problems: ProblemSet, session: Session, cases: Path = CASES) -> GradingPlugin:
    """Run every grading case under `cases` against the session's submission."""
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    plugin = GradingPlugin(problems, session)
    args = [
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
    code = pytest.main(args, plugins=[plugin])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        plugin.collection_errors.append(f"pytest exited with {code!s}")
    return plugin
