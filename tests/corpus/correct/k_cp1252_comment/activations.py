"""Problem 3 + softmax."""
import math

import numpy as np


def _as_float_array(x):
    a = np.array(x)  # np.array copies
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)
            or a.dtype == bool):
        raise ValueError("x must hold real numbers")
    return a.astype(np.float64)


def _check_alpha(alpha):
    if isinstance(alpha, bool):
        raise ValueError("alpha must be a number")
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        raise ValueError("alpha must be a number") from None
    if isinstance(alpha, (str, bytes)) or math.isnan(value):
        raise ValueError("alpha must be a number")
    return value


def relu(x):
    a = _as_float_array(x)
    return np.maximum(a, 0.0)


def relu_grad(x):
    a = _as_float_array(x)
    return (a > 0).astype(np.float64)


def leaky_relu(x, alpha=0.01):
    alpha = _check_alpha(alpha)
    a = _as_float_array(x)
    return np.where(a > 0, a, alpha * a)


def leaky_relu_grad(x, alpha=0.01):
    alpha = _check_alpha(alpha)
    a = _as_float_array(x)
    return np.where(a > 0, 1.0, alpha)


def dead_unit_fraction(pre_activations):
    a = _as_float_array(pre_activations)
    if a.ndim != 2:
        raise ValueError("expected a 2-D (N, U) array")
    N, U = a.shape
    if N == 0 or U == 0:
        raise ValueError("empty batch")
    dead = 0
    for u in range(U):
        if np.all(a[:, u] <= 0):
            dead += 1
    return dead / U


def softmax(z, axis=-1):
    a = _as_float_array(z)
    if a.ndim == 0:
        raise ValueError("z must have at least one axis")
    if type(axis) is not int:
        raise ValueError("axis must be an int")
    if axis < -a.ndim or axis >= a.ndim:
        raise ValueError("axis out of range")
    if a.shape[axis] == 0:
        raise ValueError("z is empty along axis")
    m = np.max(a, axis=axis, keepdims=True)
    e = np.exp(a - m)
    return e / np.sum(e, axis=axis, keepdims=True)
