import matplotlib.pyplot as plt
import numpy as np


def _hw(value, what, least):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{what} must be an int or a (vertical, horizontal) pair")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < least:
            raise ValueError(f"{what} must hold ints >= {least}")
    return int(value[0]), int(value[1])


def _windows(x, kh, kw, sh, sw):
    """(B, H, W, C) -> (B, H1, W1, KH, KW, C) view of every window, via as_strided."""
    b, h, w, c = x.shape
    h1, w1 = (h - kh) // sh + 1, (w - kw) // sw + 1
    s = x.strides
    return np.lib.stride_tricks.as_strided(
        x, (b, h1, w1, kh, kw, c), (s[0], s[1] * sh, s[2] * sw, s[1], s[2], s[3]), writeable=False
    )


def conv_layer(images, kernels, bias=None, stride=1, padding=0):
    x = np.array(images, dtype=float)
    k = np.array(kernels, dtype=float)
    if x.ndim != 4 or k.ndim != 4 or 0 in x.shape or 0 in k.shape:
        raise ValueError("images and kernels must be non-empty 4-D arrays")
    if x.shape[-1] != k.shape[-1]:
        raise ValueError("channel counts differ")
    sh, sw = _hw(stride, "stride", 1)
    ph, pw = _hw(padding, "padding", 0)
    x = np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    c1, kh, kw, _ = k.shape
    if kh > x.shape[1] or kw > x.shape[2]:
        raise ValueError("kernel larger than the padded images")
    out = np.tensordot(_windows(x, kh, kw, sh, sw), k, axes=([3, 4, 5], [1, 2, 3]))
    if bias is not None:
        bias = np.array(bias, dtype=float)
        if bias.shape != (c1,):
            raise ValueError("bias must have shape (C1,)")
        out = out + bias
    return out


def conv2d(image, kernel, stride=1, padding=0):
    image = np.array(image, dtype=float)
    kernel = np.array(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    return conv_layer(image[None, ..., None], kernel[None, ..., None], None, stride, padding)[0, ..., 0]


def _pool(x, size, stride, reducer):
    a = np.array(x, dtype=float)
    if a.ndim not in (2, 4):
        raise ValueError("x must be (H, W) or (B, H, W, C)")
    kh, kw = _hw(size, "size", 1)
    sh, sw = (kh, kw) if stride is None else _hw(stride, "stride", 1)
    a4 = a[None, ..., None] if a.ndim == 2 else a
    if kh > a4.shape[1] or kw > a4.shape[2]:
        raise ValueError("window larger than the image")
    out = reducer(_windows(np.ascontiguousarray(a4), kh, kw, sh, sw), axis=(3, 4))
    return out[0, ..., 0] if a.ndim == 2 else out


def max_pool2d(x, size, stride=None):
    return _pool(x, size, stride, np.max)


def avg_pool2d(x, size, stride=None):
    return _pool(x, size, stride, np.mean)


if __name__ == "__main__":
    img = np.random.rand(28, 28)
    edge = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    fig, axes = plt.subplots(1, 3)
    axes[0].imshow(img)
    axes[1].imshow(conv2d(img, edge))
    axes[2].imshow(max_pool2d(img, 2))
    plt.show()
