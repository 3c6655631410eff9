"""The student proxy: the grading cases' view of a submission, backed by the sandbox.

``student.conv.conv2d(x, w)`` sends the call to the sandbox worker and returns the plain data
that came back; ``student.rnn_types.TASK_TYPES`` returns the value. The `Session` applies the
policies that keep one bad function from costing other tests:

- a module that is missing, does not compile, or fails to import (also by timeout or crash)
  is never imported again: its tests fail at once with the same message;
- a target that timed out or crashed twice fails its remaining tests at once;
- timeouts draw on an allowance of TIMEOUT_SHARE of the budget, shared equally by every
  strike that every target may still take: a call may wait at most ``allowance left /
  strikes left`` (and never more than the problem's own timeout). The allowance can never be
  overdrawn, so a submission whose every function loops is done in about that share of the
  budget, and no target's timeouts eat the time reserved for another's. Targets whose
  problems have run all their cases give their reserve back (`retire`);
- once the whole-submission budget is spent, remaining calls fail as not run.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable
from typing import Any

from grader import contracts
from grader.problems import MODULES, Problem, ProblemSet
from grader.sandbox import Sandbox, SandboxCrash, SandboxError, SandboxTimeout

STRIKES = 2  # timeouts or crashes after which a target is given up
TIMEOUT_SHARE = 0.4  # of the budget, for all the timeouts of a submission together


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
    """The call did not finish in time."""


class Crashed(StudentFailure):
    """The call ended the worker process or sent garbage."""


class GivenUp(StudentFailure):
    """The target timed out or crashed too often; not called again."""


class BudgetExhausted(StudentFailure):
    """The whole-submission time budget is spent."""


class BrokeContract(StudentFailure):
    """The call returned, but changed its inputs or returned them where new arrays are due."""


class StudentRaised(StudentFailure):
    """The student's code raised an exception that is not a plain builtin Exception."""


STUDENT_ERROR = "student_error"  # attribute set on builtin exceptions re-raised from a reply


