"""Public counterexamples for a graded submission's failed cases, found once its scores are fixed.

After every case has run, each failed case that a small public example can show (a wrong value,
shape or dtype, a misconception, a missed ValueError, a changed input, a raised exception:
`TestOutcome.explainable`) gets one more line: the first example declared for the targets it
called (problems.yaml `examples:`) on which the student's function and the reference part ways,
as grader/calling/counterexamples.py finds it.

The examples run in a fresh sandbox, started after the first is closed: a worker that has never
been given a hidden input, so nothing the student's code kept from a hidden case (in a global,
in a file) can ride out on its answer to a public example. Its calls count against the
submission's budget (its session's deadline is the grading's own), and they never change a
score: only messages change here. Cases of one problem that called the same targets share one
line, so the examples of a target run at most once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from grader.calling import counterexamples
from grader.grading.session import Session
from grader.problems import ProblemSet
from grader.results.outcomes import TestOutcome

# Opens the fresh session the examples run in, and closes its sandbox on exit.
SessionFactory = Callable[[], AbstractContextManager[Session]]


def wanted(outcome: TestOutcome, problems: ProblemSet) -> bool:
    """Whether a counterexample is looked for: a failed, explainable case whose targets have
    declared examples."""
    if outcome.passed or not outcome.explainable:
        return False
    try:
        problem = problems.problem(outcome.problem)
    except KeyError:  # a case marked with no known problem: nothing declared for it
        return False
    return any(problem.examples_for(target) for target in outcome.targets)


def annotate(
    outcomes: Sequence[TestOutcome], problems: ProblemSet, fresh: SessionFactory
) -> list[TestOutcome]:
    """`outcomes`, each failed explainable case's message followed by its counterexample."""
    keys = {(o.problem, o.targets) for o in outcomes if wanted(o, problems)}
    if not keys:
        return list(outcomes)
    found: dict[tuple[str, tuple[str, ...]], str | None] = {}
    reference = counterexamples.references(problems.solutions_package)
    with fresh() as session:
        for problem_id, targets in sorted(keys):
            problem = problems.problem(problem_id)
            found[problem_id, targets] = counterexamples.find(session, reference, problem, targets)
    return [
        dataclasses.replace(o, message=f"{o.message}\n{line}")
        if (line := found.get((o.problem, o.targets))) and wanted(o, problems)
        else o
        for o in outcomes
    ]
