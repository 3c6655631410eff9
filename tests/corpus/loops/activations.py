"""Activations written with plain Python loops over lists of numbers."""

import math

import numpy as np


def _numbers(x):
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise ValueError("x must hold real numbers")
    return x.shape, [float(v) for v in x.ravel().tolist()]


def _number(alpha):
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise ValueError("alpha must be a number")
    return float(alpha)


def relu(x):
    shape, values = _numbers(x)
    out = []
    for v in values:
        out.append(v if v > 0 else 0.0)
    return np.array(out, dtype=float).reshape(shape)


def relu_grad(x):
    shape, values = _numbers(x)
    out = []
    for v in values:
        out.append(1.0 if v > 0 else 0.0)
    return np.array(out, dtype=float).reshape(shape)


def leaky_relu(x, alpha=0.01):
    alpha = _number(alpha)
    shape, values = _numbers(x)
    out = []
    for v in values:
        out.append(v if v > 0 else alpha * v)
    return np.array(out, dtype=float).reshape(shape)


def leaky_relu_grad(x, alpha=0.01):
    alpha = _number(alpha)
    shape, values = _numbers(x)
    out = []
    for v in values:
        out.append(1.0 if v > 0 else alpha)
    return np.array(out, dtype=float).reshape(shape)


def dead_unit_fraction(pre_activations):
    x = np.asarray(pre_activations)
    if x.ndim != 2 or x.size == 0 or x.dtype.kind not in "biuf":
        raise ValueError("pre_activations must be a non-empty 2-D array of numbers")
    rows = x.tolist()
    dead = 0
    for unit in range(len(rows[0])):
        alive = False
        for row in rows:
            if row[unit] > 0:
                alive = True
        if not alive:
            dead += 1
    return dead / len(rows[0])


def softmax(z, axis=-1):
    z = np.asarray(z)
    if z.dtype.kind not in "biuf" or z.ndim == 0:
        raise ValueError("z must be an array of real numbers with at least one axis")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError("axis must be an int")
    if not -z.ndim <= axis < z.ndim:
        raise ValueError("axis out of range")
    if z.shape[axis] == 0:
        raise ValueError("no entries along axis")
    moved = np.moveaxis(z.astype(float), axis, -1)
    rows = moved.reshape(-1, moved.shape[-1]).tolist()
    out = []
    for row in rows:
        top = max(row)
        exps = [math.exp(v - top) for v in row]
        total = sum(exps)
        out.append([e / total for e in exps])
    return np.moveaxis(np.array(out).reshape(moved.shape), -1, axis)
