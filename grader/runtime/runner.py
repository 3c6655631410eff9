"""Running student code: a program statement by statement, a call's contract report, and
what a call raised.

Shared by the sandbox worker (grader/runtime/worker.py, which imports this file as `runner`
from its runtime folder) and the student's own checks (grader/selfcheck/inprocess.py, in the
student's process), so that both run a submission the same way. It depends on numpy and the
standard library only.

- `run_program` runs a program (grader/intake/statements.py `encode`) in a module's namespace, each
  top-level statement on its own, going on after a failure, and returns what failed.
- `Programs` is a meta-path finder that imports the submission's modules by running their
  programs, so `import layers` in model.py runs layers' program too.
- `snapshot` and `contract` report the places of a call's arguments that the call changed and
  the returned arrays that share memory with an argument (checked by grader/checking/contracts.py).
- `error` is the plain-data account of an exception that student code raised (or of a result
  that cannot be sent), which grader/calling/failures.py classifies on the trusted side.
"""

from __future__ import annotations
import __future__

import builtins
import functools
import importlib.util
import operator
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

Statements = list[dict[str, Any]]  # a decoded program: index, filename, line, text
_FUTURE_FLAGS = functools.reduce(
    operator.or_, (getattr(__future__, n).compiler_flag for n in __future__.all_feature_names)
)


class Programs:
    """Imports submission modules from their programs: statement by statement, each on its own,
    going on after a failure (recorded in `failures` until the caller takes them).

    Installed first on sys.meta_path. `find(name)` gives a module's (file location, program),
    or None for a module that is not the submission's, which then imports as usual.
    """

    def __init__(self, find: Callable[[str], tuple[str, Statements] | None]) -> None:
        self._find = find
        self._programs: dict[str, Statements] = {}
        self.failures: dict[str, list[dict[str, Any]]] = {}  # module -> its failed statements

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if path is not None or "." in name:
            return None
        found = self._find(name)
        if found is None:
            return None
        location, self._programs[name] = found
        return importlib.util.spec_from_file_location(name, location, loader=self)

    def create_module(self, spec: Any) -> None:
        return None  # the default module

    def exec_module(self, module: Any) -> None:
        statements = self._programs.pop(module.__name__)
        self.failures[module.__name__] = run_program(statements, module.__dict__)

    def take_failures(self) -> dict[str, list[dict[str, Any]]]:
        """The failures recorded since the last call (of a module and those it imported)."""
        taken, self.failures = self.failures, {}
        return taken


def run_program(
    statements: Statements,
    namespace: dict[str, Any],
    passes: tuple[type[BaseException], ...] = (),
) -> list[dict[str, Any]]:
    """Run each statement in `namespace`; return what failed: index, type, message, missing.

    Each statement compiles with its own file name and line numbers (tracebacks show the
    student's lines, also put in linecache); `from __future__` imports carry to later ones.
    Exceptions of the `passes` classes are not caught (KeyboardInterrupt, in the student's own
    process).
    """
    import linecache

    files: dict[str, list[str]] = {}
    for statement in statements:
        lines = files.setdefault(statement["filename"], [])
        first = statement["line"] - 1
        for offset, text in enumerate(statement["text"].splitlines(True)):
            lines += [""] * (first + offset + 1 - len(lines))
            lines[first + offset] = text if text.endswith("\n") else text + "\n"
    for name, lines in files.items():
        linecache.cache[name] = (sum(map(len, lines)), None, lines, name)
    failures = []
    flags = 0
    for statement in statements:
        try:
            # Blank lines before the text give the compiler the statement's own line numbers.
            source = "\n" * (statement["line"] - 1) + statement["text"]
            code = compile(source, statement["filename"], "exec", flags=flags, dont_inherit=True)
            flags |= code.co_flags & _FUTURE_FLAGS  # `from __future__` carries to later ones
            exec(code, namespace)
        except passes:
            raise
        except BaseException as exc:  # noqa: BLE001  (student code may raise anything)
            failures.append(
                {
                    "index": statement["index"],
                    "type": type(exc).__name__[:100],
                    "message": _text(exc)[:300],
                    "missing": str(getattr(exc, "name", "") or "")[:100]
                    if isinstance(exc, ImportError)
                    else "",
                }
            )
    return failures


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except BaseException:  # noqa: BLE001  (a student __str__ may raise)
        return "<unprintable>"


_MAX_TEXT = 4000  # characters of an exception message or traceback


