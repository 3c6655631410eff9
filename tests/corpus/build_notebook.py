"""Writes correct/g_notebook/submission.ipynb: a student's filled-in copy of the tutorial notebook.

Run `python tests/corpus/build_notebook.py` after editing the cells below; tests/test_corpus.py
checks that the committed notebook is what this script writes. The notebook is laid out as
exercises/tutorial9.ipynb is, filled in the way students use Colab: `%matplotlib inline` and
matplotlib first in the imports cell, a Drive mount, demo, plotting and `%%time` cells.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
TARGET = HERE / "correct" / "g_notebook" / "submission.ipynb"

IMPORTS = '''%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import ArrayLike
ONE_TO_ONE = "one-to-one"
ONE_TO_MANY = "one-to-many"
MANY_TO_ONE = "many-to-one"
MANY_TO_MANY = "many-to-many"'''

DRIVE = '''from google.colab import drive
drive.mount('/content/drive')'''

CONV2D = '''def _pair(v, lo, name):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name} must be an int or a pair")
        a, b = v
    else:
        a = b = v
    for e in (a, b):
        if isinstance(e, bool) or not isinstance(e, (int, np.integer)) or e < lo:
            raise ValueError(f"{name} must be an int >= {lo} or a pair of them")
    return int(a), int(b)


def _float_array(x, name):
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers")
    return a.astype(np.float64)


def conv2d(
    image: ArrayLike,
    kernel: ArrayLike,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> np.ndarray:
    """Convolve one single-channel image with one kernel, as in Problem 1(a)."""
    img = _float_array(image, "image")
    ker = _float_array(kernel, "kernel")
    if img.ndim != 2 or ker.ndim != 2 or img.size == 0 or ker.size == 0:
        raise ValueError("image and kernel must be non-empty 2-D arrays")
    sh, sw = _pair(stride, 1, "stride")
    ph, pw = _pair(padding, 0, "padding")
    img = np.pad(img, ((ph, ph), (pw, pw)))
    kh, kw = ker.shape
    if kh > img.shape[0] or kw > img.shape[1]:
        raise ValueError("the kernel is larger than the padded image")
    h1 = (img.shape[0] - kh) // sh + 1
    w1 = (img.shape[1] - kw) // sw + 1
    out = np.zeros((h1, w1))
    for i in range(kh):
        for j in range(kw):
            out += ker[i, j] * img[i:i + sh * (h1 - 1) + 1:sh, j:j + sw * (w1 - 1) + 1:sw]
    return out'''

DEMO_1A = '''x = np.array([[0.5, 0.2, 0.1, 0.7],
              [0.1, 0.6, 0.9, 0.5],
              [0.0, 0.8, 0.2, 0.7],
              [0.2, 0.4, 0.0, 0.4]])
W = np.array([[0.1, 0.2, 0.6],
              [0.4, 0.3, 0.5],
              [0.9, 0.8, 0.7]])
feature_map = conv2d(x, W)
print(feature_map)
print("output dimensions:", feature_map.shape)'''

PLOT_1A = '''fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 4))
ax1.imshow(x, cmap="gray")
ax1.set_title("x")
ax2.imshow(feature_map, cmap="gray")
ax2.set_title("x * W")
plt.show()'''

SHAPES = '''def _size_int(v, lo, name):
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError(f"{name} must be an int")
    if v < lo:
        raise ValueError(f"{name} must be >= {lo}")
    return v


def _size_pair(v, lo, name):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name} needs 2 entries")
        return _size_int(v[0], lo, name), _size_int(v[1], lo, name)
    return _size_int(v, lo, name), _size_int(v, lo, name)


def conv_output_size(n: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Output size along one axis of a convolution (or pooling) layer."""
    n = _size_int(n, 1, "n")
    k = _size_int(kernel_size, 1, "kernel_size")
    s = _size_int(stride, 1, "stride")
    p = _size_int(padding, 0, "padding")
    if k > n + 2 * p:
        raise ValueError("kernel larger than the padded input")
    return (n - k + 2 * p) // s + 1


def conv_output_shape(
    input_shape: tuple[int, ...],
    num_kernels: int,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> tuple[int, ...]:
    """Output shape of a channels-last convolutional layer with `num_kernels` kernels."""
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) not in (3, 4):
        raise ValueError("input_shape must be (H, W, C) or (B, H, W, C)")
    for v in input_shape:
        _size_int(v, 1, "input_shape")
    c1 = _size_int(num_kernels, 1, "num_kernels")
    kh, kw = _size_pair(kernel_size, 1, "kernel_size")
    sh, sw = _size_pair(stride, 1, "stride")
    ph, pw = _size_pair(padding, 0, "padding")
    h1 = conv_output_size(input_shape[-3], kh, sh, ph)
    w1 = conv_output_size(input_shape[-2], kw, sw, pw)
    return tuple(input_shape[:-3]) + (h1, w1, c1)


