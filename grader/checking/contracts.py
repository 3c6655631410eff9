"""The API's call contract, checked on every call: inputs unchanged, new arrays where promised.

The worker compares each call's arguments with a deep copy taken before the call and reports
the places that changed, and the returned arrays that share memory with an argument
(grader/runtime/runner.py `contract`). That report is untrusted: only places that exist in the
arguments the trusted side sent are believed, and the headline names the parameter by the
reference function's signature, so a hidden case's message carries nothing the student's code
chose. Where exactly a nested argument changed goes in the detail, shown for public cases only.

A place is a path: ``[0]`` the first positional argument, ``["alpha"]`` the keyword argument
alpha, ``[0, 1]`` the second item of the first argument.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from typing import Any

import numpy as np

_MAX_PATHS = 16  # places believed per report
_MAX_DEPTH = 8


def broken(
    target: str,
    new_arrays: bool,
    reply: dict[str, Any],
    args: tuple | list,
    kwargs: dict[str, Any],
    package: str = "solutions",
) -> tuple[str, str] | None:
    """(headline, detail) of the first contract the call broke, or None.

    Args:
        target: "module.name" of the function called.
        new_arrays: whether the function's results must not share memory with its inputs
            (problems.yaml `returns_new_arrays`).
        reply: the worker's reply to the call (untrusted).
        args, kwargs: the arguments the trusted side sent.
        package: the reference package, whose signatures name the arguments.
    """
    name = target.split(".")[1]
    target = f"{package}:{target}"  # where parameter names are looked up
    mutated = _places(reply.get("mutated"), args, kwargs)
    if mutated:
        top = mutated[0][0]
        value = _top(top, args, kwargs)
        param = _parameter(target, top)
        if type(value) is np.ndarray:
            headline = (
                f"{name} modified its input array {param} in place: return a new array and "
                f"leave the input unchanged (work on a copy, e.g. {param} = {param}.copy(), or "
                "use operations that return new arrays)"
            )
        else:
            headline = (
                f"{name} modified its input {param} in place: return new arrays and leave the "
                "input unchanged (build a new list of new arrays instead of changing the "
                "given ones)"
            )
        return headline, _detail("changed", target, mutated)
    if not new_arrays:
        return None
    shared = reply.get("shared")
    sources = (
        [pair[1] for pair in shared[:_MAX_PATHS] if _is_pair(pair)] if _is_list(shared) else []
    )
    sources = _places(sources, args, kwargs)
    if not sources:
        return None
    param = _parameter(target, sources[0][0])
    headline = (
        f"{name} returned arrays that share memory with its input {param} (the input arrays "
        "themselves, or views of them): return new arrays, e.g. g.copy(), so that changing "
        f"the result cannot change the caller's {param}"
    )
    return headline, _detail("shared with", target, sources)


def _is_list(value: Any) -> bool:
    return type(value) is list


def _is_pair(value: Any) -> bool:
    return type(value) is list and len(value) == 2


def _places(paths: Any, args: tuple | list, kwargs: dict[str, Any]) -> list[list[Any]]:
    """The reported paths that lead somewhere in the arguments sent, in order."""
    if not _is_list(paths):
        return []
    found = []
    for path in paths[:_MAX_PATHS]:
        if _is_list(path) and 1 <= len(path) <= _MAX_DEPTH and _resolves(path, args, kwargs):
            found.append(list(path))
    return found


def _resolves(path: list[Any], args: tuple | list, kwargs: dict[str, Any]) -> bool:
    first, *rest = path
    if type(first) is int and 0 <= first < len(args):
        value = args[first]
    elif type(first) is str and first in kwargs:
        value = kwargs[first]
    else:
        return False
    for step in rest:
        sequence = type(value) in (list, tuple) and type(step) is int and 0 <= step < len(value)
        if not (sequence or (type(value) is dict and type(step) is str and step in value)):
            return False
        value = value[step]
    return True


def _top(first: int | str, args: tuple | list, kwargs: dict[str, Any]) -> Any:
    return args[first] if type(first) is int else kwargs[first]


def _parameter(target: str, first: int | str) -> str:
    """The API's name for an argument: a keyword as given, a position by the reference."""
    if type(first) is str:
        return first
    names = parameters(target)
    return names[first] if first < len(names) else f"argument {first + 1}"


def _detail(label: str, target: str, paths: list[list[Any]]) -> str:
    """Where exactly, when that is more than the parameter the headline names."""
    if all(len(path) == 1 for path in paths):
        return ""
    return f"{label}: " + ", ".join(_render(target, path) for path in paths)


def _render(target: str, path: list[Any]) -> str:
    first, *rest = path
    return _parameter(target, first) + "".join(f"[{step!r}]" for step in rest)


@functools.cache
def parameters(target: str) -> tuple[str, ...]:
    """The positional parameter names of the reference `package:module.name` (a bare
    `module.name` is in the package `solutions`); () when the references are not there."""
    package, _, target = target.rpartition(":")
    module, name = target.split(".")
    try:
        function = getattr(importlib.import_module(f"{package or 'solutions'}.{module}"), name)
        signature = inspect.signature(function)
    except (ImportError, AttributeError, TypeError, ValueError):
        return ()
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return tuple(p.name for p in signature.parameters.values() if p.kind in kinds)
