import numbers

import numpy as np


def _real(x, name):
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=True)


def image_to_tokens(image, mode="patches", patch_size=None):
    img = _real(image, "image")
    if img.ndim not in (2, 3) or img.size == 0:
        raise ValueError(f"image must be a non-empty (H, W) or (H, W, C) array, got {img.shape}")
    img = np.atleast_3d(img)
    h, w, c = img.shape
    if mode == "rows":
        return np.einsum("hwc->hwc", img).reshape(h, w * c)
    if mode == "columns":
        return np.einsum("hwc->whc", img).reshape(w, h * c)
    if mode != "patches":
        raise ValueError(f"mode must be 'rows', 'columns' or 'patches', got {mode!r}")
    if isinstance(patch_size, bool) or not isinstance(patch_size, numbers.Integral):
        raise ValueError(f"patches need an int patch_size, got {patch_size!r}")
    p = int(patch_size)
    if p < 1 or h % p or w % p:
        raise ValueError(f"patch_size {p} must be >= 1 and divide {h} and {w}")
    blocks = img.reshape(h // p, p, w // p, p, c)
    return np.einsum("aibjc->abijc", blocks).reshape((h // p) * (w // p), p * p * c)


def rnn_forward(xs, h0, W_xh, W_hh, b):
    xs, h0, W_xh, W_hh, b = (
        _real(a, n) for a, n in zip((xs, h0, W_xh, W_hh, b), ("xs", "h0", "W_xh", "W_hh", "b"))
    )
    if xs.ndim != 2 or h0.ndim != 1:
        raise ValueError("xs must be (T, D) and h0 must be (H,)")
    (t_steps, d), (h,) = xs.shape, h0.shape
    if W_xh.shape != (d, h) or W_hh.shape != (h, h) or b.shape != (h,):
        raise ValueError(
            f"expected W_xh {(d, h)}, W_hh {(h, h)}, b {(h,)}; got {W_xh.shape}, {W_hh.shape}, {b.shape}"
        )
    hs = np.empty((t_steps, h))
    prev = h0
    for t in range(t_steps):
        prev = np.tanh(np.einsum("d,dh->h", xs[t], W_xh) + np.einsum("i,ih->h", prev, W_hh) + b)
        hs[t] = prev
    return hs


def clip_grad_norm(grads, max_norm):
    if not isinstance(grads, (list, tuple)):
        raise ValueError("grads must be a list or tuple of arrays")
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real) or not max_norm > 0:
        raise ValueError(f"max_norm must be a number > 0, got {max_norm!r}")
    grads = [_real(g, "each gradient") for g in grads]
    norm = np.sqrt(sum(np.einsum("i,i->", g.ravel(), g.ravel()) for g in grads))
    if norm <= max_norm:
        return grads
    return [g * (max_norm / norm) for g in grads]
