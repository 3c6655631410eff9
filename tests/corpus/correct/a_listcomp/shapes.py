# shapes.py -- Tutorial 9 problem 1(b)
# output size formula floor((N - K + 2P) / S) + 1


def _check_int(value, name, smallest):
    if type(value) is bool or not isinstance(value, int):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if value < smallest:
        raise ValueError(f"{name} must be at least {smallest}, got {value}")


def _pair(value, name, smallest):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair")
        for v in value:
            _check_int(v, name, smallest)
        return tuple(value)
    _check_int(value, name, smallest)
    return (value, value)


def conv_output_size(n, kernel_size, stride=1, padding=0):
    _check_int(n, "n", 1)
    _check_int(kernel_size, "kernel_size", 1)
    _check_int(stride, "stride", 1)
    _check_int(padding, "padding", 0)
    if kernel_size > n + 2 * padding:
        raise ValueError("kernel is larger than the padded input")
    return (n - kernel_size + 2 * padding) // stride + 1


def conv_output_shape(input_shape, num_kernels, kernel_size, stride=1, padding=0):
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) not in (3, 4):
        raise ValueError("input_shape must be (H, W, C) or (B, H, W, C)")
    for s in input_shape:
        _check_int(s, "input_shape entry", 1)
    _check_int(num_kernels, "num_kernels", 1)
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    h, w = input_shape[-3], input_shape[-2]
    out = [conv_output_size(h, kh, sh, ph), conv_output_size(w, kw, sw, pw), num_kernels]
    if len(input_shape) == 4:
        out = [input_shape[0]] + out
    return tuple(out)


def conv_num_parameters(in_channels, num_kernels, kernel_size, bias=True):
    _check_int(in_channels, "in_channels", 1)
    _check_int(num_kernels, "num_kernels", 1)
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    if not isinstance(bias, bool):
        raise ValueError("bias must be True or False")
    per_kernel = kh * kw * in_channels + (1 if bias else 0)
    return per_kernel * num_kernels
