"""Public counterexamples: small calls, declared in problems.yaml, that show a student where their
function and the reference part ways, in a line they can paste and run.

A failed hidden case cannot show its inputs. What it can show is a small example that fails the
same way for this student's own function:

    Try: scale(np.array([-2.0, 3.0]), factor=0.5)  -> expected array([-1. , 1.5]), yours
    array([-2., 3.])

Examples are public by construction: each is a call written in problems.yaml under its problem's
`examples:` (in the student bundle too), never derived from a hidden input. The grader tries a
failed case's examples in order, calling the reference and the student's function on fresh
copies of the arguments, and shows the first whose results differ (`differs`); when none does,
it says the difference shows only on larger inputs (`NONE_FAILED`).

An example is parsed, never evaluated: its arguments may be numbers, strings, True, False,
None, lists, tuples and dicts of those, and `np.array(...)` of them with an optional `dtype=`
(a name such as float or "float32"). A call of anything else is refused at load, naming it.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.checking import mismatch

__all__ = ["Example", "ExampleError", "Result", "differs", "line", "parse", "search", "show"]

NONE_FAILED = (
    "(The problem's small public examples all give the right answer with your function: the "
    "difference shows only on the hidden case's inputs.)"
)
SHOW_NUMBERS = 36  # an array shown in full up to this many entries; summarised beyond
_DTYPES = {"float", "int", "bool", "float16", "float32", "float64", "int32", "int64"}


class ExampleError(ValueError):
    """An example that is not a plain call with literal arguments."""


@dataclass(frozen=True)
class Example:
    """One declared call: `function(*args, **kwargs)`, as written."""

    text: str  # pasted verbatim after "Try: "
    function: str  # the called function's bare name
    args: tuple[Any, ...] = ()  # literal values; arrays as ("array", nested lists, dtype)
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def arguments(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Fresh argument values for one call (arrays new each time, so a call that changes
        its input changes nothing else)."""
        return tuple(_build(a) for a in self.args), {k: _build(v) for k, v in self.kwargs.items()}


@dataclass(frozen=True)
class Result:
    """What one side of an example did: returned `value`, raised, or changed its input."""

    value: Any = None
    raised: str = ""  # the exception's type name, e.g. "ValueError"
    message: str = ""  # the exception's message, or the broken contract's wording
    changed: bool = False  # the call changed an argument in place (or broke another contract)
    grader_words: bool = False  # `message` is the grader's account: it did not finish, crashed


def parse(text: str) -> Example:
    """The example that `text` declares; ExampleError saying what is wrong otherwise."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExampleError(f"not a Python call ({exc.msg})") from None
    call = tree.body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise ExampleError("write one call of the function by its bare name, e.g. f(1.0)")
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        raise ExampleError("write every argument out (no * or **)")
    args = tuple(_literal(a) for a in call.args)
    kwargs = {k.arg: _literal(k.value) for k in call.keywords if k.arg is not None}
    return Example(text.strip(), call.func.id, args, kwargs)


def _literal(node: ast.expr) -> Any:
    """A literal argument as plain data; arrays as ("array", nested lists, dtype or None)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, type(None))):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_literal(e) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Dict) and all(k is not None for k in node.keys):
        return {_literal(k): _literal(v) for k, v in zip(node.keys, node.values, strict=True)}
    if _is_np_array(node):
        (data,) = node.args
        dtype = None
        for keyword in node.keywords:
            if keyword.arg != "dtype":
                raise ExampleError(f"np.array takes only dtype= here, not {keyword.arg}=")
            dtype = _dtype(keyword.value)
        return ("array", _literal(data), dtype)
    raise ExampleError(f"`{ast.unparse(node)}` is not a literal (numbers, lists, np.array(...))")


def _is_np_array(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "array"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in ("np", "numpy")
        and len(node.args) == 1
    )


def _dtype(node: ast.expr) -> str:
    name = node.value if isinstance(node, ast.Constant) else ast.unparse(node)
    name = str(name).removeprefix("np.").removeprefix("numpy.")
    if name not in _DTYPES:
        raise ExampleError(f"dtype {name!r} is not one of {', '.join(sorted(_DTYPES))}")
    return name


