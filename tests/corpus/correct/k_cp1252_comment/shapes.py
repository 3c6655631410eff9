"""Problem 1(b) - output sizes."""
import math


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _two(v, what):
    """int -> (v, v); pair -> tuple; else ValueError"""
    if _is_int(v):
        return v, v
    if isinstance(v, (tuple, list)) and len(v) == 2 and _is_int(v[0]) and _is_int(v[1]):
        return v[0], v[1]
    raise ValueError(what + " should be an int or a (vertical, horizontal) pair")


def conv_output_size(n, kernel_size, stride=1, padding=0):
    if not (_is_int(n) and _is_int(kernel_size) and _is_int(stride) and _is_int(padding)):
        raise ValueError("all arguments must be ints")
    if n < 1 or kernel_size < 1 or stride < 1 or padding < 0:
        raise ValueError("argument out of range")
    padded = n + 2 * padding
    if kernel_size > padded:
        raise ValueError("kernel does not fit in the padded input")
    return math.floor((padded - kernel_size) / stride) + 1


def conv_output_shape(input_shape, num_kernels, kernel_size, stride=1, padding=0):
    if not isinstance(input_shape, (tuple, list)):
        raise ValueError("input_shape must be a tuple")
    if len(input_shape) == 3:
        batch = None
        H, W, C = input_shape
    elif len(input_shape) == 4:
        batch, H, W, C = input_shape
    else:
        raise ValueError("input_shape must have 3 or 4 entries")
    for v in input_shape:
        if not _is_int(v) or v < 1:
            raise ValueError("every entry of input_shape must be an int >= 1")
    if not _is_int(num_kernels) or num_kernels < 1:
        raise ValueError("num_kernels must be an int >= 1")
    KH, KW = _two(kernel_size, "kernel_size")
    SH, SW = _two(stride, "stride")
    PH, PW = _two(padding, "padding")
    H1 = conv_output_size(H, KH, SH, PH)
    W1 = conv_output_size(W, KW, SW, PW)
    if batch is None:
        return (H1, W1, num_kernels)
    return (batch, H1, W1, num_kernels)


def conv_num_parameters(in_channels, num_kernels, kernel_size, bias=True):
    if not _is_int(in_channels) or in_channels < 1:
        raise ValueError("in_channels must be an int >= 1")
    if not _is_int(num_kernels) or num_kernels < 1:
        raise ValueError("num_kernels must be an int >= 1")
    KH, KW = _two(kernel_size, "kernel_size")
    if KH < 1 or KW < 1:
        raise ValueError("kernel_size must be >= 1")
    if bias is not True and bias is not False:
        raise ValueError("bias must be a bool")
    weights = num_kernels * KH * KW * in_channels
    if bias:
        return weights + num_kernels
    return weights
