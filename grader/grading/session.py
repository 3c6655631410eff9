"""The sandbox backend of the `student` fixture (grader/calling/student.py) when grading.

``student.layers.dense(x, w)`` sends the call to the sandbox worker and returns the plain data
that came back; ``student.layers.NAMES`` returns the value. What a failed call raises
is classified and worded in grader/calling/failures.py. The `Session` applies the policies
that keep one bad function from costing other tests:

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

import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any

from grader.calling.failures import (
    BudgetExhausted,
    Crashed,
    GivenUp,
    StudentFailure,
    TimedOut,
    Unavailable,
    broken_contract,
    over_time,
    raised,
    slow_hint,
)
from grader.calling.student import FUNCTION, FailedStatements
from grader.intake.submission import Source
from grader.problems import CRASHES, Problem, ProblemSet, backstop
from grader.sandbox.supervisor import Sandbox, SandboxCrash, SandboxError, SandboxTimeout

TOP_LEVEL = (
    "code at the top level of a module runs when it is imported: put demos and experiments "
    'under `if __name__ == "__main__":`'
)


class Session:
    """Grading state of one submission: the sandbox, the budget, and what has failed; the
    `Backend` of the cases' `Student` (grader/calling/student.py)."""

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
        self.failed = FailedStatements(self.sources)  # and the names they did not bind

    @property
    def messages(self) -> tuple[str, ...]:
        """One message per statement that failed when the modules were first imported."""
        return self.failed.messages

    def get(self, target: str, problem: Problem) -> Any:
        """The target's value, or FUNCTION for a function (then called with `call`)."""
        module = target.split(".")[0]
        if module not in self.module_errors and target not in self.given_up:
            self._import(module, problem)  # its reply names the targets that are functions
        if target in self._functions:  # known to be a function: save a round trip
            return FUNCTION
        reply = self._request(target, problem, {"op": "get"}, None)
        if reply.get("callable"):
            self._functions.add(target)
            return FUNCTION
        return reply.get("value")

    def call(self, target: str, problem: Problem, args: tuple, kwargs: dict) -> Any:
        """Call the target in the sandbox with plain-data arguments."""
        values = {"args": list(args), "kwargs": dict(kwargs)}
        memory = problem.limits.memory * 2**20
        reply = self._request(target, problem, {"op": "call", "memory": memory}, values)
        failure = broken_contract(
            target, problem, reply, args, kwargs, self.problems.solutions_package
        )
        if failure is not None:
            raise failure
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
            raise self._late(name, exc, whose, slow_hint(problem)) from None
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
            raise Unavailable(self.failed.missing(self._origin(module), name))
        error = reply.get("error")
        raise self.failed.lost_name(name, error) or raised(name, error)

    def _origin(self, module: str) -> str:
        source = self.sources.get(module)
        return source.origin if source else f"{module}.py"

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
            self.failed.record(reply.get("failures"), self.problems, self.module_errors)

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
        return over_time(what, exc.limit, whose, hint)
