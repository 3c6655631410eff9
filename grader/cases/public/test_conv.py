"""Public cases for conv.py: Problem 1(a) conv2d, Problem 1(c) conv_layer, and pooling."""

import functools

import numpy as np
import pytest

from solutions import conv as ref

# Problem 1(a): the image x, the filter W and the feature map of the tutorial's solution.
IMAGE = np.array(
    [
        [0.5, 0.2, 0.1, 0.7],
        [0.1, 0.6, 0.9, 0.5],
        [0.0, 0.8, 0.2, 0.7],
        [0.2, 0.4, 0.0, 0.4],
    ]
)
KERNEL = np.array([[0.1, 0.2, 0.6], [0.4, 0.3, 0.5], [0.9, 0.8, 0.7]])
FEATURE_MAP = np.array([[1.60, 2.59], [1.51, 1.91]])

FLIPPED = (
    "the kernel was flipped (a true convolution); deep-learning 'convolution' is "
    "cross-correlation: slide the kernel as it is"
)


@pytest.mark.problem("1a")
def test_conv2d_tutorial_feature_map(student, expect):
    """conv2d reproduces the tutorial's 1(a) feature map [[1.60, 2.59], [1.51, 1.91]]"""
    got = student.conv.conv2d(IMAGE, KERNEL)
    expect.array(
        got,
        FEATURE_MAP,
        "conv2d(image, kernel)",
        inputs={"image": IMAGE, "kernel": KERNEL},
        misconceptions={FLIPPED: ref.conv2d(IMAGE, KERNEL[::-1, ::-1])},
    )


@pytest.mark.problem("1a")
def test_conv2d_stride_and_padding(student, expect):
    """conv2d with stride 2 and padding 1 on a 5x5 image gives a 3x3 map"""
    image = np.arange(25.0).reshape(5, 5) / 10
    kernel = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    got = student.conv.conv2d(image, kernel, stride=2, padding=1)
    expect.array(
        got,
        ref.conv2d(image, kernel, stride=2, padding=1),
        "conv2d(image, kernel, stride=2, padding=1)",
        inputs={"image": image, "kernel": kernel},
        misconceptions={
            FLIPPED: ref.conv2d(image, kernel[::-1, ::-1], stride=2, padding=1),
            "the padding was added on one side only (it goes on all four sides)": ref.conv2d(
                np.pad(image, ((1, 0), (1, 0))), kernel, stride=2
            ),
        },
    )


@functools.cache
def _tutorial_batch() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 1(c) batch, its expected output and its flipped-kernel output, computed once per
    process (a batch of submissions reuses them: the biggest reference work of the cases)."""
    # Whole-number pixels and weights: exact results, which also keep the student bundle's
    # recorded answers small (they compress well). One image shows the (B, 54, 54, 96) shape
    # as well as two, and a loop over every output pixel stays well inside the time limit.
    rng = np.random.default_rng(1109)
    images = rng.integers(0, 4, (1, 224, 224, 3)).astype(float)
    kernels = rng.integers(-1, 2, (96, 11, 11, 3)).astype(float)
    expected = ref.conv_layer(images, kernels, stride=4)
    flipped = ref.conv_layer(images, kernels[:, ::-1, ::-1], stride=4)
    for array in (images, kernels, expected, flipped):
        array.flags.writeable = False  # shared between runs: nothing may change them
    return images, kernels, expected, flipped


@pytest.mark.problem("1c")
def test_conv_layer_tutorial_batch(student, expect):
    """conv_layer maps one 224x224x3 image through 96 11x11 kernels, stride 4, to 1x54x54x96"""
    images, kernels, expected, flipped = _tutorial_batch()
    got = student.conv.conv_layer(images, kernels, stride=4)
    expect.array(
        got,
        expected,
        "conv_layer(images, kernels, stride=4)",
        inputs={"images": images, "kernels": kernels},
        misconceptions={
            "the output is channels-first (B, C1, H1, W1); the tutorial's layout is channels-last "
            "(B, H1, W1, C1)": np.moveaxis(expected, 3, 1),
            FLIPPED: flipped,
        },
    )


@pytest.mark.problem("pool")
def test_max_pool2d_two_by_two(student, expect):
    """max_pool2d with 2x2 windows halves a 4x4 image"""
    x = np.array(
        [
            [1.0, 3.0, 2.0, 0.0],
            [4.0, 2.0, 1.0, 5.0],
            [0.0, 1.0, 7.0, 2.0],
            [6.0, 2.0, 3.0, 1.0],
        ]
    )
    got = student.conv.max_pool2d(x, 2)
    expect.array(got, ref.max_pool2d(x, 2), "max_pool2d(x, 2)", inputs={"x": x})


@pytest.mark.problem("pool")
def test_avg_pool2d_two_by_two(student, expect):
    """avg_pool2d with 2x2 windows averages each block of a 4x4 image"""
    x = np.array(
        [
            [1.0, 3.0, 2.0, 0.0],
            [4.0, 2.0, 1.0, 5.0],
            [0.0, 1.0, 7.0, 2.0],
            [6.0, 2.0, 3.0, 1.0],
        ]
    )
    got = student.conv.avg_pool2d(x, 2)
    expect.array(
        got,
        ref.avg_pool2d(x, 2),
        "avg_pool2d(x, 2)",
        inputs={"x": x},
        misconceptions={
            "stride 1 was used; when stride is None it defaults to the window size": (
                ref.avg_pool2d(x, 2, 1)
            ),
        },
    )
