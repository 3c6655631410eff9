import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _pair(v, minimum):
    if isinstance(v, (tuple, list)) and len(v) == 2:
        a, b = v
    elif isinstance(v, (tuple, list)):
        raise ValueError("a pair must have two entries")
    else:
        a = b = v
    for e in (a, b):
        if isinstance(e, bool) or not isinstance(e, (int, np.integer)) or e < minimum:
            raise ValueError("expected int(s) >= %d" % minimum)
    return int(a), int(b)


def _arr(x, ndim):
    x = np.array(x, copy=True)
    if x.dtype.kind not in "biuf" or x.ndim not in ndim or x.size == 0:
        raise ValueError("expected a non-empty real array with %s dimensions" % (ndim,))
    return x.astype(np.float64)


def conv_layer(images, kernels, bias=None, stride=1, padding=0):
    x = _arr(images, (4,))
    k = _arr(kernels, (4,))
    if x.shape[-1] != k.shape[-1]:
        raise ValueError("images and kernels have different channels")
    sh, sw = _pair(stride, 1)
    ph, pw = _pair(padding, 0)
    x = np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    if k.shape[1] > x.shape[1] or k.shape[2] > x.shape[2]:
        raise ValueError("kernels larger than padded images")
    windows = sliding_window_view(x, k.shape[1:3], axis=(1, 2))[:, ::sh, ::sw]
    out = np.einsum("bhwcij,oijc->bhwo", windows, k)
    if bias is not None:
        bias = _arr(bias, (1,))
        if bias.shape != (k.shape[0],):
            raise ValueError("bias must have one entry per kernel")
        out += bias
    return out


def conv2d(image, kernel, stride=1, padding=0):
    img = _arr(image, (2,))
    ker = _arr(kernel, (2,))
    return conv_layer(img[np.newaxis, :, :, np.newaxis], ker[np.newaxis, :, :, np.newaxis],
                      stride=stride, padding=padding)[0, :, :, 0]


def _pool(x, size, stride, f):
    x = _arr(x, (2, 4))
    two_d = x.ndim == 2
    if two_d:
        x = x[np.newaxis, :, :, np.newaxis]
    kh, kw = _pair(size, 1)
    sh, sw = _pair(stride, 1) if stride is not None else (kh, kw)
    if kh > x.shape[1] or kw > x.shape[2]:
        raise ValueError("window larger than the image")
    out = f(sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::sh, ::sw], axis=(-2, -1))
    return out[0, :, :, 0] if two_d else out


def max_pool2d(x, size, stride=None):
    return _pool(x, size, stride, np.max)


def avg_pool2d(x, size, stride=None):
    return _pool(x, size, stride, np.mean)
