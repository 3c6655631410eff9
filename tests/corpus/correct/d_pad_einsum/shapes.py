import operator


def _index(value, name):
    """Accept ints (also numpy ints) but not bools or floats."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an int, not a bool")
    try:
        return operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an int, got {value!r}") from None


def _pair(value, name):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must have 2 entries")
        return _index(value[0], name), _index(value[1], name)
    v = _index(value, name)
    return v, v


def conv_output_size(n, kernel_size, stride=1, padding=0):
    n, k = _index(n, "n"), _index(kernel_size, "kernel_size")
    s, p = _index(stride, "stride"), _index(padding, "padding")
    if n < 1 or k < 1 or s < 1 or p < 0:
        raise ValueError("need n >= 1, kernel_size >= 1, stride >= 1, padding >= 0")
    if k > n + 2 * p:
        raise ValueError("the kernel is larger than the padded input")
    return (n - k + 2 * p) // s + 1


def conv_output_shape(input_shape, num_kernels, kernel_size, stride=1, padding=0):
    try:
        dims = [_index(v, "input_shape") for v in input_shape]
    except TypeError:
        raise ValueError("input_shape must be a tuple of ints") from None
    if len(dims) not in (3, 4) or min(dims) < 1:
        raise ValueError("input_shape must be (H, W, C) or (B, H, W, C) with entries >= 1")
    c1 = _index(num_kernels, "num_kernels")
    if c1 < 1:
        raise ValueError("num_kernels must be >= 1")
    (kh, kw), (sh, sw), (ph, pw) = (
        _pair(kernel_size, "kernel_size"),
        _pair(stride, "stride"),
        _pair(padding, "padding"),
    )
    *batch, h, w, _ = dims
    return (*batch, conv_output_size(h, kh, sh, ph), conv_output_size(w, kw, sw, pw), c1)


def conv_num_parameters(in_channels, num_kernels, kernel_size, bias=True):
    c, c1 = _index(in_channels, "in_channels"), _index(num_kernels, "num_kernels")
    kh, kw = _pair(kernel_size, "kernel_size")
    if min(c, c1, kh, kw) < 1:
        raise ValueError("sizes must be >= 1")
    if not isinstance(bias, bool):
        raise ValueError("bias must be True or False")
    return c1 * (kh * kw * c) + (c1 if bias else 0)
