import numbers

import numpy as np


def _real(x, name="x"):
    arr = np.asarray(x)
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_) or np.iscomplexobj(arr):
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=True)


def _check_alpha(alpha):
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise ValueError(f"alpha must be a real number, got {alpha!r}")


def relu(x):
    return np.maximum(_real(x), 0.0)


def relu_grad(x):
    return np.heaviside(_real(x), 0.0)


def leaky_relu(x, alpha=0.01):
    _check_alpha(alpha)
    x = _real(x)
    return np.where(x > 0, x, x * alpha)


def leaky_relu_grad(x, alpha=0.01):
    _check_alpha(alpha)
    x = _real(x)
    return np.where(x > 0, 1.0, float(alpha)) * np.ones_like(x)


def dead_unit_fraction(pre_activations):
    a = _real(pre_activations, "pre_activations")
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"pre_activations must be a non-empty (N, U) array, got {a.shape}")
    return float(np.einsum("nu->u", (a > 0).astype(int)).__eq__(0).mean())


def softmax(z, axis=-1):
    z = _real(z, "z")
    if z.ndim == 0:
        raise ValueError("z must have at least one axis")
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise ValueError("axis must be an int")
    if not -z.ndim <= axis < z.ndim:
        raise ValueError(f"axis {axis} is out of range for {z.ndim} dimensions")
    if z.shape[axis] == 0:
        raise ValueError("z has no entries along axis")
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.einsum("...->...", e).sum(axis=axis, keepdims=True)
