"""Output sizes and parameter counts of convolutional layers (Tutorial 9, Problems 1(b), 1(c)).

Sizes follow the tutorial's formula: an input of size N, a kernel of size K, stride S and
padding P give an output of size floor((N - K + 2P) / S) + 1.
"""

from __future__ import annotations


# BEGIN SOLUTION
def _is_int(value: object) -> bool:
    """True for int and NumPy integer scalars, but not for bool (nor NumPy's bool)."""
    if isinstance(value, bool):
        return False
    # NumPy integers are recognised by their dtype, so this module needs no imports.
    dtype = getattr(value, "dtype", None)
    return isinstance(value, int) or (
        getattr(dtype, "kind", "") in ("i", "u") and getattr(value, "ndim", None) == 0
    )


def _int(value: object, name: str, minimum: int) -> int:
    """`value` as an int, checking it is a whole number of at least `minimum`."""
    if not _is_int(value):
        raise ValueError(f"{name} must be a whole number (int), got {value!r}")
    number = int(value)
    if number < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {number}")
    return number


def _pair(value: object, name: str, minimum: int) -> tuple[int, int]:
    """An int or a (vertical, horizontal) pair as a pair of ints, each at least `minimum`."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(
                f"{name} must be an int or a (vertical, horizontal) pair, got {value!r}"
            )
        return _int(value[0], name, minimum), _int(value[1], name, minimum)
    number = _int(value, name, minimum)
    return number, number


def _size(n: int, k: int, s: int, p: int, axis: str) -> int:
    if k > n + 2 * p:
        raise ValueError(
            f"kernel_size {k} is larger than the padded input{axis} "
            f"(n + 2 * padding = {n + 2 * p}); use a smaller kernel or more padding"
        )
    return (n - k + 2 * p) // s + 1


# END SOLUTION
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
    # BEGIN SOLUTION
    n = _int(n, "n", 1)
    k = _int(kernel_size, "kernel_size", 1)
    s = _int(stride, "stride", 1)
    p = _int(padding, "padding", 0)
    return _size(n, k, s, p, "")
    # END SOLUTION


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
    # BEGIN SOLUTION
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) not in (3, 4):
        raise ValueError(
            "input_shape must be (H, W, C) for one image or (B, H, W, C) for a batch, "
            f"got {input_shape!r}"
        )
    dims = [_int(d, "each entry of input_shape", 1) for d in input_shape]
    c1 = _int(num_kernels, "num_kernels", 1)
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    height, width = dims[-3], dims[-2]
    h1 = _size(height, kh, sh, ph, " height")
    w1 = _size(width, kw, sw, pw, " width")
    return (*dims[:-3], h1, w1, c1)
    # END SOLUTION


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
    # BEGIN SOLUTION
    c = _int(in_channels, "in_channels", 1)
    c1 = _int(num_kernels, "num_kernels", 1)
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    if not isinstance(bias, bool) and getattr(getattr(bias, "dtype", None), "kind", "") != "b":
        raise ValueError(f"bias must be True or False, got {bias!r}")
    return c1 * kh * kw * c + (c1 if bias else 0)
    # END SOLUTION
