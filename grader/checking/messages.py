"""The wording of check failures: what came back, shown compactly and safely.

Headlines name only the type, shape and dtype of a returned value, never its contents, so they
are safe for hidden cases; `show` and `show_pair` format trusted values (inputs, expected
values, converted results) for public cases only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

SHOW_ENTRIES = 64  # arrays up to this size are printed in full in public messages
MAX_TEXT = 60  # characters of a returned string echoed back


def wrong_type(actual: Any, wanted: str, entry: str = "", reveal: bool = True) -> str:
    """Headline for a value of the wrong type; names the type only (never repr of student data),
    and an array's shape only with `reveal` (public cases: the student's code chose it)."""
    if actual is None and not entry:
        return f"returned None; it should return {wanted}. Did you forget a `return`?"
    if actual is None:
        return f"{entry} is None; it should be {wanted}."
    if isinstance(actual, np.ndarray):
        what = f"a numpy array of shape {shape(base_shape(actual))}" if reveal else "a numpy array"
    else:
        name = type(actual).__name__
        what = f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"
    if entry:
        return f"{entry} is {what}; it should be {wanted}."
    return f"returned {what}; it should return {wanted}."


def base_shape(array: np.ndarray) -> tuple[int, ...]:
    """The shape of an ndarray, read with ndarray's own descriptor (a subclass may override it)."""
    return np.ndarray.shape.__get__(array)


def integer_headline(arr: np.ndarray) -> str:
    return (
        f"returned an integer array ({arr.dtype}): return floating-point values "
        "(e.g. result.astype(float))."
    )


def nonfinite_headline(values: np.ndarray, bad: np.ndarray) -> str:
    nans = int(np.count_nonzero(np.isnan(values) & bad))
    infs = int(np.count_nonzero(np.isinf(values) & bad))
    found = " and ".join(
        part
        for part in (f"NaN at {nans}" if nans else "", f"inf at {infs}" if infs else "")
        if part
    )
    return (
        f"the result contains {found} of {values.size} entries "
        "(an overflow, or a division by zero?)."
    )


def key_set(missing: Sequence[str], extra: Sequence[str], reveal: bool = True) -> str:
    """Headline for a dict with the wrong keys: the missing ones (API names, so safe to show)
    and, with `reveal` (public cases: the student's code chose them), the first five
    unexpected keys, shortened."""
    parts = []
    if missing:
        parts.append("is missing " + ", ".join(map(repr, missing)))
    if extra and reveal:
        parts.append("has unexpected keys " + ", ".join(quote(k) for k in extra[:5]))
    elif extra:
        parts.append("has unexpected keys")
    return " and ".join(parts) + "."


def quote(value: str) -> str:
    """repr of a (plain) string, shortened."""
    if len(value) > MAX_TEXT:
        return repr(value[:MAX_TEXT]) + "..."
    return repr(value)


def shape(shape: tuple[int, ...]) -> str:
    return str(tuple(int(n) for n in shape))


def index(index: Sequence[int]) -> str:
    return str(tuple(int(i) for i in index))


def show(value: Any) -> str:
    """A trusted value (input or result) as compact text."""
    if isinstance(value, np.ndarray):
        if value.size > SHOW_ENTRIES:
            return f"<array of shape {shape(value.shape)}, dtype {value.dtype}>"
        return np.array2string(value, precision=6, suppress_small=True, max_line_width=90)
    if isinstance(value, (list, tuple)) and any(isinstance(v, np.ndarray) for v in value):
        inner = ", ".join(show(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    return repr(value)


def show_pair(exp: np.ndarray, arr: np.ndarray) -> list[str]:
    return [labelled("expected:", show(exp)), labelled("got:     ", show(arr))]


def labelled(label: str, text: str) -> str:
    """`label text` with continuation lines indented under the text."""
    indent = " " * (len(label) + 3)  # lines are shown after a 2-space margin
    first, *rest = text.splitlines() or [""]
    return "\n".join(
        [f"{label} {first}"] + [indent + line if line.strip() else "" for line in rest]
    )
