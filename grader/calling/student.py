"""The `student` fixture of a case, over a backend that runs the code, and what failed at import.

``student.layers.dense(x, w)`` asks the backend for layers.dense and, being a function, calls it
there with plain-data arguments; ``student.layers.NAMES`` is the plain-data value.
Only the problems.yaml targets can be asked for. The backend (`Backend`) decides how the code
runs: in the sandbox when grading (grader/grading/session.py), in the student's own process
for the public checks (grader/selfcheck/inprocess.py). Both raise the failures of
grader/calling/failures.py.

`FailedStatements` is the bookkeeping of a submission's top-level statements that failed: one
message each, and for each name such a statement should have bound, why it is missing, so
that a function that later needs it, or a target it should have defined, is told why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from grader.calling.failures import LostName
from grader.intake import statements
from grader.intake.statements import Statement
from grader.intake.submission import Source
from grader.problems import Problem, ProblemSet

DEFINE_IT = "define it at the top level with exactly this name"


class _Function:
    def __repr__(self) -> str:
        return "FUNCTION"


FUNCTION: Any = _Function()  # what `Backend.get` gives for a target that is a function


class Backend(Protocol):
    """Runs a submission's code. Each method raises a failure of grader/calling/failures.py
    (or a builtin exception `failures.raised` rebuilt) when the student's code gives no value.
    """

    problems: ProblemSet

    def get(self, target: str, problem: Problem) -> Any:
        """The target's plain-data value, or FUNCTION when it is a function."""

    def call(self, target: str, problem: Problem, args: tuple, kwargs: dict) -> Any:
        """Call the function `target` with plain-data arguments: its plain-data result,
        within `problem`'s limits and the API's contract."""


class Student:
    """The `student` fixture of one case of `problem`: records which targets the case touched."""

    def __init__(self, backend: Backend, problem: Problem) -> None:
        self._backend, self._problem = backend, problem
        self.touched: list[str] = []

    def __getattr__(self, module: str) -> _Module:
        if module not in self._backend.problems.modules:
            raise AttributeError(f"no student module {module!r}")
        return _Module(self, module)

    def fetch(self, target: str) -> Any:
        """`student.<module>.<name>`: the value, or a callable that calls it in the backend."""
        if target not in self._backend.problems.targets:
            raise AttributeError(f"{target} is not an exercise in problems.yaml")
        if target not in self.touched:
            self.touched.append(target)
        value = self._backend.get(target, self._problem)
        return _Call(self._backend, target, self._problem) if value is FUNCTION else value


class _Module:
    def __init__(self, student: Student, module: str) -> None:
        self._student, self._module = student, module

    def __getattr__(self, name: str) -> Any:
        return self._student.fetch(f"{self._module}.{name}")


class _Call:
    """A student function living in the backend."""

    def __init__(self, backend: Backend, target: str, problem: Problem) -> None:
        self._backend, self._target, self._problem = backend, target, problem

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._backend.call(self._target, self._problem, args, kwargs)

    def __repr__(self) -> str:
        return f"<student {self._target}>"


_NAME_ERROR = re.compile(r"^name '([A-Za-z_]\w*)' is not defined")


class FailedStatements:
    """The submission's top-level statements that failed, and the names they did not bind.

    Built from intake's sources (whose statements that cannot run are lost from the start);
    `record` adds the runner's reports of the statements that failed when a module was
    imported (grader/runtime/runner.py `run_program`), trusting only their indices.
    """

    def __init__(self, sources: Mapping[str, Source]) -> None:
        self.sources = dict(sources)
        self._failed: dict[tuple[str, int], str] = {}  # (origin, statement) -> its message
        self.lost: dict[str, str] = {}  # name a failed statement binds -> why it is missing
        for source in self.sources.values():
            for statement in source.program:
                if not statement.runs:  # intake reported these already
                    self._lose(statement, statement.failure)

    @property
    def messages(self) -> tuple[str, ...]:
        """One message per statement that failed, in the order they failed."""
        return tuple(self._failed.values())

    def record(self, failures: Any, problems: ProblemSet, unavailable: Mapping[str, str]) -> None:
        """Note the statements that failed (module -> reports), each once, worded by intake
        (grader/intake/statements.py); `unavailable` is the modules that cannot be used."""
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
                why = statements.why_failed(item, problems, unavailable)
                failed_how, message = statements.failed(statement, source.origin, why)
                self._lose(statement, failed_how)
                self._failed[source.origin, index] = message

    def missing(self, origin: str, name: str, how: str = DEFINE_IT) -> str:
        """Why `origin` does not define `name`: a failed statement's, else `how` to fix it."""
        return f"{origin} defines no {name}: {self.lost.get(name, how)}"

    def lost_name(self, name: str, error: Any) -> LostName | None:
        """The failure of the call `name` that raised `error` (runner.py `error`, untrusted)
        when it is a NameError for a name a failed statement binds, told in trusted text."""
        error = error if isinstance(error, dict) else {}
        if error.get("type") != "NameError" or error.get("builtin") is not True:
            return None
        match = _NAME_ERROR.search(str(error.get("message", "")))
        lost = match.group(1) if match else ""
        if lost not in self.lost:
            return None
        return LostName(
            f"{name} raised NameError: {lost} is not defined, since {self.lost[lost]}",
            detail=str(error.get("traceback", ""))[-2000:],  # shown for public cases only
        )

    def _lose(self, statement: Statement, explanation: str) -> None:
        for bound in statement.names:
            self.lost.setdefault(bound, explanation)