def _build(value: Any) -> Any:
    if isinstance(value, tuple) and len(value) == 3 and value[0] == "array":
        return np.array(_build(value[1]), dtype=value[2])
    if isinstance(value, list):
        return [_build(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_build(v) for v in value)
    if isinstance(value, dict):
        return {k: _build(v) for k, v in value.items()}
    return value


# ------------------------------------------------------------------------------- Comparing


def differs(expected: Result, got: Result, *, rtol: float, atol: float) -> bool:
    """Whether the student's side of an example tells a different story from the reference's:
    another exception or none, a changed input, or a value outside the problem's tolerance
    (the same rules as the cases' comparisons: shape, floating dtype, finiteness, values)."""
    if got.changed:
        return True
    if expected.raised or got.raised:
        return expected.raised != got.raised
    return not _same(expected.value, got.value, rtol, atol)


def _same(exp: Any, got: Any, rtol: float, atol: float) -> bool:
    if isinstance(exp, np.ndarray):
        if isinstance(got, (list, tuple)):
            try:
                got = np.asarray(got)
            except (ValueError, TypeError):
                return False
        if not isinstance(got, np.ndarray) or got.dtype.kind not in "biufc":
            return False
        if exp.dtype.kind in "biu":  # indices, tokens, masks: exactly these integers
            return got.shape == exp.shape and got.dtype.kind in "biu" and bool((got == exp).all())
        return mismatch.find(got, exp.astype(np.float64), rtol=rtol, atol=atol, reveal=True) is None
    if isinstance(exp, (list, tuple)):
        return (
            isinstance(got, (list, tuple))
            and len(got) == len(exp)
            and all(_same(e, g, rtol, atol) for e, g in zip(exp, got, strict=True))
        )
    if isinstance(exp, dict):
        return (
            isinstance(got, dict)
            and set(got) == set(exp)
            and all(_same(exp[k], got[k], rtol, atol) for k in exp)
        )
    if isinstance(exp, bool) or exp is None or isinstance(exp, str):
        return type(got) is type(exp) and got == exp
    if isinstance(exp, (int, float, np.number)):
        if isinstance(got, bool) or not isinstance(got, (int, float, np.number)):
            return False
        if isinstance(exp, (int, np.integer)) and not isinstance(got, (int, np.integer)):
            return False  # an index or a size: 3.0 is not the int 3
        return math.isclose(float(got), float(exp), rel_tol=rtol, abs_tol=atol) or (
            math.isnan(float(got)) and math.isnan(float(exp))
        )
    return got == exp


# ------------------------------------------------------------------------------- Searching

Side = Callable[[Example], "Result | None"]  # runs an example on one side, the reference or
# the student's; None: that side has no answer for it (the student bundle's recorded references)


def search(
    examples: Iterable[Example], reference: Side, student: Side, *, rtol: float, atol: float
) -> str | None:
    """The `Try:` line of the first example whose results differ; NONE_FAILED when every
    example the reference can answer agrees; None when it can answer none.

    The student's side is the one that may time out, crash or run out of budget, and says so
    by returning a Result with `raised` set, which counts as a difference only when the
    reference returned.
    """
    tried = False
    for example in examples:
        expected = reference(example)
        if expected is None:
            continue
        tried = True
        got = student(example)
        if got is not None and differs(expected, got, rtol=rtol, atol=atol):
            return line(example, expected, got)
    return NONE_FAILED if tried else None


# ------------------------------------------------------------------------------- Wording


def line(example: Example, expected: Result, got: Result) -> str:
    """`Try: <call>  -> expected <reference's>, yours <student's>`, one paste-able line."""
    return f"Try: {example.text}  -> expected {_story(expected)}, yours {_story(got)}"


def _story(result: Result) -> str:
    if result.changed:  # "relu modified its input array x in place: return a new..."
        said = result.message.split(": ", 1)[0].split(" ", 1)
        return said[1] if len(said) == 2 and said[1] else "changed its input"
    if result.grader_words:
        return _short(result.message, 120)
    if result.raised:
        return f"raised {result.raised}" + (f": {_short(result.message)}" if result.message else "")
    return show(result.value)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show(value: Any) -> str:
    """A compact, one-line repr of a value as numpy prints it: `array([-1.,  3.])`."""
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=4, suppress=True, threshold=SHOW_NUMBERS, edgeitems=3):
            return " ".join(np.array_repr(value).split())
    if isinstance(value, np.generic):
        return repr(value.item())
    if isinstance(value, (list, tuple)):
        inner = ", ".join(show(v) for v in value)
        return (
            f"[{inner}]"
            if isinstance(value, list)
            else f"({inner}{',' if len(value) == 1 else ''})"
        )
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return repr(round(value, 6))
    return repr(value)
