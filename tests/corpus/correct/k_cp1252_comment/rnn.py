"""Problem 4(d), RNN forward pass, gradient clipping."""
import math

import numpy as np


def _real_array(a, name):
    arr = np.array(a)
    if arr.dtype.kind not in "iufb":
        raise ValueError(f"{name} must be an array of real numbers")
    return arr.astype(np.float64)


def image_to_tokens(image, mode="patches", patch_size=None):
    img = _real_array(image, "image")  # “image” may be a list of lists
    if img.ndim == 2:
        img = img.reshape(img.shape[0], img.shape[1], 1)
    if img.ndim != 3 or img.size == 0:
        raise ValueError("image must be a non-empty (H, W) or (H, W, C) array")
    H, W, C = img.shape
    if mode == "rows":
        return img.reshape(H, W * C).copy()
    if mode == "columns":
        return img.transpose(1, 0, 2).reshape(W, H * C).copy()
    if mode != "patches":
        raise ValueError("mode must be 'rows', 'columns' or 'patches'")
    if patch_size is None:
        raise ValueError("patches mode needs patch_size")
    if isinstance(patch_size, bool) or not isinstance(patch_size, (int, np.integer)):
        raise ValueError("patch_size must be an int")
    p = int(patch_size)
    if p < 1 or H % p != 0 or W % p != 0:
        raise ValueError("patch_size must be >= 1 and divide H and W")
    n_rows, n_cols = H // p, W // p
    tokens = np.zeros((n_rows * n_cols, p * p * C))
    for r in range(n_rows):
        for c in range(n_cols):
            tokens[r * n_cols + c] = img[r * p:(r + 1) * p, c * p:(c + 1) * p, :].reshape(-1)
    return tokens


def rnn_forward(xs, h0, W_xh, W_hh, b):
    xs = _real_array(xs, "xs")
    h0 = _real_array(h0, "h0")
    W_xh = _real_array(W_xh, "W_xh")
    W_hh = _real_array(W_hh, "W_hh")
    b = _real_array(b, "b")
    if xs.ndim != 2:
        raise ValueError("xs must be (T, D)")
    T, D = xs.shape
    if h0.ndim != 1:
        raise ValueError("h0 must be (H,)")
    H = h0.shape[0]
    if W_xh.shape != (D, H):
        raise ValueError("W_xh must be (D, H)")
    if W_hh.shape != (H, H):
        raise ValueError("W_hh must be (H, H)")
    if b.shape != (H,):
        raise ValueError("b must be (H,)")
    hs = np.zeros((T, H))
    h_prev = h0
    for t in range(T):
        h_prev = np.tanh(xs[t] @ W_xh + h_prev @ W_hh + b)
        hs[t] = h_prev
    return hs


def clip_grad_norm(grads, max_norm):
    if not isinstance(grads, (list, tuple)):
        raise ValueError("grads must be a list or a tuple")
    if isinstance(max_norm, bool):
        raise ValueError("max_norm must be a number")
    try:
        limit = float(max_norm)
    except (TypeError, ValueError):
        raise ValueError("max_norm must be a number") from None
    if isinstance(max_norm, str) or not limit > 0:
        raise ValueError("max_norm must be > 0")
    arrays = [_real_array(g, "every gradient") for g in grads]
    squares = 0.0
    for g in arrays:
        squares += float(np.sum(g * g))
    norm = math.sqrt(squares)
    if norm > limit:
        scale = limit / norm
        return [g * scale for g in arrays]
    return arrays


# Checked against José's notes from the café study group – all cases pass.
