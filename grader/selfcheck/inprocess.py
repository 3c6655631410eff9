"""The student's own checks: a submission run in the student's process, as the grader runs it.

The public cases run on the student's machine with plain pytest (grader/cases/conftest.py) or
from the notebook (grader/selfcheck/command.py). Either way they get the `student` of
grader/calling/student.py that the grader gives them, with this module's in-process backend in
place of the sandbox, and with the same rules, so that what passes here passes the same cases
in the grader:

- a submission path is read by the grader's own intake (grader/intake/submission.py: folders,
  .py files, notebooks, zips) and each module runs statement by statement
  (grader/runtime/runner.py); the statements that fail are reported once, in the grader's
  words. While student code runs, only the standard library, the problems.yaml `packages` and
  the submission's own modules can be imported, as where grading happens. From the notebook,
  the running kernel's namespace is the submission instead;
- arguments and results cross grader/runtime/wire.py's plain-data format both ways, so a result
  the grader cannot read fails here too; each call is checked against the API's contract
  (grader/checking/contracts.py) and against its problem's CPU-time limit (measured after the
  call: code that never ends is stopped with Ctrl-C or the notebook's interrupt button);
- what goes wrong is classified and worded by grader/calling/failures.py, as in the grader: an
  exception of a builtin class reaches the case as one of that class (so a case expecting
  ValueError sees it), tagged with the call that raised it; `describe` words any failure in a
  few lines.

Unlike the grader, nothing here is confined: the student runs their own code.
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from grader.calling.failures import (
    STUDENT_ERROR,
    BrokeContract,
    LostName,
    StudentFailure,
    Unavailable,
    broken_contract,
    over_time,
    raised,
)
from grader.calling.student import DEFINE_IT, FUNCTION, FailedStatements, Student
from grader.intake import statements
from grader.intake.submission import Source, read_submission
from grader.problems import Problem, ProblemSet
from grader.runtime import runner, wire

_CALL = "_tutorial9_call"  # attribute on a call's failure: (name, the call as written)
_FRAMES = 8  # frames of the student's traceback shown
_NOT_IMPLEMENTED = "is not implemented yet"
_NOTEBOOK = "this notebook"  # the origin of a kernel's namespace
# Measured after the call returned, so there is no loop that never ends to suspect.
_VECTORISE = "use numpy operations on whole arrays (vectorise)"


class InProcessSubmission:
    """The student's modules (or one namespace for all of them), run in this process: the
    `Backend` of the public checks' `Student` (grader/calling/student.py).

    Build one with `from_path` or `from_namespace`; `close` forgets the modules again.
    """

    def __init__(
        self,
        problems: ProblemSet,
        modules: Mapping[str, Mapping[str, Any]],
        errors: Mapping[str, str],
        origins: Mapping[str, str],
        messages: tuple[str, ...] = (),
        failed: FailedStatements | None = None,
        imports: _Imports | None = None,
    ) -> None:
        self.problems = problems
        self.modules = dict(modules)  # module -> its namespace
        self.errors = dict(errors)  # module -> why it cannot be used
        self.origins = dict(origins)  # module -> where it came from, for messages
        self.messages = messages  # intake's notes and the failed statements, once each
        self.failed = failed or FailedStatements({})  # and the names they did not bind
        self.imports = imports or _Imports(problems, ())  # on while student code runs

    @classmethod
    def from_path(cls, path: Path, problems: ProblemSet) -> InProcessSubmission:
        """Read `path` (folder, .py, .ipynb or .zip) with the grader's intake and import every
        graded module statement by statement, as the sandbox worker does."""
        path = Path(path)
        intake = read_submission(path, problems.modules)
        errors = {m: why for m in problems.modules if (why := intake.unavailable(m)) is not None}
        failed = FailedStatements(intake.sources)
        programs = {m: _decoded(source) for m, source in intake.sources.items()}
        base = path if path.is_dir() else path.parent
        finder = runner.Programs(
            lambda name: (
                (str(base / intake.sources[name].origin), programs[name])
                if name in programs
                else None
            )
        )
        guard = _Imports(problems, tuple(intake.sources))
        for name in problems.modules:
            sys.modules.pop(name, None)  # an earlier run's, or a same-named installed module
        sys.meta_path.insert(0, finder)
        modules: dict[str, Mapping[str, Any]] = {}
        graded = {target.split(".")[0] for target in problems.targets}
        try:
            for name in problems.modules:
                if name not in graded or name in errors:
                    continue
                try:
                    with guard:
                        modules[name] = importlib.import_module(name).__dict__
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # noqa: BLE001  (the finder ran student code)
                    origin = intake.sources[name].origin
                    errors[name] = f"{origin} failed to import: {type(exc).__name__}: {exc}"
                failed.record(finder.take_failures(), problems, errors)
        finally:
            sys.meta_path.remove(finder)
        origins = {m: s.origin for m, s in intake.sources.items()}
        messages = (*intake.messages, *failed.messages)
        return cls(problems, modules, errors, origins, messages, failed, guard)

    @classmethod
    def from_namespace(
        cls, namespace: Mapping[str, Any], problems: ProblemSet, origin: str = _NOTEBOOK
    ) -> InProcessSubmission:
        """Every module's functions looked up in one namespace (a notebook kernel's)."""
        return cls(
            problems,
            dict.fromkeys(problems.modules, namespace),
            {},
            dict.fromkeys(problems.modules, origin),
        )

    def student(self, problem: Problem) -> Student:
        """The `student` fixture of one case of `problem`."""
        return Student(self, problem)

    def close(self) -> None:
        """Forget the imported modules (another submission may come next in this process)."""
        for name in self.problems.modules:
            module = sys.modules.get(name)
            if module is not None and self.modules.get(name) is module.__dict__:
                del sys.modules[name]

    def get(self, target: str, problem: Problem) -> Any:
        """The target's value as the grader receives it, or FUNCTION for a function."""
        value = self._lookup(target)
        return FUNCTION if callable(value) else _plain(target.split(".")[1], value)

    def call(self, target: str, problem: Problem, args: tuple, kwargs: dict) -> Any:
        """Call the function as the sandbox worker calls it: arguments and result through the
        wire's plain-data format, then its CPU time and the API's contract checked."""
        name, function = target.split(".")[1], self._lookup(target)
        frame = wire.encode({}, {"args": list(args), "kwargs": dict(kwargs)})
        sent = wire.decode(frame[8:], ("args", "kwargs"))  # what the worker would get
        args, kwargs = sent["args"], sent["kwargs"]
        kept = runner.snapshot([args, kwargs])
        started = time.process_time()
        try:
            with self.imports:
                result = function(*args, **kwargs)  # the frame `runner.error` leaves out
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001  (student code may raise anything)
            error = runner.error(exc, frames=_FRAMES)
            failure = self.failed.lost_name(name, error) or raised(name, error)
            setattr(failure, _CALL, (name, _call_text(name, function, args, kwargs)))
            raise failure from None
        used = time.process_time() - started
        limit = problem.limits.timeout
        if used > limit:
            whose = f"the limit for problem {problem.id}; it used {used:.1f} s here"
            raise over_time(name, limit, whose, _VECTORISE)
        report = runner.contract(kept, [args, kwargs], result)
        value = _plain(name, result)  # a result that cannot be sent fails first, as there
        broken = broken_contract(
            target, problem, report, args, kwargs, self.problems.solutions_package
        )
        if broken is not None:
            raise broken
        return value

    def _lookup(self, target: str) -> Any:
        module, name = target.split(".")
        if module in self.errors:
            raise Unavailable(self.errors[module])
        namespace = self.modules.get(module, {})
        if name not in namespace:
            origin = self.origins.get(module, f"{module}.py")
            how = "run the cell that defines it" if origin == _NOTEBOOK else DEFINE_IT
            raise Unavailable(self.failed.missing(origin, name, how))
        return namespace[name]


