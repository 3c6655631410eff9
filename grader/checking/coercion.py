"""Coercion of what a student function returned into plain, type-checked values.

Student objects are never trusted: they are only type-checked, then read with base-class
methods (`int.__index__`, `str.__str__`, `dict.items`, ...), so a subclass cannot lie about its
value and its `__eq__` is never called. A value that is not of the wanted kind raises
`Rejected`, which carries the failure's headline twice: `public`, which may echo what the
student's code returned (a value, a shape, an entry's position), and `hidden`, which does not,
since in a hidden case that code chose it and could make it encode the hidden inputs.
grader/checking/expect.py prefixes the one for the case with the case's label.

Policies (the lead documents them for students):

- Arrays: an exact `np.ndarray`, or a list/tuple that converts to a numeric array. None, scalars,
  str, dict, ragged lists, object arrays, masked arrays and other ndarray subclasses are rejected.
  (Which numeric dtypes pass is decided with the values, in grader/checking/mismatch.py.)
- Integers: `int` or a numpy integer scalar. `bool` is rejected explicitly; floats are rejected
  even when integral (54.0), with a hint to use `//` or `int(...)`.
- Floats: int, float and numpy real scalars; bool, complex and arrays are rejected.
- Strings: exactly `str`; a str subclass is converted with `str.__str__`.
- Numpy scalar subclasses are rejected like ndarray subclasses.

This module imports numpy and the standard library only: the trusted grader imports it next to
untrusted values.
"""

from __future__ import annotations

import warnings
from typing import Any, NoReturn

import numpy as np

from grader.checking import messages

__all__ = [
    "Rejected",
    "plain_array",
    "plain_dict",
    "plain_float",
    "plain_int",
    "plain_int_tuple",
    "plain_list",
    "plain_str",
]


class Rejected(Exception):
    """A returned value is not of the wanted kind: the failure's headline for a public case,
    and for a hidden one (the same unless the public one echoes the returned value)."""

    def __init__(self, public: str, hidden: str | None = None) -> None:
        super().__init__(public)
        self.public = public
        self.hidden = public if hidden is None else hidden


def plain_array(actual: Any) -> np.ndarray:
    """A returned array (or list/tuple of numbers) as a numeric base ndarray of any real or
    complex dtype; a converted list is a new array, never a view of student data."""
    if type(actual) is np.ndarray:
        arr = actual
    elif type(actual) is list or type(actual) is tuple:
        arr = _convert_sequence(actual)
        if arr is None:
            _reject(
                f"returned a {type(actual).__name__} that does not convert to an array of "
                "numbers (ragged nested lists, or entries that are not numbers?); return a "
                "numpy array."
            )
    elif isinstance(actual, np.ma.MaskedArray):
        _reject("returned a masked array; return a plain numpy array (np.ma is not needed).")
    elif isinstance(actual, np.ndarray):
        _reject(
            f"returned a {type(actual).__name__} (a subclass of np.ndarray); return a plain "
            "numpy array, e.g. np.asarray(result)."
        )
    else:
        _wrong_type(actual, "a numpy array")
    if arr.dtype.kind not in "biufc":
        _reject(f"returned an array of dtype {arr.dtype} (not numbers); return an array of floats.")
    return arr


def plain_list(actual: Any, wanted: str) -> list[Any]:
    """A returned list's items (a list subclass cannot lie about them); `wanted` completes
    "it should return ...", e.g. "a list of numpy arrays"."""
    if type(actual) is not list:
        _wrong_type(actual, wanted)
    return list(list.__iter__(actual))