def error(
    exc: BaseException, unsupported: bool = False, frames: int | None = None
) -> dict[str, Any]:
    """What a call raised, as plain data: type, builtin, message, traceback.

    `exc` was caught by the frame that made the call, so the traceback leaves out its first
    frame; `frames` keeps only that many of the last ones. `unsupported`: the result could not
    be sent (wire.py `Unsupported`), which is not the student's exception: no traceback, whose
    frames would be wire.py's.
    """
    kind = type(exc)
    try:
        stack = [] if unsupported else traceback.extract_tb(exc.__traceback__)[1:]
        trace = "".join(traceback.format_list(stack[-frames:] if frames else stack))
    except BaseException:  # noqa: BLE001
        trace = ""
    builtin = kind.__module__ == "builtins" and getattr(builtins, kind.__name__, None) is kind
    return {
        "type": "UnsupportedReturn" if unsupported else kind.__name__[:100],
        "builtin": builtin and not unsupported,
        "message": _text(exc)[:_MAX_TEXT],
        "traceback": trace[-_MAX_TEXT:],
    }


# ----------------------------------------------------------------------- the call contract
# Paths name a place in the call's arguments or result: [0] is the first positional argument,
# ["alpha"] the keyword argument alpha, [0, 1] the second item of the first argument. Only
# trusted types are inspected here (the decoded arguments, and ndarray/list/tuple/dict of the
# result by exact type), with ndarray's own methods, which student code cannot replace.

_MAX_PATHS = 16  # reported places of each kind


def snapshot(value: Any) -> Any:
    """A deep copy of decoded arguments: arrays copied, containers rebuilt."""
    kind = type(value)
    if kind is np.ndarray:
        return value.copy()
    if kind is list or kind is tuple:
        return kind(snapshot(item) for item in value)
    if kind is dict:
        return {key: snapshot(item) for key, item in value.items()}
    return value  # None, bool, int, float, str: immutable


def contract(kept: Any, live: Any, result: Any) -> dict[str, Any]:
    """{"mutated": argument paths changed by the call, "shared": [result path, argument path]
    of returned arrays that share memory with an argument}; empty lists are left out."""
    mutated: list[list[Any]] = []
    try:
        _changes(kept, live, [], mutated)
    except Exception:  # noqa: BLE001  (a changed argument may hold anything by now)
        mutated.append([])
    shared: list[list[list[Any]]] = []
    try:
        inputs = list(_arrays(live, [], 0))
        if inputs:
            for where, array in _arrays(result, [], 0):
                for source, other in inputs:
                    if len(shared) < _MAX_PATHS and _overlap(array, other):
                        shared.append([where, source])
                        break
    except Exception:  # noqa: BLE001  (a student object's containers may misbehave)
        pass
    report: dict[str, Any] = {}
    if mutated:
        report["mutated"] = [path[1:] for path in mutated[:_MAX_PATHS]]  # drop [args, kwargs]
    if shared:
        report["shared"] = [[where, source[1:]] for where, source in shared]
    return report


def _changes(kept: Any, live: Any, path: list[Any], found: list[list[Any]]) -> None:
    """Append the path of every place where `live` no longer equals the snapshot `kept`."""
    kind = type(kept)
    if type(live) is not kind:
        found.append(path)
    elif kind is np.ndarray:
        if not _same_array(kept, live):
            found.append(path)
    elif kind is list or kind is tuple:
        if len(live) != len(kept):
            found.append(path)
        else:
            for index, (old, new) in enumerate(zip(kept, live, strict=True)):
                _changes(old, new, [*path, index], found)
    elif kind is dict:
        if list(live) != list(kept):
            found.append(path)
        else:
            for key, old in kept.items():
                _changes(old, dict.__getitem__(live, key), [*path, key], found)
    elif not (live == kept or (live != live and kept != kept)):  # NaN stays NaN
        found.append(path)


def _same_array(kept: np.ndarray, live: np.ndarray) -> bool:
    """Same shape, dtype and values (exactly; NaN equals NaN)."""
    if live.shape != kept.shape or live.dtype != kept.dtype:
        return False
    if live.tobytes() == kept.tobytes():
        return True
    with np.errstate(invalid="ignore"):
        equal = (live == kept) | ((live != live) & (kept != kept))
    return bool(equal.all())


def _arrays(value: Any, path: list[Any], depth: int) -> Any:
    """(path, array) of every ndarray in a nest of lists, tuples and dicts."""
    kind = type(value)
    if isinstance(value, np.ndarray):
        yield path, value
    elif depth < 8 and (kind is list or kind is tuple):
        for index, item in enumerate(value):
            yield from _arrays(item, [*path, index], depth + 1)
    elif depth < 8 and kind is dict:
        for key, item in value.items():
            if type(key) is str:
                yield from _arrays(item, [*path, key], depth + 1)


def _overlap(result: np.ndarray, argument: np.ndarray) -> bool:
    if not np.may_share_memory(result, argument):
        return False
    try:
        return bool(np.shares_memory(result, argument, max_work=100_000))
    except Exception:  # noqa: BLE001  (too hard to decide exactly: the bounds overlap)
        return True
