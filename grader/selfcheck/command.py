"""`check("1a")` in the notebook, and `python -m grader check [PATH] [--problem ID]`.

`check("1a")` runs a problem's public cases on the functions the notebook's kernel defined.

The generated notebook (grader/authoring/notebook.py) loads `check` in its first code cell
and calls it after each code problem; its last cell calls `check()` for every problem and says
what to submit. The cases run with pytest in the kernel's process, through the same conftest
and `student` rules as `python -m pytest` (grader/cases/conftest.py,
grader/selfcheck/inprocess.py), so a case fails here with the message it gives there. Only
public cases exist next to the notebook (the student bundle holds no others), and only they are
run.

`python -m grader check PATH` is `python -m pytest --submission=PATH` wherever it is started
(pytest learns the --submission option from a conftest, after it has read its command line
once: a path given as `--submission PATH` outside this folder would be taken for a test path).
With `--problems` (the instructor's command line, grader/cli.py) it runs that set's public
cases, on its exercises/ by default.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.problems import ProblemSet, load
from grader.selfcheck import inprocess

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT / "grader" / "cases" / "public"
_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


@dataclass(frozen=True)
class Result:
    """One public case's outcome."""

    problem: str
    name: str  # its docstring's first line
    passed: bool
    message: str  # why it failed, as `python -m pytest` says it; "" when it passed


def main(argv: list[str] | None = None) -> int:
    """`python -m grader check ...` in the student bundle
    (grader/authoring/templates/student-main.py)."""
    parser = argparse.ArgumentParser(prog="python -m grader")
    add_command(parser.add_subparsers(dest="command", required=True))
    args, extra = parser.parse_known_args(argv)  # the rest goes to pytest (-q, -x, ...)
    return command(args, extra)


def add_command(commands: Any) -> None:
    """The `check` subcommand's arguments (also used by grader/cli.py)."""
    check = commands.add_parser(
        "check", help="run the public checks on a submission, as the grader reads it"
    )
    check.add_argument(
        "submission", nargs="?", help="a folder, .py, .ipynb or .zip (default: exercises/)"
    )
    check.add_argument(
        "--problem", action="append", default=[], metavar="ID",
        help="only this problem's cases (repeatable), e.g. --problem 1a",
    )  # fmt: skip


def command(args: argparse.Namespace, extra: list[str] | None = None) -> int:
    """Run the public cases of the set (`args.problems`, else this project's problems.yaml)
    with pytest on `args.submission`; pytest's exit status."""
    import pytest

    problems = load(getattr(args, "problems", None) or ROOT / "problems.yaml")
    public = problems.cases_dir / "public"
    submission = args.submission
    plugins: list[Any] = []
    if public.resolve() == PUBLIC.resolve():
        # This project's cases: pytest finds their conftest (grader/cases/conftest.py) itself.
        argv = [str(PUBLIC), "-c", os.devnull, f"--rootdir={ROOT}", "-p", "no:cacheprovider"]
    else:
        # Another set's cases, outside grader/cases: the same conftest as a plugin (named, so
        # that pytest imports it: the self-checks import nothing of the cases' folder), told
        # the set.
        from grader.selfcheck.options import GivenProblems

        argv = [str(public), "-c", os.devnull, f"--rootdir={problems.root}"]
        argv += ["-p", "no:cacheprovider", "--noconftest", "-p", "grader.cases.conftest"]
        plugins = [GivenProblems(problems)]
        submission = submission or str(problems.exercises_dir)
    if submission:
        argv.append(f"--submission={submission}")
    argv += [f"--problem={problem_id}" for problem_id in args.problem]
    return int(pytest.main([*argv, *(extra or [])], plugins=plugins))


def check(problem: str | None = None) -> None:
    """Run the public checks of `problem` (e.g. "1a"), or of every code problem, on the
    functions this notebook defined, and print what passed and what did not."""
    problems = load(ROOT / "problems.yaml")
    known = [p.id for p in problems.problems if p.graded]
    if problem is not None and problem not in known:
        print(f"There is no code problem {problem!r}: choose one of {', '.join(known)}.")
        return
    namespace = vars(sys.modules["__main__"])
    results = run(problems, namespace, [problem] if problem else known)
    if results is None:
        print("The checks were interrupted.")
    elif problem is not None:
        print(report(problems.problem(problem).title, results))
    else:
        print(summary(problems, results))


