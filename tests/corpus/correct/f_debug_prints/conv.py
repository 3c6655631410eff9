import numpy as np

print("conv.py imported")


def pair(v, lo, name):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(name)
        a, b = v
    else:
        a = b = v
    for e in (a, b):
        if type(e) is not int and not isinstance(e, np.integer):
            raise ValueError(name + " must be int")
        if e < lo:
            raise ValueError(name + " out of range")
    print(name, "=", (a, b))
    return int(a), int(b)


def conv2d(image, kernel, stride=1, padding=0):
    img = np.array(image, dtype=float)
    k = np.array(kernel, dtype=float)
    print("image", img.shape, "kernel", k.shape)
    if img.ndim != 2 or k.ndim != 2 or img.size == 0 or k.size == 0:
        raise ValueError("need 2-D image and kernel")
    sh, sw = pair(stride, 1, "stride")
    ph, pw = pair(padding, 0, "padding")
    img = np.pad(img, ((ph, ph), (pw, pw)))
    print("padded:\n", img)
    kh, kw = k.shape
    if kh > img.shape[0] or kw > img.shape[1]:
        raise ValueError("kernel too big")
    oh = (img.shape[0] - kh) // sh + 1
    ow = (img.shape[1] - kw) // sw + 1
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = img[i * sh:i * sh + kh, j * sw:j * sw + kw]
            out[i, j] = (patch * k).sum()
            print("out[%d, %d] = %.4f" % (i, j, out[i, j]))
    return out


def conv_layer(images, kernels, bias=None, stride=1, padding=0):
    x = np.array(images, dtype=float)
    k = np.array(kernels, dtype=float)
    print("images", x.shape, "kernels", k.shape, "bias", bias)
    if x.ndim != 4 or k.ndim != 4 or x.size == 0 or k.size == 0:
        raise ValueError("need 4-D")
    if x.shape[3] != k.shape[3]:
        raise ValueError("channels differ")
    if bias is not None:
        bias = np.array(bias, dtype=float)
        if bias.shape != (k.shape[0],):
            raise ValueError("bias shape")
    sh, sw = pair(stride, 1, "stride")
    ph, pw = pair(padding, 0, "padding")
    x = np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    c1, kh, kw, c = k.shape
    if kh > x.shape[1] or kw > x.shape[2]:
        raise ValueError("kernel too big")
    oh = (x.shape[1] - kh) // sh + 1
    ow = (x.shape[2] - kw) // sw + 1
    print("output will be", (x.shape[0], oh, ow, c1))
    out = np.zeros((x.shape[0], oh, ow, c1))
    kmat = k.reshape(c1, -1)
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :].reshape(x.shape[0], -1)
            out[:, i, j, :] = patch @ kmat.T
    if bias is not None:
        out += bias
    print("done, mean =", out.mean())
    return out


def pool(x, size, stride, fn):
    a = np.array(x, dtype=float)
    print("pool input", a.shape, "size", size, "stride", stride)
    if a.ndim == 2:
        a4 = a.reshape(1, a.shape[0], a.shape[1], 1)
    elif a.ndim == 4:
        a4 = a
    else:
        raise ValueError("x must be 2-D or 4-D")
    kh, kw = pair(size, 1, "size")
    if stride is None:
        sh, sw = kh, kw
    else:
        sh, sw = pair(stride, 1, "stride")
    if kh > a4.shape[1] or kw > a4.shape[2]:
        raise ValueError("window too big")
    oh = (a4.shape[1] - kh) // sh + 1
    ow = (a4.shape[2] - kw) // sw + 1
    out = np.zeros((a4.shape[0], oh, ow, a4.shape[3]))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j, :] = fn(a4[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :], axis=(1, 2))
    print("pool output", out.shape)
    return out[0, :, :, 0] if a.ndim == 2 else out


def max_pool2d(x, size, stride=None):
    return pool(x, size, stride, np.max)


def avg_pool2d(x, size, stride=None):
    return pool(x, size, stride, np.mean)


x = np.array([[0.5, 0.2, 0.1, 0.7], [0.1, 0.6, 0.9, 0.5], [0.0, 0.8, 0.2, 0.7], [0.2, 0.4, 0.0, 0.4]])
W = np.array([[0.1, 0.2, 0.6], [0.4, 0.3, 0.5], [0.9, 0.8, 0.7]])
print("Problem 1(a):")
print(conv2d(x, W))
print(max_pool2d(x, 2))
