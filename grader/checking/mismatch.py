"""How a returned array differs from the expected one: its first mismatch, worded.

`find` checks, in this order, the shape, the dtype (floating point only: an integer array is
how values get truncated; bool and complex arrays are rejected too, while float16/32/64 all
pass, float32 within the tolerances), finiteness (NaN or inf where the expected value is
finite) and the values (np.isclose with the problem's rtol and atol; an expected NaN matches a
returned NaN). With `reveal` False (hidden cases) the headline says only what kind of problem
it is: never the returned shape or how many entries differ, which the student's code chooses
and could use to carry the hidden inputs out. The details (expected and returned values) are
shown in public cases only.

Only trusted values are compared here: the returned value has already been converted to a
plain ndarray by grader/checking/coercion.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.checking import messages

__all__ = ["Mismatch", "find"]

SHOW_MISMATCHES = 3  # mismatching entries itemised in public messages


@dataclass(frozen=True)
class Mismatch:
    """The first problem found: a headline for every case, details for public ones."""

    headline: str
    details: tuple[str, ...]


def find(
    arr: np.ndarray, exp: np.ndarray, *, rtol: float, atol: float, reveal: bool
) -> Mismatch | None:
    """The first mismatch of a returned array with the expected one, or None if they match.

    Args:
        arr: the returned array, a plain ndarray of a numeric dtype (any shape).
        exp: the expected array, float64 (any shape).
        rtol, atol: the tolerances for the values (np.isclose semantics).
        reveal: True for public cases: the headline may echo the returned value.
    """
    if arr.shape != exp.shape:
        headline = _echo(reveal, f"wrong shape: got {messages.shape(arr.shape)}.", "wrong shape.")
        details = [f"expected shape {messages.shape(exp.shape)}, got {messages.shape(arr.shape)}"]
        return Mismatch(headline, (*details, *messages.show_pair(exp, arr)))
    kind = arr.dtype.kind
    if kind == "b":
        return Mismatch(
            "returned a boolean array; convert it to floats, e.g. mask.astype(float).",
            tuple(messages.show_pair(exp, arr)),
        )
    if kind in "iu":
        return Mismatch(messages.integer_headline(arr), tuple(messages.show_pair(exp, arr)))
    if kind == "c":
        return Mismatch("returned a complex array; results should be real numbers.", ())
    values = arr.astype(np.float64)
    bad = ~np.isfinite(values) & np.isfinite(exp)
    if bad.any():
        headline = _echo(
            reveal,
            messages.nonfinite_headline(values, bad),
            "the result contains NaN or inf (an overflow, or a division by zero?).",
        )
        return Mismatch(headline, tuple(messages.show_pair(exp, arr)))
    close = np.isclose(values, exp, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    wrong = np.argwhere(~close)
    where = "" if arr.ndim == 0 else f" (first at index {messages.index(wrong[0])})"
    headline = _echo(
        reveal,
        f"values differ at {len(wrong)} of {arr.size} entries{where}.",
        "some values are wrong.",
    )
    details = [f"tolerance: rtol={rtol:g}, atol={atol:g}"]
    for index in wrong[:SHOW_MISMATCHES]:
        at = tuple(int(i) for i in index)
        details.append(f"at {messages.index(index)}: expected {exp[at]:.6g}, got {values[at]:.6g}")
    return Mismatch(headline, (*details, *messages.show_pair(exp, arr)))


def _echo(reveal: bool, revealed: str, hidden: str) -> str:
    """A headline that echoes the returned value only in public cases: in a hidden case the
    student's code chooses it and could make it encode the hidden inputs."""
    return revealed if reveal else hidden
