"""Hidden cases for shapes.py: Problem 1(b), the output size of a convolutional layer."""

import math

import pytest

from solutions import shapes as ref

CEIL = "ceil was used instead of floor: a window that does not fit is not counted"
ONE_SIDED = "the padding was counted once; it is added on both sides (2P)"
SWAPPED_PAIR = "a pair was read as (horizontal, vertical); it is (vertical, horizontal)"


@pytest.mark.problem("1b")
@pytest.mark.parametrize(
    "n, kernel_size, stride, padding",
    [
        pytest.param(10, 3, 2, 0, id="floor"),
        pytest.param(8, 3, 1, 2, id="padding"),
    ],
)
def test_conv_output_size_floor_and_padding(student, expect, n, kernel_size, stride, padding):
    """conv_output_size floors (N - K + 2P) / S and adds 1"""
    got = student.shapes.conv_output_size(n, kernel_size, stride, padding)
    expect.integer(
        got,
        ref.conv_output_size(n, kernel_size, stride, padding),
        "conv_output_size(n, kernel_size, stride, padding)",
        misconceptions={
            CEIL: math.ceil((n - kernel_size + 2 * padding) / stride) + 1,
            ONE_SIDED: (n - kernel_size + padding) // stride + 1,
        },
    )


@pytest.mark.problem("1b")
@pytest.mark.parametrize(
    "args, reason",
    [
        pytest.param((8, 3, 0, 0), "for a stride of 0", id="stride-0"),
        pytest.param((8, 3, 1, -1), "for a negative padding", id="negative-padding"),
        pytest.param(
            (4, 7, 1, 1),
            "for a kernel larger than the padded input",
            id="kernel-larger-than-padded-input",
        ),
    ],
)
def test_conv_output_size_rejects_invalid_arguments(student, expect, args, reason):
    """conv_output_size computes a valid call, and raises ValueError for invalid arguments"""
    # Refusing everything must not pay: the same case needs a right answer first.
    got = student.shapes.conv_output_size(12, 3, 2, 2)
    expect.integer(
        got,
        ref.conv_output_size(12, 3, 2, 2),
        "conv_output_size(n, kernel_size, stride, padding)",
        misconceptions={CEIL: math.ceil((12 - 3 + 4) / 2) + 1, ONE_SIDED: (12 - 3 + 2) // 2 + 1},
    )
    expect.raises(
        ValueError,
        lambda: student.shapes.conv_output_size(*args),
        "conv_output_size(n, kernel_size, stride, padding)",
        reason=reason,
    )


@pytest.mark.problem("1b")
def test_conv_output_shape_batch(student, expect):
    """conv_output_shape keeps the batch axis of a (B, H, W, C) input"""
    got = student.shapes.conv_output_shape((16, 32, 32, 3), 8, 5, 1, 2)
    expect.shape_tuple(
        got,
        ref.conv_output_shape((16, 32, 32, 3), 8, 5, 1, 2),
        "conv_output_shape(input_shape, num_kernels, kernel_size, stride, padding)",
        misconceptions={
            "the batch axis was dropped": (32, 32, 8),
            "the output is channels-first (B, C1, H1, W1); it should be channels-last": (
                16,
                8,
                32,
                32,
            ),
        },
    )


@pytest.mark.problem("1b")
def test_conv_output_shape_pairs(student, expect):
    """conv_output_shape with kernel, stride and padding pairs on a non-square input"""
    args = ((30, 41, 3), 10, (3, 5), (2, 3), (1, 0))
    ceil = (math.ceil((30 - 3 + 2) / 2) + 1, math.ceil((41 - 5) / 3) + 1, 10)
    got = student.shapes.conv_output_shape(*args)
    expect.shape_tuple(
        got,
        ref.conv_output_shape(*args),
        "conv_output_shape(input_shape, num_kernels, kernel_size, stride, padding)",
        misconceptions={
            SWAPPED_PAIR: ref.conv_output_shape((30, 41, 3), 10, (5, 3), (3, 2), (0, 1)),
            CEIL: ceil,
        },
    )


@pytest.mark.problem("1b")
def test_conv_output_shape_rejects_a_2d_shape(student, expect):
    """conv_output_shape computes a valid call, and raises ValueError for an (H, W) shape"""
    got = student.shapes.conv_output_shape((32, 32, 3), 4, 3)
    expect.shape_tuple(
        got,
        ref.conv_output_shape((32, 32, 3), 4, 3),
        "conv_output_shape(input_shape, num_kernels, kernel_size)",
    )
    expect.raises(
        ValueError,
        lambda: student.shapes.conv_output_shape((32, 32), 4, 3),
        "conv_output_shape(input_shape, num_kernels, kernel_size)",
        reason="for an (H, W) shape without channels",
    )


@pytest.mark.problem("1b")
def test_conv_num_parameters_without_bias(student, expect):
    """conv_num_parameters with bias=False and a non-square kernel"""
    got = student.shapes.conv_num_parameters(16, 32, (3, 5), bias=False)
    expect.integer(
        got,
        ref.conv_num_parameters(16, 32, (3, 5), bias=False),
        "conv_num_parameters(in_channels, num_kernels, kernel_size, bias=False)",
        misconceptions={
            "the biases were counted although bias=False": 16 * 32 * 15 + 32,
            "the input channels were left out (each kernel spans every input channel)": 32 * 15,
        },
    )


@pytest.mark.problem("1b")
def test_conv_num_parameters_with_bias(student, expect):
    """conv_num_parameters counts one bias per kernel"""
    got = student.shapes.conv_num_parameters(8, 4, (2, 3))
    expect.integer(
        got,
        ref.conv_num_parameters(8, 4, (2, 3)),
        "conv_num_parameters(in_channels, num_kernels, kernel_size)",
        misconceptions={
            "the biases were left out (one per kernel)": 8 * 4 * 6,
            "one bias per input channel was counted; there is one per kernel": 8 * 4 * 6 + 8,
        },
    )
