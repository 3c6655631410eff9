import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _as_pair(value, minimum, name):
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        pair = (int(value), int(value))
    elif (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in value)
    ):
        pair = (int(value[0]), int(value[1]))
    else:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return pair


def _windows(x, kh, kw, sh, sw):
    """x: (B, H, W, C) -> (B, H1, W1, C, kh, kw) strided view"""
    return sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]


def conv_layer(images, kernels, bias=None, stride=1, padding=0):
    images = np.asarray(images, dtype=np.float64)
    kernels = np.asarray(kernels, dtype=np.float64)
    if images.ndim != 4 or images.size == 0:
        raise ValueError(f"images must be a non-empty (B, H, W, C) array, got shape {images.shape}")
    if kernels.ndim != 4 or kernels.size == 0:
        raise ValueError(f"kernels must be a non-empty (C1, KH, KW, C) array, got {kernels.shape}")
    if images.shape[-1] != kernels.shape[-1]:
        raise ValueError("images and kernels must have the same number of channels")
    sh, sw = _as_pair(stride, 1, "stride")
    ph, pw = _as_pair(padding, 0, "padding")
    padded = np.pad(images, ((0, 0), (ph, ph), (pw, pw), (0, 0)), mode="constant")
    _, kh, kw, _ = kernels.shape
    if kh > padded.shape[1] or kw > padded.shape[2]:
        raise ValueError("the kernels are larger than the padded images")
    win = _windows(padded, kh, kw, sh, sw)
    out = np.einsum("bhwcij,kijc->bhwk", win, kernels, optimize=True)
    if bias is not None:
        bias = np.asarray(bias, dtype=np.float64)
        if bias.shape != (kernels.shape[0],):
            raise ValueError(f"bias must have shape ({kernels.shape[0]},), got {bias.shape}")
        out = out + bias
    return out


def conv2d(image, kernel, stride=1, padding=0):
    image = np.asarray(image, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    return conv_layer(image[None, :, :, None], kernel[None, :, :, None], None, stride, padding)[
        0, :, :, 0
    ]


def _pool(x, size, stride):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (2, 4):
        raise ValueError(f"x must be (H, W) or (B, H, W, C), got shape {x.shape}")
    kh, kw = _as_pair(size, 1, "size")
    sh, sw = (kh, kw) if stride is None else _as_pair(stride, 1, "stride")
    x4 = x.reshape((1,) + x.shape + (1,)) if x.ndim == 2 else x
    if kh > x4.shape[1] or kw > x4.shape[2]:
        raise ValueError("the pooling window is larger than the image")
    return x, _windows(x4, kh, kw, sh, sw)


def max_pool2d(x, size, stride=None):
    x, win = _pool(x, size, stride)
    out = win.max(axis=(-2, -1))
    return out[0, :, :, 0] if x.ndim == 2 else out


def avg_pool2d(x, size, stride=None):
    x, win = _pool(x, size, stride)
    out = win.mean(axis=(-2, -1))
    return out[0, :, :, 0] if x.ndim == 2 else out
