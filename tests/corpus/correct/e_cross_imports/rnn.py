"""rnn.py (problem 4d and the RNN recap)."""
import numpy as np

import activations
from conv import as_float_array
from shapes import is_int


def image_to_tokens(image, mode="patches", patch_size=None):
    img = as_float_array(image, "image")
    if img.ndim not in (2, 3) or img.size == 0:
        raise ValueError("image must be a non-empty 2-D or 3-D array")
    if img.ndim == 2:
        img = img[:, :, np.newaxis]
    H, W, C = img.shape
    if mode == "rows":
        return img.reshape(H, W * C)
    if mode == "columns":
        return img.transpose(1, 0, 2).reshape(W, H * C)
    if mode == "patches":
        if not is_int(patch_size) or patch_size < 1:
            raise ValueError("patch_size must be an int >= 1")
        p = patch_size
        if H % p != 0 or W % p != 0:
            raise ValueError("patch_size must divide H and W")
        return img.reshape(H // p, p, W // p, p, C).swapaxes(1, 2).reshape(-1, p * p * C)
    raise ValueError("mode must be 'rows', 'columns' or 'patches'")


def rnn_forward(xs, h0, W_xh, W_hh, b):
    xs = as_float_array(xs, "xs")
    h = as_float_array(h0, "h0")
    W_xh = as_float_array(W_xh, "W_xh")
    W_hh = as_float_array(W_hh, "W_hh")
    b = as_float_array(b, "b")
    if xs.ndim != 2 or h.ndim != 1:
        raise ValueError("xs must be (T, D), h0 (H,)")
    D, H = xs.shape[1], h.shape[0]
    if W_xh.shape != (D, H) or W_hh.shape != (H, H) or b.shape != (H,):
        raise ValueError("inconsistent shapes")
    out = []
    for x_t in xs:
        h = np.tanh(x_t @ W_xh + h @ W_hh + b)
        out.append(h)
    return np.stack(out) if out else np.zeros((0, H))


def clip_grad_norm(grads, max_norm):
    if not isinstance(grads, (list, tuple)):
        raise ValueError("grads must be a list or tuple")
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.integer, np.floating)):
        raise ValueError("max_norm must be a number")
    if not max_norm > 0:
        raise ValueError("max_norm must be > 0")
    grads = [as_float_array(g, "gradient") for g in grads]
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    # same factor for every gradient (an activations-style min(1, ...) scale)
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return [g * scale for g in grads]


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    hs = rnn_forward(rng.normal(size=(5, 3)), np.zeros(4), rng.normal(size=(3, 4)),
                     rng.normal(size=(4, 4)), np.zeros(4))
    print(activations.softmax(hs))
