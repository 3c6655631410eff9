"""grader/grading/explain.py and grader/calling/counterexamples.py: a failed case's public
counterexample, found in a fresh sandbox after grading, never costing or giving a point."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest

from grader.calling import counterexamples
from grader.checking.examples import NONE_FAILED, Result
from grader.grading import explain
from grader.grading.pipeline import grade
from grader.problems import load
from grader.results.outcomes import TestOutcome

ROOT = Path(__file__).resolve().parents[2]
PROBLEMS = load()


def _mutant(folder: Path, module: str, old: str, new: str) -> Path:
    folder.mkdir()
    for name in PROBLEMS.modules:
        shutil.copy(ROOT / "solutions" / f"{name}.py", folder)
    path = folder / f"{module}.py"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return folder


def _outcome(passed: bool, explainable: bool, targets: tuple[str, ...]) -> TestOutcome:
    return TestOutcome(
        "3", "a case", False, passed, "" if passed else "some values are wrong.", targets, 0.1,
        explainable=explainable,
    )  # fmt: skip


class _Backend:
    """A student whose leaky_relu ignores alpha; counts its calls."""

    problems = PROBLEMS

    def __init__(self) -> None:
        self.calls = 0

    def call(self, target: str, problem, args: tuple, kwargs: dict):
        self.calls += 1
        import numpy as np

        (x,) = args
        return np.where(x > 0, x, 0.01 * x)


def test_only_failed_explainable_cases_get_a_line_and_each_target_runs_once() -> None:
    """Are the examples tried once per problem and targets, in a session opened only when some
    failed case can be explained, and every other outcome left as it was?"""
    backend, opened = _Backend(), []

    @contextlib.contextmanager
    def fresh():
        opened.append(True)
        yield backend

    leaky = ("activations.leaky_relu",)
    outcomes = [
        _outcome(False, True, leaky),
        _outcome(False, True, leaky),
        _outcome(True, False, leaky),
        _outcome(False, False, leaky),  # a timeout, say: nothing to show on a small example
    ]
    annotated = explain.annotate(outcomes, PROBLEMS, fresh)
    line = "Try: leaky_relu(np.array([-2.0, 3.0]), alpha=0.5)  -> expected array([-1., 3.]), "
    assert annotated[0].message.endswith("\n" + line + "yours array([-0.02, 3. ])")
    assert annotated[1].message == annotated[0].message
    assert annotated[2:] == outcomes[2:]
    assert [o.passed for o in annotated] == [o.passed for o in outcomes]
    assert len(opened) == 1
    calls = backend.calls
    assert calls == 1  # the examples of leaky_relu, up to the first that differs
    assert explain.annotate(outcomes[2:], PROBLEMS, fresh) == outcomes[2:]
    assert len(opened) == 1  # nothing to explain: no sandbox opened


def test_no_differing_example_says_the_problem_shows_only_on_the_hidden_inputs() -> None:
    """When every declared example agrees, is the student told that, not shown a false line?"""
    problem = PROBLEMS.problem("3")

    def reference(target, example):
        args, kwargs = example.arguments()
        import numpy as np

        (x, *rest) = args
        return Result(np.maximum(x, 0.0))

    class Same:
        problems = PROBLEMS

        def call(self, target, problem, args, kwargs):
            import numpy as np

            return np.maximum(args[0], 0.0)

    assert counterexamples.find(Same(), reference, problem, ("activations.relu",)) == NONE_FAILED
    assert counterexamples.find(Same(), reference, problem, ("activations.softmax",)) is None


@pytest.mark.parametrize(
    "exc, explainable",
    [
        (AssertionError("relu(x): some values are wrong."), True),
        (counterexamples.BrokeContract("relu modified its input array x in place"), True),
        (counterexamples.StudentFailure("relu used more than 1 s of CPU time"), False),
        (KeyError("k"), False),  # not the student's: no STUDENT_ERROR on it
    ],
)
def test_which_failures_a_small_example_can_show(exc: BaseException, explainable: bool) -> None:
    assert counterexamples.explainable(exc) is explainable


@pytest.mark.slow
def test_a_hidden_failure_carries_a_counterexample_that_costs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Does a hidden case lost to an ignored alpha end with the paste-able line, while every
    score is what grading without counterexamples gives?"""
    folder = _mutant(
        tmp_path / "alpha", "activations",
        "np.where(x > 0, x, _alpha(alpha) * x)", "np.where(x > 0, x, 0.01 * x)",
    )  # fmt: skip
    results = grade(folder)
    failed = [t for t in results.tests if not t.outcome.passed]
    assert failed and all(t.outcome.problem == "3" for t in failed)
    line = (
        "Try: leaky_relu(np.array([-2.0, 3.0]), alpha=0.5)  -> expected array([-1., 3.]), "
        "yours array([-0.02, 3. ])"
    )
    assert all(t.outcome.message.endswith("\n" + line) for t in failed), failed
    monkeypatch.setattr(explain, "annotate", lambda outcomes, problems, fresh: list(outcomes))
    plain = grade(folder)
    assert [(t.number, t.score) for t in plain.tests] == [
        (t.number, t.score) for t in results.tests
    ]
    assert all("Try:" not in t.outcome.message for t in plain.tests)


@pytest.mark.slow
def test_a_correct_submission_opens_no_second_sandbox(tmp_path: Path, monkeypatch) -> None:
    """Is the fresh sandbox started only when some failed case can be explained?"""
    opened: list[bool] = []
    real = explain.annotate

    def spy(outcomes, problems, fresh):
        def counted():
            opened.append(True)
            return fresh()

        return real(outcomes, problems, counted)

    monkeypatch.setattr(explain, "annotate", spy)
    folder = tmp_path / "correct"
    folder.mkdir()
    for name in PROBLEMS.modules:
        shutil.copy(ROOT / "solutions" / f"{name}.py", folder)
    results = grade(folder)
    assert results.score == results.max_score
    assert opened == []
