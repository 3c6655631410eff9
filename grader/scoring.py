"""Outcomes to scores: pure functions, points only from problems.yaml.

A code problem's points are shared equally by its grading cases. A problem with no cases at
all (the cases did not load) scores 0 and is flagged as a grader error rather than hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.outcomes import TestOutcome
from grader.problems import Problem, ProblemSet


@dataclass(frozen=True)
class TestScore:
    """One case with its share of the problem's points."""

    __test__ = False  # not a pytest test class, despite the name

    number: str  # "<problem id>.<k>", k counting from 1 in run order
    outcome: TestOutcome
    score: float
    max_score: float


@dataclass(frozen=True)
class ProblemScore:
    """One problem: its cases and their sum."""

    problem: Problem
    tests: tuple[TestScore, ...]

    @property
    def score(self) -> float:
        # From the pass count, not the rounded shares, so 3 of 3 cases give exactly the points.
        if not self.tests:
            return 0.0
        passed = sum(t.outcome.passed for t in self.tests)
        return _round(self.problem.points * passed / len(self.tests))

    @property
    def max_score(self) -> float:
        return self.problem.points

    @property
    def reason(self) -> str:
        """One line for the terminal table: the first failure, if any."""
        if not self.tests:
            return "no grading cases ran"
        failed = [t for t in self.tests if not t.outcome.passed]
        if not failed:
            return "all cases passed"
        lines = [line for t in failed for line in t.outcome.message.splitlines()]
        hints = [line for line in lines if line.startswith("Hint: ")]
        first = hints[0] if hints else (lines[0] if lines else "")
        return f"{len(failed)}/{len(self.tests)} failed: {first}"


@dataclass(frozen=True)
class Results:
    """The grade of one submission, before any output format."""

    problems: tuple[ProblemScore, ...]
    written: tuple[Problem, ...]  # graded by hand
    messages: tuple[str, ...]  # intake notes and warnings for the student
    execution_time: float
    extra: dict[str, Any] = field(default_factory=dict)  # instructor-only details
    faults: tuple[str, ...] = ()  # the grader's own failures beyond single cases

    @property
    def score(self) -> float:
        return _round(sum(p.score for p in self.problems))

    @property
    def max_score(self) -> float:
        return _round(sum(p.max_score for p in self.problems))

    @property
    def tests(self) -> tuple[TestScore, ...]:
        return tuple(t for p in self.problems for t in p.tests)

    @property
    def grader_errors(self) -> tuple[str, ...]:
        errors = [f"{t.number} {t.outcome.name}" for t in self.tests if t.outcome.grader_error]
        errors += [
            f"problem {p.problem.id}: no grading cases" for p in self.problems if not p.tests
        ]
        return (*errors, *self.faults)


def score(problems: ProblemSet, outcomes: list[TestOutcome]) -> tuple[ProblemScore, ...]:
    """Share each code problem's points among its cases; unknown problem ids are dropped."""
    result = []
    for problem in problems.problems:
        if not problem.graded:
            continue
        mine = [o for o in outcomes if o.problem == problem.id]
        share = problem.points / len(mine) if mine else 0.0
        tests = tuple(
            TestScore(
                number=f"{problem.id}.{k}",
                outcome=outcome,
                score=_round(share) if outcome.passed else 0.0,
                max_score=_round(share),
            )
            for k, outcome in enumerate(mine, start=1)
        )
        result.append(ProblemScore(problem=problem, tests=tests))
    return tuple(result)


def _round(value: float) -> float:
    return round(value, 4)
