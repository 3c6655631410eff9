print("loading shapes.py")


def check(v, lo, name):
    print("check", name, v)
    if type(v) != int:
        raise ValueError(name + " is not an int")
    if v < lo:
        raise ValueError(name + " too small")


def two(v, lo, name):
    if type(v) == tuple or type(v) == list:
        if len(v) != 2:
            raise ValueError(name + " needs 2 entries")
        check(v[0], lo, name)
        check(v[1], lo, name)
        return v[0], v[1]
    check(v, lo, name)
    return v, v


def conv_output_size(n, kernel_size, stride=1, padding=0):
    print("conv_output_size", n, kernel_size, stride, padding)
    check(n, 1, "n")
    check(kernel_size, 1, "kernel_size")
    check(stride, 1, "stride")
    check(padding, 0, "padding")
    if kernel_size > n + 2 * padding:
        raise ValueError("kernel too big")
    result = (n - kernel_size + 2 * padding) // stride + 1
    print("  ->", result)
    return result


def conv_output_shape(input_shape, num_kernels, kernel_size, stride=1, padding=0):
    print("conv_output_shape", input_shape, num_kernels, kernel_size, stride, padding)
    if type(input_shape) not in (tuple, list) or len(input_shape) not in (3, 4):
        raise ValueError("bad input_shape")
    for v in input_shape:
        check(v, 1, "input_shape")
    check(num_kernels, 1, "num_kernels")
    kh, kw = two(kernel_size, 1, "kernel_size")
    sh, sw = two(stride, 1, "stride")
    ph, pw = two(padding, 0, "padding")
    h = conv_output_size(input_shape[-3], kh, sh, ph)
    w = conv_output_size(input_shape[-2], kw, sw, pw)
    if len(input_shape) == 4:
        return (input_shape[0], h, w, num_kernels)
    return (h, w, num_kernels)


def conv_num_parameters(in_channels, num_kernels, kernel_size, bias=True):
    print("conv_num_parameters", in_channels, num_kernels, kernel_size, bias)
    check(in_channels, 1, "in_channels")
    check(num_kernels, 1, "num_kernels")
    kh, kw = two(kernel_size, 1, "kernel_size")
    if type(bias) != bool:
        raise ValueError("bias must be bool")
    total = num_kernels * kh * kw * in_channels
    if bias:
        total += num_kernels
    print("  params:", total)
    return total


print(conv_output_size(224, 11, 4))
print(conv_output_shape((224, 224, 3), 96, 11, 4))
print(conv_num_parameters(3, 96, 11))
