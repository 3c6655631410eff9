"""The student proxy: the grading cases' view of a submission, backed by the sandbox.

``student.conv.conv2d(x, w)`` sends the call to the sandbox worker and returns the plain data
that came back; ``student.rnn_types.TASK_TYPES`` returns the value. The `Session` applies the
policies that keep one bad function from costing other tests:

- a call may use its problem's `timeout` in CPU seconds (measured by the sandbox, whatever
  the machine's load) and `sandbox.backstop` of it in wall-clock time; importing a module
  may use the largest `timeout` of the problems that grade it (`ProblemSet.module_timeout`);
- every available module is imported once, at the start, before any case calls a function:
  the worker runs each module statement by statement, and the statements that failed (an
  `import matplotlib`, say) are reported once each in `messages`, from that first import only,
  so their texts cannot carry a hidden case's inputs; a function that later fails with a
  NameError for a name such a statement should have bound is told which and why;
- a module that is missing, does not compile, or fails to import (also by timeout or crash)
  is never imported again: its tests fail at once with the same message;
- a target that timed out once, crashed CRASHES times, or crashed after running longer than
  its timeout in wall-clock time, fails its remaining tests at once;
- once the whole-submission budget is spent, remaining calls fail as not run. problems.py
  checks at load that the budget covers every import and target failing in the slowest way
  allowed, so honest work never reaches it.
"""

from __future__ import annotations

import builtins
import contextlib
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from grader.checking import contracts
from grader.intake import statements
from grader.intake.statements import Statement
from grader.intake.submission import Source
from grader.problems import CRASHES, Problem, ProblemSet, backstop
from grader.sandbox.supervisor import Sandbox, SandboxCrash, SandboxError, SandboxTimeout

NEVER_ENDS = "check for a loop that never ends"  # unless the problem says (`when_slow`)
TOP_LEVEL = (
    "code at the top level of a module runs when it is imported: put demos and experiments "
    'under `if __name__ == "__main__":`'
)


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