def conv_num_parameters(
    in_channels: int, num_kernels: int, kernel_size: int | tuple[int, int], bias: bool = True
) -> int:
    """Number of learnable parameters (weights, plus biases) of a convolutional layer."""
    c = _size_int(in_channels, 1, "in_channels")
    c1 = _size_int(num_kernels, 1, "num_kernels")
    kh, kw = _size_pair(kernel_size, 1, "kernel_size")
    if not isinstance(bias, bool):
        raise ValueError("bias must be True or False")
    return c1 * kh * kw * c + (c1 if bias else 0)'''

DEMO_1B = '''print(conv_output_size(224, 11, 4))
print(conv_output_shape((224, 224, 3), 96, 11, 4))
print(conv_num_parameters(3, 96, 11))'''

TIMED_1C = '''%%time
def conv_layer(
    images: ArrayLike,
    kernels: ArrayLike,
    bias: ArrayLike | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> np.ndarray:
    """Apply a convolutional layer to a batch of multi-channel images, as in Problem 1(c)."""
    x = _float_array(images, "images")
    k = _float_array(kernels, "kernels")
    if x.ndim != 4 or k.ndim != 4 or x.size == 0 or k.size == 0:
        raise ValueError("images and kernels must be non-empty 4-D arrays")
    if x.shape[3] != k.shape[3]:
        raise ValueError("images and kernels have different channel counts")
    c1, kh, kw, _ = k.shape
    if bias is not None:
        bias = _float_array(bias, "bias")
        if bias.shape != (c1,):
            raise ValueError("bias must have shape (C1,)")
    sh, sw = _pair(stride, 1, "stride")
    ph, pw = _pair(padding, 0, "padding")
    x = np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    if kh > x.shape[1] or kw > x.shape[2]:
        raise ValueError("the kernels are larger than the padded images")
    h1 = (x.shape[1] - kh) // sh + 1
    w1 = (x.shape[2] - kw) // sw + 1
    out = np.zeros((x.shape[0], h1, w1, c1))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i:i + sh * (h1 - 1) + 1:sh, j:j + sw * (w1 - 1) + 1:sw, :]
            out += np.einsum("bhwc,kc->bhwk", patch, k[:, i, j, :])
    if bias is not None:
        out += bias
    return out


batch = np.random.rand(2, 224, 224, 3)
out = conv_layer(batch, np.random.rand(96, 11, 11, 3), stride=4)
print(out.shape)'''

RNN_TYPES = '''TASK_TYPES: dict[str, str | None] = {
    "image_captioning": ONE_TO_MANY,
    "text_classification": MANY_TO_ONE,
    "language_translation": MANY_TO_MANY,
    "sentiment_analysis": MANY_TO_ONE,
    "image_classification": ONE_TO_ONE,
    "music_generation": ONE_TO_MANY,
    "part_of_speech_tagging": MANY_TO_MANY,
}


def rnn_type(input_steps: int, output_steps: int) -> str:
    """The type of RNN model that maps input_steps inputs to output_steps outputs."""
    for steps in (input_steps, output_steps):
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError("input_steps and output_steps must be ints >= 1")
    if input_steps == 1:
        return ONE_TO_ONE if output_steps == 1 else ONE_TO_MANY
    return MANY_TO_ONE if output_steps == 1 else MANY_TO_MANY'''

DEMO_2 = '''for task, kind in TASK_TYPES.items():
    print(f"{task:25s} {kind}")
rnn_type(1, 5)'''

ACTIVATIONS = '''def _alpha(alpha):
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise ValueError("alpha must be a number")
    return float(alpha)


def relu(x: ArrayLike) -> np.ndarray:
    """The rectified linear unit, element-wise: x where x > 0, else 0."""
    x = _float_array(x, "x")
    return np.where(x > 0, x, 0.0)


def relu_grad(x: ArrayLike) -> np.ndarray:
    """The derivative of relu at x, element-wise: 1 where x > 0, else 0 (also 0 at x = 0)."""
    x = _float_array(x, "x")
    return np.where(x > 0, 1.0, 0.0)


