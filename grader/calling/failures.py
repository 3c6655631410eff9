"""What went wrong in a call of student code, classified and worded once for both backends.

In: the plain-data account of what a call raised (grader/runtime/runner.py `error`: type,
builtin, message, traceback; from the sandbox worker's reply or from the student's own
process), the contract report of a call that returned (runner.py `contract`), and the CPU time
a call used. Out: the exception a case sees. Every message is complete and student-facing;
`detail` (a traceback, an exit status, where a nested argument changed) is what the student's
code could have chosen, shown for public cases only.

A builtin Exception the student's code raised (ValueError, NotImplementedError, ...) reaches
the case as a new exception of that class, so a case expecting it sees it; anything else
becomes `StudentRaised`. Either carries `STUDENT_ERROR`: the call's name and the account,
which the grader's plugin (grader/grading/plugin.py) and the public checks
(grader/selfcheck/inprocess.py `describe`) word for the case's audience.
"""

from __future__ import annotations

import builtins
from typing import Any

from grader.checking import contracts
from grader.problems import Problem

STUDENT_ERROR = "student_error"  # attribute set on the exceptions `raised` builds
NEVER_ENDS = "check for a loop that never ends"  # unless the problem says (`when_slow`)


class StudentFailure(Exception):
    """The student's code produced no value; the message is student-facing.

    `detail` is what the student's code could have chosen (an exit status, say): shown for
    public cases only, since a hidden case's message must carry nothing out of it.
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class Unavailable(StudentFailure):
    """The module or function cannot be used (missing, broken, failed to import)."""


class TimedOut(StudentFailure):
    """The call did not finish in time, or used more CPU time than its problem allows."""


class Crashed(StudentFailure):
    """The call ended the worker process or sent garbage."""


class GivenUp(StudentFailure):
    """The target timed out or crashed too often; not called again."""


class BudgetExhausted(StudentFailure):
    """The whole-submission time budget is spent."""


class BrokeContract(StudentFailure):
    """The call returned, but changed its inputs or returned them where new arrays are due."""


class StudentRaised(StudentFailure):
    """The student's code raised an exception that is not a plain builtin Exception, or
    returned something that cannot cross as plain data."""


class LostName(StudentFailure):
    """The student's code needed a name that a failed top-level statement should have bound."""


def raised(name: str, error: Any) -> Exception:
    """The exception a case sees for what the call `name` raised (`error`, untrusted)."""
    error = error if isinstance(error, dict) else {}
    kind = str(error.get("type", "Exception"))[:100]
    cls = getattr(builtins, kind, None) if error.get("builtin") is True else None
    builtin = isinstance(cls, type) and issubclass(cls, BaseException)
    info = {
        "function": name,
        "type": kind,
        "builtin": builtin,  # only then is `type` a name the student did not invent
        "unsupported": kind == "UnsupportedReturn",
        "message": str(error.get("message", ""))[:2000],
        "traceback": str(error.get("traceback", "")),
    }
    exc: BaseException | None = None
    if builtin and issubclass(cls, Exception):  # type: ignore[arg-type]
        try:
            exc = cls(info["message"])  # type: ignore[misc]
        except Exception:  # noqa: BLE001  (some builtins need more arguments)
            exc = None
    if exc is None:
        what = "returned" if info["unsupported"] else f"raised {kind}:"
        exc = StudentRaised(f"{name} {what} {info['message']}"[:1000])
    setattr(exc, STUDENT_ERROR, info)
    return exc  # type: ignore[return-value]


def over_time(what: str, limit: float, whose: str, hint: str) -> TimedOut:
    """`what` used up its CPU time: `whose` limit it was, and what to do about it."""
    return TimedOut(f"{what} used more than {limit:g} s of CPU time ({whose}): {hint}")


def slow_hint(problem: Problem) -> str:
    """What to do about a call of `problem` that used up its CPU time."""
    return problem.when_slow or NEVER_ENDS


def broken_contract(
    target: str,
    problem: Problem,
    report: dict[str, Any],
    args: tuple | list,
    kwargs: dict[str, Any],
    package: str,
) -> BrokeContract | None:
    """The failure of a call whose `report` (runner.py `contract`) breaks the API's contract
    (grader/checking/contracts.py), or None."""
    broken = contracts.broken(target, problem.returns_new_arrays, report, args, kwargs, package)
    return None if broken is None else BrokeContract(*broken)
