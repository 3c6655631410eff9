"""Convolution and pooling (Tutorial 9, Problems 1(a) and 1(c), and the pooling exercise).

Deep-learning "convolution" is cross-correlation: the kernel is slid over the image as it is,
without flipping it. Images are channels-last: one image is (H, W, C), a batch is (B, H, W, C).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


# BEGIN SOLUTION
def _is_int(value: object) -> bool:
    """True for int and NumPy integers, but not for bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _pair(value: object, name: str, minimum: int) -> tuple[int, int]:
    """An int or a (vertical, horizontal) pair as a pair of ints, each at least `minimum`."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(
                f"{name} must be an int or a (vertical, horizontal) pair, got {value!r}"
            )
        items = tuple(value)
    else:
        items = (value, value)
    for item in items:
        if not _is_int(item):
            raise ValueError(
                f"{name} must be a whole number (int) or a pair of them, got {value!r}"
            )
        if item < minimum:
            raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return int(items[0]), int(items[1])


def _as_float_array(value: ArrayLike, name: str) -> np.ndarray:
    """`value` as a float64 array (not a copy if it already is one); must hold real numbers."""
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers ({error})") from None
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must contain real numbers, got dtype {array.dtype}")
    return np.asarray(array, dtype=float)


def _check_fits(kernel_hw: tuple[int, ...], padded_hw: tuple[int, int]) -> None:
    if kernel_hw[0] > padded_hw[0] or kernel_hw[1] > padded_hw[1]:
        raise ValueError(
            f"the kernel {tuple(kernel_hw)} is larger than the padded input {padded_hw}; "
            "use a smaller kernel or more padding"
        )


# Floats per im2col block (32 MB). Timed on Problem 1(b)'s layer: block sizes from 2 MB up were
# equally fast on an idle machine, but on a busy one many small multi-threaded matmuls were up
# to 5x slower than a few large ones.
_BLOCK_ELEMENTS = 1 << 22


def _correlate(
    images: np.ndarray,
    kernels: np.ndarray,
    bias: np.ndarray | None,
    stride: tuple[int, int],
    padding: tuple[int, int],
) -> np.ndarray:
    """Cross-correlate images (B, H, W, C) with kernels (C1, KH, KW, C) -> (B, H1, W1, C1)."""
    (sh, sw), (ph, pw) = stride, padding
    if ph or pw:
        images = np.pad(images, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    batch, height, width, channels = images.shape
    out_channels, kh, kw, _ = kernels.shape
    h1, w1 = (height - kh) // sh + 1, (width - kw) // sw + 1

    # A read-only view (B, H1, W1, KH, KW, C): one kernel-sized window per output position,
    # laid out like a kernel so one matmul with the flattened kernels computes every channel.
    windows = np.lib.stride_tricks.sliding_window_view(images, (kh, kw), axis=(1, 2))
    windows = windows[:, ::sh, ::sw].transpose(0, 1, 2, 4, 5, 3)
    weights = kernels.reshape(out_channels, -1).T  # (KH*KW*C, C1)
    patch = kh * kw * channels
    out = np.empty((batch, h1, w1, out_channels))

    # Copying all windows at once (im2col) would take B*H1*W1*KH*KW*C floats (540 MB for
    # Problem 1(b) with B = 64), so copy them in blocks: several whole images, or some output
    # rows of one image.
    per_image = h1 * w1 * patch
    if per_image <= _BLOCK_ELEMENTS:
        n_images, n_rows = max(1, _BLOCK_ELEMENTS // per_image), h1
    else:
        n_images, n_rows = 1, max(1, _BLOCK_ELEMENTS // (w1 * patch))
    buffer = np.empty((min(n_images, batch) * min(n_rows, h1) * w1, patch))
    for b0 in range(0, batch, n_images):
        b1 = min(b0 + n_images, batch)
        for r0 in range(0, h1, n_rows):
            r1 = min(r0 + n_rows, h1)
            cols = buffer[: (b1 - b0) * (r1 - r0) * w1]
            np.copyto(cols.reshape(b1 - b0, r1 - r0, w1, kh, kw, channels), windows[b0:b1, r0:r1])
            # out[b0:b1, r0:r1] is contiguous (one image, or whole images), so this is a view.
            block = out[b0:b1, r0:r1].reshape(-1, out_channels)
            np.matmul(cols, weights, out=block)
            if bias is not None:
                block += bias
    return out


def _pool(x: ArrayLike, size: object, stride: object, reduce: str) -> np.ndarray:
    array = _as_float_array(x, "x")
    if array.ndim not in (2, 4):
        raise ValueError(
            f"x must be a 2-D array (H, W) or a 4-D array (B, H, W, C), got shape {array.shape}"
        )
    kh, kw = _pair(size, "size", 1)
    sh, sw = _pair((kh, kw) if stride is None else stride, "stride", 1)
    axes = (0, 1) if array.ndim == 2 else (1, 2)
    height, width = array.shape[axes[0]], array.shape[axes[1]]
    if kh > height or kw > width:
        raise ValueError(
            f"the pooling window {(kh, kw)} is larger than the input {(height, width)}"
        )
    windows = np.lib.stride_tricks.sliding_window_view(array, (kh, kw), axis=axes)
    windows = windows[:, ::sh, ::sw] if array.ndim == 4 else windows[::sh, ::sw]
    # The window axes are the last two; the windows that do not fit were never formed.
    if reduce == "max":
        return windows.max(axis=(-2, -1))
    return windows.mean(axis=(-2, -1))


# END SOLUTION
def conv2d(
    image: ArrayLike,
    kernel: ArrayLike,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> np.ndarray:
    """Convolve one single-channel image with one kernel, as in Problem 1(a).

    Computes the 2-D cross-correlation: the kernel is NOT flipped. Each output entry is the sum
    of the element-wise product of the kernel with the image window under it. The kernel
    starts at the top-left corner and moves `stride` pixels at a time; `padding` zeros are
    added on all four sides of the image first.

    Args:
        image: shape (H, W), the image.
        kernel: shape (KH, KW), the filter.
        stride: an int, or a (vertical, horizontal) pair; each at least 1.
        padding: an int, or a (vertical, horizontal) pair of zero rows/columns added on each
            side; each at least 0.

    Returns:
        The feature map, a float array of shape (H1, W1) with
        H1 = floor((H - KH + 2 * PH) / SH) + 1 and W1 = floor((W - KW + 2 * PW) / SW) + 1.

    Raises:
        ValueError: if image or kernel is not 2-D (or is empty), the kernel is larger than the
            padded image, stride < 1, padding < 0, or stride/padding is not an int or a pair.
    """
    # BEGIN SOLUTION
    image = _as_float_array(image, "image")
    kernel = _as_float_array(kernel, "kernel")
    if image.ndim != 2:
        raise ValueError(
            f"image must be a 2-D array (H, W), got shape {image.shape}; "
            "for batches of multi-channel images use conv_layer"
        )
    if kernel.ndim != 2:
        raise ValueError(f"kernel must be a 2-D array (KH, KW), got shape {kernel.shape}")
    if image.size == 0 or kernel.size == 0:
        raise ValueError("image and kernel must not be empty")
    sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    _check_fits(kernel.shape, (image.shape[0] + 2 * ph, image.shape[1] + 2 * pw))
    out = _correlate(image[None, :, :, None], kernel[None, :, :, None], None, (sh, sw), (ph, pw))
    return out[0, :, :, 0]
    # END SOLUTION


def conv_layer(
    images: ArrayLike,
    kernels: ArrayLike,
    bias: ArrayLike | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> np.ndarray:
    """Apply a convolutional layer to a batch of multi-channel images, as in Problem 1(c).

    Every kernel spans all C input channels and produces one output channel: output channel k
    at a position is the sum over the window and over all channels of image times kernel k,
    plus bias[k]. Kernels are not flipped (cross-correlation). Stride and padding work as in
    conv2d, on the height and width axes only.

    Args:
        images: shape (B, H, W, C), a batch of B channels-last images.
        kernels: shape (C1, KH, KW, C), C1 kernels with as many channels as the images.
        bias: shape (C1,), one bias per kernel, or None for no bias.
        stride: an int, or a (vertical, horizontal) pair; each at least 1.
        padding: an int, or a (vertical, horizontal) pair of zeros added on each side;
            each at least 0.

    Returns:
        A float array of shape (B, H1, W1, C1), channels last, with H1 and W1 as in conv2d.
        For Problem 1(b)'s layer (224 x 224 x 3 images, 96 kernels 11 x 11, stride 4) this is
        (B, 54, 54, 96).

    Raises:
        ValueError: if images or kernels is not 4-D (or is empty), their channel counts
            differ, bias does not have shape (C1,), the kernels are larger than the padded
            images, stride < 1, padding < 0, or stride/padding is not an int or a pair.
    """
    # BEGIN SOLUTION
    images = _as_float_array(images, "images")
    kernels = _as_float_array(kernels, "kernels")
    if images.ndim != 4:
        raise ValueError(
            f"images must be a 4-D array (B, H, W, C), got shape {images.shape}; "
            "for a single image use images[None]"
        )
    if kernels.ndim != 4:
        raise ValueError(f"kernels must be a 4-D array (C1, KH, KW, C), got shape {kernels.shape}")
    if images.size == 0 or kernels.size == 0:
        raise ValueError("images and kernels must not be empty")
    if kernels.shape[3] != images.shape[3]:
        raise ValueError(
            f"kernels have {kernels.shape[3]} channels but images have {images.shape[3]}; "
            "the last axis of both must match"
        )
    sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    _check_fits(kernels.shape[1:3], (images.shape[1] + 2 * ph, images.shape[2] + 2 * pw))
    if bias is not None:
        bias = _as_float_array(bias, "bias")
        if bias.shape != (kernels.shape[0],):
            raise ValueError(
                f"bias must have shape (C1,) = ({kernels.shape[0]},), got {bias.shape}"
            )
    return _correlate(images, kernels, bias, (sh, sw), (ph, pw))
    # END SOLUTION


def max_pool2d(
    x: ArrayLike,
    size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
) -> np.ndarray:
    """Max pooling over height and width, separately for each image and channel.

    Each output entry is the largest value in one size-shaped window. Windows start at the
    top-left corner and move `stride` pixels at a time; no padding is added, and windows that
    would stick out past the bottom or right edge are dropped.

    Args:
        x: shape (H, W) for one single-channel image, or (B, H, W, C) for a channels-last
            batch.
        size: the window size, an int or a (height, width) pair; each at least 1.
        stride: an int or a (vertical, horizontal) pair, each at least 1; None (the default)
            means stride = size, i.e. non-overlapping windows.

    Returns:
        A float array of shape (H1, W1) or (B, H1, W1, C) with H1 = floor((H - KH) / SH) + 1
        and W1 = floor((W - KW) / SW) + 1.

    Raises:
        ValueError: if x is not 2-D or 4-D, the window is larger than the image, size or
            stride is < 1, or size/stride is not an int or a pair.
    """
    # BEGIN SOLUTION
    return _pool(x, size, stride, "max")
    # END SOLUTION


def avg_pool2d(
    x: ArrayLike,
    size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
) -> np.ndarray:
    """Average pooling over height and width, separately for each image and channel.

    Like max_pool2d, but each output entry is the mean of the values in its window.

    Args:
        x: shape (H, W) for one single-channel image, or (B, H, W, C) for a channels-last
            batch.
        size: the window size, an int or a (height, width) pair; each at least 1.
        stride: an int or a (vertical, horizontal) pair, each at least 1; None (the default)
            means stride = size, i.e. non-overlapping windows.

    Returns:
        A float array of shape (H1, W1) or (B, H1, W1, C) with H1 = floor((H - KH) / SH) + 1
        and W1 = floor((W - KW) / SW) + 1.

    Raises:
        ValueError: if x is not 2-D or 4-D, the window is larger than the image, size or
            stride is < 1, or size/stride is not an int or a pair.
    """
    # BEGIN SOLUTION
    return _pool(x, size, stride, "mean")
    # END SOLUTION
