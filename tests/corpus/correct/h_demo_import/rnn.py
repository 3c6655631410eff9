import matplotlib.pyplot as plt
import numpy as np


def _floats(a, name):
    arr = np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be an array of real numbers")
    return np.array(arr, dtype=float)


def image_to_tokens(image, mode="patches", patch_size=None):
    img = _floats(image, "image")
    if img.ndim not in (2, 3) or img.size == 0:
        raise ValueError("image must be non-empty (H, W) or (H, W, C)")
    if img.ndim == 2:
        img = img.reshape(img.shape + (1,))
    H, W, C = img.shape
    if mode == "rows":
        return img.reshape(H, -1)
    if mode == "columns":
        return np.swapaxes(img, 0, 1).reshape(W, -1)
    if mode == "patches":
        if isinstance(patch_size, bool) or not isinstance(patch_size, (int, np.integer)):
            raise ValueError("patch_size must be an int")
        p = int(patch_size)
        if p < 1 or H % p or W % p:
            raise ValueError("patch_size must be >= 1 and divide H and W")
        rows = np.split(img, H // p, axis=0)
        patches = [patch for row in rows for patch in np.split(row, W // p, axis=1)]
        return np.stack([patch.ravel() for patch in patches])
    raise ValueError("mode must be rows, columns or patches")


def rnn_forward(xs, h0, W_xh, W_hh, b):
    xs, h = _floats(xs, "xs"), _floats(h0, "h0")
    W_xh, W_hh, b = _floats(W_xh, "W_xh"), _floats(W_hh, "W_hh"), _floats(b, "b")
    if xs.ndim != 2 or h.ndim != 1:
        raise ValueError("xs must be (T, D) and h0 (H,)")
    if W_xh.shape != (xs.shape[1], h.size) or W_hh.shape != (h.size, h.size) or b.shape != h.shape:
        raise ValueError("shapes do not agree")
    states = np.zeros((xs.shape[0], h.size))
    for t, x in enumerate(xs):
        h = np.tanh(x @ W_xh + h @ W_hh + b)
        states[t] = h
    return states


def clip_grad_norm(grads, max_norm):
    if not isinstance(grads, (list, tuple)):
        raise ValueError("grads must be a list or tuple")
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.integer, np.floating)):
        raise ValueError("max_norm must be a number")
    if not max_norm > 0:
        raise ValueError("max_norm must be > 0")
    gs = [_floats(g, "gradient") for g in grads]
    norm = np.linalg.norm(np.concatenate([g.ravel() for g in gs])) if gs else 0.0
    if norm > max_norm:
        gs = [g * (max_norm / norm) for g in gs]
    return gs


if __name__ == "__main__":
    image = np.random.rand(8, 8)
    plt.imshow(image_to_tokens(image, "patches", 4))
    plt.show()
