"""The student's own checks: a submission run in the student's process, as the grader runs it.

The public cases run on the student's machine with plain pytest (grader/cases/conftest.py) or
from the notebook (grader/selfcheck/command.py). Either way this module gives them the `student`
that the grader's session (grader/grading/session.py) gives them in the sandbox, with the same
rules, so that what
passes here passes the same cases in the grader:

- a submission path is read by the grader's own intake (grader/intake/submission.py: folders,
  .py files, notebooks, zips) and each module runs statement by statement
  (grader/runtime/runner.py); the
  statements that fail are reported once, in the grader's words. While student code runs, only
  the standard library, the problems.yaml `packages` and the submission's own modules can be
  imported, as where grading happens. From the notebook, the running kernel's namespace is the
  submission instead;
- arguments and results cross grader/runtime/wire.py's plain-data format both ways, so a result the
  grader cannot read fails here too; each call is checked against the API's contract
  (grader/checking/contracts.py) and against its problem's CPU-time limit (measured after the call:
  code that never ends is stopped with Ctrl-C or the notebook's interrupt button);
- an exception of a builtin class reaches the case as itself (so a case expecting ValueError
  sees it), tagged with the call that raised it; `describe` words any failure in a few lines.

Unlike the grader, nothing here is confined: the student runs their own code.
"""

from __future__ import annotations

import builtins
import importlib
import inspect
import json
import sys
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from grader.checking import contracts
from grader.intake import statements
from grader.intake.submission import Source, read_submission
from grader.problems import Problem, ProblemSet
from grader.runtime import runner, wire

_CALL = "_tutorial9_call"  # attribute naming the call on a student exception passed through
_FRAMES = 8  # frames of the student's traceback shown
_NOT_IMPLEMENTED = "is not implemented yet"


class StudentFailure(Exception):
    """The student's code gave no usable value; the message is complete and student-facing."""


class Submission:
    """The student's modules (or one namespace for all of them), run in this process.

    Build one with `from_path` or `from_namespace`; `close` forgets the modules again.
    """

    def __init__(
        self,
        problems: ProblemSet,
        modules: Mapping[str, Mapping[str, Any]],
        errors: Mapping[str, str],
        origins: Mapping[str, str],
        messages: tuple[str, ...] = (),
        lost: Mapping[str, str] | None = None,
        imports: _Imports | None = None,
    ) -> None:
        self.problems = problems
        self.modules = dict(modules)  # module -> its namespace
        self.errors = dict(errors)  # module -> why it cannot be used
        self.origins = dict(origins)  # module -> where it came from, for messages
        self.messages = messages  # intake's notes and the failed statements, once each
        self.lost = dict(lost or {})  # name a failed statement binds -> why it is missing
        self.imports = imports or _Imports(problems, ())  # on while student code runs

    @classmethod
    def from_path(cls, path: Path, problems: ProblemSet) -> Submission:
        """Read `path` (folder, .py, .ipynb or .zip) with the grader's intake and import every
        graded module statement by statement, as the sandbox worker does."""
        path = Path(path)
        intake = read_submission(path, problems.modules)
        errors = {m: why for m in problems.modules if (why := intake.unavailable(m)) is not None}
        lost: dict[str, str] = {}
        for source in intake.sources.values():
            for statement in source.program:
                if not statement.runs:  # intake reported these already
                    _lose(lost, statement, statement.failure)
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
        failed: dict[tuple[str, int], str] = {}
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
                for module, failures in finder.take_failures().items():
                    source = intake.sources[module]
                    for item in failures:
                        statement = source.program[item["index"]]
                        if (source.origin, item["index"]) in failed:
                            continue
                        why = statements.why_failed(item, problems, errors)
                        explanation, message = statements.failed(statement, source.origin, why)
                        _lose(lost, statement, explanation)
                        failed[source.origin, item["index"]] = message
        finally:
            sys.meta_path.remove(finder)
        origins = {m: s.origin for m, s in intake.sources.items()}
        messages = (*intake.messages, *failed.values())
        return cls(problems, modules, errors, origins, messages, lost, guard)

    @classmethod
    def from_namespace(
        cls, namespace: Mapping[str, Any], problems: ProblemSet, origin: str = "this notebook"
    ) -> Submission:
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


def _decoded(source: Source) -> runner.Statements:
    return json.loads(statements.encode(source.program))["statements"]


def _lose(lost: dict[str, str], statement: statements.Statement, explanation: str) -> None:
    for bound in statement.names:
        lost.setdefault(bound, explanation)


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


class Student:
    """`student.<module>.<name>` for one case: the submission's value, or a checked call."""

    def __init__(self, submission: Submission, problem: Problem) -> None:
        self._submission, self._problem = submission, problem

    def __getattr__(self, module: str) -> _Module:
        if module not in self._submission.problems.modules:
            raise AttributeError(f"no student module {module!r}")
        return _Module(self._submission, self._problem, module)


