"""Activation functions, their gradients and softmax (Tutorial 9, Problem 3 and softmax).

ReLU is max(x, 0). Its gradient is 0 for every x <= 0, so a unit whose pre-activations are never
positive passes back no gradient at all and stops learning: the "dying ReLU" problem. Leaky
ReLU keeps a small slope alpha for negative inputs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


# BEGIN SOLUTION
def _as_float_array(value: ArrayLike, name: str) -> np.ndarray:
    """`value` as a float64 array (not a copy if it already is one); must hold real numbers."""
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers ({error})") from None
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must contain real numbers, got dtype {array.dtype}")
    return np.asarray(array, dtype=float)


def _alpha(alpha: object) -> float:
    if not isinstance(alpha, (int, float, np.integer, np.floating)) or isinstance(
        alpha, (bool, np.bool_)
    ):
        raise ValueError(f"alpha must be a number, got {alpha!r}")
    return float(alpha)


# END SOLUTION
def relu(x: ArrayLike) -> np.ndarray:
    """The rectified linear unit, element-wise: x where x > 0, else 0.

    Args:
        x: any shape (...), the pre-activations.

    Returns:
        A float array of the same shape (...) as x.

    Raises:
        ValueError: if x does not hold real numbers.
    """
    # BEGIN SOLUTION
    x = _as_float_array(x, "x")
    return np.maximum(x, 0.0, out=np.empty_like(x))  # out= keeps 0-d results arrays
    # END SOLUTION


def relu_grad(x: ArrayLike) -> np.ndarray:
    """The derivative of relu at x, element-wise: 1 where x > 0, else 0 (also 0 at x = 0).

    Args:
        x: any shape (...), the pre-activations.

    Returns:
        A float array of 0.0 and 1.0 with the same shape (...) as x.

    Raises:
        ValueError: if x does not hold real numbers.
    """
    # BEGIN SOLUTION
    return np.where(_as_float_array(x, "x") > 0, 1.0, 0.0)
    # END SOLUTION


def leaky_relu(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """Leaky ReLU, element-wise: x where x > 0, else alpha * x.

    Args:
        x: any shape (...), the pre-activations.
        alpha: the slope for inputs <= 0.

    Returns:
        A float array of the same shape (...) as x.

    Raises:
        ValueError: if x does not hold real numbers or alpha is not a number.
    """
    # BEGIN SOLUTION
    x = _as_float_array(x, "x")
    return np.where(x > 0, x, _alpha(alpha) * x)
    # END SOLUTION


def leaky_relu_grad(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """The derivative of leaky_relu at x, element-wise: 1 where x > 0, else alpha.

    Args:
        x: any shape (...), the pre-activations.
        alpha: the slope for inputs <= 0.

    Returns:
        A float array of the same shape (...) as x.

    Raises:
        ValueError: if x does not hold real numbers or alpha is not a number.
    """
    # BEGIN SOLUTION
    return np.where(_as_float_array(x, "x") > 0, 1.0, _alpha(alpha))
    # END SOLUTION


def dead_unit_fraction(pre_activations: ArrayLike) -> float:
    """The fraction of ReLU units that are dead on a batch: never active for any sample.

    A unit is dead on the batch when its pre-activation is <= 0 for every sample, so its ReLU
    output and gradient are 0 for all of them.

    Args:
        pre_activations: shape (N, U), the pre-activations of U units for N samples; N >= 1
            and U >= 1.

    Returns:
        The number of dead units divided by U, a float in [0, 1].

    Raises:
        ValueError: if pre_activations is not a non-empty 2-D array of real numbers.
    """
    # BEGIN SOLUTION
    z = _as_float_array(pre_activations, "pre_activations")
    if z.ndim != 2 or z.size == 0:
        raise ValueError(
            f"pre_activations must be a non-empty 2-D array (N, U), got shape {z.shape}"
        )
    return float(np.mean(np.all(z <= 0, axis=0)))
    # END SOLUTION


def softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    """Softmax along one axis: exp(z) divided by the sum of exp(z) along that axis.

    Must not overflow: inputs such as 1000 must give finite probabilities (softmax does not
    change when the same constant is subtracted from every entry along the axis).

    Args:
        z: any shape (..., K, ...) with at least one axis, the scores (logits).
        axis: the axis holding the K classes; negative values count from the end.

    Returns:
        A float array of the same shape as z, positive and summing to 1 along axis.

    Raises:
        ValueError: if z does not hold real numbers, is 0-dimensional, axis is not an int or
            out of range, or z has no entries along axis.
    """
    # BEGIN SOLUTION
    z = _as_float_array(z, "z")
    if z.ndim == 0:
        raise ValueError("z must have at least one axis, got a single number")
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, (bool, np.bool_)):
        raise ValueError(f"axis must be an int, got {axis!r}")
    if not -z.ndim <= axis < z.ndim:
        raise ValueError(f"axis {axis} is out of range for an array with {z.ndim} axes")
    if z.shape[axis] == 0:
        raise ValueError(f"z has no entries along axis {axis}")
    # Subtracting the maximum leaves softmax unchanged and keeps exp from overflowing.
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
    # END SOLUTION
