"""shapes.py: output sizes (problem 1b). Also used by conv.py."""


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def to_pair(v, name="value"):
    """int or (a, b) -> (a, b); raises ValueError otherwise."""
    if is_int(v):
        return (v, v)
    if isinstance(v, (list, tuple)) and len(v) == 2 and is_int(v[0]) and is_int(v[1]):
        return (v[0], v[1])
    raise ValueError(f"{name} must be an int or a pair of ints")


def conv_output_size(n, kernel_size, stride=1, padding=0):
    if not all(is_int(v) for v in (n, kernel_size, stride, padding)):
        raise ValueError("conv_output_size takes ints")
    if n < 1 or kernel_size < 1 or stride < 1 or padding < 0:
        raise ValueError("conv_output_size: argument out of range")
    if kernel_size > n + 2 * padding:
        raise ValueError("conv_output_size: kernel larger than the padded input")
    return (n - kernel_size + 2 * padding) // stride + 1


def conv_output_shape(input_shape, num_kernels, kernel_size, stride=1, padding=0):
    if not isinstance(input_shape, (list, tuple)) or len(input_shape) not in (3, 4):
        raise ValueError("input_shape must have 3 or 4 entries")
    if not all(is_int(v) and v >= 1 for v in input_shape):
        raise ValueError("input_shape entries must be ints >= 1")
    if not is_int(num_kernels) or num_kernels < 1:
        raise ValueError("num_kernels must be an int >= 1")
    kh, kw = to_pair(kernel_size, "kernel_size")
    sh, sw = to_pair(stride, "stride")
    ph, pw = to_pair(padding, "padding")
    h1 = conv_output_size(input_shape[-3], kh, sh, ph)
    w1 = conv_output_size(input_shape[-2], kw, sw, pw)
    return tuple(input_shape[:-3]) + (h1, w1, num_kernels)


def conv_num_parameters(in_channels, num_kernels, kernel_size, bias=True):
    if not is_int(in_channels) or not is_int(num_kernels) or in_channels < 1 or num_kernels < 1:
        raise ValueError("in_channels and num_kernels must be ints >= 1")
    kh, kw = to_pair(kernel_size, "kernel_size")
    if kh < 1 or kw < 1:
        raise ValueError("kernel_size must be >= 1")
    if not isinstance(bias, bool):
        raise ValueError("bias must be a bool")
    return num_kernels * (kh * kw * in_channels + (1 if bias else 0))