class _Module:
    def __init__(self, submission: Submission, problem: Problem, module: str) -> None:
        self._submission, self._problem, self._module = submission, problem, module

    def __getattr__(self, name: str) -> Any:
        submission, module = self._submission, self._module
        target = f"{module}.{name}"
        # The grader's proxy serves problems.yaml targets only; fail the same way here.
        if target not in submission.problems.targets:
            raise AttributeError(f"{target} is not an exercise in problems.yaml")
        if module in submission.errors:
            raise StudentFailure(submission.errors[module])
        namespace = submission.modules.get(module, {})
        if name not in namespace:
            origin = submission.origins.get(module, f"{module}.py")
            if name in submission.lost:
                raise StudentFailure(f"{origin} defines no {name}: {submission.lost[name]}")
            how = (
                "run the cell that defines it"
                if origin == "this notebook"
                else "define it at the top level with exactly this name"
            )
            raise StudentFailure(f"{origin} defines no {name}: {how}")
        value = namespace[name]
        if callable(value):
            return _Call(submission, self._problem, target, value)
        return _plain(name, value)


def _plain(name: str, value: Any) -> Any:
    """`value` as the grader receives it: through the wire's plain-data format."""
    try:
        frame = wire.encode({"ok": True}, {"value": value})
    except wire.Unsupported as exc:
        raise StudentFailure(f"{name} returned {exc}") from None
    return wire.decode(frame[8:], ("value",))["value"]


class _Call:
    """A student function, called as the sandbox worker calls it."""

    def __init__(self, submission: Submission, problem: Problem, target: str, function: Any):
        self._submission, self._problem = submission, problem
        self._target, self._function = target, function

    def __repr__(self) -> str:
        return f"<student {self._target}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        name = self._target.split(".")[1]
        frame = wire.encode({}, {"args": list(args), "kwargs": dict(kwargs)})
        sent = wire.decode(frame[8:], ("args", "kwargs"))  # what the worker would get
        args, kwargs = sent["args"], sent["kwargs"]
        kept = runner.snapshot([args, kwargs])
        started = time.process_time()
        try:
            with self._submission.imports:
                result = self._function(*args, **kwargs)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001  (student code may raise anything)
            raise self._raised(name, exc, args, kwargs) from None
        used = time.process_time() - started
        limit = self._problem.limits.timeout
        if used > limit:
            raise StudentFailure(
                f"{name} used more than {limit:g} s of CPU time (the limit for problem "
                f"{self._problem.id}; it used {used:.1f} s here): use numpy operations on "
                "whole arrays (vectorise)"
            )
        report = runner.contract(kept, [args, kwargs], result)
        broken = contracts.broken(
            self._target, self._problem.returns_new_arrays, report, args, kwargs,
            self._submission.problems.solutions_package,
        )  # fmt: skip
        if broken is not None:
            headline, detail = broken
            raise StudentFailure(f"{headline}: {detail}" if detail else headline)
        return _plain(name, result)

    def _raised(self, name: str, exc: BaseException, args: list, kwargs: dict) -> BaseException:
        """What the case sees of a student exception (as grader/grading/session.py
        `_raised` does)."""
        kind = type(exc)
        call = _call_text(name, self._function, args, kwargs)
        if isinstance(exc, NameError):
            missing = getattr(exc, "name", None)
            if missing in self._submission.lost:
                return StudentFailure(
                    f"{call} raised NameError: {missing} is not defined, since "
                    f"{self._submission.lost[missing]}"
                )
        builtin = kind.__module__ == "builtins" and getattr(builtins, kind.__name__, None) is kind
        if builtin and isinstance(exc, Exception):
            setattr(exc, _CALL, call)  # passed through: a case may expect it
            return exc
        return StudentFailure(f"{call} raised {kind.__name__}: {_text(exc)}{_trace(exc)}")


def _call_text(name: str, function: Any, args: list, kwargs: dict) -> str:
    """The call as the student would write it, with parameter names for arrays:
    "conv2d(image, kernel, stride=2)"."""
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


def _trace(exc: BaseException) -> str:
    """The student's part of the traceback: the frames below the call made here."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [i for i, f in enumerate(frames) if f.filename == __file__]
    student = frames[mine[-1] + 1 :] if mine else frames
    if not student:
        return ""
    return "\n" + "".join(traceback.format_list(student[-_FRAMES:])).rstrip("\n")


def describe(exc: BaseException) -> str | None:
    """A few lines saying why a case failed, or None to keep pytest's own report (a fault of
    the case itself)."""
    call = getattr(exc, _CALL, None)
    if call is not None:
        if isinstance(exc, NotImplementedError):
            return f"{call} {_NOT_IMPLEMENTED} ({_text(exc)})"
        return f"{call} raised {type(exc).__name__}: {_text(exc)}{_trace(exc)}"
    if isinstance(exc, (StudentFailure, AssertionError)):
        return _text(exc).strip() or "the result is not what was expected"
    return None
