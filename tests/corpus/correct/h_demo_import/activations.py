import matplotlib.pyplot as plt
import numpy as np


def _floats(x):
    arr = np.asarray(x)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise ValueError("x must hold real numbers")
    return np.array(arr, dtype=float)


def _check_alpha(alpha):
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise ValueError("alpha must be a number")


def relu(x):
    x = _floats(x)
    return x * (x > 0)


def relu_grad(x):
    return (_floats(x) > 0) * 1.0


def leaky_relu(x, alpha=0.01):
    _check_alpha(alpha)
    x = _floats(x)
    return np.maximum(x, 0) + alpha * np.minimum(x, 0)


def leaky_relu_grad(x, alpha=0.01):
    _check_alpha(alpha)
    x = _floats(x)
    positive = x > 0
    return positive * 1.0 + (~positive) * float(alpha)


def dead_unit_fraction(pre_activations):
    a = _floats(pre_activations)
    if a.ndim != 2 or a.size == 0:
        raise ValueError("pre_activations must be a non-empty (N, U) array")
    return float((a.max(axis=0) <= 0).sum() / a.shape[1])


def softmax(z, axis=-1):
    z = _floats(z)
    if z.ndim == 0:
        raise ValueError("z must have at least one axis")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError("axis must be an int")
    if not -z.ndim <= axis < z.ndim or z.shape[axis] == 0:
        raise ValueError("axis out of range, or no entries along it")
    z = np.moveaxis(z, axis, -1)
    z = z - z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    p = p / p.sum(axis=-1, keepdims=True)
    return np.moveaxis(p, -1, axis)


if __name__ == "__main__":
    xs = np.linspace(-3, 3, 200)
    plt.plot(xs, relu(xs), label="relu")
    plt.plot(xs, leaky_relu(xs, 0.1), label="leaky relu")
    plt.legend()
    plt.show()
