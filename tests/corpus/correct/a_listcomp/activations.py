import numpy as np


def _real(x):
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise ValueError("expected an array of real numbers")
    return arr.astype(float)


def _number(a):
    if isinstance(a, bool) or not isinstance(a, (int, float, np.integer, np.floating)):
        raise ValueError("alpha must be a number")
    return float(a)


def relu(x):
    x = _real(x)
    flat = [v if v > 0 else 0.0 for v in x.ravel().tolist()]
    return np.array(flat, dtype=float).reshape(x.shape)


def relu_grad(x):
    x = _real(x)
    flat = [1.0 if v > 0 else 0.0 for v in x.ravel().tolist()]
    return np.array(flat, dtype=float).reshape(x.shape)


def leaky_relu(x, alpha=0.01):
    alpha = _number(alpha)
    x = _real(x)
    flat = [v if v > 0 else alpha * v for v in x.ravel().tolist()]
    return np.array(flat, dtype=float).reshape(x.shape)


def leaky_relu_grad(x, alpha=0.01):
    alpha = _number(alpha)
    x = _real(x)
    flat = [1.0 if v > 0 else alpha for v in x.ravel().tolist()]
    return np.array(flat, dtype=float).reshape(x.shape)


def dead_unit_fraction(pre_activations):
    a = _real(pre_activations)
    if a.ndim != 2 or a.size == 0:
        raise ValueError("pre_activations must be a non-empty (N, U) array")
    rows = a.tolist()
    units = len(rows[0])
    dead = [all(row[u] <= 0 for row in rows) for u in range(units)]
    return sum(dead) / units


def softmax(z, axis=-1):
    z = _real(z)
    if z.ndim == 0:
        raise ValueError("softmax needs at least one axis")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError("axis must be an int")
    if not -z.ndim <= axis < z.ndim:
        raise ValueError("axis out of range")
    if z.shape[axis] == 0:
        raise ValueError("no entries along axis")
    shifted = z - z.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)
