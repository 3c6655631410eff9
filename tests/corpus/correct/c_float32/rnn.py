import numpy as np

DT = np.float32


def _f32(a, what):
    arr = np.asarray(a)
    if arr.dtype.kind not in "iufb":
        raise ValueError(f"{what} must hold real numbers")
    return arr.astype(DT)


def image_to_tokens(image, mode="patches", patch_size=None):
    img = _f32(image, "image")
    if img.ndim not in (2, 3) or img.size == 0:
        raise ValueError("image must be a non-empty 2-D or 3-D array")
    if img.ndim == 2:
        img = img[..., None]
    h, w, c = img.shape
    if mode == "rows":
        return img.reshape(h, w * c)
    if mode == "columns":
        return np.ascontiguousarray(img.transpose(1, 0, 2)).reshape(w, h * c)
    if mode == "patches":
        p = patch_size
        if p is None or isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1:
            raise ValueError("patches need an int patch_size >= 1")
        if h % p or w % p:
            raise ValueError("patch_size must divide H and W")
        t = img.reshape(h // p, p, w // p, p, c).transpose(0, 2, 1, 3, 4)
        return t.reshape(-1, p * p * c)
    raise ValueError(f"unknown mode: {mode}")


def rnn_forward(xs, h0, W_xh, W_hh, b):
    xs, h0 = _f32(xs, "xs"), _f32(h0, "h0")
    W_xh, W_hh, b = _f32(W_xh, "W_xh"), _f32(W_hh, "W_hh"), _f32(b, "b")
    if xs.ndim != 2 or h0.ndim != 1:
        raise ValueError("bad shapes for xs or h0")
    T, D = xs.shape
    (H,) = h0.shape
    if W_xh.shape != (D, H) or W_hh.shape != (H, H) or b.shape != (H,):
        raise ValueError("weights do not match D and H")
    out = np.empty((T, H), dtype=DT)
    pre = xs @ W_xh + b  # input part for every step at once
    h = h0
    for t in range(T):
        h = np.tanh(pre[t] + h @ W_hh)
        out[t] = h
    return out


def clip_grad_norm(grads, max_norm):
    if not isinstance(grads, (list, tuple)):
        raise ValueError("grads must be a list/tuple")
    if isinstance(max_norm, (bool, np.bool_)) or not isinstance(max_norm, (int, float, np.number)):
        raise ValueError("max_norm must be a number")
    if not max_norm > 0:
        raise ValueError("max_norm must be positive")
    gs = [_f32(g, "gradient") for g in grads]
    total = np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in gs))
    if total > max_norm:
        coef = DT(max_norm / total)
        gs = [g * coef for g in gs]
    return gs
