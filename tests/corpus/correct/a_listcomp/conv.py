import numpy as np


def _pair(v, name, smallest):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(name + " must be an int or a pair of ints")
        a, b = v
    else:
        a, b = v, v
    for item in (a, b):
        if isinstance(item, bool) or not isinstance(item, (int, np.integer)):
            raise ValueError(name + " must be an int or a pair of ints")
        if item < smallest:
            raise ValueError(f"{name} must be >= {smallest}")
    return int(a), int(b)


def _padded(img, ph, pw):
    # img is (H, W, ...) -> zeros around the first two axes
    h, w = img.shape[0], img.shape[1]
    out = np.zeros((h + 2 * ph, w + 2 * pw) + img.shape[2:])
    out[ph:ph + h, pw:pw + w] = img
    return out


def conv2d(image, kernel, stride=1, padding=0):
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or image.size == 0 or kernel.size == 0:
        raise ValueError("image and kernel must be non-empty 2-D arrays")
    sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    img = _padded(image, ph, pw)
    kh, kw = kernel.shape
    if kh > img.shape[0] or kw > img.shape[1]:
        raise ValueError("kernel is larger than the padded image")
    rows = range(0, img.shape[0] - kh + 1, sh)
    cols = range(0, img.shape[1] - kw + 1, sw)
    out = [[np.sum(img[i:i + kh, j:j + kw] * kernel) for j in cols] for i in rows]
    return np.array(out, dtype=float)


def conv_layer(images, kernels, bias=None, stride=1, padding=0):
    images = np.asarray(images, dtype=float)
    kernels = np.asarray(kernels, dtype=float)
    if images.ndim != 4 or kernels.ndim != 4 or images.size == 0 or kernels.size == 0:
        raise ValueError("images and kernels must be non-empty 4-D arrays")
    if images.shape[3] != kernels.shape[3]:
        raise ValueError("images and kernels have different channel counts")
    c1 = kernels.shape[0]
    if bias is None:
        bias = np.zeros(c1)
    else:
        bias = np.asarray(bias, dtype=float)
        if bias.shape != (c1,):
            raise ValueError("bias must have shape (C1,)")
    sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    b, h, w, c = images.shape
    _, kh, kw, _ = kernels.shape
    if kh > h + 2 * ph or kw > w + 2 * pw:
        raise ValueError("kernels are larger than the padded images")
    padded = [_padded(img, ph, pw) for img in images]
    rows = range(0, h + 2 * ph - kh + 1, sh)
    cols = range(0, w + 2 * pw - kw + 1, sw)
    flat_kernels = kernels.reshape(c1, -1).T  # (kh*kw*c, c1)
    out = [
        [[p[i:i + kh, j:j + kw, :].reshape(-1) @ flat_kernels + bias for j in cols] for i in rows]
        for p in padded
    ]
    return np.array(out, dtype=float).reshape(b, len(rows), len(cols), c1)


def _pool(x, size, stride, reduce):
    x = np.asarray(x, dtype=float)
    if x.ndim not in (2, 4):
        raise ValueError("x must be (H, W) or (B, H, W, C)")
    kh, kw = _pair(size, "size", 1)
    sh, sw = _pair(size if stride is None else stride, "stride", 1)
    four = x if x.ndim == 4 else x[None, :, :, None]
    _, h, w, _ = four.shape
    if kh > h or kw > w:
        raise ValueError("window is larger than the image")
    rows = range(0, h - kh + 1, sh)
    cols = range(0, w - kw + 1, sw)
    out = np.array(
        [[[reduce(img[i:i + kh, j:j + kw, :], axis=(0, 1)) for j in cols] for i in rows]
         for img in four],
        dtype=float,
    ).reshape(four.shape[0], len(rows), len(cols), four.shape[3])
    return out if x.ndim == 4 else out[0, :, :, 0]


def max_pool2d(x, size, stride=None):
    return _pool(x, size, stride, np.max)


def avg_pool2d(x, size, stride=None):
    return _pool(x, size, stride, np.mean)
