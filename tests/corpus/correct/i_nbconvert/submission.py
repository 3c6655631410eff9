#!/usr/bin/env python
# coding: utf-8

# # CS2109s Tutorial 9: Convolutional and Recurrent Neural Networks
# 
# Fill in every function below, then run the cells.

# In[1]:


get_ipython().run_line_magic('matplotlib', 'inline')
import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import ArrayLike
ONE_TO_ONE = "one-to-one"
ONE_TO_MANY = "one-to-many"
MANY_TO_ONE = "many-to-one"
MANY_TO_MANY = "many-to-many"


# ## Problem 1(a): the output feature map of a convolution

# In[2]:


def check_pair(v, smallest, what):
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        v = (v, v)
    if not isinstance(v, (tuple, list)) or len(v) != 2:
        raise ValueError(what + " must be an int or a pair")
    out = []
    for e in v:
        if isinstance(e, bool) or not isinstance(e, (int, np.integer)) or e < smallest:
            raise ValueError(what + " has a bad entry")
        out.append(int(e))
    return out[0], out[1]


def real_array(a, what):
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise ValueError(what + " must contain real numbers")
    return a.astype(float)


def conv2d(
    image: ArrayLike,
    kernel: ArrayLike,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> np.ndarray:
    image = real_array(image, "image")
    kernel = real_array(kernel, "kernel")
    if image.ndim != 2 or kernel.ndim != 2 or image.size == 0 or kernel.size == 0:
        raise ValueError("image and kernel must be 2-D and non-empty")
    sh, sw = check_pair(stride, 1, "stride")
    ph, pw = check_pair(padding, 0, "padding")
    padded = np.pad(image, ((ph, ph), (pw, pw)), "constant", constant_values=0)
    kh, kw = kernel.shape
    H, W = padded.shape
    if kh > H or kw > W:
        raise ValueError("kernel bigger than padded image")
    result = np.empty(((H - kh) // sh + 1, (W - kw) // sw + 1))
    for r in range(result.shape[0]):
        for c in range(result.shape[1]):
            result[r, c] = np.vdot(padded[r * sh:r * sh + kh, c * sw:c * sw + kw], kernel)
    return result


# In[3]:


x = np.array([[0.5, 0.2, 0.1, 0.7], [0.1, 0.6, 0.9, 0.5], [0.0, 0.8, 0.2, 0.7], [0.2, 0.4, 0.0, 0.4]])
W = np.array([[0.1, 0.2, 0.6], [0.4, 0.3, 0.5], [0.9, 0.8, 0.7]])
print(conv2d(x, W))
plt.imshow(conv2d(x, W))


# ## Problem 1(b): the output size of a convolutional layer

# In[4]:


def conv_output_size(n: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    for v in (n, kernel_size, stride, padding):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError("conv_output_size needs ints")
    if n < 1 or kernel_size < 1 or stride < 1 or padding < 0:
        raise ValueError("conv_output_size: out of range")
    if kernel_size > n + 2 * padding:
        raise ValueError("kernel larger than padded input")
    return (n - kernel_size + 2 * padding) // stride + 1


def conv_output_shape(
    input_shape: tuple[int, ...],
    num_kernels: int,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> tuple[int, ...]:
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) not in (3, 4):
        raise ValueError("input_shape must have 3 or 4 entries")
    for v in list(input_shape) + [num_kernels]:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError("sizes must be ints >= 1")
    kernel_size = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
    stride = stride if isinstance(stride, (tuple, list)) else (stride, stride)
    padding = padding if isinstance(padding, (tuple, list)) else (padding, padding)
    if len(kernel_size) != 2 or len(stride) != 2 or len(padding) != 2:
        raise ValueError("pairs need 2 entries")
    h = conv_output_size(input_shape[-3], kernel_size[0], stride[0], padding[0])
    w = conv_output_size(input_shape[-2], kernel_size[1], stride[1], padding[1])
    return (*input_shape[:-3], h, w, num_kernels)


def conv_num_parameters(
    in_channels: int, num_kernels: int, kernel_size: int | tuple[int, int], bias: bool = True
) -> int:
    kernel_size = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
    if len(kernel_size) != 2:
        raise ValueError("kernel_size must be an int or a pair")
    for v in (in_channels, num_kernels, *kernel_size):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError("sizes must be ints >= 1")
    if not isinstance(bias, bool):
        raise ValueError("bias must be a bool")
    return num_kernels * (kernel_size[0] * kernel_size[1] * in_channels + int(bias))


# In[5]:


conv_output_shape((224, 224, 3), 96, 11, 4)


# ## Problem 1(c): a batch of images through the convolutional layer

# In[6]:


def conv_layer(
    images: ArrayLike,
    kernels: ArrayLike,
    bias: ArrayLike | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> np.ndarray:
    images = real_array(images, "images")
    kernels = real_array(kernels, "kernels")
    if images.ndim != 4 or kernels.ndim != 4 or images.size == 0 or kernels.size == 0:
        raise ValueError("images and kernels must be non-empty 4-D arrays")
    if images.shape[3] != kernels.shape[3]:
        raise ValueError("channel mismatch")
    c1, kh, kw, _ = kernels.shape
    if bias is None:
        bias = np.zeros(c1)
    bias = real_array(bias, "bias")
    if bias.shape != (c1,):
        raise ValueError("bias must be (C1,)")
    sh, sw = check_pair(stride, 1, "stride")
    ph, pw = check_pair(padding, 0, "padding")
    padded = np.pad(images, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    if kh > padded.shape[1] or kw > padded.shape[2]:
        raise ValueError("kernels bigger than padded images")
    win = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
    # win: (B, H1, W1, C, kh, kw)
    return np.tensordot(win, kernels, axes=([3, 4, 5], [3, 1, 2])) + bias


# ## Problem 2: RNN types

# In[7]:


TASK_TYPES: dict[str, str | None] = {
    "image_captioning": ONE_TO_MANY,
    "text_classification": MANY_TO_ONE,
    "language_translation": MANY_TO_MANY,
    "sentiment_analysis": MANY_TO_ONE,
    "image_classification": ONE_TO_ONE,
    "music_generation": ONE_TO_MANY,
    "part_of_speech_tagging": MANY_TO_MANY,
}


def rnn_type(input_steps: int, output_steps: int) -> str:
    if type(input_steps) is not int or type(output_steps) is not int:
        raise ValueError("steps must be ints")
    if input_steps < 1 or output_steps < 1:
        raise ValueError("steps must be positive")
    if input_steps > 1:
        return MANY_TO_MANY if output_steps > 1 else MANY_TO_ONE
    return ONE_TO_MANY if output_steps > 1 else ONE_TO_ONE


# ## Problem 3: the dying ReLU problem and Leaky ReLU

# In[8]:


def relu(x: ArrayLike) -> np.ndarray:
    return np.clip(real_array(x, "x"), 0, None)


def relu_grad(x: ArrayLike) -> np.ndarray:
    return np.greater(real_array(x, "x"), 0).astype(float)


def _alpha(alpha):
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise ValueError("alpha must be a number")
    return alpha


def leaky_relu(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    alpha = _alpha(alpha)
    x = real_array(x, "x")
    return np.where(x > 0, x, x * alpha)


def leaky_relu_grad(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    alpha = _alpha(alpha)
    x = real_array(x, "x")
    return np.where(x > 0, 1.0, float(alpha))


def dead_unit_fraction(pre_activations: ArrayLike) -> float:
    p = real_array(pre_activations, "pre_activations")
    if p.ndim != 2 or p.size == 0:
        raise ValueError("need a non-empty (N, U) array")
    return np.count_nonzero(np.all(p <= 0, axis=0)) / p.shape[1]


# In[9]:


z = np.linspace(-5, 5, 100)
plt.plot(z, relu(z))
plt.plot(z, leaky_relu(z, 0.05))


# ## Problem 4(d): tokenising an image for an RNN

# In[10]:


def image_to_tokens(
    image: ArrayLike, mode: str = "patches", patch_size: int | None = None
) -> np.ndarray:
    img = real_array(image, "image")
    if img.ndim == 2:
        img = np.expand_dims(img, -1)
    if img.ndim != 3 or img.size == 0:
        raise ValueError("image must be (H, W) or (H, W, C)")
    H, W, C = img.shape
    if mode == "rows":
        return np.stack([img[r].ravel() for r in range(H)])
    if mode == "columns":
        return np.stack([img[:, c].ravel() for c in range(W)])
    if mode == "patches":
        if type(patch_size) is not int or patch_size < 1 or H % patch_size or W % patch_size:
            raise ValueError("patch_size must be an int >= 1 dividing H and W")
        p = patch_size
        return np.stack([img[r:r + p, c:c + p].ravel() for r in range(0, H, p) for c in range(0, W, p)])
    raise ValueError("unknown mode")


# ## Recap: max and average pooling

# In[11]:


def _pool_windows(x, size, stride):
    a = real_array(x, "x")
    if a.ndim not in (2, 4):
        raise ValueError("x must be 2-D or 4-D")
    kh, kw = check_pair(size, 1, "size")
    sh, sw = check_pair(size if stride is None else stride, 1, "stride")
    a4 = a if a.ndim == 4 else a[np.newaxis, :, :, np.newaxis]
    if kh > a4.shape[1] or kw > a4.shape[2]:
        raise ValueError("window bigger than the image")
    win = np.lib.stride_tricks.sliding_window_view(a4, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
    return a.ndim, win


def max_pool2d(
    x: ArrayLike,
    size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
) -> np.ndarray:
    ndim, win = _pool_windows(x, size, stride)
    out = win.max(axis=(4, 5))
    return out if ndim == 4 else out[0, :, :, 0]


def avg_pool2d(
    x: ArrayLike,
    size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
) -> np.ndarray:
    ndim, win = _pool_windows(x, size, stride)
    out = win.mean(axis=(4, 5))
    return out if ndim == 4 else out[0, :, :, 0]


# ## Recap: the softmax layer

# In[12]:


def softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    z = real_array(z, "z")
    if z.ndim == 0:
        raise ValueError("z is 0-dimensional")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError("axis must be an int")
    if axis < -z.ndim or axis >= z.ndim:
        raise ValueError("axis out of range")
    if z.shape[axis] == 0:
        raise ValueError("nothing along axis")
    z = z - np.amax(z, axis=axis, keepdims=True)
    np.exp(z, out=z)
    return z / np.sum(z, axis=axis, keepdims=True)


# ## Recap: the RNN forward pass with shared weights

# In[13]:


def rnn_forward(
    xs: ArrayLike, h0: ArrayLike, W_xh: ArrayLike, W_hh: ArrayLike, b: ArrayLike
) -> np.ndarray:
    xs, h0 = real_array(xs, "xs"), real_array(h0, "h0")
    W_xh, W_hh, b = real_array(W_xh, "W_xh"), real_array(W_hh, "W_hh"), real_array(b, "b")
    if xs.ndim != 2 or h0.ndim != 1:
        raise ValueError("xs must be (T, D), h0 (H,)")
    T, D = xs.shape
    H = h0.size
    if W_xh.shape != (D, H) or W_hh.shape != (H, H) or b.shape != (H,):
        raise ValueError("weight shapes do not match")
    hs = []
    h = h0
    for t in range(T):
        h = np.tanh(xs[t] @ W_xh + h @ W_hh + b)
        hs.append(h)
    return np.array(hs).reshape(T, H)


# ## Recap: gradient clipping against exploding gradients

# In[14]:


def clip_grad_norm(grads: list[ArrayLike], max_norm: float) -> list[np.ndarray]:
    if not isinstance(grads, (list, tuple)):
        raise ValueError("grads must be a list or tuple")
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.integer, np.floating)) or not max_norm > 0:
        raise ValueError("max_norm must be a number > 0")
    grads = [real_array(g, "gradient") for g in grads]
    norm = np.sqrt(np.sum([np.sum(np.square(g)) for g in grads]))
    factor = max_norm / norm if norm > max_norm else 1.0
    return [g * factor for g in grads]


# In[15]:


print(clip_grad_norm([np.ones(4) * 10], 1.0))

