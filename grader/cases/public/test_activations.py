"""Public cases for activations.py: Problem 3 (ReLU, Leaky ReLU, dying units) and softmax."""

import numpy as np
import pytest

from solutions import activations as ref

X = np.array([[-2.0, -0.5, 0.0], [0.5, 1.0, 3.0]])


@pytest.mark.problem("3")
def test_relu_values(student, expect):
    """relu keeps positive values and zeroes the rest"""
    got = student.activations.relu(X)
    expect.array(got, ref.relu(X), "relu(x)", inputs={"x": X})


@pytest.mark.problem("3")
def test_leaky_relu_and_its_gradient(student, expect):
    """leaky_relu and leaky_relu_grad with the default alpha = 0.01"""
    got = student.activations.leaky_relu(X)
    expect.array(got, ref.leaky_relu(X), "leaky_relu(x)", inputs={"x": X})
    got = student.activations.leaky_relu_grad(X)
    expect.array(
        got,
        ref.leaky_relu_grad(X),
        "leaky_relu_grad(x)",
        inputs={"x": X},
        misconceptions={"the gradient for negative inputs is 0 (that is ReLU's)": ref.relu_grad(X)},
    )


@pytest.mark.problem("3")
def test_relu_grad_and_dead_units(student, expect):
    """relu_grad (0 at 0) and dead_unit_fraction on a batch of 3 samples of 4 units"""
    got = student.activations.relu_grad(X)
    expect.array(
        got,
        ref.relu_grad(X),
        "relu_grad(x)",
        inputs={"x": X},
        misconceptions={"the gradient at 0 was taken as 1; here it is 0": (X >= 0).astype(float)},
    )
    batch = np.array([[-1.0, 2.0, 0.0, -3.0], [-0.5, -1.0, -2.0, 1.0], [-2.0, 0.5, 0.0, -1.0]])
    got = student.activations.dead_unit_fraction(batch)
    expect.number(
        got,
        ref.dead_unit_fraction(batch),
        "dead_unit_fraction(pre_activations)",
        inputs={"pre_activations": batch},
        misconceptions={
            "the fraction of dead entries was counted, not of units dead for every sample": (
                np.mean(batch <= 0)
            ),
            "a pre-activation of exactly 0 was counted as alive; ReLU outputs 0 there too": (
                np.mean(np.all(batch < 0, axis=0))
            ),
        },
    )


@pytest.mark.problem("softmax")
def test_softmax_of_a_vector(student, expect):
    """softmax of [1, 2, 3] is a probability distribution"""
    z = np.array([1.0, 2.0, 3.0])
    got = student.activations.softmax(z)
    expect.array(got, ref.softmax(z), "softmax(z)", inputs={"z": z})


@pytest.mark.problem("3")
def test_relu_family_of_integer_input(student, expect):
    """relu, leaky_relu and their gradients return floats for an integer array"""
    x = np.array([[-3, 0, 2], [5, -1, 1]])
    for name, call in [
        ("relu", lambda: student.activations.relu(x)),
        ("leaky_relu", lambda: student.activations.leaky_relu(x)),
        ("relu_grad", lambda: student.activations.relu_grad(x)),
        ("leaky_relu_grad", lambda: student.activations.leaky_relu_grad(x)),
    ]:
        expect.array(call(), getattr(ref, name)(x), f"{name}(x)", inputs={"x": x})


@pytest.mark.problem("softmax")
def test_softmax_of_integer_scores(student, expect):
    """softmax of integer scores, row by row, returns floats"""
    z = np.array([[1, 2, 3], [0, 0, 0]])
    got = student.activations.softmax(z)
    expect.array(got, ref.softmax(z), "softmax(z)", inputs={"z": z})
