"""The reference solutions' results, computed once per process and shared by every submission.

Every student of a batch gets the same expected values, so a reference call with arguments seen
before returns a copy of the first result instead of computing it again. A batch computes them
in its pre-loaded parent (grader/instructor/batch.py grades the references once before forking), so
every
forked worker inherits them.

Arguments are keyed by value: arrays by dtype, shape and a hash of their bytes, containers
item by item, other values by type and repr. A call whose arguments have no such key (an
object of another kind) is not memoised; a call that raises is not remembered. Each caller
gets its own deep copy of a remembered result, so no case can change what another sees.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import importlib
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

PACKAGE = "solutions"
_MAX_ENTRIES = 4096  # a bound for cases that draw fresh random inputs on every run

_results: dict[tuple[str, Any], Any] = {}


class _Unkeyable(Exception):
    """An argument that has no key by value."""


def memoise(modules: tuple[str, ...], package: str = PACKAGE) -> None:
    """Memoise the public functions of `package.<module>` for each module (once per process).

    A module that does not exist is left alone: the cases that import it fail on their own.
    """
    for name in modules:
        try:
            module = importlib.import_module(f"{package}.{name}")
        except ImportError:
            continue
        for attribute, value in list(vars(module).items()):
            if (
                inspect.isfunction(value)
                and value.__module__ == module.__name__
                and not attribute.startswith("_")
                and not hasattr(value, "__memoised__")
            ):
                setattr(module, attribute, _memoised(value))


def _memoised(function: Callable[..., Any]) -> Callable[..., Any]:
    name = f"{function.__module__}.{function.__qualname__}"

    @functools.wraps(function)
    def remembered(*args: Any, **kwargs: Any) -> Any:
        try:
            key = (name, _key((args, kwargs)))
        except _Unkeyable:
            return function(*args, **kwargs)
        if key not in _results:
            result = function(*args, **kwargs)
            if len(_results) >= _MAX_ENTRIES:
                return result
            _results[key] = result
        return copy.deepcopy(_results[key])

    remembered.__memoised__ = function  # type: ignore[attr-defined]
    return remembered


def _key(value: Any) -> Any:
    """A hashable stand-in for `value`, equal for equal values of the same types."""
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise _Unkeyable
        data = np.ascontiguousarray(value).tobytes()
        return ("ndarray", value.dtype.str, value.shape, hashlib.blake2b(data).digest())
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(_key(item) for item in value))
    if isinstance(value, dict):
        return ("dict", tuple((_key(k), _key(v)) for k, v in value.items()))
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.generic)):
        return (type(value).__name__, repr(value))
    raise _Unkeyable


def clear() -> None:
    """Forget every remembered result (for tests)."""
    _results.clear()
