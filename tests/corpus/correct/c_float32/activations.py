import numpy as np

F = np.float32


def _f32(x):
    a = np.asarray(x)
    if a.dtype.kind not in "iufb":
        raise ValueError("need real numbers")
    return a.astype(F)  # astype makes a copy


def _alpha(alpha):
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (int, float, np.number)):
        raise ValueError("alpha must be a number")
    return F(alpha)


def relu(x):
    a = _f32(x)
    a[a < 0] = 0  # own copy, safe
    return a


def relu_grad(x):
    return (_f32(x) > 0).astype(F)


def leaky_relu(x, alpha=0.01):
    al = _alpha(alpha)
    a = _f32(x)
    neg = a <= 0
    a[neg] = a[neg] * al
    return a


def leaky_relu_grad(x, alpha=0.01):
    al = _alpha(alpha)
    a = _f32(x)
    g = np.ones_like(a, dtype=F)
    g[a <= 0] = al
    return g


def dead_unit_fraction(pre_activations):
    a = _f32(pre_activations)
    if a.ndim != 2 or 0 in a.shape:
        raise ValueError("need a non-empty (N, U) array")
    alive = (a > 0).any(axis=0)
    return float(np.mean(~alive))


def softmax(z, axis=-1):
    a = _f32(z)
    if a.ndim < 1:
        raise ValueError("z is 0-dimensional")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError("axis must be an int")
    if not -a.ndim <= axis < a.ndim:
        raise ValueError("axis out of range")
    ax = int(axis) % a.ndim
    if a.shape[ax] == 0:
        raise ValueError("no entries along axis")
    a -= a.max(axis=ax, keepdims=True)
    np.exp(a, out=a)
    a /= a.sum(axis=ax, keepdims=True)
    return a
