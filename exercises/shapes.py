"""Output sizes and parameter counts of convolutional layers (Tutorial 9, Problems 1(b), 1(c)).

Sizes follow the tutorial's formula: an input of size N, a kernel of size K, stride S and
padding P give an output of size floor((N - K + 2P) / S) + 1.
"""

from __future__ import annotations


def conv_output_size(n: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Output size along one axis of a convolution (or pooling) layer.

    Args:
        n: the input size N along the axis (height or width), at least 1.
        kernel_size: the kernel size K along the axis, at least 1.
        stride: the stride S, at least 1.
        padding: the zeros P added on each side, at least 0.

    Returns:
        floor((N - K + 2P) / S) + 1, e.g. conv_output_size(224, 11, 4) == 54.

    Raises:
        ValueError: if an argument is not an int (bool is not accepted), n < 1,
            kernel_size < 1, stride < 1, padding < 0, or the kernel is larger than the padded
            input (kernel_size > n + 2 * padding).
    """
    raise NotImplementedError("Problem 1b: implement conv_output_size in shapes.py")


def conv_output_shape(
    input_shape: tuple[int, ...],
    num_kernels: int,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> tuple[int, ...]:
    """Output shape of a channels-last convolutional layer with `num_kernels` kernels.

    Each kernel spans all input channels and produces one output channel, so the output has
    num_kernels channels whatever the number of input channels.

    Args:
        input_shape: (H, W, C) for one image, or (B, H, W, C) for a batch of B images; every
            entry at least 1.
        num_kernels: the number of kernels C1, at least 1.
        kernel_size: an int, or a (height, width) pair.
        stride: an int, or a (vertical, horizontal) pair.
        padding: an int, or a (vertical, horizontal) pair of zeros added on each side.

    Returns:
        (H1, W1, C1) for a 3-entry input_shape, (B, H1, W1, C1) for a 4-entry one, as a tuple
        of ints; e.g. conv_output_shape((224, 224, 3), 96, 11, 4) == (54, 54, 96).

    Raises:
        ValueError: if input_shape does not have 3 or 4 entries, any size is not an int or is
            out of range (as in conv_output_size), a pair does not have 2 entries, or the
            kernel is larger than the padded input.
    """
    raise NotImplementedError("Problem 1b: implement conv_output_shape in shapes.py")


def conv_num_parameters(
    in_channels: int, num_kernels: int, kernel_size: int | tuple[int, int], bias: bool = True
) -> int:
    """Number of learnable parameters (weights, plus biases) of a convolutional layer.

    Each of the num_kernels kernels has KH * KW * in_channels weights and, when bias is True,
    one bias.

    Args:
        in_channels: the number of input channels C, at least 1.
        num_kernels: the number of kernels C1, at least 1.
        kernel_size: an int, or a (height, width) pair; each at least 1.
        bias: whether each kernel has a bias.

    Returns:
        The parameter count; for Problem 1(b)'s layer (3 channels, 96 kernels 11 x 11) it is
        34,944.

    Raises:
        ValueError: if a size is not an int or is < 1, kernel_size is not an int or a pair,
            or bias is not a bool.
    """
    raise NotImplementedError("Problem 1b: implement conv_num_parameters in shapes.py")
