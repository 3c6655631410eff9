def conv_output_size(n, kernel_size, stride=1, padding=0):
    raise ValueError("not done")


def conv_output_shape(input_shape, num_kernels, kernel_size, stride=1, padding=0):
    raise ValueError("not done")


def conv_num_parameters(in_channels, num_kernels, kernel_size, bias=True):
    raise ValueError("not done")
