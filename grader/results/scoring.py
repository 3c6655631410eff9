"""Outcomes to scores: pure functions, points only from problems.yaml.

A code problem's points are shared by its grading cases as equally as the written precision
(DECIMALS places) allows: the shares are whole numbers of 10**-DECIMALS points, apportioned by
largest remainder, so they add up to the problem's points exactly (2 points over 13 cases is
six cases of 0.1539 and seven of 0.1538). Every total is the sum of the scores it is made of,
added in those whole units: the tests' scores add up to their problem's, the problems' to the
submission's, exactly as shown. A problem with no cases at all (the cases did not load) scores
0 and is flagged as a grader error rather than hidden.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from grader.problems import Problem, ProblemSet
from grader.results.outcomes import TestOutcome


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
        return total(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        return _round(self.problem.points)

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
        return total(p.score for p in self.problems)

    @property
    def max_score(self) -> float:
        return total(p.max_score for p in self.problems)

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
        shares = apportion(problem.points, len(mine))
        tests = tuple(
            TestScore(
                number=f"{problem.id}.{k}",
                outcome=outcome,
                score=share if outcome.passed else 0.0,
                max_score=share,
            )
            for k, (outcome, share) in enumerate(zip(mine, shares, strict=True), start=1)
        )
        result.append(ProblemScore(problem=problem, tests=tests))
    return tuple(result)


DECIMALS = 4  # places of every score written
_UNIT = 10**DECIMALS  # whole units per point


def apportion(points: float, count: int) -> tuple[float, ...]:
    """`points` split into `count` shares of DECIMALS places that add up to it exactly.

    Every share is the equal share rounded down to a whole unit; the units left over go one
    each to the first shares (all remainders are equal, so largest remainder is first come).

    >>> apportion(2, 13)[:7]
    (0.1539, 0.1539, 0.1539, 0.1539, 0.1539, 0.1539, 0.1538)
    """
    if count <= 0:
        return ()
    units = _units(points)
    base, left = divmod(units, count)
    return tuple((base + (k < left)) / _UNIT for k in range(count))


def total(scores: Iterable[float]) -> float:
    """The exact sum of scores of DECIMALS places, as written with DECIMALS places."""
    return sum(_units(s) for s in scores) / _UNIT


def _units(value: float) -> int:
    return round(value * _UNIT)


def _round(value: float) -> float:
    return round(value, DECIMALS)
