"""tests/corpus/loops: correct submissions written with Python loops everywhere score full
marks through the real grader, on a quiet machine and with two CPU hogs running."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.grading.pipeline import grade

LOOPS = Path(__file__).resolve().parent / "corpus" / "loops"


def _failures(results) -> list[str]:
    return [f"{t.number}: {t.outcome.message}" for t in results.tests if not t.outcome.passed]


def test_loop_implementations_score_full_marks() -> None:
    """Does a straightforward loop implementation of every function get every point?"""
    results = grade(LOOPS)
    assert _failures(results) == [] and results.score == results.max_score == 19


@pytest.mark.slow
def test_loop_implementations_score_full_marks_on_a_loaded_machine(cpu_hogs) -> None:
    """With both cores busy with other processes, are the grades still full marks?"""
    for _ in range(2):
        results = grade(LOOPS)
        assert _failures(results) == [] and results.score == 19
