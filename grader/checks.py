"""Comparisons for the grading cases, with short, kind and leak-free failure messages.

A case builds nothing itself: it calls a student function through the `student` fixture, computes
the expected value with the reference `solutions` package, and hands both to one `Expect` method.
Every method checks in a fixed order and raises AssertionError at the first problem:

1. type: what came back is the right kind of thing (never trusted: student objects are only ever
   type-checked, then converted with base-class methods; their `__eq__` is never called);
2. shape (arrays), length (tuples, lists) or key set (dicts);
3. dtype (arrays);
4. finiteness (arrays, floats);
5. values, with the problem's rtol/atol for floats and exactly otherwise.

Messages have two layers. The headline is safe for hidden cases: it names the function (the
case's `what`), says what is wrong about the *returned* value (its type, its shape, how many
entries differ, whether it holds NaN), and never shows inputs, expected values or expected
shapes. With `reveal=True` (public cases) the inputs, the expected value and the returned value
follow. Either way, if the returned value matches one of the case's `misconceptions` (same shape
and allclose, or equal for exact kinds), a hint names the likely mistake.

Policies (the lead documents them for students):

- Arrays: an exact `np.ndarray`, or a list/tuple that converts to a numeric array. None, scalars,
  str, dict, ragged lists, object arrays, masked arrays and other ndarray subclasses are rejected.
  The dtype must be floating point (float16/32/64 are all accepted; float32 passes within the
  tolerances). Integer arrays are rejected, because the API returns floats and an integer output
  array is how values get truncated; bool and complex arrays are rejected too.
- Integers: `int` or a numpy integer scalar. `bool` is rejected explicitly; floats are rejected
  even when integral (54.0), with a hint to use `//` or `int(...)`.
- Floats (`number`): int, float and numpy real scalars; bool, arrays and NaN are rejected.
- Strings: exactly `str`; a str subclass is converted with `str.__str__` before comparing.
- Numpy scalar subclasses are rejected like ndarray subclasses.
- Expected NaN matches returned NaN (never arises with the reference, but is well defined).

This module imports numpy and the standard library only: the trusted grader imports it next to
untrusted values.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

import numpy as np

from grader import hints, messages

__all__ = ["Expect"]

_SHOW_MISMATCHES = 3  # mismatching entries itemised in public messages


class Expect:
    """Checks one problem's results with its tolerances.

    Args:
        rtol: relative tolerance for floating-point values (np.isclose semantics).
        atol: absolute tolerance for floating-point values.
        reveal: True for public cases (show inputs, expected and actual values), False for
            hidden ones (describe only what is wrong with the returned value).
    """

    def __init__(self, rtol: float = 1e-4, atol: float = 1e-5, reveal: bool = True) -> None:
        self.rtol = float(rtol)
        self.atol = float(atol)
        self.reveal = bool(reveal)

    def __repr__(self) -> str:
        return f"Expect(rtol={self.rtol:g}, atol={self.atol:g}, reveal={self.reveal})"

    # ----------------------------------------------------------------------------- arrays

    def array(
        self,
        actual: Any,
        expected: Any,
        what: str,
        *,
        inputs: Mapping[str, Any] | None = None,
        misconceptions: Mapping[str, Any] | None = None,
    ) -> np.ndarray:
        """Check a returned array against the expected one.

        Args:
            actual: what the student returned (untrusted).
            expected: the reference result (any real array-like).
            what: a short label that is safe to show for hidden cases, e.g. "conv2d(image,
                kernel)": names, never values.
            inputs: the call's arguments by name, shown only when revealing.
            misconceptions: hint -> the value that mistake returns; the hint completes "It looks
                like ...", e.g. {"the kernel was flipped (true convolution)": flipped}.

        Returns:
            The returned value as a plain ndarray.
        """
        __tracebackhide__ = True
        exp = hints.reference_array(expected)
        arr = self._plain_array(actual, what, inputs)
        problem = self._array_problem(arr, exp, what)
        if problem is not None:
            headline, details = problem
            label = hints.array_hint(arr, exp, misconceptions, self.rtol, self.atol)
            label = label or hints.truncated(arr, exp)
            self._fail(what, headline, details=details, inputs=inputs, hint=hints.looks_like(label))
        return arr

    def array_list(
        self,
        actual: Any,
        expected: Sequence[Any],
        what: str,
        *,
        inputs: Mapping[str, Any] | None = None,
        misconceptions: Mapping[str, Sequence[Any]] | None = None,
    ) -> list[np.ndarray]:
        """Check a returned list of arrays (e.g. clipped gradients) element by element.

        Args:
            actual: what the student returned (untrusted); must be a list.
            expected: the reference arrays.
            what: safe label (see `array`).
            inputs: shown only when revealing.
            misconceptions: hint -> the list of arrays that mistake returns.

        Returns:
            The returned arrays as plain ndarrays.
        """
        __tracebackhide__ = True
        exps = [hints.reference_array(e) for e in expected]
        if type(actual) is not list:
            self._fail(what, messages.wrong_type(actual, "a list of numpy arrays"), inputs=inputs)
        items = list.__iter__(actual)  # a list subclass cannot lie about its items
        arrs = [self._plain_array(item, f"{what}[{i}]", inputs) for i, item in enumerate(items)]
        if len(arrs) != len(exps):
            self._fail(
                what,
                f"returned {len(arrs)} arrays; there should be one per input array.",
                details=[f"expected {len(exps)} arrays"],
                inputs=inputs,
            )
        for i, (arr, exp) in enumerate(zip(arrs, exps, strict=True)):
            problem = self._array_problem(arr, exp, f"{what}[{i}]")
            if problem is not None:
                headline, details = problem
                hint = None
                for label, wrong in (misconceptions or {}).items():
                    wrongs = [hints.reference_array(w) for w in wrong]
                    if hints.all_close(arrs, wrongs, self.rtol, self.atol) and not hints.all_close(
                        exps, wrongs, self.rtol, self.atol
                    ):
                        hint = hints.looks_like(label)
                        break
                hint = hint or hints.looks_like(hints.truncated(arr, exp))
                self._fail(f"{what}[{i}]", headline, details=details, inputs=inputs, hint=hint)
        return arrs

    def _plain_array(self, actual: Any, what: str, inputs: Mapping[str, Any] | None) -> np.ndarray:
        """The returned value as a numeric base ndarray, or a type failure."""
        __tracebackhide__ = True
        expected_kind = "a numpy array"
        if type(actual) is np.ndarray:
            arr = actual
        elif type(actual) is list or type(actual) is tuple:
            arr = _convert_sequence(actual)
            if arr is None:
                self._fail(
                    what,
                    f"returned a {type(actual).__name__} that does not convert to an array of "
                    "numbers (ragged nested lists, or entries that are not numbers?); return a "
                    "numpy array.",
                    inputs=inputs,
                )
        elif isinstance(actual, np.ma.MaskedArray):
            self._fail(
                what,
                "returned a masked array; return a plain numpy array (np.ma is not needed).",
                inputs=inputs,
            )
        elif isinstance(actual, np.ndarray):
            self._fail(
                what,
                f"returned a {type(actual).__name__} (a subclass of np.ndarray); return a plain "
                "numpy array, e.g. np.asarray(result).",
                inputs=inputs,
            )
        else:
            self._fail(what, messages.wrong_type(actual, expected_kind), inputs=inputs)
        if arr.dtype.kind not in "biufc":
            self._fail(
                what,
                f"returned an array of dtype {arr.dtype} (not numbers); return an array of floats.",
                inputs=inputs,
            )
        return arr

    def _array_problem(
        self, arr: np.ndarray, exp: np.ndarray, what: str
    ) -> tuple[str, list[str]] | None:
        """(headline, revealed details) of the first problem after the type check, or None."""
        if arr.shape != exp.shape:
            details = [
                f"expected shape {messages.shape(exp.shape)}, got {messages.shape(arr.shape)}"
            ]
            details += messages.show_pair(exp, arr)
            return self._got(
                f"wrong shape: got {messages.shape(arr.shape)}.", "wrong shape."
            ), details
        kind = arr.dtype.kind
        if kind == "b":
            return (
                "returned a boolean array; convert it to floats, e.g. mask.astype(float).",
                messages.show_pair(exp, arr),
            )
        if kind in "iu":
            return messages.integer_headline(arr), messages.show_pair(exp, arr)
        if kind == "c":
            return "returned a complex array; results should be real numbers.", []
        values = arr.astype(np.float64)
        bad = ~np.isfinite(values) & np.isfinite(exp)
        if bad.any():
            headline = self._got(
                messages.nonfinite_headline(values, bad),
                "the result contains NaN or inf (an overflow, or a division by zero?).",
            )
            return headline, messages.show_pair(exp, arr)
        close = np.isclose(values, exp, rtol=self.rtol, atol=self.atol, equal_nan=True)
        if not close.all():
            wrong = np.argwhere(~close)
            where = "" if arr.ndim == 0 else f" (first at index {messages.index(wrong[0])})"
            headline = self._got(
                f"values differ at {len(wrong)} of {arr.size} entries{where}.",
                "some values are wrong.",
            )
            details = [f"tolerance: rtol={self.rtol:g}, atol={self.atol:g}"]
            for index in wrong[:_SHOW_MISMATCHES]:
                at = tuple(int(i) for i in index)
                details.append(
                    f"at {messages.index(index)}: expected {exp[at]:.6g}, got {values[at]:.6g}"
                )
            details += messages.show_pair(exp, arr)
            return headline, details
        return None

    # ---------------------------------------------------------------------------- errors

    def raises(
        self,
        error: type[Exception],
        call: Callable[[], Any],
        what: str,
        *,
        reason: str,
        inputs: Mapping[str, Any] | None = None,
    ) -> None:
        """Check that `call()` raises `error`; any other exception propagates unchanged.

        Args:
            error: the exception class the API documents, e.g. ValueError.
            call: calls the student function with the invalid arguments.
            what: safe label (see `array`), e.g. "conv2d(image, kernel, stride=0)".
            reason: what is invalid, completing "... instead of raising ValueError", e.g.
                "for a stride of 0"; shown for hidden cases too, so it names the kind of
                invalid argument, never its value.
            inputs: shown only when revealing.
        """
        __tracebackhide__ = True
        try:
            call()
        except error:
            return
        self._fail(
            what,
            f"returned a value instead of raising {error.__name__} {reason}.",
            inputs=inputs,
        )

    # ---------------------------------------------------------------------------- scalars

    def integer(
        self,
        actual: Any,
        expected: int,
        what: str,
        *,
        inputs: Mapping[str, Any] | None = None,
        misconceptions: Mapping[str, int] | None = None,
    ) -> int:
        """Check a returned integer exactly (int or numpy integer; not bool, not float).

        Args:
            actual: what the student returned (untrusted).
            expected: the reference integer.
            what: safe label (see `array`).
            inputs: shown only when revealing.
            misconceptions: hint -> the integer that mistake returns.

        Returns:
            The returned value as an int.
        """
        __tracebackhide__ = True
        value = self._plain_int(actual, what, inputs)
        if value != expected:
            hint = hints.looks_like(hints.exact_hint(value, int(expected), misconceptions))
            self._fail(
                what,
                self._got(f"got {value}, which is not right.", "the value is not right."),
                details=[f"expected {expected}"],
                inputs=inputs,
                hint=hint,
            )
        return value

    def number(
        self,
        actual: Any,
        expected: float,
        what: str,
        *,
        inputs: Mapping[str, Any] | None = None,
        misconceptions: Mapping[str, float] | None = None,
    ) -> float:
        """Check a returned real number with the tolerances (int, float or numpy real scalar).

        Args:
            actual: what the student returned (untrusted).
            expected: the reference number.
            what: safe label (see `array`).
            inputs: shown only when revealing.
            misconceptions: hint -> the number that mistake returns.

        Returns:
            The returned value as a float.
        """
        __tracebackhide__ = True
        value = self._plain_float(actual, what, inputs)
        exp = float(expected)
        if not math.isfinite(value):
            self._fail(
                what,
                self._got(f"got {value}, which is not a finite number.", "got NaN or inf."),
                inputs=inputs,
            )
        if not hints.close(value, exp, self.rtol, self.atol):
            hint = None
            for label, wrong in (misconceptions or {}).items():
                if hints.close(value, float(wrong), self.rtol, self.atol) and not hints.close(
                    exp, float(wrong), self.rtol, self.atol
                ):
                    hint = hints.looks_like(label)
                    break
            self._fail(
                what,
                self._got(f"got {value:.6g}, which is not right.", "the value is not right."),
                details=[f"expected {exp:.6g} (tolerance: rtol={self.rtol:g}, atol={self.atol:g})"],
                inputs=inputs,
                hint=hint,
            )
        return value

    def text(
        self,
        actual: Any,
        expected: str,
        what: str,
        *,
        choices: Sequence[str] | None = None,
        inputs: Mapping[str, Any] | None = None,
        misconceptions: Mapping[str, str] | None = None,
    ) -> str:
        """Check a returned string exactly.

        Args:
            actual: what the student returned (untrusted).
            expected: the reference string.
            what: safe label (see `array`).
            choices: the allowed strings, if any (e.g. the four RNN types); a value outside them
                gets a hint to use the module's constants.
            inputs: shown only when revealing.
            misconceptions: hint -> the string that mistake returns.

        Returns:
            The returned value as a plain str.
        """
        __tracebackhide__ = True
        value = self._plain_str(actual, what, inputs)
        if value != expected:
            self._fail(
                what,
                self._got(
                    f"got {messages.quote(value)}, which is not right.", "the text is not right."
                ),
                details=[f"expected {expected!r}"],
                inputs=inputs,
                hint=hints.text_hint(value, expected, choices, misconceptions),
            )
        return value

    def shape_tuple(
        self,
        actual: Any,
        expected: Sequence[int],
        what: str,
        *,
        inputs: Mapping[str, Any] | None = None,
        misconceptions: Mapping[str, Sequence[int]] | None = None,
    ) -> tuple[int, ...]:
        """Check a returned tuple of integers (e.g. an output shape) exactly.

        Args:
            actual: what the student returned (untrusted); must be a tuple.
            expected: the reference integers.
            what: safe label (see `array`).
            inputs: shown only when revealing.
            misconceptions: hint -> the tuple that mistake returns.

        Returns:
            The returned value as a tuple of ints.
        """
        __tracebackhide__ = True
        exp = tuple(int(e) for e in expected)
        if not isinstance(actual, tuple):
            self._fail(what, messages.wrong_type(actual, "a tuple of ints"), inputs=inputs)
        items = list(tuple.__iter__(actual))  # a tuple subclass cannot lie about its items
        value = tuple(self._plain_int(x, what, inputs, f"entry {i}") for i, x in enumerate(items))
        if value != exp:
            wrongs = {label: tuple(v) for label, v in (misconceptions or {}).items()}
            self._fail(
                what,
                self._got(f"got {value}, which is not right.", "the shape is not right."),
                details=[f"expected {exp}"],
                inputs=inputs,
                hint=hints.looks_like(hints.exact_hint(value, exp, wrongs)),
            )
        return value

    def mapping(
        self,
        actual: Any,
        expected: Mapping[str, str],
        what: str,
        *,
        keys: Sequence[str] | None = None,
        choices: Sequence[str] | None = None,
        misconceptions: Mapping[str, Mapping[str, str]] | None = None,
    ) -> dict[str, str]:
        """Check a returned dict of str to str: some entries exactly, optionally its key set.

        Args:
            actual: the student's dict (untrusted).
            expected: the entries to check (a subset of the keys is fine).
            what: safe label, e.g. "TASK_TYPES".
            keys: if given, the dict must have exactly these keys (they are API names, so they
                are shown even for hidden cases).
            choices: the allowed values; others get a hint to use the module's constants.
            misconceptions: hint -> {key: wrong value} entries that mistake gives; it matches
                when all its entries do.

        Returns:
            The checked entries (`expected`'s keys) as plain strs.
        """
        __tracebackhide__ = True
        if not isinstance(actual, dict):
            self._fail(what, messages.wrong_type(actual, "a dict"))
        pairs = list(dict.items(actual))  # a dict subclass cannot lie about its items
        bad_keys = [k for k, _ in pairs if type(k) is not str]
        if bad_keys:
            self._fail(what, f"has a key that is not a str ({type(bad_keys[0]).__name__}).")
        got = dict(pairs)
        if keys is not None:
            missing = [k for k in keys if k not in got]
            extra = [k for k in got if k not in set(keys)]
            if missing or extra:
                parts = []
                if missing:
                    parts.append("is missing " + ", ".join(map(repr, missing)))
                if extra:
                    parts.append(
                        "has unexpected keys " + ", ".join(messages.quote(k) for k in extra[:5])
                    )
                self._fail(what, " and ".join(parts) + ".")
        checked: dict[str, str] = {}
        for key, exp in expected.items():
            if key not in got:
                self._fail(what, f"is missing the key {key!r}.")
            value = self._plain_str(got[key], what, None, f"entry {key!r}")
            if value != exp:
                hint = None
                for text, wrong in (misconceptions or {}).items():
                    if key in wrong and all(
                        type(got.get(k)) is str and got[k] == v for k, v in wrong.items()
                    ):
                        hint = hints.looks_like(text)
                        break
                hint = hint or hints.text_hint(value, exp, choices, None)
                self._fail(
                    what,
                    f"entry {key!r} is {messages.quote(value)}, which is not right.",
                    details=[f"expected {exp!r}"],
                    hint=hint,
                )
            checked[key] = value
        return checked

    def _plain_int(
        self, actual: Any, what: str, inputs: Mapping[str, Any] | None, entry: str = ""
    ) -> int:
        """An int or numpy integer as a plain int; `entry` names a tuple entry ("entry 2")."""
        __tracebackhide__ = True
        subject = f"{entry} is" if entry else "returned"
        if isinstance(actual, (bool, np.bool_)):
            self._fail(
                what, f"{subject} a bool ({bool(actual)}); it should be an int.", inputs=inputs
            )
        if isinstance(actual, np.generic) and type(actual).__module__ != "numpy":
            self._fail(
                what,
                f"{subject} a {type(actual).__name__} (a numpy scalar subclass); "
                "return a plain int.",
                inputs=inputs,
            )
        if isinstance(actual, int):
            return int.__index__(actual)
        if isinstance(actual, np.integer):
            return int(np.generic.item(actual))
        if isinstance(actual, (float, np.floating)):
            number = _plain_float_value(actual)
            self._fail(
                what,
                f"{subject} a float ({number!r}); it should be an int. The formula gives a whole "
                "number: use // for floor division, or int(...).",
                inputs=inputs,
            )
        self._fail(what, messages.wrong_type(actual, "an int", entry), inputs=inputs)

    def _plain_float(self, actual: Any, what: str, inputs: Mapping[str, Any] | None) -> float:
        __tracebackhide__ = True
        if isinstance(actual, (bool, np.bool_)):
            self._fail(what, "returned a bool; it should be a float.", inputs=inputs)
        if isinstance(actual, np.generic) and type(actual).__module__ != "numpy":
            self._fail(
                what,
                f"returned a {type(actual).__name__} (a numpy scalar subclass); "
                "return a plain float.",
                inputs=inputs,
            )
        if isinstance(actual, int):
            return float(int.__index__(actual))
        if isinstance(actual, np.integer):
            return float(np.generic.item(actual))
        if isinstance(actual, (float, np.floating)):
            return _plain_float_value(actual)
        if isinstance(actual, np.ndarray):
            self._fail(
                what,
                f"returned an array of shape {messages.shape(messages.base_shape(actual))}; "
                "return a single float, e.g. float(...).",
                inputs=inputs,
            )
        if isinstance(actual, (complex, np.complexfloating)):
            self._fail(what, "returned a complex number; it should be a real float.", inputs=inputs)
        self._fail(what, messages.wrong_type(actual, "a float"), inputs=inputs)

    def _plain_str(
        self, actual: Any, what: str, inputs: Mapping[str, Any] | None, entry: str = ""
    ) -> str:
        """A str (or str subclass, via str.__str__) as a plain str."""
        __tracebackhide__ = True
        if isinstance(actual, str):
            return str.__str__(actual)
        self._fail(what, messages.wrong_type(actual, "a str", entry), inputs=inputs)

    # ---------------------------------------------------------------------------- messages

    def _got(self, revealed: str, hidden: str) -> str:
        """A headline that echoes the returned value only in public cases.

        In a hidden case the returned value is under the student's control and may encode
        the hidden inputs (return `n` itself, or an array shaped like the input), so it is
        never echoed back there.
        """
        return revealed if self.reveal else hidden

    def _fail(
        self,
        what: str,
        headline: str,
        *,
        details: Sequence[str] = (),
        inputs: Mapping[str, Any] | None = None,
        hint: str | None = None,
    ) -> NoReturn:
        """Raise the AssertionError; `details` and `inputs` appear only when revealing."""
        __tracebackhide__ = True
        lines = [f"{what}: {headline}"]
        if self.reveal:
            for name, value in (inputs or {}).items():
                lines.append("  " + messages.labelled(f"{name} =", messages.show(value)))
            lines.extend(f"  {line}" for line in details)
        if hint:
            lines.append(f"Hint: {hint}")
        raise AssertionError("\n".join(lines))


# ------------------------------------------------------------------------------- helpers


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
