"""A failed case's public counterexample: the first declared example (problems.yaml `examples:`)
on which the student's function and the reference part ways, tried through either backend.

Used by both audiences with the same rules, so a student sees the same `Try:` line in their
own checks as in the grader's feedback:

- the grader (grader/grading/pipeline.py) asks after every case has run and every score is
  fixed, in a fresh sandbox that has never been given a hidden input, so nothing the student's
  code kept from a hidden case can ride out on its answer to a public example; the calls count
  against the submission's budget and never change a score;
- the public checks (grader/cases/conftest.py) ask when a public case fails.

Which failures get one (`explainable`): a wrong value, shape or dtype, a misconception hint, a
missed ValueError, a changed input (the cases' verdicts and broken contracts), and an exception
the student's code raised. Not: an unfinished function (NotImplementedError), a missing or
broken module, a timeout, a crash: a small example says nothing new about those.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

from grader.calling.failures import STUDENT_ERROR, BrokeContract, StudentFailure
from grader.calling.student import Backend, Student
from grader.checking.examples import Example, Result, search
from grader.problems import Problem

# target, example -> what the reference does with it (None: no recorded answer for it)
Reference = Callable[[str, Example], "Result | None"]


def explainable(exc: BaseException) -> bool:
    """Whether a case that failed with `exc` can be shown on a small public example."""
    if isinstance(exc, AssertionError) or type(exc).__name__ == "Failed":  # pytest.fail
        return True
    if isinstance(exc, BrokeContract):
        return True
    info = getattr(exc, STUDENT_ERROR, None)
    if info is not None:
        return info.get("type") != "NotImplementedError" and not info.get("unsupported")
    return False


def for_case(student: Student, reference: Reference) -> str | None:
    """`find` for the case that `student` (its `student` fixture) served."""
    return find(student._backend, reference, student._problem, student.touched)


def find(
    backend: Backend, reference: Reference, problem: Problem, targets: Iterable[str]
) -> str | None:
    """The `Try:` line for a failed case of `problem` that called `targets` (in order), the
    note that no example differs, or None where the problem declares no example for them (or
    the reference has no answer for them: the student bundle holds only recorded ones)."""
    seen: list[str] = []
    for target in targets:
        if target not in seen and problem.examples_for(target):
            seen.append(target)
    if not seen:
        return None
    limits = problem.limits
    lines = []
    for target in seen:
        line = search(
            problem.examples_for(target),
            lambda example, target=target: reference(target, example),
            lambda example, target=target: student_side(backend, problem, target, example),
            rtol=limits.rtol,
            atol=limits.atol,
        )
        if line is not None and line.startswith("Try: "):
            return line
        if line is not None:
            lines.append(line)
    return lines[0] if lines else None


def student_side(backend: Backend, problem: Problem, target: str, example: Example) -> Result:
    """What the student's function does with the example, through the backend."""
    args, kwargs = example.arguments()
    try:
        return Result(backend.call(target, problem, args, kwargs))
    except BrokeContract as exc:
        return Result(changed=True, message=str(exc))
    except StudentFailure as exc:  # did not finish, crashed, unavailable: the grader's words
        return Result(raised=type(exc).__name__, message=str(exc), grader_words=True)
    except Exception as exc:  # noqa: BLE001  (a builtin exception the student's code raised)
        info: dict[str, Any] = getattr(exc, STUDENT_ERROR, None) or {}
        return Result(raised=str(info.get("type", type(exc).__name__)), message=str(exc))


def references(package: str) -> Reference:
    """The reference side from the set's reference package, imported in this process (trusted
    code; in the student bundle, its recorded answers: a call it has none for gives None)."""

    def reference(target: str, example: Example) -> Result | None:
        module, name = target.split(".")
        try:
            function = getattr(importlib.import_module(f"{package}.{module}"), name)
        except (ImportError, AttributeError):
            return None
        args, kwargs = example.arguments()
        try:
            return Result(function(*args, **kwargs))
        except LookupError as exc:
            if type(exc) is LookupError:  # the bundle's recordings hold no answer for it
                return None
            return Result(raised=type(exc).__name__, message=str(exc))
        except Exception as exc:  # noqa: BLE001  (the example may be one the reference refuses)
            return Result(raised=type(exc).__name__, message=str(exc))

    return reference
