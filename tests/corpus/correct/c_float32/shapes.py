from numbers import Integral


def _int(v, lo, what):
    if isinstance(v, bool) or not isinstance(v, Integral):
        raise ValueError(f"{what}: expected an int, got {type(v).__name__}")
    if v < lo:
        raise ValueError(f"{what}: must be >= {lo}")
    return int(v)


def _hw(v, lo, what):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{what}: a pair needs exactly 2 entries")
        return _int(v[0], lo, what), _int(v[1], lo, what)
    v = _int(v, lo, what)
    return v, v


def conv_output_size(n, kernel_size, stride=1, padding=0):
    n = _int(n, 1, "n")
    k = _int(kernel_size, 1, "kernel_size")
    s = _int(stride, 1, "stride")
    p = _int(padding, 0, "padding")
    if k > n + 2 * p:
        raise ValueError("kernel_size > n + 2 * padding")
    return (n + 2 * p - k) // s + 1


def conv_output_shape(input_shape, num_kernels, kernel_size, stride=1, padding=0):
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else None
    if shape is None or len(shape) not in (3, 4):
        raise ValueError("input_shape needs 3 or 4 entries")
    dims = [_int(v, 1, "input_shape") for v in shape]
    c1 = _int(num_kernels, 1, "num_kernels")
    (kh, kw), (sh, sw), (ph, pw) = (
        _hw(kernel_size, 1, "kernel_size"), _hw(stride, 1, "stride"), _hw(padding, 0, "padding")
    )
    h1 = conv_output_size(dims[-3], kh, sh, ph)
    w1 = conv_output_size(dims[-2], kw, sw, pw)
    return tuple(dims[:-3]) + (h1, w1, c1)


def conv_num_parameters(in_channels, num_kernels, kernel_size, bias=True):
    c = _int(in_channels, 1, "in_channels")
    c1 = _int(num_kernels, 1, "num_kernels")
    kh, kw = _hw(kernel_size, 1, "kernel_size")
    if type(bias) is not bool:
        raise ValueError("bias must be a bool")
    return c1 * (kh * kw * c + int(bias))