def plain_int(actual: Any, entry: str = "", hidden_entry: str = "") -> int:
    """An int or numpy integer as a plain int; `entry` names a tuple entry ("entry 2"), and
    `hidden_entry` names it where its position must not be told ("an entry")."""
    subject = f"{entry} is" if entry else "returned"
    hidden_subject = f"{hidden_entry or entry} is" if entry else "returned"
    if isinstance(actual, (bool, np.bool_)):
        _reject(
            f"{subject} a bool ({bool(actual)}); it should be an int.",
            f"{hidden_subject} a bool; it should be an int.",
        )
    if isinstance(actual, np.generic) and type(actual).__module__ != "numpy":
        _reject(
            f"{subject} a {type(actual).__name__} (a numpy scalar subclass); return a plain int."
        )
    if isinstance(actual, int):
        return int.__index__(actual)
    if isinstance(actual, np.integer):
        return int(np.generic.item(actual))
    if isinstance(actual, (float, np.floating)):
        number = _plain_float_value(actual)
        advice = (
            "it should be an int. The formula gives a whole number: use // for floor division, "
            "or int(...)."
        )
        _reject(f"{subject} a float ({number!r}); {advice}", f"{hidden_subject} a float; {advice}")
    _wrong_type(actual, "an int", entry, hidden_entry)


def plain_int_tuple(actual: Any) -> tuple[int, ...]:
    """A returned tuple of ints (or numpy integers) as a tuple of plain ints."""
    if not isinstance(actual, tuple):
        _wrong_type(actual, "a tuple of ints")
    items = list(tuple.__iter__(actual))  # a tuple subclass cannot lie about its items
    return tuple(plain_int(item, f"entry {i}", "an entry") for i, item in enumerate(items))


def plain_float(actual: Any) -> float:
    """An int, float or numpy real scalar as a plain float (it may be NaN or inf)."""
    if isinstance(actual, (bool, np.bool_)):
        _reject("returned a bool; it should be a float.")
    if isinstance(actual, np.generic) and type(actual).__module__ != "numpy":
        _reject(
            f"returned a {type(actual).__name__} (a numpy scalar subclass); return a plain float."
        )
    if isinstance(actual, int):
        return float(int.__index__(actual))
    if isinstance(actual, np.integer):
        return float(np.generic.item(actual))
    if isinstance(actual, (float, np.floating)):
        return _plain_float_value(actual)
    if isinstance(actual, np.ndarray):
        _reject(
            f"returned an array of shape {messages.shape(messages.base_shape(actual))}; "
            "return a single float, e.g. float(...).",
            "returned an array; return a single float, e.g. float(...).",
        )
    if isinstance(actual, (complex, np.complexfloating)):
        _reject("returned a complex number; it should be a real float.")
    _wrong_type(actual, "a float")


def plain_str(actual: Any, entry: str = "") -> str:
    """A str (or str subclass, via str.__str__) as a plain str; `entry` names a dict entry."""
    if isinstance(actual, str):
        return str.__str__(actual)
    _wrong_type(actual, "a str", entry)


def plain_dict(actual: Any) -> dict[str, Any]:
    """A returned dict with str keys as a plain dict (a dict subclass cannot lie about its
    items); its values are left as they are, for `plain_str` to check one by one."""
    if not isinstance(actual, dict):
        _wrong_type(actual, "a dict")
    pairs = list(dict.items(actual))
    bad_keys = [k for k, _ in pairs if type(k) is not str]
    if bad_keys:
        _reject(f"has a key that is not a str ({type(bad_keys[0]).__name__}).")
    return dict(pairs)


def _reject(public: str, hidden: str | None = None) -> NoReturn:
    raise Rejected(public, hidden)


def _wrong_type(actual: Any, wanted: str, entry: str = "", hidden_entry: str = "") -> NoReturn:
    _reject(
        messages.wrong_type(actual, wanted, entry),
        messages.wrong_type(actual, wanted, hidden_entry or entry, reveal=False),
    )


def _convert_sequence(actual: list | tuple) -> np.ndarray | None:
    """A returned list or tuple as a new numeric base ndarray, or None if it is not one."""
    with warnings.catch_warnings():
        # NumPy < 1.24 only warns about ragged lists (and returns an object array).
        warnings.simplefilter("ignore")
        try:
            arr = np.array(actual)  # a copy: never a view of student data
        except (ValueError, TypeError, OverflowError):
            return None
    return arr if arr.dtype.kind in "biufc" else None


def _plain_float_value(actual: Any) -> float:
    """A float or numpy floating scalar (already type-checked) as a plain float."""
    if isinstance(actual, float):
        return float.__float__(actual)  # np.float64 is a float: its stored value, not __float__
    return float(np.generic.item(actual))