def leaky_relu(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """Leaky ReLU, element-wise: x where x > 0, else alpha * x."""
    a = _alpha(alpha)
    x = _float_array(x, "x")
    return np.where(x > 0, x, a * x)


def leaky_relu_grad(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    """The derivative of leaky_relu at x, element-wise: 1 where x > 0, else alpha."""
    a = _alpha(alpha)
    x = _float_array(x, "x")
    return np.where(x > 0, 1.0, a)


def dead_unit_fraction(pre_activations: ArrayLike) -> float:
    """The fraction of ReLU units that are dead on a batch: never active for any sample."""
    a = _float_array(pre_activations, "pre_activations")
    if a.ndim != 2 or a.size == 0:
        raise ValueError("pre_activations must be a non-empty (N, U) array")
    return float(np.sum(~np.any(a > 0, axis=0)) / a.shape[1])'''

PLOT_3 = '''z = np.linspace(-2, 2, 101)
plt.plot(z, relu(z), label="ReLU")
plt.plot(z, leaky_relu(z, 0.1), label="Leaky ReLU (0.1)")
plt.legend()
plt.grid(True)'''

TOKENS = '''def image_to_tokens(
    image: ArrayLike, mode: str = "patches", patch_size: int | None = None
) -> np.ndarray:
    """Turn an image into a sequence of tokens that an RNN can read (Problem 4(d))."""
    img = _float_array(image, "image")
    if img.ndim not in (2, 3) or img.size == 0:
        raise ValueError("image must be a non-empty (H, W) or (H, W, C) array")
    if img.ndim == 2:
        img = img[:, :, None]
    h, w, c = img.shape
    if mode == "rows":
        return img.reshape(h, w * c)
    if mode == "columns":
        return img.transpose(1, 0, 2).reshape(w, h * c)
    if mode == "patches":
        p = patch_size
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1:
            raise ValueError("patch_size must be an int >= 1")
        if h % p or w % p:
            raise ValueError("patch_size must divide H and W")
        grid = img.reshape(h // p, p, w // p, p, c).transpose(0, 2, 1, 3, 4)
        return grid.reshape(-1, p * p * c)
    raise ValueError(f"unknown mode {mode!r}")'''

DEMO_4D = '''img = np.arange(4 * 4 * 3).reshape(4, 4, 3)
tokens = image_to_tokens(img, "patches", 2)
print(tokens.shape)
plt.imshow(tokens, aspect="auto")'''

POOL = '''def _pool(x, size, stride, reduce):
    a = _float_array(x, "x")
    if a.ndim not in (2, 4):
        raise ValueError("x must be (H, W) or (B, H, W, C)")
    kh, kw = _pair(size, 1, "size")
    sh, sw = (kh, kw) if stride is None else _pair(stride, 1, "stride")
    a4 = a[None, :, :, None] if a.ndim == 2 else a
    if kh > a4.shape[1] or kw > a4.shape[2]:
        raise ValueError("the window is larger than the image")
    h1 = (a4.shape[1] - kh) // sh + 1
    w1 = (a4.shape[2] - kw) // sw + 1
    windows = [a4[:, i:i + sh * (h1 - 1) + 1:sh, j:j + sw * (w1 - 1) + 1:sw, :]
               for i in range(kh) for j in range(kw)]
    out = reduce(np.stack(windows), axis=0)
    return out[0, :, :, 0] if a.ndim == 2 else out


def max_pool2d(
    x: ArrayLike,
    size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
) -> np.ndarray:
    """Max pooling over height and width, separately for each image and channel."""
    return _pool(x, size, stride, np.max)


def avg_pool2d(
    x: ArrayLike,
    size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
) -> np.ndarray:
    """Average pooling over height and width, separately for each image and channel."""
    return _pool(x, size, stride, np.mean)'''

DEMO_POOL = '''print(max_pool2d(x, 2))
print(avg_pool2d(x, 2, 1))
plt.imshow(max_pool2d(np.random.rand(32, 32), 4))'''

SOFTMAX = '''def softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    """Softmax along one axis: exp(z) divided by the sum of exp(z) along that axis."""
    z = _float_array(z, "z")
    if z.ndim == 0:
        raise ValueError("z must have at least one axis")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError("axis must be an int")
    if not -z.ndim <= axis < z.ndim:
        raise ValueError("axis is out of range")
    if z.shape[axis] == 0:
        raise ValueError("z has no entries along axis")
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


softmax(np.array([1000.0, 1001.0, 1002.0]))'''

RNN = '''def rnn_forward(
    xs: ArrayLike, h0: ArrayLike, W_xh: ArrayLike, W_hh: ArrayLike, b: ArrayLike
) -> np.ndarray:
    """Run a simple RNN over a sequence and return every hidden state."""
    xs = _float_array(xs, "xs")
    h = _float_array(h0, "h0")
    W_xh = _float_array(W_xh, "W_xh")
    W_hh = _float_array(W_hh, "W_hh")
    b = _float_array(b, "b")
    if xs.ndim != 2 or h.ndim != 1:
        raise ValueError("xs must be (T, D) and h0 (H,)")
    d, n = xs.shape[1], h.shape[0]
    if W_xh.shape != (d, n) or W_hh.shape != (n, n) or b.shape != (n,):
        raise ValueError("the weight shapes do not match xs and h0")
    hs = np.zeros((xs.shape[0], n))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W_xh + h @ W_hh + b)
        hs[t] = h
    return hs


def clip_grad_norm(grads: list[ArrayLike], max_norm: float) -> list[np.ndarray]:
    """Clip gradients by their global norm, to tame exploding gradients."""
    if not isinstance(grads, (list, tuple)):
        raise ValueError("grads must be a list or tuple of arrays")
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.integer, np.floating)):
        raise ValueError("max_norm must be a number")
    if not max_norm > 0:
        raise ValueError("max_norm must be > 0")
    grads = [_float_array(g, "grads") for g in grads]
    total = np.sqrt(sum(np.sum(g * g) for g in grads))
    if total > max_norm:
        grads = [g * (max_norm / total) for g in grads]
    return grads'''

DEMO_RNN = '''rng = np.random.default_rng(2109)
hs = rnn_forward(rng.normal(size=(6, 3)), np.zeros(5), rng.normal(size=(3, 5)),
                 rng.normal(size=(5, 5)), np.zeros(5))
