"""grader/checking/examples.py: public counterexamples parsed, compared and worded (literals)."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checking.examples import (
    NONE_FAILED,
    Example,
    ExampleError,
    Result,
    differs,
    line,
    parse,
    search,
    show,
)

TOL = {"rtol": 1e-4, "atol": 1e-5}


def test_a_call_with_literal_arguments_is_parsed_without_evaluating_it() -> None:
    example = parse("leaky_relu(np.array([-2.0, 3.0]), alpha=0.5)")
    assert example.function == "leaky_relu"
    args, kwargs = example.arguments()
    assert isinstance(args[0], np.ndarray) and args[0].tolist() == [-2.0, 3.0]
    assert kwargs == {"alpha": 0.5}


def test_each_call_gets_fresh_arrays() -> None:
    example = parse("relu(np.array([[-1, 2]], dtype=float))")
    first, _ = example.arguments()
    first[0][0, 0] = 99.0
    again, _ = example.arguments()
    assert again[0].tolist() == [[-1.0, 2.0]] and again[0].dtype == np.float64


@pytest.mark.parametrize(
    "text, value",
    [
        ("f(-3)", -3),
        ("f((1, 2), [3.5, None], {'a': True})", ((1, 2), [3.5, None], {"a": True})),
        ("f('many-to-one')", "many-to-one"),
        ("f(np.array([1, 2], dtype='float32'))", None),
    ],
)
def test_literals_of_every_kind(text: str, value: object) -> None:
    args, _ = parse(text).arguments()
    if value is None:
        assert args[0].dtype == np.float32
    elif len(args) == 1:
        assert args[0] == value
    else:
        assert args == value


@pytest.mark.parametrize(
    "text, said",
    [
        ("relu(x)", "`x` is not a literal"),
        ("relu(__import__('os').system('id'))", "is not a literal"),
        ("np.maximum(1, 2)", "bare name"),
        ("relu(*args)", "no * or **"),
        ("relu(np.array([1], copy=False))", "only dtype="),
        ("relu(np.array([1], dtype=object))", "dtype 'object'"),
        ("relu(1) + 1", "bare name"),
        ("relu(", "not a Python call"),
    ],
)
def test_anything_but_a_literal_call_is_refused(text: str, said: str) -> None:
    with pytest.raises(ExampleError, match=None) as info:
        parse(text)
    assert said in str(info.value)


def test_same_values_within_tolerance_do_not_differ() -> None:
    exp = Result(np.array([-1.0, 3.0]))
    assert not differs(exp, Result(np.array([-1.0, 3.0 + 1e-7])), **TOL)
    assert not differs(exp, Result(np.array([-1.0, 3.0], dtype=np.float32)), **TOL)
    assert not differs(exp, Result([-1.0, 3.0]), **TOL)  # a list of the same floats
    assert differs(exp, Result(np.array([-0.02, 3.0])), **TOL)
    assert differs(exp, Result(np.array([-1, 3])), **TOL)  # integers: how values truncate
    assert differs(exp, Result(np.array([[-1.0, 3.0]])), **TOL)  # shape
    assert differs(exp, Result(np.array([np.nan, 3.0])), **TOL)


def test_integers_and_tuples_compare_exactly() -> None:
    assert not differs(Result((54, 54, 96)), Result((54, 54, 96)), **TOL)
    assert differs(Result((54, 54, 96)), Result((55, 55, 96)), **TOL)
    assert differs(Result((54, 54)), Result((54.0, 54.0)), **TOL)
    tokens = Result(np.array([[0, 1], [2, 3]]))
    assert not differs(tokens, Result(np.array([[0, 1], [2, 3]])), **TOL)
    assert differs(tokens, Result(np.array([[0, 1], [3, 2]])), **TOL)


def test_raising_and_changing_inputs_are_differences() -> None:
    value = Result(np.array([1.0]))
    assert differs(Result(raised="ValueError"), value, **TOL)
    assert not differs(Result(raised="ValueError"), Result(raised="ValueError"), **TOL)
    assert differs(value, Result(raised="IndexError", message="index 3 is out of bounds"), **TOL)
    assert differs(value, Result(np.array([1.0]), changed=True), **TOL)


def test_the_line_reads_as_the_issue_shows_it() -> None:
    example = parse("leaky_relu(np.array([-2.0, 3.0]), alpha=0.5)")
    text = line(example, Result(np.array([-1.0, 3.0])), Result(np.array([-0.02, 3.0])))
    assert text == (
        "Try: leaky_relu(np.array([-2.0, 3.0]), alpha=0.5)  -> expected array([-1., 3.]), "
        "yours array([-0.02, 3. ])"
    )
    raised = line(parse("f(1)"), Result(raised="ValueError"), Result(1.5))
    assert raised.endswith("-> expected raised ValueError, yours 1.5")
    changed = line(
        parse("relu(np.array([-1.0]))"),
        Result(np.array([0.0])),
        Result(np.array([0.0]), changed=True, message="relu modified its input array x"),
    )
    assert changed.endswith("yours modified its input array x")


def test_big_arrays_are_summarised_on_one_line() -> None:
    text = show(np.arange(100.0))
    assert "..." in text and "\n" not in text and len(text) < 120


def test_an_example_is_a_frozen_value() -> None:
    example = parse("f(1)")
    assert example == Example("f(1)", "f", (1,), {})
    with pytest.raises(AttributeError):
        example.text = "g(1)"  # type: ignore[misc]


def test_search_shows_the_first_example_that_fails_for_this_student() -> None:
    """Are the examples tried in order, and the first that differs shown?"""
    declared = [parse("leaky_relu(np.array([2.0]))"), parse("leaky_relu(np.array([-2.0]), 0.5)")]
    tried: list[str] = []

    def reference(example: Example) -> Result:
        (x, *alpha), _ = example.arguments()
        return Result(np.where(x > 0, x, (alpha or [0.01])[0] * x))

    def ignores_alpha(example: Example) -> Result:
        tried.append(example.text)
        (x, *_), _ = example.arguments()
        return Result(np.where(x > 0, x, 0.01 * x))

    found = search(declared, reference, ignores_alpha, **TOL)
    assert found == (
        "Try: leaky_relu(np.array([-2.0]), 0.5)  -> expected array([-1.]), yours array([-0.02])"
    )
    assert tried == [e.text for e in declared]
    assert search(declared[:1], reference, ignores_alpha, **TOL) == NONE_FAILED
    assert search(declared, lambda example: None, ignores_alpha, **TOL) is None  # no answers