class Session:
    """Grading state of one submission: the sandbox, the budget, and what has failed."""

    def __init__(
        self,
        problems: ProblemSet,
        unavailable: dict[str, str],
        sandbox: Sandbox,
        started: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.problems = problems
        self.sandbox = sandbox
        self.clock = clock
        self.deadline = (started if started is not None else clock()) + problems.limits.budget
        self.module_errors = dict(unavailable)  # module -> why it cannot be used
        self.strikes: dict[str, list[str]] = {}
        self.allowance = problems.limits.budget * TIMEOUT_SHARE  # seconds left for timeouts
        self.retired: set[str] = set()  # targets no case will call again
        self._imported: set[str] = set()
        self._functions: set[str] = set()  # targets that turned out to be callable
        self._generation = -1

    def get(self, target: str, problem: Problem) -> Any:
        """The target's value, or a callable that calls it in the sandbox."""
        if target in self._functions:  # known to be a function: save a round trip
            return _Call(self, target, problem)
        reply = self._request(target, problem, {"op": "get"}, None)
        if reply.get("callable"):
            self._functions.add(target)
            return _Call(self, target, problem)
        return reply.get("value")

    def call(self, target: str, problem: Problem, args: tuple, kwargs: dict) -> Any:
        """Call the target in the sandbox with plain-data arguments."""
        values = {"args": list(args), "kwargs": dict(kwargs)}
        memory = problem.limits.memory * 2**20
        reply = self._request(target, problem, {"op": "call", "memory": memory}, values)
        failure = contracts.broken(target, problem.returns_new_arrays, reply, args, kwargs)
        if failure is not None:
            raise BrokeContract(*failure)
        return reply.get("value")

    def _request(
        self, target: str, problem: Problem, header: dict[str, Any], values: dict | None
    ) -> dict[str, Any]:
        module, name = target.split(".")
        if module in self.module_errors:
            raise Unavailable(self.module_errors[module])
        struck = self.strikes.get(target, [])
        if len(struck) >= STRIKES:
            raise GivenUp(f"skipped: {name} {struck[-1]} {STRIKES} times already")
        self._import(module, problem)
        timeout = self._timeout(problem)
        try:
            reply = self.sandbox.request(
                {**header, "module": module, "name": name}, values, timeout
            )
        except SandboxTimeout:
            struck.append("timed out")
            self.strikes[target] = struck
            self.allowance -= timeout
            raise TimedOut(f"{name} did not finish within {timeout:.1f} s") from None
        except SandboxCrash as exc:
            struck.append("crashed")
            self.strikes[target] = struck
            raise Crashed(f"{name} crashed", detail=exc.reason) from None
        if reply["ok"]:
            return reply
        if reply.get("missing"):
            raise Unavailable(f"{module}.py has no {name}: define it with exactly this name")
        raise _raised(name, reply.get("error"))

    def _import(self, module: str, problem: Problem) -> None:
        self.sandbox.start()  # a no-op unless the last worker was killed
        if self.sandbox.starts != self._generation:  # a fresh worker has imported nothing
            self._imported, self._generation = set(), self.sandbox.starts
        if module in self._imported:
            return
        timeout = self._timeout(problem)
        try:
            reply = self.sandbox.request({"op": "import", "module": module}, None, timeout)
        except SandboxError as exc:
            why = "did not finish" if isinstance(exc, SandboxTimeout) else exc.reason
            if isinstance(exc, SandboxTimeout):
                self.allowance -= timeout
            self.module_errors[module] = f"importing {module}.py failed: {why}"
            if isinstance(exc, SandboxTimeout):
                self.module_errors[module] += f" within {timeout:.1f} s"
            raise Unavailable(self.module_errors[module]) from None
        if not reply["ok"]:
            error = reply.get("error") or {}
            detail = f"{error.get('type', 'error')}: {error.get('message', '')}".strip(": ")
            self.module_errors[module] = f"{module}.py failed to import: {detail}"[:500]
            raise Unavailable(self.module_errors[module])
        self._imported.add(module)

    def _timeout(self, problem: Problem) -> float:
        remaining = self.deadline - self.clock()
        if remaining <= 0:
            raise BudgetExhausted("not run: time budget exhausted")
        strikes_left = sum(
            STRIKES - len(self.strikes.get(target, ()))
            for target in self.problems.targets
            if target.split(".")[0] not in self.module_errors and target not in self.retired
        )
        share = self.allowance / max(strikes_left, 1)
        return max(min(problem.limits.timeout, remaining, share), 0.001)

    def retire(self, targets: set[str]) -> None:
        """No case will call `targets` again: their reserve goes back to the others."""
        self.retired |= targets


def _raised(name: str, error: Any) -> Exception:
    """The exception to raise in the trusted process for a student's exception."""
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


class _Call:
    """A student function living in the sandbox."""

    def __init__(self, session: Session, target: str, problem: Problem) -> None:
        self._session, self._target, self._problem = session, target, problem

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(self._target, self._problem, args, kwargs)

    def __repr__(self) -> str:
        return f"<student {self._target}>"


class _Module:
    def __init__(self, student: StudentProxy, module: str) -> None:
        self._student, self._module = student, module

    def __getattr__(self, name: str) -> Any:
        return self._student.fetch(f"{self._module}.{name}")


class StudentProxy:
    """The `student` fixture of one case: records which targets the case touched."""

    def __init__(self, session: Session, problem: Problem) -> None:
        self._session, self._problem = session, problem
        self.touched: list[str] = []

    def __getattr__(self, module: str) -> _Module:
        if module not in MODULES:
            raise AttributeError(f"no student module {module!r}")
        return _Module(self, module)

    def fetch(self, target: str) -> Any:
        if target not in self._session.problems.targets:
            raise AttributeError(f"{target} is not an exercise in problems.yaml")
        if target not in self.touched:
            self.touched.append(target)
        return self._session.get(target, self._problem)
