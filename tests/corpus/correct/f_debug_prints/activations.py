import numpy as np

print("numpy version", np.__version__)


def to_float(x):
    a = np.array(x)
    print("input dtype:", a.dtype, "shape:", a.shape)
    if a.dtype.kind not in "biuf":
        raise ValueError("not real numbers")
    return a.astype(float)


def relu(x):
    a = to_float(x)
    out = np.where(a > 0, a, 0.0)
    print("relu out", out)
    return out


def relu_grad(x):
    a = to_float(x)
    g = np.zeros_like(a)
    g[a > 0] = 1.0
    print("relu grad", g)
    return g


def leaky_relu(x, alpha=0.01):
    print("alpha =", alpha)
    if type(alpha) not in (int, float):
        raise ValueError("alpha must be a number")
    a = to_float(x)
    return np.where(a > 0, a, alpha * a)


def leaky_relu_grad(x, alpha=0.01):
    print("alpha =", alpha)
    if type(alpha) not in (int, float):
        raise ValueError("alpha must be a number")
    a = to_float(x)
    g = np.full(a.shape, float(alpha))
    g[a > 0] = 1.0
    return g


def dead_unit_fraction(pre_activations):
    a = to_float(pre_activations)
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError("need non-empty (N, U)")
    dead = (a <= 0).all(axis=0)
    print("dead units:", dead)
    return dead.sum() / a.shape[1]


def softmax(z, axis=-1):
    a = to_float(z)
    print("softmax along", axis)
    if a.ndim == 0:
        raise ValueError("0-d")
    if type(axis) != int:
        raise ValueError("axis must be int")
    if axis >= a.ndim or axis < -a.ndim:
        raise ValueError("bad axis")
    if a.shape[axis] == 0:
        raise ValueError("empty")
    m = a.max(axis=axis, keepdims=True)
    print("max:", m)
    e = np.exp(a - m)
    s = e.sum(axis=axis, keepdims=True)
    print("sum:", s)
    return e / s


print(relu([-1, 0, 2]))
print(softmax(np.array([[1000.0, 1001.0], [0.0, 1.0]])))
