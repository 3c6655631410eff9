"""Comparisons for the grading cases, with short, kind and leak-free failure messages.

A case builds nothing itself: it calls a student function through the `student` fixture, computes
the expected value with the reference `solutions` package, and hands both to one `Expect` method.
Every method checks in a fixed order and raises AssertionError at the first problem:

1. type: what came back is the right kind of thing (grader/checking/coercion.py, which also states
what
   is accepted: student objects are only type-checked, then read with base-class methods);
2. shape (arrays), length (tuples, lists) or key set (dicts);
3. dtype (arrays; grader/checking/mismatch.py checks 2 to 5 for arrays);
4. finiteness (arrays, floats);
5. values, with the problem's rtol/atol for floats and exactly otherwise.

Messages (grader/checking/messages.py words them) have two layers. The headline is safe for hidden
cases: it names the function (the case's `what`), says what is wrong about the *returned* value
(its type, whether it holds NaN) and never shows inputs, expected values or expected shapes.
With `reveal=True` (public cases) it may echo the returned value, and the inputs, the expected
value and the returned value follow. Either way, if the returned value matches one of the
case's `misconceptions` (same shape and allclose, or equal for exact kinds), a hint
(grader/checking/hints.py) names the likely mistake.

This module imports numpy and the standard library only: the trusted grader imports it next to
untrusted values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn, TypeVar

import numpy as np

from grader.checking import coercion, hints, messages, mismatch

__all__ = ["Expect"]

_T = TypeVar("_T")


class Expect:
    """Checks one problem's results with its tolerances.

    Every check takes `actual`, what the student returned (untrusted); `expected`, the
    reference result; `what`, a short label that is safe to show for hidden cases, e.g.
    "dense(x, weights)": names, never values; `inputs`, the call's arguments by name, shown
    only when revealing; and `misconceptions`, hint -> the value that mistake returns, where
    the hint completes "It looks like ...", e.g. {"the weights were used transposed":
    transposed}. It returns the returned value as a plain, checked value.

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
        """Check a returned array (any real array-like `expected`); returns a plain ndarray."""
        __tracebackhide__ = True
        exp = hints.reference_array(expected)
        arr = self._coerce(coercion.plain_array, actual, what, inputs)
        found = self._mismatch(arr, exp)
        if found is not None:
            label = hints.array_hint(arr, exp, misconceptions, self.rtol, self.atol)
            label = label or hints.truncated(arr, exp)
            hint = hints.looks_like(label)
            self._fail(what, found.headline, details=found.details, inputs=inputs, hint=hint)
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
        """Check a returned list of arrays (e.g. clipped gradients) element by element; a
        misconception is the whole list of arrays that mistake returns."""
        __tracebackhide__ = True
        exps = [hints.reference_array(e) for e in expected]
        items = self._coerce(coercion.plain_list, actual, what, inputs, "a list of numpy arrays")
        if len(items) != len(exps):  # first: then no index told below is the student's choice
            self._fail(
                what,
                self._got(
                    f"returned {len(items)} arrays; there should be one per input array.",
                    "returned the wrong number of arrays; there should be one per input array.",
                ),
                details=[f"expected {len(exps)} arrays"],
                inputs=inputs,
            )
        arrs = [
            self._coerce(coercion.plain_array, item, f"{what}[{i}]", inputs)
            for i, item in enumerate(items)
        ]
        for i, (arr, exp) in enumerate(zip(arrs, exps, strict=True)):
            found = self._mismatch(arr, exp)
            if found is not None:
                label = hints.array_list_hint(arrs, exps, misconceptions, self.rtol, self.atol)
                label = label or hints.truncated(arr, exp)
                hint = hints.looks_like(label)
                self._fail(
                    f"{what}[{i}]", found.headline, details=found.details, inputs=inputs, hint=hint
                )
        return arrs

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

        `call` calls the student function with invalid arguments; `error` is the exception
        class the API documents, e.g. ValueError; `reason` says what is invalid, completing
        "... instead of raising ValueError", e.g. "for a stride of 0": it is shown for hidden
        cases too, so it names the kind of invalid argument, never its value.
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
        """Check a returned integer exactly (int or numpy integer; not bool, not float)."""
        __tracebackhide__ = True
        value = self._coerce(coercion.plain_int, actual, what, inputs)
        if value != expected:
            self._fail(
                what,
                self._got(f"got {value}, which is not right.", "the value is not right."),
                details=[f"expected {expected}"],
                inputs=inputs,
                hint=hints.looks_like(hints.exact_hint(value, int(expected), misconceptions)),
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
        """Check a returned real number (int, float or numpy real scalar) with the tolerances."""
        __tracebackhide__ = True
        value = self._coerce(coercion.plain_float, actual, what, inputs)
        exp = float(expected)
        if not math.isfinite(value):
            self._fail(
                what,
                self._got(f"got {value}, which is not a finite number.", "got NaN or inf."),
                inputs=inputs,
            )
        if not hints.close(value, exp, self.rtol, self.atol):
            label = hints.number_hint(value, exp, misconceptions, self.rtol, self.atol)
            self._fail(
                what,
                self._got(f"got {value:.6g}, which is not right.", "the value is not right."),
                details=[f"expected {exp:.6g} (tolerance: rtol={self.rtol:g}, atol={self.atol:g})"],
                inputs=inputs,
                hint=hints.looks_like(label),
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
        """Check a returned string exactly. `choices` are the allowed strings, if any (e.g. the
        four RNN types); a value outside them gets a hint to use the module's constants."""
        __tracebackhide__ = True
        value = self._coerce(coercion.plain_str, actual, what, inputs)
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
        """Check a returned tuple of integers (e.g. an output shape) exactly."""
        __tracebackhide__ = True
        exp = tuple(int(e) for e in expected)
        value = self._coerce(coercion.plain_int_tuple, actual, what, inputs)
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

        `expected` holds the entries to check (a subset of the keys is fine; they are
        returned); `keys`, if given, the dict's exact keys (API names, so shown for hidden cases
        too); `choices`, the allowed values (others get a hint to use the module's constants).
        A misconception is {key: wrong value}, matched when all its entries are.
        """
        __tracebackhide__ = True
        got = self._coerce(coercion.plain_dict, actual, what, None)
        if keys is not None:
            missing = [k for k in keys if k not in got]
            extra = [k for k in got if k not in set(keys)]
            if missing or extra:
                self._fail(what, messages.key_set(missing, extra, self.reveal))
        checked: dict[str, str] = {}
        for key, exp in expected.items():
            if key not in got:
                self._fail(what, f"is missing the key {key!r}.")
            value = self._coerce(coercion.plain_str, got[key], what, None, f"entry {key!r}")
            if value != exp:
                hint = hints.looks_like(hints.mapping_hint(got, key, misconceptions))
                self._fail(
                    what,
                    self._got(
                        f"entry {key!r} is {messages.quote(value)}, which is not right.",
                        f"entry {key!r} is not right.",
                    ),
                    details=[f"expected {exp!r}"],
                    hint=hint or hints.text_hint(value, exp, choices, None),
                )
            checked[key] = value
        return checked

    # ---------------------------------------------------------------------------- failures

    def _coerce(
        self,
        convert: Callable[..., _T],
        actual: Any,
        what: str,
        inputs: Mapping[str, Any] | None,
        *args: Any,
    ) -> _T:
        """`convert(actual, *args)`, or the check's failure with the coercion's headline."""
        __tracebackhide__ = True
        try:
            return convert(actual, *args)
        except coercion.Rejected as rejected:
            headline = rejected.public if self.reveal else rejected.hidden
        # Outside the except block: the AssertionError carries no chained Rejected.
        self._fail(what, headline, inputs=inputs)

    def _mismatch(self, arr: np.ndarray, exp: np.ndarray) -> mismatch.Mismatch | None:
        return mismatch.find(arr, exp, rtol=self.rtol, atol=self.atol, reveal=self.reveal)

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
