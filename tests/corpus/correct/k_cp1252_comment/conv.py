"""Problem 1(a), 1(c) and pooling."""
import math

import numpy as np


def _two(v, what, low):
    if isinstance(v, bool):
        raise ValueError(what + " must be an int or a pair")
    if isinstance(v, (int, np.integer)):
        a, b = int(v), int(v)
    elif isinstance(v, (tuple, list)) and len(v) == 2:
        if any(isinstance(e, bool) or not isinstance(e, (int, np.integer)) for e in v):
            raise ValueError(what + " must hold ints")
        a, b = int(v[0]), int(v[1])
    else:
        raise ValueError(what + " must be an int or a pair")
    if a < low or b < low:
        raise ValueError(f"{what} must be at least {low}")
    return a, b


def conv2d(image, kernel, stride=1, padding=0):
    x = np.array(image, dtype=np.float64)
    k = np.array(kernel, dtype=np.float64)
    if x.ndim != 2 or k.ndim != 2 or x.size == 0 or k.size == 0:
        raise ValueError("conv2d needs a non-empty 2-D image and kernel")
    SH, SW = _two(stride, "stride", 1)
    PH, PW = _two(padding, "padding", 0)
    H, W = x.shape
    KH, KW = k.shape
    if KH > H + 2 * PH or KW > W + 2 * PW:
        raise ValueError("kernel larger than padded image")
    xp = np.zeros((H + 2 * PH, W + 2 * PW))
    xp[PH:PH + H, PW:PW + W] = x
    H1 = math.floor((H - KH + 2 * PH) / SH) + 1
    W1 = math.floor((W - KW + 2 * PW) / SW) + 1
    out = np.zeros((H1, W1))
    for i in range(H1):
        for j in range(W1):
            top = i * SH
            left = j * SW
            out[i, j] = np.sum(xp[top:top + KH, left:left + KW] * k)
    return out


def conv_layer(images, kernels, bias=None, stride=1, padding=0):
    x = np.array(images, dtype=np.float64)
    k = np.array(kernels, dtype=np.float64)
    if x.ndim != 4 or k.ndim != 4 or x.size == 0 or k.size == 0:
        raise ValueError("images and kernels must be non-empty 4-D arrays")
    B, H, W, C = x.shape
    C1, KH, KW, KC = k.shape
    if KC != C:
        raise ValueError(f"kernels have {KC} channels but images have {C}")
    if bias is not None:
        bias = np.array(bias, dtype=np.float64)
        if bias.shape != (C1,):
            raise ValueError("bias must have shape (C1,)")
    SH, SW = _two(stride, "stride", 1)
    PH, PW = _two(padding, "padding", 0)
    if KH > H + 2 * PH or KW > W + 2 * PW:
        raise ValueError("kernels larger than padded images")
    xp = np.zeros((B, H + 2 * PH, W + 2 * PW, C))
    xp[:, PH:PH + H, PW:PW + W, :] = x
    H1 = math.floor((H - KH + 2 * PH) / SH) + 1
    W1 = math.floor((W - KW + 2 * PW) / SW) + 1
    out = np.zeros((B, H1, W1, C1))
    for i in range(H1):
        for j in range(W1):
            top = i * SH
            left = j * SW
            window = xp[:, top:top + KH, left:left + KW, :]  # (B, KH, KW, C)
            out[:, i, j, :] = np.tensordot(window, k, axes=([1, 2, 3], [1, 2, 3]))
    if bias is not None:
        out = out + bias
    return out


def _pool(x, size, stride, op):
    a = np.array(x, dtype=np.float64)
    if a.ndim == 2:
        a4 = a[np.newaxis, :, :, np.newaxis]
    elif a.ndim == 4:
        a4 = a
    else:
        raise ValueError("x must be 2-D or 4-D")
    KH, KW = _two(size, "size", 1)
    if stride is None:
        SH, SW = KH, KW
    else:
        SH, SW = _two(stride, "stride", 1)
    B, H, W, C = a4.shape
    if KH > H or KW > W:
        raise ValueError("pooling window larger than the image")
    H1 = math.floor((H - KH) / SH) + 1
    W1 = math.floor((W - KW) / SW) + 1
    out = np.zeros((B, H1, W1, C))
    for i in range(H1):
        for j in range(W1):
            window = a4[:, i * SH:i * SH + KH, j * SW:j * SW + KW, :]
            out[:, i, j, :] = op(window, axis=(1, 2))
    if a.ndim == 2:
        return out[0, :, :, 0]
    return out


def max_pool2d(x, size, stride=None):
    return _pool(x, size, stride, np.max)


def avg_pool2d(x, size, stride=None):
    return _pool(x, size, stride, np.mean)
