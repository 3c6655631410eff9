"""grader/results/scoring.py and grader/results/gradescope.py: pure functions, tested with
literals."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from grader.problems import Limits, Problem, ProblemSet
from grader.results import gradescope
from grader.results.outcomes import TestOutcome
from grader.results.scoring import Results, apportion, score, total


def _problem(pid: str, points: float, kind: str = "code") -> Problem:
    targets = ("conv.conv2d",) if kind == "code" else ()
    return Problem(pid, f"P{pid}", "s", kind, points, targets, Limits())


PROBLEMS = ProblemSet(
    "t", (_problem("1a", 2), _problem("w", 1, "written"), _problem("2", 1)), Limits(), Path("p")
)


def _outcome(problem: str, passed: bool, *, visible: bool = True, message: str = "") -> TestOutcome:
    return TestOutcome(
        problem, f"case of {problem}", visible, passed, message, ("conv.conv2d",), 0.01
    )


def test_points_are_shared_equally_and_numbered_per_problem() -> None:
    """Does each case get points/n, numbered "<id>.<k>"?"""
    scores = score(PROBLEMS, [_outcome("1a", True), _outcome("1a", False), _outcome("1a", True),
                              _outcome("2", True)])  # fmt: skip
    first, second = scores
    assert [t.number for t in first.tests] == ["1a.1", "1a.2", "1a.3"]
    assert [t.max_score for t in first.tests] == [0.6667, 0.6667, 0.6666]
    assert [t.score for t in first.tests] == [0.6667, 0.0, 0.6666]
    assert first.score == 1.3333 and first.max_score == 2
    assert second.score == 1.0


@pytest.mark.parametrize(
    "points, count, shares",
    [
        pytest.param(2, 13, (0.1539,) * 6 + (0.1538,) * 7, id="2-over-13"),
        pytest.param(1, 3, (0.3334, 0.3333, 0.3333), id="1-over-3"),
        pytest.param(2, 4, (0.5,) * 4, id="even"),
        pytest.param(1.5, 7, (0.2143,) * 6 + (0.2142,), id="fractional-points"),
        pytest.param(2, 0, (), id="no-cases"),
    ],
)
def test_apportion_splits_points_exactly_at_four_decimals(points, count, shares) -> None:
    """Do the shares differ by at most one unit and add up to the points, as written?"""
    assert apportion(points, count) == shares
    assert total(shares) == (points if count else 0)


def test_tests_add_up_to_their_problem_and_problems_to_the_total() -> None:
    """Is every total the exact sum of the scores it is shown with (the issue's 1b: 13 cases)?"""
    problems = ProblemSet("t", (_problem("1b", 2), _problem("4d", 2)), Limits(), Path("p"))
    outcomes = [_outcome("1b", k % 3 != 0) for k in range(13)]  # 8 of 13 pass
    outcomes += [_outcome("4d", k != 1) for k in range(7)]  # 6 of 7 pass
    results = Results(score(problems, outcomes), (), (), 0.1)
    document = gradescope.render(results)
    shown = [test["score"] for test in document["tests"]]
    maxima = [test["max_score"] for test in document["tests"]]
    assert total(maxima) == 4.0 and results.max_score == 4.0
    assert total(shown) == document["score"] == results.score
    first, second = results.problems
    assert first.score == total(t.score for t in first.tests) == 1.2308  # 0.1539 * 4 + 0.1538 * 4
    assert second.score == 1.7143  # 0.2858 + 0.2857 * 5
    assert results.score == 2.9451


def test_all_passed_gives_exactly_the_points() -> None:
    """Do rounded shares never add up to more or less than the problem's points?"""
    (first, _) = score(PROBLEMS, [_outcome("1a", True)] * 3 + [_outcome("2", True)])
    assert first.score == 2.0


def test_written_problems_and_unknown_ids_are_not_scored() -> None:
    """Are written problems left out, and outcomes of unknown problems dropped?"""
    scores = score(PROBLEMS, [_outcome("w", True), _outcome("zz", True)])
    assert [p.problem.id for p in scores] == ["1a", "2"]
    assert all(p.score == 0 and not p.tests for p in scores)


def _results(outcomes: list[TestOutcome], messages: tuple[str, ...] = ()) -> Results:
    return Results(
        problems=score(PROBLEMS, outcomes),
        written=(PROBLEMS.problems[1],),
        messages=messages,
        execution_time=0.4321,
        extra={"sandbox": {"level": "full"}},
    )


def test_render_gives_one_entry_per_case_with_spec_keys_only() -> None:
    """Is results.json the Gradescope shape: one test per case, documented keys only?"""
    document = gradescope.render(_results([
        _outcome("1a", True), _outcome("1a", False, visible=False, message="wrong shape"),
        _outcome("2", True)]))  # fmt: skip
    assert set(document) == {"score", "execution_time", "output", "tests", "extra_data"}
    assert document["score"] == 2.0 and document["execution_time"] == 0.432
    keys = {"name", "number", "score", "max_score", "status", "output", "visibility", "tags"}
    assert all(set(test) == keys for test in document["tests"])
    hidden = document["tests"][1]
    assert hidden["status"] == "failed" and hidden["output"] == "(hidden case) wrong shape"
    assert hidden["tags"] == ["conv.conv2d"] and hidden["number"] == "1a.2"
    assert document["tests"][0]["output"] == ""
    json.dumps(document, allow_nan=False)  # strict JSON


def test_summary_names_written_problems_and_intake_messages() -> None:
    """Does the top-level output say what is graded by hand and what intake noticed?"""
    text = gradescope.summary(_results([], messages=("no rnn.py found",)))
    assert "Auto-graded score: 0 / 3." in text
    assert "graded by hand, not here: w." in text
    assert "no rnn.py found" in text


def test_grader_errors_are_announced() -> None:
    """Is a case the grader could not run flagged, not silently zero?"""
    broken = TestOutcome("1a", "x", True, False, "grader", (), 0.0, grader_error=True)
    results = _results([broken, _outcome("2", True)])
    assert results.grader_errors == ("1a.1 x",)
    assert "course staff will check" in gradescope.summary(results)


def test_fallback_is_a_valid_document() -> None:
    """Is the fallback written on a grader fault valid and kind?"""
    document = gradescope.fallback("boom")
    assert document["score"] == 0.0 and document["tests"] == []
    assert "not your fault" in document["output"]


def test_write_is_atomic_and_replaces_a_planted_symlink(tmp_path: Path) -> None:
    """Does writing replace a symlink at the target instead of following it?"""
    victim = tmp_path / "victim"
    victim.write_text("keep", encoding="utf-8")
    target = tmp_path / "results.json"
    os.symlink(victim, target)
    gradescope.write({"score": 1.0, "tests": []}, target)
    assert victim.read_text(encoding="utf-8") == "keep"
    assert not target.is_symlink() and json.loads(target.read_text())["score"] == 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json", "victim"]


def test_write_refuses_nan(tmp_path: Path) -> None:
    """Can a NaN score ever reach results.json?"""
    with pytest.raises(ValueError):
        gradescope.write({"score": float("nan")}, tmp_path / "results.json")
    assert list(tmp_path.iterdir()) == []