def run(
    problems: ProblemSet, namespace: Mapping[str, Any], wanted: list[str]
) -> list[Result] | None:
    """The public cases of the `wanted` problems, run on the functions in `namespace`; None
    when they were interrupted."""
    import pytest  # here: importing it takes a moment, and the notebook's first cell is quick

    collector = _Collector(inprocess.InProcessSubmission.from_namespace(namespace, problems))
    args = [
        str(PUBLIC),
        "-c", os.devnull, f"--rootdir={ROOT}",
        "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:stepwise",
        "--capture=sys",  # prints of the checked functions stay out of the list
        *(f"--problem={problem_id}" for problem_id in wanted),
    ]  # fmt: skip
    code = pytest.main(args, plugins=[collector])
    if code == pytest.ExitCode.INTERRUPTED:
        return None
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"the public checks could not run (pytest exit status {int(code)})")
    return collector.results


def report(title: str, results: list[Result]) -> str:
    """One problem's checks: a line per case, with the failure's message under it."""
    passed = sum(r.passed for r in results)
    lines = [f"{title}: {passed} of {len(results)} public checks pass"]
    for result in results:
        lines.append(f"  {'ok  ' if result.passed else 'FAIL'} {result.name}")
        lines += [f"       {line}" for line in result.message.splitlines()]
    return "\n".join(lines)


def summary(problems: ProblemSet, results: list[Result]) -> str:
    """Every problem in a line, then what to submit."""
    lines = []
    failing = []
    for problem in problems.problems:
        if not problem.graded:
            continue
        mine = [r for r in results if r.problem == problem.id]
        passed = sum(r.passed for r in mine)
        if passed == len(mine):
            lines.append(f"  ok   {problem.id:<12} all {len(mine)} public checks pass")
            continue
        failing.append(problem.id)
        first = next(r for r in mine if not r.passed).message.splitlines()
        lines.append(f"  FAIL {problem.id:<12} {passed} of {len(mine)} pass: {first[0]}")
    written = ", ".join(p.id for p in problems.problems if not p.graded)
    count = len(problems.modules)
    files = f"{_NUMBERS[count] if count < len(_NUMBERS) else count} .py files"
    files = "one .py file" if count == 1 else files
    if failing:
        head = (
            f'{len(failing)} code problems fail a public check; run check("{failing[0]}") '
            "for the details."
        )
    else:
        head = "Every public check passes."
    return "\n".join(
        [
            head,
            *lines,
            "",
            "To submit: save this notebook and submit the .ipynb file (in Colab: File > "
            f"Download > Download .ipynb), or submit the {files} instead.",
            *(
                [
                    f'Written problems ({written}) are graded by hand: write them in the "Your '
                    'answer" cells.'
                ]
                if written
                else []
            ),
            "Hidden cases grade the same functions: passing every public check is a good "
            "sign, not a grade. The grader runs only the imports, definitions, assignments, if "
            "and try blocks of your cells; to check the saved notebook exactly as it reads it, "
            f"run `python -m pytest --submission exercises/{problems.notebook_name}` in the "
            f"folder of {problems.name}-student.zip.",
        ]
    )


class _Collector:
    """Gives the conftest the kernel's submission and collects each case's outcome."""

    def __init__(self, submission: inprocess.InProcessSubmission) -> None:
        self._submission = submission
        self._names: dict[str, tuple[str, str]] = {}  # node id -> (problem, display name)
        self.results: list[Result] = []

    def pytest_configure(self, config: Any) -> None:
        from grader.selfcheck.options import SUBMISSION

        config.stash[SUBMISSION] = self._submission

    def pytest_collection_modifyitems(self, items: list[Any]) -> None:
        for item in items:
            marker = item.get_closest_marker("problem")
            problem = str(marker.args[0]) if marker and marker.args else "?"
            doc = (getattr(getattr(item, "function", None), "__doc__", None) or "").strip()
            self._names[item.nodeid] = problem, (doc.splitlines() or [item.name])[0]

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" or (report.when == "setup" and not report.passed):
            problem, name = self._names.get(report.nodeid, ("?", report.nodeid))
            message = "" if report.passed else report.longreprtext.strip()
            self.results.append(Result(problem, name, report.passed, message))