class LostName(StudentFailure):
    """The student's code needed a name that a failed top-level statement should have bound."""


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
        sources: Mapping[str, Source] | None = None,
    ) -> None:
        self.problems = problems
        self.sources = dict(sources or {})
        self.sandbox = sandbox
        self.clock = clock
        self.deadline = (started if started is not None else clock()) + problems.limits.budget
        self.module_errors = dict(unavailable)  # module -> why it cannot be used
        self.given_up: dict[str, str] = {}  # target -> what it did ("timed out", ...)
        self.crashes: dict[str, int] = {}  # target -> crashes so far
        self._imported: set[str] = set()
        self._functions: set[str] = set()  # targets that turned out to be callable
        self._generation = -1
        self._opened = False  # every module has been imported once
        self._failed: dict[tuple[str, int], str] = {}  # (origin, statement) -> its message
        self._lost: dict[str, str] = {}  # name a failed statement binds -> why it is missing
        for source in self.sources.values():
            for statement in source.program:
                if not statement.runs:  # intake reported these already
                    self._lose(statement, statement.failure)

    @property
    def messages(self) -> tuple[str, ...]:
        """One message per statement that failed when the modules were first imported."""
        return tuple(self._failed.values())

    def get(self, target: str, problem: Problem) -> Any:
        """The target's value, or a callable that calls it in the sandbox."""
        module = target.split(".")[0]
        if module not in self.module_errors and target not in self.given_up:
            self._import(module, problem)  # its reply names the targets that are functions
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
        failure = contracts.broken(
            target, problem.returns_new_arrays, reply, args, kwargs,
            self.problems.solutions_package,
        )  # fmt: skip
        if failure is not None:
            raise BrokeContract(*failure)
        return reply.get("value")

    def _request(
        self, target: str, problem: Problem, header: dict[str, Any], values: dict | None
    ) -> dict[str, Any]:
        module, name = target.split(".")
        if module in self.module_errors:
            raise Unavailable(self.module_errors[module])
        if target in self.given_up:
            raise GivenUp(f"not run: {name} already {self.given_up[target]}")
        self._import(module, problem)
        limit = problem.limits.timeout
        started = self.clock()
        try:
            reply = self.sandbox.request(
                {**header, "module": module, "name": name}, values, limit, self._wall(limit)
            )
        except SandboxTimeout as exc:
            self.given_up[target] = "timed out"
            whose = f"the limit for problem {problem.id}"
            raise self._late(name, exc, whose, problem.when_slow or NEVER_ENDS) from None
        except SandboxCrash as exc:
            self.crashes[target] = crashes = self.crashes.get(target, 0) + 1
            if self.clock() - started > limit:  # as costly as a timeout: no second try
                self.given_up[target] = f"crashed after running for more than {limit:g} s"
            elif crashes >= CRASHES:
                self.given_up[target] = f"crashed {crashes} times"
            raise Crashed(f"{name} crashed", detail=exc.reason) from None
        if reply["ok"]:
            return reply
        if reply.get("missing"):
            raise Unavailable(self._missing(module, name))
        raise self._lost_name(name, reply.get("error")) or _raised(name, reply.get("error"))

    def _origin(self, module: str) -> str:
        source = self.sources.get(module)
        return source.origin if source else f"{module}.py"

    def _missing(self, module: str, name: str) -> str:
        """Why `name` is not in the module: a failed statement's, or a misspelling."""
        origin = self._origin(module)
        if name in self._lost:
            return f"{origin} defines no {name}: {self._lost[name]}"
        return f"{origin} defines no {name}: define it at the top level with exactly this name"

    def _lost_name(self, name: str, error: Any) -> StudentFailure | None:
        """A NameError for a name a failed statement binds, told in trusted text only."""
        error = error if isinstance(error, dict) else {}
        if error.get("type") != "NameError" or error.get("builtin") is not True:
            return None
        match = _NAME_ERROR.search(str(error.get("message", "")))
        lost = match.group(1) if match else ""
        if lost not in self._lost:
            return None
        return LostName(
            f"{name} raised NameError: {lost} is not defined, since {self._lost[lost]}",
            detail=str(error.get("traceback", ""))[-2000:],  # shown for public cases only
        )

    def _lose(self, statement: Statement, explanation: str) -> None:
        for bound in statement.names:
            self._lost.setdefault(bound, explanation)

    def _import(self, module: str, problem: Problem) -> None:
        if not self._opened:
            # Eagerly, before any case calls a function: what importing prints or raises
            # cannot depend on a hidden case's inputs.
            self._opened = True
            for each in self.problems.modules:
                if each not in self.module_errors:
                    with contextlib.suppress(Unavailable):  # recorded in module_errors
                        self._import_one(each, problem, first=True)
        if module in self.module_errors:
            raise Unavailable(self.module_errors[module])
        self._import_one(module, problem, first=False)

    def _import_one(self, module: str, problem: Problem, first: bool) -> None:
        self.sandbox.start()  # a no-op unless the last worker was killed
        if self.sandbox.starts != self._generation:  # a fresh worker has imported nothing
            self._imported, self._generation = set(), self.sandbox.starts
        if module in self._imported:
            return
        twin = self._twin(module)
        # Which of its targets are functions comes back with the import: no `get` for them.
        names = [t.split(".")[1] for t in self.problems.targets if t.split(".")[0] == module]
        header: dict[str, Any] = {"op": "import", "module": module, "names": names}
        if twin != module:  # one notebook (or one file) backs both: run its code once
            if twin not in self._imported:
                with contextlib.suppress(Unavailable):
                    self._import_one(twin, problem, first)
            if twin in self.module_errors:
                self.module_errors[module] = self.module_errors[twin]
                raise Unavailable(self.module_errors[module])
            header["alias_of"] = twin
        siblings = [m for m in self.problems.modules if self._twin(m) == twin]
        limit = max(self.problems.module_timeout(m) for m in siblings)
        try:
            reply = self.sandbox.request(header, None, limit, self._wall(limit))
        except SandboxError as exc:
            if isinstance(exc, SandboxTimeout):
                what, whose = f"importing {self._origin(module)}", "the limit for importing it"
                late = self._late(what, exc, whose, TOP_LEVEL)
                self.module_errors[module] = str(late)
            else:
                why = exc.reason
                self.module_errors[module] = f"importing {self._origin(module)} failed: {why}"
            raise Unavailable(self.module_errors[module]) from None
        if not reply["ok"]:
            error = reply.get("error") or {}
            detail = f"{error.get('type', 'error')}: {error.get('message', '')}".strip(": ")
            if not first:  # after hidden cases ran: say nothing the student's code chose
                detail = "it imported when grading began, but not again after a restart"
            self.module_errors[module] = f"{self._origin(module)} failed to import: {detail}"[:500]
            raise Unavailable(self.module_errors[module])
        self._imported.add(module)
        callables = reply.get("callables")
        for name in callables if isinstance(callables, list) else ():
            if name in names:  # only what was asked: the reply is the student's process's word
                self._functions.add(f"{module}.{name}")
        if first:
            self._record(reply.get("failures"))

    def _twin(self, module: str) -> str:
        """The first module whose code comes from the same file as `module`'s (a notebook, or a
        lone .py file, backs several): importing it runs that code, the others alias it."""
        source = self.sources.get(module)
        if source is None:
            return module
        for other in self.problems.modules:
            mine = self.sources.get(other)
            if mine is not None and mine.origin == source.origin:
                return other
        return module

    def _record(self, failures: Any) -> None:
        """Note the statements that failed, by module, mapped to intake's own statements."""
        if not isinstance(failures, dict):
            return
        for module, failed in failures.items():
            source = self.sources.get(module) if isinstance(module, str) else None
            if source is None or not isinstance(failed, list):
                continue
            for item in failed:
                index = item.get("index") if isinstance(item, dict) else None
                if not isinstance(index, int) or not 0 <= index < len(source.program):
                    continue
                statement = source.program[index]
                if not statement.runs or (source.origin, index) in self._failed:
                    continue
                why = statements.why_failed(item, self.problems, self.module_errors)
                failed_how, message = statements.failed(statement, source.origin, why)
                self._lose(statement, failed_how)
                self._failed[source.origin, index] = message

    def _wall(self, limit: float) -> float:
        """Wall-clock seconds for a request: its backstop, cut short only by the budget."""
        remaining = self.deadline - self.clock()
        if remaining <= 0:
            raise BudgetExhausted("not run: the submission's time budget is spent")
        return min(backstop(limit), remaining)

    def _late(self, what: str, exc: SandboxTimeout, whose: str, hint: str) -> StudentFailure:
        """The failure for a request that timed out, naming the limit and what was measured."""
        if exc.waited and exc.wall < backstop(exc.limit):
            return BudgetExhausted(f"stopped: the submission's time budget ran out during {what}")
        if exc.waited:
            return TimedOut(f"{what} {exc.reason}")
        return TimedOut(f"{what} used more than {exc.limit:g} s of CPU time ({whose}): {hint}")


_NAME_ERROR = re.compile(r"^name '([A-Za-z_]\w*)' is not defined")


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
        if module not in self._session.problems.modules:
            raise AttributeError(f"no student module {module!r}")
        return _Module(self, module)

    def fetch(self, target: str) -> Any:
        if target not in self._session.problems.targets:
            raise AttributeError(f"{target} is not an exercise in problems.yaml")
        if target not in self.touched:
            self.touched.append(target)
        return self._session.get(target, self._problem)
