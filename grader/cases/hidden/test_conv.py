"""Hidden cases for conv.py: Problem 1(a) conv2d, Problem 1(c) conv_layer, and pooling."""

import numpy as np
import pytest

from solutions import conv as ref

FLIPPED = (
    "the kernel was flipped (a true convolution); deep-learning 'convolution' is "
    "cross-correlation: slide the kernel as it is"
)
ONE_SIDED = "the padding was added on one side only (it goes on all four sides)"
SWAPPED_PAIR = "the pair was read as (horizontal, vertical); it is (vertical, horizontal)"
TRUNCATED = (
    "the values were truncated to integers: the output array took the integer dtype of the "
    "input (create it with dtype=float)"
)


def _pad_one_side(x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """x (H, W) with zeros on the top and left only: the 'padding once' mistake."""
    return np.pad(x, ((padding[0], 0), (padding[1], 0)))


# ------------------------------------------------------------------------ Problem 1(a)


@pytest.mark.problem("1a")
def test_conv2d_does_not_flip_the_kernel(student, expect):
    """conv2d slides an asymmetric kernel without flipping it (cross-correlation)"""
    rng = np.random.default_rng(101)
    image = rng.standard_normal((6, 7))
    kernel = rng.standard_normal((3, 2))
    got = student.conv.conv2d(image, kernel)
    expect.array(
        got,
        ref.conv2d(image, kernel),
        "conv2d(image, kernel)",
        misconceptions={FLIPPED: ref.conv2d(image, kernel[::-1, ::-1])},
    )


@pytest.mark.problem("1a")
def test_conv2d_stride_pair(student, expect):
    """conv2d with a (vertical, horizontal) stride pair on a non-square image"""
    rng = np.random.default_rng(102)
    image = rng.standard_normal((9, 7))
    kernel = rng.standard_normal((3, 3))
    got = student.conv.conv2d(image, kernel, stride=(3, 2))
    expect.array(
        got,
        ref.conv2d(image, kernel, stride=(3, 2)),
        "conv2d(image, kernel, stride)",
        misconceptions={
            SWAPPED_PAIR: ref.conv2d(image, kernel, stride=(2, 3)),
            FLIPPED: ref.conv2d(image, kernel[::-1, ::-1], stride=(3, 2)),
        },
    )


@pytest.mark.problem("1a")
def test_conv2d_padding_pair(student, expect):
    """conv2d pads zeros on all four sides, with a (vertical, horizontal) padding pair"""
    rng = np.random.default_rng(103)
    image = rng.standard_normal((5, 6))
    kernel = rng.standard_normal((3, 3))
    got = student.conv.conv2d(image, kernel, padding=(2, 1))
    expect.array(
        got,
        ref.conv2d(image, kernel, padding=(2, 1)),
        "conv2d(image, kernel, padding)",
        misconceptions={
            ONE_SIDED: ref.conv2d(_pad_one_side(image, (2, 1)), kernel),
            SWAPPED_PAIR: ref.conv2d(image, kernel, padding=(1, 2)),
            FLIPPED: ref.conv2d(image, kernel[::-1, ::-1], padding=(2, 1)),
        },
    )


@pytest.mark.problem("1a")
def test_conv2d_integer_image(student, expect):
    """conv2d of an integer image with a fractional kernel returns exact floats"""
    image = np.arange(30).reshape(5, 6) % 7
    kernel = np.array([[0.5, -0.25], [0.75, 0.1]])
    expected = ref.conv2d(image, kernel)
    got = student.conv.conv2d(image, kernel)
    expect.array(
        got,
        expected,
        "conv2d(image, kernel)",
        misconceptions={
            TRUNCATED: np.trunc(expected),
            FLIPPED: ref.conv2d(image, kernel[::-1, ::-1]),
        },
    )


@pytest.mark.problem("1a")
def test_conv2d_kernel_fits_only_after_padding(student, expect):
    """conv2d accepts a kernel larger than the image when the padding makes room for it"""
    rng = np.random.default_rng(104)
    image = rng.standard_normal((2, 3))
    kernel = rng.standard_normal((4, 4))
    got = student.conv.conv2d(image, kernel, padding=1)
    expect.array(got, ref.conv2d(image, kernel, padding=1), "conv2d(image, kernel, padding)")


@pytest.mark.problem("1a")
@pytest.mark.parametrize(
    "image_shape, kernel_shape, options, reason",
    [
        pytest.param(
            (3, 3), (4, 2), {}, "for a kernel taller than the image", id="kernel-larger-than-image"
        ),
        pytest.param((4, 4), (2, 2), {"stride": 0}, "for a stride of 0", id="stride-0"),
        pytest.param((4, 4, 3), (2, 2), {}, "for a 3-D image", id="3-d-image"),
    ],
)
def test_conv2d_rejects_invalid_arguments(
    student, expect, image_shape, kernel_shape, options, reason
):
    """conv2d computes a valid call, and raises ValueError for invalid arguments"""
    # Refusing everything must not pay: the same case needs a right answer first.
    rng = np.random.default_rng(105)
    image, kernel = rng.standard_normal((4, 5)), rng.standard_normal((2, 3))
    got = student.conv.conv2d(image, kernel)
    expect.array(
        got,
        ref.conv2d(image, kernel),
        "conv2d(image, kernel)",
        misconceptions={FLIPPED: ref.conv2d(image, kernel[::-1, ::-1])},
    )
    expect.raises(
        ValueError,
        lambda: student.conv.conv2d(np.ones(image_shape), np.ones(kernel_shape), **options),
        "conv2d(image, kernel" + "".join(f", {key}" for key in options) + ")",
        reason=reason,
    )


# ------------------------------------------------------------------------ Problem 1(c)


@pytest.mark.problem("1c")
def test_conv_layer_adds_bias(student, expect):
    """conv_layer adds one bias per kernel to its output channel"""
    rng = np.random.default_rng(111)
    images = rng.standard_normal((3, 6, 5, 2))
    kernels = rng.standard_normal((4, 3, 3, 2))
    bias = np.array([0.5, -1.0, 2.0, 0.25])
    got = student.conv.conv_layer(images, kernels, bias)
    expect.array(
        got,
        ref.conv_layer(images, kernels, bias),
        "conv_layer(images, kernels, bias)",
        misconceptions={
            "the bias was ignored": ref.conv_layer(images, kernels),
            FLIPPED: ref.conv_layer(images, kernels[:, ::-1, ::-1], bias),
        },
    )


@pytest.mark.problem("1c")
def test_conv_layer_is_channels_last(student, expect):
    """conv_layer returns (B, H1, W1, C1), channels last, summing over input channels"""
    rng = np.random.default_rng(112)
    images = rng.standard_normal((2, 7, 6, 3))
    kernels = rng.standard_normal((5, 2, 3, 3))
    expected = ref.conv_layer(images, kernels)
    got = student.conv.conv_layer(images, kernels)
    expect.array(
        got,
        expected,
        "conv_layer(images, kernels)",
        misconceptions={
            "the output is channels-first (B, C1, H1, W1); it should be channels-last "
            "(B, H1, W1, C1)": np.moveaxis(expected, 3, 1),
            FLIPPED: ref.conv_layer(images, kernels[:, ::-1, ::-1]),
        },
    )


@pytest.mark.problem("1c")
def test_conv_layer_stride_and_padding_pairs(student, expect):
    """conv_layer with stride and padding pairs and a non-square kernel"""
    rng = np.random.default_rng(113)
    images = rng.standard_normal((2, 8, 8, 2))
    kernels = rng.standard_normal((3, 3, 2, 2))
    bias = rng.standard_normal(3)
    # The last windows reach the bottom and right padding, so one-sided padding shows.
    options = {"stride": (1, 2), "padding": (1, 2)}
    one_sided = np.pad(images, ((0, 0), (1, 0), (2, 0), (0, 0)))
    got = student.conv.conv_layer(images, kernels, bias, **options)
    expect.array(
        got,
        ref.conv_layer(images, kernels, bias, **options),
        "conv_layer(images, kernels, bias, stride, padding)",
        misconceptions={
            SWAPPED_PAIR: ref.conv_layer(images, kernels, bias, stride=(2, 1), padding=(2, 1)),
            ONE_SIDED: ref.conv_layer(one_sided, kernels, bias, stride=(1, 2)),
            FLIPPED: ref.conv_layer(images, kernels[:, ::-1, ::-1], bias, **options),
        },
    )


@pytest.mark.problem("1c")
def test_conv_layer_rejects_channel_mismatch(student, expect):
    """conv_layer computes a valid call, and raises ValueError for mismatched channel counts"""
    rng = np.random.default_rng(114)
    images, kernels = rng.standard_normal((2, 5, 5, 3)), rng.standard_normal((4, 3, 3, 3))
    got = student.conv.conv_layer(images, kernels)
    expect.array(
        got,
        ref.conv_layer(images, kernels),
        "conv_layer(images, kernels)",
        misconceptions={FLIPPED: ref.conv_layer(images, kernels[:, ::-1, ::-1])},
    )
    expect.raises(
        ValueError,
        lambda: student.conv.conv_layer(images, kernels[..., :2]),
        "conv_layer(images, kernels)",
        reason="when the kernels have fewer channels than the images",
    )


# ---------------------------------------------------------------------------- pooling


@pytest.mark.problem("pool")
def test_max_pool2d_drops_windows_that_do_not_fit(student, expect):
    """max_pool2d on a 5x7 image with 2x2 windows drops the partial last row and column"""
    rng = np.random.default_rng(121)
    x = rng.standard_normal((5, 7))
    # Keeping the partial windows is what ceil mode (padding with -inf) would give.
    partial = ref.max_pool2d(np.pad(x, ((0, 1), (0, 1)), constant_values=-np.inf), 2)
    got = student.conv.max_pool2d(x, 2)
    expect.array(
        got,
        ref.max_pool2d(x, 2),
        "max_pool2d(x, size)",
        misconceptions={
            "the windows that do not fit were kept; they are dropped (no padding)": partial,
            "stride 1 was used; when stride is None it defaults to the window size": (
                ref.max_pool2d(x, 2, 1)
            ),
        },
    )


@pytest.mark.problem("pool")
def test_max_pool2d_batch_per_channel(student, expect):
    """max_pool2d pools a (B, H, W, C) batch over height and width, per image and channel"""
    rng = np.random.default_rng(122)
    x = rng.standard_normal((2, 6, 4, 3))
    got = student.conv.max_pool2d(x, (3, 2))
    expect.array(got, ref.max_pool2d(x, (3, 2)), "max_pool2d(x, size)")


@pytest.mark.problem("pool")
def test_avg_pool2d_overlapping_stride_pair(student, expect):
    """avg_pool2d with a non-square window and a stride pair (overlapping windows)"""
    rng = np.random.default_rng(123)
    x = rng.standard_normal((7, 8))
    got = student.conv.avg_pool2d(x, (2, 3), stride=(1, 2))
    expect.array(
        got,
        ref.avg_pool2d(x, (2, 3), stride=(1, 2)),
        "avg_pool2d(x, size, stride)",
        misconceptions={SWAPPED_PAIR: ref.avg_pool2d(x, (2, 3), stride=(2, 1))},
    )


@pytest.mark.problem("pool")
def test_avg_pool2d_integer_batch(student, expect):
    """avg_pool2d of an integer (B, H, W, C) batch returns exact float averages"""
    x = (np.arange(2 * 4 * 6 * 2).reshape(2, 4, 6, 2) * 7) % 5
    expected = ref.avg_pool2d(x, 2)
    got = student.conv.avg_pool2d(x, 2)
    expect.array(
        got, expected, "avg_pool2d(x, size)", misconceptions={TRUNCATED: np.trunc(expected)}
    )


@pytest.mark.problem("1c")
def test_conv_layer_integer_batch(student, expect):
    """conv_layer of integer images, kernels and bias returns floats"""
    rng = np.random.default_rng(115)
    images = rng.integers(0, 256, (2, 5, 4, 3))
    kernels = rng.integers(-2, 3, (3, 2, 2, 3))
    bias = np.array([1, -2, 0])
    got = student.conv.conv_layer(images, kernels, bias)
    expected = ref.conv_layer(images, kernels, bias)
    expect.array(
        got,
        expected,
        "conv_layer(images, kernels, bias)",
        misconceptions={
            "the output is channels-first (B, C1, H1, W1); it should be channels-last "
            "(B, H1, W1, C1)": np.moveaxis(expected, 3, 1),
            FLIPPED: ref.conv_layer(images, kernels[:, ::-1, ::-1], bias),
        },
    )


@pytest.mark.problem("pool")
def test_max_pool2d_integer_image(student, expect):
    """max_pool2d of an integer image returns floats"""
    x = (np.arange(6 * 8).reshape(6, 8) * 5) % 11
    got = student.conv.max_pool2d(x, (2, 4))
    expect.array(got, ref.max_pool2d(x, (2, 4)), "max_pool2d(x, size)")
