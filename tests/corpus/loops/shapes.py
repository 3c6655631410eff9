"""Output sizes counted by sliding the window one step at a time, with a while loop."""


def _whole(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, int):
        if type(value).__name__.startswith(("int", "uint")) and hasattr(value, "dtype"):
            value = int(value)
        else:
            raise ValueError(f"{name} must be an int")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}")
    return value


def _pair(value, name, minimum):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair")
        return _whole(value[0], name, minimum), _whole(value[1], name, minimum)
    value = _whole(value, name, minimum)
    return value, value


def _count(n, k, s, p):
    if k > n + 2 * p:
        raise ValueError("the kernel is larger than the padded input")
    count, start = 0, 0
    while start + k <= n + 2 * p:
        count += 1
        start += s
    return count


def conv_output_size(n, kernel_size, stride=1, padding=0):
    n = _whole(n, "n", 1)
    k = _whole(kernel_size, "kernel_size", 1)
    s = _whole(stride, "stride", 1)
    p = _whole(padding, "padding", 0)
    return _count(n, k, s, p)


def conv_output_shape(input_shape, num_kernels, kernel_size, stride=1, padding=0):
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) not in (3, 4):
        raise ValueError("input_shape must have 3 or 4 entries")
    dims = [_whole(d, "input_shape", 1) for d in input_shape]
    c1 = _whole(num_kernels, "num_kernels", 1)
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    h1 = _count(dims[-3], kh, sh, ph)
    w1 = _count(dims[-2], kw, sw, pw)
    return tuple(dims[:-3]) + (h1, w1, c1)


def conv_num_parameters(in_channels, num_kernels, kernel_size, bias=True):
    c = _whole(in_channels, "in_channels", 1)
    c1 = _whole(num_kernels, "num_kernels", 1)
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    if not isinstance(bias, bool):
        raise ValueError("bias must be True or False")
    total = 0
    for _ in range(c1):
        total += kh * kw * c + (1 if bias else 0)
    return total
