def _ok(v):
    return type(v) is int


def conv_output_size(n, kernel_size, stride=1, padding=0):
    if not (_ok(n) and _ok(kernel_size) and _ok(stride) and _ok(padding)):
        raise ValueError("all arguments must be ints")
    if n < 1 or kernel_size < 1 or stride < 1 or padding < 0 or kernel_size > n + 2 * padding:
        raise ValueError("invalid sizes")
    return (n - kernel_size + 2 * padding) // stride + 1


def _split(v):
    if _ok(v):
        return v, v
    if isinstance(v, tuple) and len(v) == 2:
        return v
    raise ValueError("expected an int or a pair")


def conv_output_shape(input_shape, num_kernels, kernel_size, stride=1, padding=0):
    if not isinstance(input_shape, tuple) or len(input_shape) not in (3, 4):
        raise ValueError("input_shape must have 3 or 4 entries")
    if not all(_ok(v) and v >= 1 for v in input_shape) or not _ok(num_kernels) or num_kernels < 1:
        raise ValueError("sizes must be ints >= 1")
    (kh, kw), (sh, sw), (ph, pw) = _split(kernel_size), _split(stride), _split(padding)
    h1 = conv_output_size(input_shape[-3], kh, sh, ph)
    w1 = conv_output_size(input_shape[-2], kw, sw, pw)
    return input_shape[:-3] + (h1, w1, num_kernels)


def conv_num_parameters(in_channels, num_kernels, kernel_size, bias=True):
    kh, kw = _split(kernel_size)
    if not all(_ok(v) and v >= 1 for v in (in_channels, num_kernels, kh, kw)):
        raise ValueError("sizes must be ints >= 1")
    if not isinstance(bias, bool):
        raise ValueError("bias must be a bool")
    return num_kernels * (kh * kw * in_channels + bias)
