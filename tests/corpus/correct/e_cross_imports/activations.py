"""activations.py (problem 3, softmax). Shares the array check with conv.py."""
import numpy as np

from conv import as_float_array


def _alpha(alpha):
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise ValueError("alpha must be a number")
    return float(alpha)


def relu(x):
    return np.maximum(as_float_array(x), 0.0)


def relu_grad(x):
    return np.where(as_float_array(x) > 0, 1.0, 0.0)


def leaky_relu(x, alpha=0.01):
    a = _alpha(alpha)
    x = as_float_array(x)
    return np.where(x > 0, x, a * x)


def leaky_relu_grad(x, alpha=0.01):
    a = _alpha(alpha)
    x = as_float_array(x)
    return np.where(x > 0, 1.0, a)


def dead_unit_fraction(pre_activations):
    x = as_float_array(pre_activations, "pre_activations")
    if x.ndim != 2 or x.size == 0:
        raise ValueError("pre_activations must be a non-empty 2-D array")
    return float(np.mean(np.all(x <= 0, axis=0)))


def softmax(z, axis=-1):
    z = as_float_array(z, "z")
    if z.ndim == 0:
        raise ValueError("z must have at least one dimension")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError("axis must be an int")
    if axis >= z.ndim or axis < -z.ndim:
        raise ValueError("axis out of range")
    if z.shape[axis] == 0:
        raise ValueError("z is empty along axis")
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
