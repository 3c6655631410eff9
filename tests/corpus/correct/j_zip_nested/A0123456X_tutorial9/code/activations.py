import numpy as np


def _x(x):
    x = np.array(x, copy=True)
    if not np.isrealobj(x) or x.dtype.kind not in "biuf":
        raise ValueError("x must be real")
    return x.astype(np.float64)


def _a(alpha):
    if isinstance(alpha, bool) or not np.isscalar(alpha) or not np.isreal(alpha) or isinstance(alpha, str):
        raise ValueError("alpha must be a number")
    return float(alpha)


def relu(x):
    x = _x(x)
    return np.where(x > 0, x, np.zeros_like(x))


def relu_grad(x):
    return np.sign(np.maximum(_x(x), 0.0))


def leaky_relu(x, alpha=0.01):
    a = _a(alpha)
    x = _x(x)
    return np.where(x > 0, x, a * x)


def leaky_relu_grad(x, alpha=0.01):
    a = _a(alpha)
    return np.where(_x(x) > 0, 1.0, a)


def dead_unit_fraction(pre_activations):
    p = _x(pre_activations)
    if p.ndim != 2 or min(p.shape) == 0:
        raise ValueError("pre_activations must be a non-empty (N, U) array")
    return float(np.mean(np.max(p, axis=0) <= 0))


def softmax(z, axis=-1):
    z = _x(z)
    if z.ndim == 0:
        raise ValueError("softmax of a scalar")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError("axis must be an int")
    if not (-z.ndim <= axis < z.ndim) or z.shape[axis] == 0:
        raise ValueError("bad axis")
    z = z - np.max(z, axis=axis, keepdims=True)
    return np.exp(z) / np.sum(np.exp(z), axis=axis, keepdims=True)
