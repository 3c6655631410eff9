import numpy as np


def _arr(x):
    x = np.array(x, copy=True)
    if x.dtype.kind not in "biuf":
        raise ValueError("expected real numbers")
    return x.astype(np.float64)


def image_to_tokens(image, mode="patches", patch_size=None):
    img = _arr(image)
    if img.ndim not in (2, 3) or img.size == 0:
        raise ValueError("image must be a non-empty 2-D or 3-D array")
    img = img.reshape(img.shape[0], img.shape[1], -1)
    H, W, C = img.shape
    if mode == "rows":
        return img.reshape(H, W * C)
    elif mode == "columns":
        return np.moveaxis(img, 1, 0).reshape(W, H * C)
    elif mode == "patches":
        if patch_size is None:
            raise ValueError("patches mode needs a patch_size")
        if isinstance(patch_size, bool) or not isinstance(patch_size, (int, np.integer)) or patch_size < 1:
            raise ValueError("patch_size must be an int >= 1")
        p = int(patch_size)
        if H % p or W % p:
            raise ValueError("patch_size must divide H and W")
        return (img.reshape(H // p, p, W // p, p, C)
                .transpose(0, 2, 1, 3, 4)
                .reshape(H * W // (p * p), p * p * C))
    else:
        raise ValueError("mode must be rows, columns or patches")


def rnn_forward(xs, h0, W_xh, W_hh, b):
    xs, h, W_xh, W_hh, b = map(_arr, (xs, h0, W_xh, W_hh, b))
    if xs.ndim != 2 or h.ndim != 1 or W_xh.shape != (xs.shape[1], h.size) \
            or W_hh.shape != (h.size, h.size) or b.shape != (h.size,):
        raise ValueError("shapes do not agree: xs (T, D), h0 (H,), W_xh (D, H), W_hh (H, H), b (H,)")
    out = np.zeros((xs.shape[0], h.size))
    for t in range(xs.shape[0]):
        out[t] = h = np.tanh(xs[t] @ W_xh + h @ W_hh + b)
    return out


def clip_grad_norm(grads, max_norm):
    if type(grads) not in (list, tuple):
        raise ValueError("grads must be a list or tuple")
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.integer, np.floating)) \
            or not max_norm > 0:
        raise ValueError("max_norm must be a number > 0")
    grads = [_arr(g) for g in grads]
    total = np.sqrt(sum((g ** 2).sum() for g in grads))
    if total <= max_norm:
        return grads
    return [g * (max_norm / total) for g in grads]
