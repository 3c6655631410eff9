"""Hidden cases for activations.py: Problem 3 (ReLU, Leaky ReLU, dying units) and softmax."""

import numpy as np
import pytest

from solutions import activations as ref

GRAD_ONE_AT_ZERO = "the gradient at 0 was taken as 1; here it is 0 (use x > 0)"


def _naive_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax without subtracting the maximum: overflows to NaN for large inputs."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=axis, keepdims=True)


def _global_max_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax after subtracting one maximum of the whole array: rows far below it give 0/0."""
    with np.errstate(under="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(z - z.max())
        return e / e.sum(axis=axis, keepdims=True)


def _inputs_with_zeros(seed: int) -> np.ndarray:
    """A (4, 5) array of mixed signs with some exact zeros."""
    x = np.random.default_rng(seed).standard_normal((4, 5))
    x[[0, 1, 3], [2, 0, 4]] = 0.0
    return x


@pytest.mark.problem("3")
def test_relu_keeps_shape_of_3d_input(student, expect):
    """relu of a 3-D array keeps its shape"""
    x = np.random.default_rng(201).standard_normal((2, 3, 4))
    got = student.activations.relu(x)
    expect.array(got, ref.relu(x), "relu(x)", misconceptions={"negatives were kept": x})


@pytest.mark.problem("3")
def test_relu_grad_is_zero_at_zero(student, expect):
    """relu_grad is 1 for positive inputs and 0 for zero and negative inputs"""
    x = _inputs_with_zeros(202)
    got = student.activations.relu_grad(x)
    expect.array(
        got,
        ref.relu_grad(x),
        "relu_grad(x)",
        misconceptions={GRAD_ONE_AT_ZERO: (x >= 0).astype(float)},
    )


@pytest.mark.problem("3")
def test_leaky_relu_custom_alpha(student, expect):
    """leaky_relu scales negative inputs by the given alpha"""
    x = _inputs_with_zeros(203)
    got = student.activations.leaky_relu(x, alpha=0.2)
    expect.array(
        got,
        ref.leaky_relu(x, alpha=0.2),
        "leaky_relu(x, alpha)",
        misconceptions={
            "alpha was ignored (0.01 was used)": ref.leaky_relu(x),
            "negative inputs were zeroed as in ReLU": ref.relu(x),
        },
    )


@pytest.mark.problem("3")
def test_leaky_relu_grad_negatives_and_zero(student, expect):
    """leaky_relu_grad is alpha (not 0) for negative and zero inputs"""
    x = _inputs_with_zeros(204)
    got = student.activations.leaky_relu_grad(x, alpha=0.1)
    expect.array(
        got,
        ref.leaky_relu_grad(x, alpha=0.1),
        "leaky_relu_grad(x, alpha)",
        misconceptions={
            "the gradient for negative inputs is 0; Leaky ReLU's is alpha": ref.relu_grad(x),
            "alpha was ignored (0.01 was used)": ref.leaky_relu_grad(x),
            "the gradient at 0 was taken as 1; it is alpha there": np.where(x >= 0, 1.0, 0.1),
        },
    )


@pytest.mark.problem("3")
def test_dead_unit_fraction_random_batch(student, expect):
    """dead_unit_fraction counts the units that are <= 0 for every sample of a batch"""
    rng = np.random.default_rng(205)
    # Units with mostly negative pre-activations, a few of them dead for the whole batch.
    batch = rng.standard_normal((6, 10)) - np.linspace(0.0, 3.0, 10)
    batch[:, 2] = 0.0
    got = student.activations.dead_unit_fraction(batch)
    expect.number(
        got,
        ref.dead_unit_fraction(batch),
        "dead_unit_fraction(pre_activations)",
        misconceptions={
            "the fraction of dead entries was counted, not of units dead for every sample": (
                np.mean(batch <= 0)
            ),
            "a pre-activation of exactly 0 was counted as alive; ReLU outputs 0 there too": (
                np.mean(np.all(batch < 0, axis=0))
            ),
            "the fraction of samples was computed (over the wrong axis)": (
                np.mean(np.all(batch <= 0, axis=1))
            ),
            "a unit was counted as dead when it is <= 0 for any sample, not every sample": (
                np.mean(np.any(batch <= 0, axis=0))
            ),
        },
    )


@pytest.mark.problem("softmax")
def test_softmax_large_inputs(student, expect):
    """softmax of inputs around 1000 does not overflow"""
    z = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -999.0]])
    got = student.activations.softmax(z)
    expect.array(
        got,
        ref.softmax(z),
        "softmax(z)",
        misconceptions={
            "exp overflowed: subtract the maximum along the axis before exponentiating (the "
            "result does not change)": _naive_softmax(z),
            "one maximum of the whole array was subtracted; subtract each row's own maximum "
            "(z.max(axis=axis, keepdims=True)), or a row far below it underflows to 0 / 0 = NaN": (
                _global_max_softmax(z)
            ),
        },
    )


@pytest.mark.problem("softmax")
def test_softmax_2d_default_axis(student, expect):
    """softmax of a 2-D array normalises each row (axis=-1) by default"""
    z = np.random.default_rng(206).standard_normal((3, 4))
    got = student.activations.softmax(z)
    expect.array(
        got,
        ref.softmax(z),
        "softmax(z)",
        misconceptions={
            "it was normalised along axis 0 (columns); the default is the last axis": ref.softmax(
                z, axis=0
            ),
            "the whole array was normalised at once, not each row": np.exp(z) / np.exp(z).sum(),
        },
    )


@pytest.mark.problem("softmax")
def test_softmax_given_axis(student, expect):
    """softmax(z, axis=0) normalises along the given axis"""
    z = np.random.default_rng(207).standard_normal((4, 3, 2))
    got = student.activations.softmax(z, axis=0)
    expect.array(
        got,
        ref.softmax(z, axis=0),
        "softmax(z, axis)",
        misconceptions={"the axis argument was ignored": ref.softmax(z)},
    )
