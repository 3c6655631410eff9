import numpy as np

print("rnn.py imported")


def real(a, name):
    a = np.array(a)
    print(name, a.dtype, a.shape)
    if a.dtype.kind not in "biuf":
        raise ValueError(name + " must be real numbers")
    return a.astype(float)


def image_to_tokens(image, mode="patches", patch_size=None):
    img = real(image, "image")
    print("mode:", mode, "patch_size:", patch_size)
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.size == 0:
        raise ValueError("image must be 2-D or 3-D")
    h, w, c = img.shape
    if mode == "rows":
        tokens = img.reshape(h, w * c)
    elif mode == "columns":
        tokens = img.transpose(1, 0, 2).reshape(w, h * c)
    elif mode == "patches":
        if patch_size is None or type(patch_size) != int or patch_size < 1:
            raise ValueError("bad patch_size")
        p = patch_size
        if h % p != 0 or w % p != 0:
            raise ValueError("patch_size does not divide the image")
        tokens = []
        for i in range(0, h, p):
            for j in range(0, w, p):
                tokens.append(img[i:i + p, j:j + p, :].flatten())
        tokens = np.array(tokens)
    else:
        raise ValueError("unknown mode " + str(mode))
    print("tokens:", tokens.shape)
    return tokens


def rnn_forward(xs, h0, W_xh, W_hh, b):
    xs = real(xs, "xs")
    h0 = real(h0, "h0")
    W_xh = real(W_xh, "W_xh")
    W_hh = real(W_hh, "W_hh")
    b = real(b, "b")
    if xs.ndim != 2 or h0.ndim != 1:
        raise ValueError("bad xs/h0")
    T, D = xs.shape
    H = len(h0)
    if W_xh.shape != (D, H) or W_hh.shape != (H, H) or b.shape != (H,):
        raise ValueError("bad weights")
    hs = np.zeros((T, H))
    h = h0
    for t in range(T):
        h = np.tanh(xs[t] @ W_xh + h @ W_hh + b)
        print("h_%d =" % (t + 1), h)
        hs[t] = h
    return hs


def clip_grad_norm(grads, max_norm):
    print("clip", len(grads) if isinstance(grads, (list, tuple)) else grads, "max_norm", max_norm)
    if type(grads) not in (list, tuple):
        raise ValueError("grads must be list or tuple")
    if type(max_norm) not in (int, float) or not max_norm > 0:
        raise ValueError("max_norm must be > 0")
    gs = [real(g, "grad") for g in grads]
    total = 0.0
    for g in gs:
        total += (g ** 2).sum()
    norm = total ** 0.5
    print("global norm:", norm)
    if norm > max_norm:
        gs = [g * (max_norm / norm) for g in gs]
        print("clipped")
    return gs


print(image_to_tokens(np.arange(16).reshape(4, 4), "patches", 2))
print(clip_grad_norm([np.array([3.0, 4.0])], 1.0))
