def _positive_int(v, minimum=1):
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise ValueError("expected an int >= %d, got %r" % (minimum, v))
    return v


def _hw(v, minimum=1):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError("expected a pair, got %r" % (v,))
        return _positive_int(v[0], minimum), _positive_int(v[1], minimum)
    v = _positive_int(v, minimum)
    return v, v


def conv_output_size(n, kernel_size, stride=1, padding=0):
    _positive_int(n)
    _positive_int(kernel_size)
    _positive_int(stride)
    _positive_int(padding, 0)
    if kernel_size > n + 2 * padding:
        raise ValueError("kernel larger than the padded input")
    return (n + 2 * padding - kernel_size) // stride + 1


def conv_output_shape(input_shape, num_kernels, kernel_size, stride=1, padding=0):
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) not in (3, 4):
        raise ValueError("input_shape must be (H, W, C) or (B, H, W, C)")
    dims = [_positive_int(v) for v in input_shape]
    _positive_int(num_kernels)
    k, s, p = _hw(kernel_size), _hw(stride), _hw(padding, 0)
    hw = [conv_output_size(dims[-3 + i], k[i], s[i], p[i]) for i in range(2)]
    return tuple(dims[:-3] + hw + [num_kernels])


def conv_num_parameters(in_channels, num_kernels, kernel_size, bias=True):
    _positive_int(in_channels)
    _positive_int(num_kernels)
    kh, kw = _hw(kernel_size)
    if bias not in (True, False) or not isinstance(bias, bool):
        raise ValueError("bias must be a bool")
    return (kh * kw * in_channels + bias) * num_kernels
