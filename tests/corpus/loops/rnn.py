"""Tokens, the RNN forward pass and gradient clipping, with loops."""

import math

import numpy as np


def _real(value, name):
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers")
    return array.astype(float)


def image_to_tokens(image, mode="patches", patch_size=None):
    image = _real(image, "image")
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.size == 0:
        raise ValueError("image must be a non-empty 2-D or 3-D array")
    height, width, _ = image.shape
    tokens = []
    if mode == "rows":
        for i in range(height):
            tokens.append(image[i].ravel())
    elif mode == "columns":
        for j in range(width):
            tokens.append(image[:, j].ravel())
    elif mode == "patches":
        if isinstance(patch_size, bool) or not isinstance(patch_size, (int, np.integer)):
            raise ValueError("patch_size must be an int")
        p = int(patch_size)
        if p < 1 or height % p or width % p:
            raise ValueError("patch_size must be >= 1 and divide the height and width")
        for i in range(0, height, p):
            for j in range(0, width, p):
                tokens.append(image[i : i + p, j : j + p].ravel())
    else:
        raise ValueError(f"unknown mode {mode!r}")
    return np.array(tokens, dtype=float)


def rnn_forward(xs, h0, W_xh, W_hh, b):
    xs, h0 = _real(xs, "xs"), _real(h0, "h0")
    W_xh, W_hh, b = _real(W_xh, "W_xh"), _real(W_hh, "W_hh"), _real(b, "b")
    if xs.ndim != 2 or h0.ndim != 1:
        raise ValueError("xs must be (T, D) and h0 (H,)")
    steps, d = xs.shape
    h = h0.shape[0]
    if W_xh.shape != (d, h) or W_hh.shape != (h, h) or b.shape != (h,):
        raise ValueError("the weight shapes do not match")
    states = []
    state = h0
    for t in range(steps):
        state = np.tanh(xs[t] @ W_xh + state @ W_hh + b)
        states.append(state)
    return np.array(states).reshape(steps, h)


def clip_grad_norm(grads, max_norm):
    if not isinstance(grads, (list, tuple)):
        raise ValueError("grads must be a list of arrays")
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.number)):
        raise ValueError("max_norm must be a number")
    if not max_norm > 0:
        raise ValueError("max_norm must be > 0")
    arrays = [_real(g, "each gradient") for g in grads]
    total = 0.0
    for g in arrays:
        for v in g.ravel().tolist():
            total += v * v
    norm = math.sqrt(total)
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in arrays]
