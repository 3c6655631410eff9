"""Convolution and pooling (Tutorial 9, Problems 1(a) and 1(c), and the pooling exercise).

Deep-learning "convolution" is cross-correlation: the kernel is slid over the image as it is,
without flipping it. Images are channels-last: one image is (H, W, C), a batch is (B, H, W, C).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


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
    raise NotImplementedError("Problem 1a: implement conv2d in conv.py")


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
    raise NotImplementedError("Problem 1c: implement conv_layer in conv.py")


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
    raise NotImplementedError("Problem pool: implement max_pool2d in conv.py")


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
    raise NotImplementedError("Problem pool: implement avg_pool2d in conv.py")
