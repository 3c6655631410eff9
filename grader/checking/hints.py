"""Misconception hints: whether a wrong result matches a known mistake of a case.

A case passes `misconceptions={label: value}` to an `Expect` check; when the returned value
matches one of them (same shape and close, or equal for exact kinds) and the right answer does
not, the failure message adds "it looks like <label>." Only trusted values are compared here:
the result has already been converted to a plain type by grader/checking/coercion.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def reference_array(expected: Any) -> np.ndarray:
    """A trusted expected value as float64 (a bug in a case fails loudly, not kindly)."""
    exp = np.asarray(expected)
    if exp.dtype.kind not in "biuf":
        raise TypeError(f"expected values must be real numbers, got dtype {exp.dtype}")
    return exp.astype(np.float64)


TRUNCATED = (
    "the values were truncated to whole numbers: the output array took the integer dtype of "
    "the input (np.zeros_like or np.empty_like of an integer input is integer; create it with "
    "dtype=float)"
)


def truncated(arr: np.ndarray, exp: np.ndarray) -> str | None:
    """The truncation hint, when an integer result is the expected one cut to whole numbers."""
    if arr.dtype.kind not in "iu" or arr.shape != exp.shape or (exp == np.round(exp)).all():
        return None
    values = arr.astype(np.float64)
    if np.array_equal(values, np.trunc(exp)) or np.array_equal(values, np.floor(exp)):
        return TRUNCATED
    return None


def close(a: float, b: float, rtol: float, atol: float) -> bool:
    return bool(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def all_close(
    arrs: Sequence[np.ndarray], exps: Sequence[np.ndarray], rtol: float, atol: float
) -> bool:
    """Whether two lists of arrays match: same length, shapes and values."""
    if len(arrs) != len(exps):
        return False
    for arr, exp in zip(arrs, exps, strict=True):
        if arr.shape != exp.shape or arr.dtype.kind not in "biuf":
            return False
        if not np.allclose(arr.astype(np.float64), exp, rtol=rtol, atol=atol, equal_nan=True):
            return False
    return True


def array_hint(
    arr: np.ndarray,
    exp: np.ndarray,
    misconceptions: Mapping[str, Any] | None,
    rtol: float,
    atol: float,
) -> str | None:
    """The first misconception the returned array matches (and the right answer does not)."""
    for label, value in (misconceptions or {}).items():
        wrong = reference_array(value)
        if all_close([arr], [wrong], rtol, atol) and not all_close([exp], [wrong], rtol, atol):
            return label
    return None


def array_list_hint(
    arrs: Sequence[np.ndarray],
    exps: Sequence[np.ndarray],
    misconceptions: Mapping[str, Sequence[Any]] | None,
    rtol: float,
    atol: float,
) -> str | None:
    """The first misconception the returned list of arrays matches as a whole (and the right
    answer does not)."""
    for label, value in (misconceptions or {}).items():
        wrongs = [reference_array(w) for w in value]
        if all_close(arrs, wrongs, rtol, atol) and not all_close(exps, wrongs, rtol, atol):
            return label
    return None


def number_hint(
    value: float,
    expected: float,
    misconceptions: Mapping[str, float] | None,
    rtol: float,
    atol: float,
) -> str | None:
    """The first misconception the returned number is close to (and the right answer is not)."""
    for label, wrong in (misconceptions or {}).items():
        if close(value, float(wrong), rtol, atol) and not close(expected, float(wrong), rtol, atol):
            return label
    return None


def mapping_hint(
    got: Mapping[str, Any], key: str, misconceptions: Mapping[str, Mapping[str, str]] | None
) -> str | None:
    """The first misconception about `key` whose every entry the returned dict has (only str
    values count: an entry of another type matches nothing)."""
    for label, wrong in (misconceptions or {}).items():
        if key in wrong and all(type(got.get(k)) is str and got[k] == v for k, v in wrong.items()):
            return label
    return None


def exact_hint(value: Any, expected: Any, misconceptions: Mapping[str, Any] | None) -> str | None:
    for label, wrong in (misconceptions or {}).items():
        if value == wrong and expected != wrong:
            return label
    return None


def text_hint(
    value: str,
    expected: str,
    choices: Sequence[str] | None,
    misconceptions: Mapping[str, str] | None,
) -> str | None:
    hint = looks_like(exact_hint(value, expected, misconceptions))
    if hint is None and choices is not None and value not in choices:
        options = ", ".join(repr(c) for c in choices)
        hint = f"that is not one of the allowed values ({options}); use the module's constants."
    return hint


def looks_like(label: str | None) -> str | None:
    """The hint sentence for a matched misconception label."""
    return None if label is None else f"it looks like {label}."
