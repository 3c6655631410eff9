"""Convolution and pooling written the way many students first write them: Python loops over
every output position, with a numpy product per window. Correct, and slow on purpose."""

import numpy as np


def _pair(value, name, minimum):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair")
        a, b = value
    else:
        a, b = value, value
    for v in (a, b):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"{name} must be whole numbers")
        if v < minimum:
            raise ValueError(f"{name} must be at least {minimum}")
    return int(a), int(b)


def conv2d(image, kernel, stride=1, padding=0):
    image = np.array(image, dtype=float)
    kernel = np.array(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or image.size == 0 or kernel.size == 0:
        raise ValueError("image and kernel must be non-empty 2-D arrays")
    sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    padded = np.zeros((image.shape[0] + 2 * ph, image.shape[1] + 2 * pw))
    padded[ph : ph + image.shape[0], pw : pw + image.shape[1]] = image
    kh, kw = kernel.shape
    if kh > padded.shape[0] or kw > padded.shape[1]:
        raise ValueError("the kernel is larger than the padded image")
    h1 = (padded.shape[0] - kh) // sh + 1
    w1 = (padded.shape[1] - kw) // sw + 1
    out = np.zeros((h1, w1))
    for i in range(h1):
        for j in range(w1):
            window = padded[i * sh : i * sh + kh, j * sw : j * sw + kw]
            out[i, j] = np.sum(window * kernel)
    return out


def conv_layer(images, kernels, bias=None, stride=1, padding=0):
    images = np.array(images, dtype=float)
    kernels = np.array(kernels, dtype=float)
    if images.ndim != 4 or kernels.ndim != 4 or images.size == 0 or kernels.size == 0:
        raise ValueError("images and kernels must be non-empty 4-D arrays")
    if images.shape[3] != kernels.shape[3]:
        raise ValueError("images and kernels must have the same number of channels")
    n_kernels = kernels.shape[0]
    if bias is None:
        bias = np.zeros(n_kernels)
    else:
        bias = np.array(bias, dtype=float)
        if bias.shape != (n_kernels,):
            raise ValueError("bias must have one entry per kernel")
    sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    batch, height, width, channels = images.shape
    padded = np.zeros((batch, height + 2 * ph, width + 2 * pw, channels))
    padded[:, ph : ph + height, pw : pw + width, :] = images
    kh, kw = kernels.shape[1], kernels.shape[2]
    if kh > padded.shape[1] or kw > padded.shape[2]:
        raise ValueError("the kernels are larger than the padded images")
    h1 = (padded.shape[1] - kh) // sh + 1
    w1 = (padded.shape[2] - kw) // sw + 1
    out = np.zeros((batch, h1, w1, n_kernels))
    for b in range(batch):
        for k in range(n_kernels):
            for i in range(h1):
                for j in range(w1):
                    window = padded[b, i * sh : i * sh + kh, j * sw : j * sw + kw, :]
                    out[b, i, j, k] = np.sum(window * kernels[k]) + bias[k]
    return out


def _pool(x, size, stride, reduce):
    x = np.array(x, dtype=float)
    if x.ndim not in (2, 4):
        raise ValueError("x must be 2-D or 4-D")
    kh, kw = _pair(size, "size", 1)
    sh, sw = _pair(size if stride is None else stride, "stride", 1)
    batch = x if x.ndim == 4 else x[None, :, :, None]
    if kh > batch.shape[1] or kw > batch.shape[2]:
        raise ValueError("the window is larger than the image")
    h1 = (batch.shape[1] - kh) // sh + 1
    w1 = (batch.shape[2] - kw) // sw + 1
    out = np.zeros((batch.shape[0], h1, w1, batch.shape[3]))
    for b in range(batch.shape[0]):
        for i in range(h1):
            for j in range(w1):
                for c in range(batch.shape[3]):
                    window = batch[b, i * sh : i * sh + kh, j * sw : j * sw + kw, c]
                    out[b, i, j, c] = reduce(window)
    return out if x.ndim == 4 else out[0, :, :, 0]


def max_pool2d(x, size, stride=None):
    return _pool(x, size, stride, np.max)


def avg_pool2d(x, size, stride=None):
    return _pool(x, size, stride, np.mean)