def _decoded(source: Source) -> runner.Statements:
    return json.loads(statements.encode(source.program))["statements"]


def _plain(name: str, value: Any) -> Any:
    """`value` as the grader receives it: through the wire's plain-data format."""
    try:
        frame = wire.encode({"ok": True}, {"value": value})
    except wire.Unsupported as exc:
        raise raised(name, runner.error(exc, unsupported=True)) from None
    return wire.decode(frame[8:], ("value",))["value"]


class _Imports:
    """While student code runs, imports of anything the grader does not offer fail, as they
    fail where grading happens (modules already imported are not looked up again)."""

    def __init__(self, problems: ProblemSet, own: tuple[str, ...]) -> None:
        self._allowed = {*problems.packages, *sys.stdlib_module_names, *own, "__future__"}
        self._active = 0

    def __enter__(self) -> None:
        if not self._active:
            sys.meta_path.insert(0, self)
        self._active += 1

    def __exit__(self, *exc: object) -> None:
        self._active -= 1
        if not self._active and self in sys.meta_path:
            sys.meta_path.remove(self)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        top = name.split(".")[0]
        if path is None and top not in self._allowed:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def _call_text(name: str, function: Any, args: list, kwargs: dict) -> str:
    """The call as the student would write it, with parameter names for arrays:
    "dense(x, weights, bias=None)"."""
    try:
        names = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        names = []
    shown = [names[i] if i < len(names) else "..." for i in range(len(args))]
    for key, value in kwargs.items():
        simple = value is None or isinstance(value, (bool, int, float, str))
        shown.append(f"{key}={value!r}" if simple else key)
    return f"{name}({', '.join(shown)})"


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # noqa: BLE001  (a student __str__ may raise)
        return "<unprintable>"


def describe(exc: BaseException) -> str | None:
    """A few lines saying why a case failed, or None to keep pytest's own report (a fault of
    the case itself). A call's failure names the call as written, with its parameters."""
    info = getattr(exc, STUDENT_ERROR, None)
    name, call = getattr(exc, _CALL, ("", ""))
    if info is not None and not info["unsupported"]:  # the student's exception
        who = call or info["function"]
        if info["builtin"] and info["type"] == "NotImplementedError":
            return f"{who} {_NOT_IMPLEMENTED} ({info['message']})"
        trace = info["traceback"].rstrip("\n")
        return f"{who} raised {info['type']}: {info['message']}" + (f"\n{trace}" if trace else "")
    text = _text(exc).strip()
    if isinstance(exc, LostName) and call and text.startswith(f"{name} "):
        return call + text[len(name) :]  # its detail is the traceback: left out here
    if isinstance(exc, BrokeContract) and exc.detail:
        return f"{text}: {exc.detail}"
    if isinstance(exc, (StudentFailure, AssertionError)):
        return text or "the result is not what was expected"
    return None
