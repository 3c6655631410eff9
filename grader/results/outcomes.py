"""What running one grading case produced: the record that flows from the plugin to scoring."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestOutcome:
    """One grading case, run against one submission."""

    __test__ = False  # not a pytest test class, despite the name

    problem: str  # problems.yaml id
    name: str  # display name: the case's docstring
    visible: bool  # public case (students see inputs and expected values)
    passed: bool
    message: str  # student-facing; empty when passed
    targets: tuple[str, ...]  # "module.name" the case actually called, in order
    duration: float  # seconds
    grader_error: bool = False  # the case itself broke: not the student's fault
    # It failed in a way a small public example can show (grader/calling/counterexamples.py).
    explainable: bool = False
