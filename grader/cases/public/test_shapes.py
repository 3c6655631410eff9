"""Public cases for shapes.py: Problem 1(b), the output size of a convolutional layer."""

import pytest

from solutions import shapes as ref

CEIL = "ceil was used instead of floor: a window that does not fit is not counted"


@pytest.mark.problem("1b")
def test_conv_output_size_tutorial(student, expect):
    """conv_output_size gives 54 for 224 pixels, an 11x11 kernel and stride 4"""
    got = student.shapes.conv_output_size(224, 11, 4)
    expect.integer(
        got,
        ref.conv_output_size(224, 11, 4),
        "conv_output_size(224, 11, 4)",
        misconceptions={CEIL: 55},
    )


@pytest.mark.problem("1b")
def test_conv_output_shape_tutorial(student, expect):
    """conv_output_shape gives 54x54x96 for the tutorial's first layer"""
    got = student.shapes.conv_output_shape((224, 224, 3), 96, 11, 4)
    expect.shape_tuple(
        got,
        ref.conv_output_shape((224, 224, 3), 96, 11, 4),
        "conv_output_shape((224, 224, 3), 96, 11, 4)",
        misconceptions={
            CEIL: (55, 55, 96),
            "the input channels were kept; each kernel gives one output channel": (54, 54, 3),
        },
    )


@pytest.mark.problem("1b")
def test_conv_num_parameters_tutorial(student, expect):
    """conv_num_parameters counts 34,944 weights and biases for the tutorial's first layer"""
    got = student.shapes.conv_num_parameters(3, 96, 11)
    expect.integer(
        got,
        ref.conv_num_parameters(3, 96, 11),
        "conv_num_parameters(3, 96, 11)",
        misconceptions={
            "the biases were left out (one per kernel)": 34_848,
            "the input channels were left out (each kernel is 11 x 11 x 3)": 11_712,
        },
    )