plt.plot(hs)
print(clip_grad_norm([np.array([3.0, 4.0]), np.array([12.0])], 5.0))'''

# (kind, source, output printed when the student ran it, or None)
CELLS = [
    ("markdown", "# CS2109s Tutorial 9: Convolutional and Recurrent Neural Networks\n\n"
     "Name: Tan Wei Ming, tutorial group 07", None),
    ("code", IMPORTS, None),
    ("code", DRIVE, "Mounted at /content/drive\n"),
    ("markdown", "## Problem 1(a): the output feature map of a convolution", None),
    ("code", CONV2D, None),
    ("code", DEMO_1A, "[[1.98 2.64]\n [1.62 2.28]]\noutput dimensions: (2, 2)\n"),
    ("code", PLOT_1A, None),
    ("markdown", "## Problem 1(b): the output size of a convolutional layer", None),
    ("code", SHAPES, None),
    ("code", DEMO_1B, "54\n(54, 54, 96)\n34944\n"),
    ("markdown", "## Problem 1(c): a batch of images through the convolutional layer", None),
    ("code", TIMED_1C, "(2, 54, 54, 96)\nCPU times: user 412 ms, sys: 88 ms, total: 500 ms\n"),
    ("markdown", "## Problem 1(c): why batches?", None),
    ("markdown", "**Your answer:** batches use the hardware in parallel and average the "
     "gradient over many images, so training is faster and more stable.", None),
    ("markdown", "## Problem 2: RNN types", None),
    ("code", RNN_TYPES, None),
    ("code", DEMO_2, None),
    ("markdown", "## Problem 3: the dying ReLU problem and Leaky ReLU", None),
    ("code", ACTIVATIONS, None),
    ("code", PLOT_3, None),
    ("markdown", "**Your answer:** Leaky ReLU keeps a small slope for negative inputs, so a "
     "dead unit still gets a gradient and can recover.", None),
    ("markdown", "## Problem 4(d): tokenising an image for an RNN", None),
    ("code", TOKENS, None),
    ("code", DEMO_4D, "(4, 12)\n"),
    ("markdown", "## Recap: max and average pooling", None),
    ("code", POOL, None),
    ("code", DEMO_POOL, None),
    ("markdown", "## Recap: the softmax layer", None),
    ("code", SOFTMAX, None),
    ("markdown", "## Recap: the RNN forward pass and gradient clipping", None),
    ("code", RNN, None),
    ("code", DEMO_RNN, "[array([1.5, 2. ]), array([6.])]\n"),
]


def build() -> nbformat.NotebookNode:
    """The notebook as the student saved it from Colab (execution counts and printed output)."""
    cells = []
    count = 0
    for kind, source, printed in CELLS:
        if kind == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(source))
            continue
        count += 1
        outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)] if printed else []
        cells.append(nbformat.v4.new_code_cell(source, execution_count=count, outputs=outputs))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {
        "colab": {"provenance": []},
        "kernelspec": {"display_name": "Python 3", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{i:02d}"  # stable ids, so the committed file is reproducible
    return notebook


def text() -> str:
    return nbformat.writes(build()) + "\n"


if __name__ == "__main__":
    TARGET.write_text(text(), encoding="utf-8")
    sys.stdout.write(f"wrote {TARGET}\n")
