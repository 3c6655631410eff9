import numpy as np

DT = np.float32


def _pair(v, lo, what):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{what} must be an int or a pair")
        vals = tuple(v)
    else:
        vals = (v, v)
    for e in vals:
        if isinstance(e, (bool, np.bool_)) or not isinstance(e, (int, np.integer)):
            raise ValueError(f"{what} must be an int or a pair of ints")
        if e < lo:
            raise ValueError(f"{what} must be >= {lo}")
    return int(vals[0]), int(vals[1])


def _arr(x, ndims, what):
    a = np.asarray(x)
    if a.dtype.kind not in "iufb" or a.ndim not in ndims or a.size == 0:
        raise ValueError(f"{what} must be a non-empty {ndims} -D array of numbers")
    return a.astype(DT)


def _im2col(xp, kh, kw, sh, sw):
    """xp: (B, Hp, Wp, C) -> (B, H1, W1, kh*kw*C) patches, float32"""
    b, hp, wp, c = xp.shape
    h1 = (hp - kh) // sh + 1
    w1 = (wp - kw) // sw + 1
    cols = np.empty((b, h1, w1, kh, kw, c), dtype=DT)
    for di in range(kh):
        for dj in range(kw):
            cols[:, :, :, di, dj, :] = xp[:, di:di + sh * (h1 - 1) + 1:sh,
                                          dj:dj + sw * (w1 - 1) + 1:sw, :]
    return cols.reshape(b, h1, w1, kh * kw * c)


def conv_layer(images, kernels, bias=None, stride=1, padding=0):
    x = _arr(images, (4,), "images")
    k = _arr(kernels, (4,), "kernels")
    c1, kh, kw, c = k.shape
    if x.shape[3] != c:
        raise ValueError("channel counts differ")
    if bias is not None:
        bias = np.asarray(bias)
        if bias.dtype.kind not in "iufb" or bias.shape != (c1,):
            raise ValueError("bias must have shape (C1,)")
        bias = bias.astype(DT)
    sh, sw = _pair(stride, 1, "stride")
    ph, pw = _pair(padding, 0, "padding")
    if kh > x.shape[1] + 2 * ph or kw > x.shape[2] + 2 * pw:
        raise ValueError("kernel larger than the padded image")
    xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    cols = _im2col(xp, kh, kw, sh, sw)
    out = cols @ k.reshape(c1, -1).T
    if bias is not None:
        out += bias
    return out.astype(DT)


def conv2d(image, kernel, stride=1, padding=0):
    img = _arr(image, (2,), "image")
    ker = _arr(kernel, (2,), "kernel")
    out = conv_layer(img[None, :, :, None], ker[None, :, :, None], None, stride, padding)
    return out[0, :, :, 0]


def _pool(x, size, stride, how):
    a = _arr(x, (2, 4), "x")
    kh, kw = _pair(size, 1, "size")
    sh, sw = (kh, kw) if stride is None else _pair(stride, 1, "stride")
    a4 = a[None, :, :, None] if a.ndim == 2 else a
    if kh > a4.shape[1] or kw > a4.shape[2]:
        raise ValueError("window larger than the image")
    b, h, w, c = a4.shape
    cols = _im2col(a4, kh, kw, sh, sw)  # (b, h1, w1, kh*kw*c)
    cols = cols.reshape(cols.shape[:3] + (kh * kw, c))
    out = cols.max(axis=3) if how == "max" else cols.mean(axis=3, dtype=DT)
    return out[0, :, :, 0] if a.ndim == 2 else out


def max_pool2d(x, size, stride=None):
    return _pool(x, size, stride, "max")


def avg_pool2d(x, size, stride=None):
    return _pool(x, size, stride, "avg")
