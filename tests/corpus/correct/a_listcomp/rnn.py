import numpy as np


def image_to_tokens(image, mode="patches", patch_size=None):
    img = np.asarray(image)
    if img.dtype.kind not in "biuf" or img.ndim not in (2, 3) or img.size == 0:
        raise ValueError("image must be a non-empty (H, W) or (H, W, C) array")
    img = img.astype(float)
    if img.ndim == 2:
        img = img[:, :, None]
    h, w, c = img.shape
    if mode == "rows":
        tokens = [img[r].reshape(-1) for r in range(h)]
    elif mode == "columns":
        tokens = [img[:, col].reshape(-1) for col in range(w)]
    elif mode == "patches":
        p = patch_size
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1:
            raise ValueError("patch_size must be an int >= 1")
        if h % p or w % p:
            raise ValueError("patch_size must divide H and W")
        tokens = [img[r:r + p, col:col + p].reshape(-1)
                  for r in range(0, h, p) for col in range(0, w, p)]
    else:
        raise ValueError(f"unknown mode {mode!r}")
    return np.array(tokens, dtype=float)


def _real(a, name):
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise ValueError(name + " must hold real numbers")
    return a.astype(float)


def rnn_forward(xs, h0, W_xh, W_hh, b):
    xs, h0 = _real(xs, "xs"), _real(h0, "h0")
    W_xh, W_hh, b = _real(W_xh, "W_xh"), _real(W_hh, "W_hh"), _real(b, "b")
    if xs.ndim != 2 or h0.ndim != 1:
        raise ValueError("xs must be (T, D) and h0 (H,)")
    t, d = xs.shape
    hidden = h0.shape[0]
    if W_xh.shape != (d, hidden) or W_hh.shape != (hidden, hidden) or b.shape != (hidden,):
        raise ValueError("weight shapes do not agree with xs and h0")
    states = []
    h = h0
    for x in xs:
        h = np.tanh(x @ W_xh + h @ W_hh + b)
        states.append(h)
    return np.array(states, dtype=float).reshape(t, hidden)


def clip_grad_norm(grads, max_norm):
    if not isinstance(grads, (list, tuple)):
        raise ValueError("grads must be a list or tuple of arrays")
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.integer, np.floating)):
        raise ValueError("max_norm must be a number")
    if not max_norm > 0:
        raise ValueError("max_norm must be > 0")
    arrays = [_real(g, "gradient") for g in grads]
    total = np.sqrt(sum([np.sum(g ** 2) for g in arrays]))
    factor = max_norm / total if total > max_norm else 1.0
    return [g * factor for g in arrays]
