"""conv.py: convolution and pooling, using the size formula from shapes.py."""
import numpy as np

import shapes
from shapes import conv_output_size


def as_float_array(x, name="x"):
    """A new float64 copy of x; ValueError unless x holds real numbers."""
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers")
    return np.array(a, dtype=np.float64, copy=True)


def _strides_and_padding(stride, padding):
    sh, sw = shapes.to_pair(stride, "stride")
    ph, pw = shapes.to_pair(padding, "padding")
    if sh < 1 or sw < 1:
        raise ValueError("stride must be >= 1")
    if ph < 0 or pw < 0:
        raise ValueError("padding must be >= 0")
    return sh, sw, ph, pw


def conv_layer(images, kernels, bias=None, stride=1, padding=0):
    x = as_float_array(images, "images")
    k = as_float_array(kernels, "kernels")
    if x.ndim != 4 or k.ndim != 4 or x.size == 0 or k.size == 0:
        raise ValueError("images and kernels must be non-empty 4-D arrays")
    B, H, W, C = x.shape
    C1, KH, KW, KC = k.shape
    if KC != C:
        raise ValueError("images and kernels have different numbers of channels")
    b = np.zeros(C1) if bias is None else as_float_array(bias, "bias")
    if b.shape != (C1,):
        raise ValueError("bias must have shape (C1,)")
    sh, sw, ph, pw = _strides_and_padding(stride, padding)
    H1 = conv_output_size(H, KH, sh, ph)  # raises if the kernel does not fit
    W1 = conv_output_size(W, KW, sw, pw)
    xp = np.pad(x, [(0, 0), (ph, ph), (pw, pw), (0, 0)])
    out = np.zeros((B, H1, W1, C1))
    # loop over kernel offsets, not pixels: KH*KW iterations
    for di in range(KH):
        for dj in range(KW):
            rows = xp[:, di:di + sh * H1:sh, dj:dj + sw * W1:sw, :]  # (B, H1, W1, C)
            out += rows @ k[:, di, dj, :].T
    return out + b


def conv2d(image, kernel, stride=1, padding=0):
    img = as_float_array(image, "image")
    ker = as_float_array(kernel, "kernel")
    if img.ndim != 2 or ker.ndim != 2 or img.size == 0 or ker.size == 0:
        raise ValueError("image and kernel must be non-empty 2-D arrays")
    return conv_layer(img[None, :, :, None], ker[None, :, :, None], None, stride, padding)[0, :, :, 0]


def _pool(x, size, stride, kind):
    a = as_float_array(x)
    if a.ndim not in (2, 4):
        raise ValueError("x must be (H, W) or (B, H, W, C)")
    a4 = a[None, :, :, None] if a.ndim == 2 else a
    kh, kw = shapes.to_pair(size, "size")
    sh, sw = (kh, kw) if stride is None else shapes.to_pair(stride, "stride")
    if min(kh, kw, sh, sw) < 1:
        raise ValueError("size and stride must be >= 1")
    H1 = conv_output_size(a4.shape[1], kh, sh)
    W1 = conv_output_size(a4.shape[2], kw, sw)
    parts = [a4[:, i:i + sh * H1:sh, j:j + sw * W1:sw, :] for i in range(kh) for j in range(kw)]
    stack = np.stack(parts)
    out = stack.max(axis=0) if kind == "max" else stack.mean(axis=0)
    return out[0, :, :, 0] if a.ndim == 2 else out


def max_pool2d(x, size, stride=None):
    return _pool(x, size, stride, "max")


def avg_pool2d(x, size, stride=None):
    return _pool(x, size, stride, "avg")
