"""Tests of the reference solutions: the tutorial's numbers, slow loop oracles, and the API rules.

The oracles below are written independently of solutions/ with plain Python loops (no
sliding_window_view, einsum or reshape tricks), so a shared mistake is unlikely.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from solutions import activations, conv, rnn, rnn_types, shapes

SEEDS = [0, 1, 2]

# Problem 1(a) of the tutorial.
TUTORIAL_IMAGE = [
    [0.5, 0.2, 0.1, 0.7],
    [0.1, 0.6, 0.9, 0.5],
    [0.0, 0.8, 0.2, 0.7],
    [0.2, 0.4, 0.0, 0.4],
]
TUTORIAL_KERNEL = [
    [0.1, 0.2, 0.6],
    [0.4, 0.3, 0.5],
    [0.9, 0.8, 0.7],
]
TUTORIAL_MAP = [[1.60, 2.59], [1.51, 1.91]]


# --- slow oracles -------------------------------------------------------------------------


def as_pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def oracle_conv2d(image, kernel, stride=1, padding=0):
    """Cross-correlation by the definition, one output entry at a time."""
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    rows, cols = len(image), len(image[0])
    kh, kw = len(kernel), len(kernel[0])

    def pixel(r, c):
        r, c = r - ph, c - pw
        return image[r][c] if 0 <= r < rows and 0 <= c < cols else 0

    out = []
    for top in range(0, rows + 2 * ph - kh + 1, sh):
        line = []
        for left in range(0, cols + 2 * pw - kw + 1, sw):
            total = 0
            for u in range(kh):
                for v in range(kw):
                    total += pixel(top + u, left + v) * kernel[u][v]
            line.append(total)
        out.append(line)
    return out


def oracle_conv_layer(images, kernels, bias=None, stride=1, padding=0):
    """conv_layer as a sum of per-channel conv2d's, plus bias."""
    batch, channels, out_channels = len(images), len(images[0][0][0]), len(kernels)
    result = []
    for b in range(batch):
        maps = []
        for k in range(out_channels):
            parts = [
                oracle_conv2d(
                    [[pixel[c] for pixel in row] for row in images[b]],
                    [[weights[c] for weights in row] for row in kernels[k]],
                    stride,
                    padding,
                )
                for c in range(channels)
            ]
            offset = 0 if bias is None else bias[k]
            maps.append(
                [
                    [sum(part[i][j] for part in parts) + offset for j in range(len(parts[0][0]))]
                    for i in range(len(parts[0]))
                ]
            )
        # maps[k][i][j] -> [i][j][k] (channels last)
        result.append(
            [
                [[maps[k][i][j] for k in range(out_channels)] for j in range(len(maps[0][0]))]
                for i in range(len(maps[0]))
            ]
        )
    return result


def oracle_pool2d(x, size, stride, reduce):
    """Pooling of one 2-D list by the definition; reduce is max or a mean function."""
    kh, kw = as_pair(size)
    sh, sw = as_pair(size if stride is None else stride)
    out = []
    top = 0
    while top + kh <= len(x):
        line = []
        left = 0
        while left + kw <= len(x[0]):
            window = [x[top + u][left + v] for u in range(kh) for v in range(kw)]
            line.append(reduce(window))
            left += sw
        out.append(line)
        top += sh
    return out


def mean(values):
    return math.fsum(values) / len(values)


def oracle_pool(x, size, stride, reduce):
    """Pooling of (H, W) or (B, H, W, C) arrays, channel by channel."""
    x = np.asarray(x).tolist()
    if not isinstance(x[0][0], list):
        return oracle_pool2d(x, size, stride, reduce)
    result = []
    for image in x:
        channels = len(image[0][0])
        pooled = [
            oracle_pool2d([[p[c] for p in row] for row in image], size, stride, reduce)
            for c in range(channels)
        ]
        result.append(
            [
                [[pooled[c][i][j] for c in range(channels)] for j in range(len(pooled[0][0]))]
                for i in range(len(pooled[0]))
            ]
        )
    return result


def oracle_softmax_1d(values):
    exps = [math.exp(v) for v in values]
    total = math.fsum(exps)
    return [e / total for e in exps]


def oracle_rnn_forward(xs, h0, W_xh, W_hh, b):
    h = list(h0)
    states = []
    for x in xs:
        h = [
            math.tanh(
                sum(x[d] * W_xh[d][j] for d in range(len(x)))
                + sum(h[i] * W_hh[i][j] for i in range(len(h)))
                + b[j]
            )
            for j in range(len(b))
        ]
        states.append(h)
    return states


def oracle_clip(grads, max_norm):
    flat = [float(v) for g in grads for v in np.asarray(g, dtype=float).flat]
    norm = math.sqrt(math.fsum(v * v for v in flat))
    factor = max_norm / norm if norm > max_norm else 1.0
    return [np.asarray(g, dtype=float) * factor for g in grads]


def oracle_tokens(image, mode, p=None):
    image = np.asarray(image).tolist()
    if not isinstance(image[0][0], list):
        image = [[[v] for v in row] for row in image]
    height, width, channels = len(image), len(image[0]), len(image[0][0])
    if mode == "rows":
        return [
            [image[r][c][k] for c in range(width) for k in range(channels)] for r in range(height)
        ]
    if mode == "columns":
        return [
            [image[r][c][k] for r in range(height) for k in range(channels)] for c in range(width)
        ]
    tokens = []
    for top in range(0, height, p):
        for left in range(0, width, p):
            tokens.append(
                [
                    image[top + u][left + v][k]
                    for u in range(p)
                    for v in range(p)
                    for k in range(channels)
                ]
            )
    return tokens


def assert_float_array(actual, expected, shape=None, exact=False):
    assert type(actual) is np.ndarray
    assert actual.dtype.kind == "f"
    expected = np.asarray(expected, dtype=float)
    assert actual.shape == (expected.shape if shape is None else shape)
    if exact:
        np.testing.assert_array_equal(actual, expected)
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


# --- the tutorial's numbers ---------------------------------------------------------------


def test_tutorial_1a_feature_map():
    out = conv.conv2d(TUTORIAL_IMAGE, TUTORIAL_KERNEL)
    assert out.shape == (2, 2)
    np.testing.assert_array_equal(np.round(out, 2), TUTORIAL_MAP)


def test_tutorial_1b_output_size_and_parameters():
    assert shapes.conv_output_size(224, 11, 4) == 54
    assert shapes.conv_output_size(224, 11, 4, 0) == 54
    assert shapes.conv_output_shape((224, 224, 3), 96, 11, 4) == (54, 54, 96)
    assert shapes.conv_num_parameters(3, 96, 11) == 34944
    assert shapes.conv_num_parameters(3, 96, (11, 11), bias=False) == 34944 - 96


@pytest.mark.parametrize("batch", [8, 16, 32, 64])
def test_tutorial_1c_batched_output_shape(batch):
    out = shapes.conv_output_shape((batch, 224, 224, 3), 96, 11, 4)
    assert out == (batch, 54, 54, 96)
    assert all(type(d) is int for d in out)


def test_tutorial_1c_conv_layer_shape():
    rng = np.random.default_rng(0)
    images = rng.random((2, 224, 224, 3))
    kernels = rng.standard_normal((96, 11, 11, 3))
    bias = rng.standard_normal(96)
    out = conv.conv_layer(images, kernels, bias, stride=4)
    assert out.shape == (2, 54, 54, 96)
    # Spot-check one entry against the definition: output row 2, column 3 starts at (8, 12).
    expected = np.sum(images[1, 8:19, 12:23, :] * kernels[5]) + bias[5]
    assert out[1, 2, 3, 5] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        ("image_captioning", "one-to-many"),  # Problem 2
        ("text_classification", "many-to-one"),  # Problem 2
        ("language_translation", "many-to-many"),  # Problem 2
        ("sentiment_analysis", "many-to-one"),  # Problem 4(a)
        ("image_classification", "one-to-one"),
        ("music_generation", "one-to-many"),
        ("part_of_speech_tagging", "many-to-many"),
    ],
)
def test_task_types(task, expected):
    assert rnn_types.TASK_TYPES[task] == expected


def test_task_types_keys_and_constants():
    assert list(rnn_types.TASK_TYPES) == [
        "image_captioning",
        "text_classification",
        "language_translation",
        "sentiment_analysis",
        "image_classification",
        "music_generation",
        "part_of_speech_tagging",
    ]
    assert (
        rnn_types.ONE_TO_ONE,
        rnn_types.ONE_TO_MANY,
        rnn_types.MANY_TO_ONE,
        rnn_types.MANY_TO_MANY,
    ) == ("one-to-one", "one-to-many", "many-to-one", "many-to-many")


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ((1, 1), "one-to-one"),
        ((1, 2), "one-to-many"),
        ((1, 30), "one-to-many"),
        ((2, 1), "many-to-one"),
        ((17, 1), "many-to-one"),
        ((2, 2), "many-to-many"),
        ((5, 9), "many-to-many"),
        ((np.int64(3), np.int32(1)), "many-to-one"),
    ],
)
def test_rnn_type(steps, expected):
    assert rnn_types.rnn_type(*steps) == expected


# --- conv2d -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("image_shape", "kernel_shape", "stride", "padding"),
    [
        ((5, 5), (3, 3), 1, 0),
        ((7, 9), (3, 2), 2, 0),
        ((6, 8), (2, 3), (1, 3), 1),
        ((8, 5), (3, 3), (2, 1), (0, 2)),
        ((4, 6), (5, 1), 3, (1, 0)),
        ((5, 5), (5, 5), 1, 0),  # kernel as large as the image: a single output
        ((3, 4), (1, 1), 1, 2),  # padding only: a border of zeros
        ((9, 7), (4, 4), (3, 2), (2, 1)),  # strides that leave unused rows and columns
    ],
)
def test_conv2d_matches_oracle(seed, image_shape, kernel_shape, stride, padding):
    rng = np.random.default_rng(seed)
    image = rng.standard_normal(image_shape)
    kernel = rng.standard_normal(kernel_shape)
    expected = oracle_conv2d(image.tolist(), kernel.tolist(), stride, padding)
    assert_float_array(conv.conv2d(image, kernel, stride=stride, padding=padding), expected)


def test_conv2d_does_not_flip_the_kernel():
    image = np.arange(9.0).reshape(3, 3)
    kernel = np.zeros((2, 2))
    kernel[0, 0] = 1.0  # picks the top-left pixel of each window
    assert_float_array(conv.conv2d(image, kernel), [[0, 1], [3, 4]])


@pytest.mark.parametrize("seed", SEEDS)
def test_conv2d_integer_inputs_give_exact_floats(seed):
    rng = np.random.default_rng(seed)
    image = rng.integers(-50, 50, size=(6, 7))
    kernel = rng.integers(-9, 9, size=(3, 2))
    expected = oracle_conv2d(image.tolist(), kernel.tolist(), (2, 1), 1)
    out = conv.conv2d(image, kernel, stride=(2, 1), padding=1)
    assert_float_array(out, expected, exact=True)


def test_conv2d_accepts_nested_lists_and_numpy_ints():
    out = conv.conv2d(TUTORIAL_IMAGE, TUTORIAL_KERNEL, stride=np.int64(1), padding=(0, 0))
    np.testing.assert_array_equal(np.round(out, 2), TUTORIAL_MAP)


# --- conv_layer ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("with_bias", [False, True])
@pytest.mark.parametrize(
    ("images_shape", "kernels_shape", "stride", "padding"),
    [
        ((2, 5, 6, 3), (4, 3, 3, 3), 1, 0),
        ((1, 7, 5, 2), (3, 3, 2, 2), (2, 1), (1, 0)),
        ((3, 6, 6, 1), (2, 2, 4, 1), 2, (0, 1)),
        ((2, 8, 7, 2), (5, 3, 3, 2), (3, 2), 1),
    ],
)
def test_conv_layer_matches_oracle(seed, with_bias, images_shape, kernels_shape, stride, padding):
    rng = np.random.default_rng(seed)
    images = rng.standard_normal(images_shape)
    kernels = rng.standard_normal(kernels_shape)
    bias = rng.standard_normal(kernels_shape[0]) if with_bias else None
    expected = oracle_conv_layer(
        images.tolist(), kernels.tolist(), None if bias is None else bias.tolist(), stride, padding
    )
    out = conv.conv_layer(images, kernels, bias, stride=stride, padding=padding)
    assert_float_array(out, expected)


def test_conv_layer_blocks_cover_every_image_and_row(monkeypatch):
    """Force tiny im2col blocks so the blocked copy loop runs many partial blocks."""
    rng = np.random.default_rng(3)
    images = rng.standard_normal((3, 9, 8, 2))
    kernels = rng.standard_normal((4, 3, 2, 2))
    bias = rng.standard_normal(4)
    expected = oracle_conv_layer(images.tolist(), kernels.tolist(), bias.tolist(), (2, 1), 1)
    # One image's windows are 5 x 9 x 12 = 540 floats, one output row's 108: blocks of one row,
    # of 3 rows (the last block of each image has 2), of 2 images (the last has 1), and of all.
    for block in (1, 3 * 108, 2 * 540, 10**6):
        monkeypatch.setattr(conv, "_BLOCK_ELEMENTS", block)
        out = conv.conv_layer(images, kernels, bias, stride=(2, 1), padding=1)
        assert_float_array(out, expected)


def test_conv_layer_integer_inputs_give_exact_floats():
    rng = np.random.default_rng(4)
    images = rng.integers(0, 256, size=(2, 6, 5, 3))
    kernels = rng.integers(-3, 4, size=(2, 3, 3, 3))
    bias = [1, -2]
    expected = oracle_conv_layer(images.tolist(), kernels.tolist(), bias, 1, 1)
    assert_float_array(conv.conv_layer(images, kernels, bias, padding=1), expected, exact=True)


def test_conv_layer_single_channel_equals_conv2d():
    rng = np.random.default_rng(5)
    image = rng.standard_normal((6, 7))
    kernel = rng.standard_normal((3, 2))
    layer = conv.conv_layer(image[None, :, :, None], kernel[None, :, :, None], stride=(2, 1))
    np.testing.assert_allclose(layer[0, :, :, 0], conv.conv2d(image, kernel, stride=(2, 1)))


# --- pooling ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("shape", "size", "stride"),
    [
        ((4, 4), 2, None),  # default stride = size
        ((5, 7), 2, None),  # the last row and column do not fit a window: dropped
        ((6, 6), 3, 1),  # overlapping windows
        ((7, 8), (2, 3), None),  # pair size, default stride = that pair
        ((7, 8), (3, 2), (2, 3)),
        ((2, 5, 6, 3), 2, None),  # batches, per channel
        ((3, 7, 5, 2), (3, 2), (2, 1)),
        ((1, 4, 4, 1), 4, None),  # one window covering the image
    ],
)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_matches_oracle(seed, shape, size, stride, kind):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    pool, reduce = (conv.max_pool2d, max) if kind == "max" else (conv.avg_pool2d, mean)
    expected = oracle_pool(x, size, stride, reduce)
    assert_float_array(pool(x, size, stride), expected)


def test_pooling_integer_input_and_default_stride():
    x = [[1, 2, 3, 4, 9], [5, 6, 7, 8, 9], [0, 1, 0, 3, 9]]
    assert_float_array(conv.max_pool2d(x, 2), [[6, 8]], exact=True)
    assert_float_array(conv.avg_pool2d(x, 2), [[3.5, 5.5]], exact=True)
    assert_float_array(conv.max_pool2d(x, (3, 1)), [[5, 6, 7, 8, 9]], exact=True)


# --- shapes -------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 5, 11, 32, 224])
@pytest.mark.parametrize("k", [1, 2, 3, 11])
@pytest.mark.parametrize("s", [1, 2, 3, 4])
@pytest.mark.parametrize("p", [0, 1, 2])
def test_conv_output_size_counts_positions(n, k, s, p):
    if k > n + 2 * p:
        with pytest.raises(ValueError):
            shapes.conv_output_size(n, k, s, p)
        return
    positions = len(range(0, n + 2 * p - k + 1, s))  # window starts that fit
    out = shapes.conv_output_size(n, k, s, p)
    assert type(out) is int
    assert out == positions


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("image_shape", "kernel_size", "stride", "padding"),
    [((6, 9, 2), (3, 2), (2, 1), (1, 0)), ((2, 7, 7, 3), 3, 2, 1), ((1, 5, 8, 1), (5, 3), 1, 0)],
)
def test_conv_output_shape_agrees_with_conv_layer(seed, image_shape, kernel_size, stride, padding):
    rng = np.random.default_rng(seed)
    kh, kw = as_pair(kernel_size)
    images = rng.standard_normal(image_shape if len(image_shape) == 4 else (1, *image_shape))
    kernels = rng.standard_normal((4, kh, kw, image_shape[-1]))
    out = conv.conv_layer(images, kernels, stride=stride, padding=padding)
    expected = out.shape if len(image_shape) == 4 else out.shape[1:]
    assert shapes.conv_output_shape(image_shape, 4, kernel_size, stride, padding) == expected


def test_shapes_accept_numpy_integers():
    assert shapes.conv_output_size(np.int64(224), np.int32(11), np.uint8(4)) == 54
    shape = shapes.conv_output_shape((np.int64(224), 224, 3), np.int64(96), (11, np.int16(11)), 4)
    assert shape == (54, 54, 96)
    assert all(type(d) is int for d in shape)
    assert shapes.conv_num_parameters(np.int64(3), 96, 11, np.bool_(False)) == 34848


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((3, 96, 11), 34944),
        ((3, 96, 11, False), 34848),
        ((1, 1, 1), 2),
        ((96, 256, (5, 3)), 96 * 256 * 15 + 256),
        ((2, 4, (1, 7), False), 56),
    ],
)
def test_conv_num_parameters(args, expected):
    out = shapes.conv_num_parameters(*args)
    assert type(out) is int
    assert out == expected


# --- activations --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("alpha", [0.01, 0.2, 1])
def test_activations_match_oracle(seed, alpha):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 5))
    x[0, :3] = [0.0, -0.0, 1e-300]
    flat = x.ravel().tolist()
    shape = x.shape
    relu = [v if v > 0 else 0.0 for v in flat]
    relu_grad = [1.0 if v > 0 else 0.0 for v in flat]
    leaky = [v if v > 0 else alpha * v for v in flat]
    leaky_grad = [1.0 if v > 0 else alpha for v in flat]
    assert_float_array(activations.relu(x), np.reshape(relu, shape))
    assert_float_array(activations.relu_grad(x), np.reshape(relu_grad, shape), exact=True)
    assert_float_array(activations.leaky_relu(x, alpha), np.reshape(leaky, shape))
    assert_float_array(
        activations.leaky_relu_grad(x, alpha), np.reshape(leaky_grad, shape), exact=True
    )


def test_activation_gradients_at_zero_and_defaults():
    assert_float_array(activations.relu_grad([-1, 0, 2]), [0, 0, 1], exact=True)
    assert_float_array(activations.leaky_relu_grad([-1, 0, 2]), [0.01, 0.01, 1], exact=True)
    assert_float_array(activations.leaky_relu([-100, 0, 3]), [-1, 0, 3])
    assert_float_array(activations.relu([[-2, 3]]), [[0, 3]], exact=True)


def test_activations_of_a_scalar_are_0d_arrays():
    for f in (activations.relu, activations.relu_grad, activations.leaky_relu):
        out = f(-2)
        assert type(out) is np.ndarray
        assert out.shape == ()


@pytest.mark.parametrize("seed", SEEDS)
def test_dead_unit_fraction_matches_oracle(seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((6, 10)) - 1.0
    z[:, 0] = 0.0  # all zeros: dead (the gradient at 0 is 0)
    z[:, 1] = -1.0
    z[3, 1] = 1e-9  # one sample active: alive
    rows, cols = z.shape
    dead = sum(all(z[i, j] <= 0 for i in range(rows)) for j in range(cols))
    out = activations.dead_unit_fraction(z)
    assert type(out) is float
    assert out == pytest.approx(dead / cols)


def test_dead_unit_fraction_values():
    assert activations.dead_unit_fraction([[-1, 2, 0], [-3, -1, 0]]) == pytest.approx(2 / 3)
    assert activations.dead_unit_fraction([[1, 2]]) == 0.0
    assert activations.dead_unit_fraction([[0, -1]]) == 1.0


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_softmax_last_axis_matches_oracle(seed, shape):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(shape) * 3
    expected = [oracle_softmax_1d(row) for row in z.reshape(-1, shape[-1]).tolist()]
    out = activations.softmax(z)
    assert_float_array(out, np.reshape(expected, shape))


@pytest.mark.parametrize("seed", SEEDS)
def test_softmax_axis_0_matches_oracle(seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((4, 3))
    columns = [oracle_softmax_1d([z[i, j] for i in range(4)]) for j in range(3)]
    expected = [[columns[j][i] for j in range(3)] for i in range(4)]
    assert_float_array(activations.softmax(z, axis=0), expected)
    assert_float_array(activations.softmax(z.T, axis=-1), np.transpose(expected))


@pytest.mark.parametrize("shift", [1000.0, -1000.0, 1e6])
def test_softmax_does_not_overflow(shift):
    rng = np.random.default_rng(6)
    z = rng.standard_normal((3, 5))
    expected = [oracle_softmax_1d(row) for row in z.tolist()]
    out = activations.softmax(z + shift)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_allclose(out.sum(axis=-1), 1.0)


def test_softmax_of_large_equal_inputs():
    assert_float_array(activations.softmax([1000, 1000]), [0.5, 0.5])
    assert_float_array(activations.softmax([[1000], [1000]], axis=0), [[0.5], [0.5]])


# --- rnn ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("steps", "dim", "hidden"), [(1, 3, 4), (6, 2, 5), (4, 5, 1)])
def test_rnn_forward_matches_oracle(seed, steps, dim, hidden):
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((steps, dim))
    h0 = rng.standard_normal(hidden)
    W_xh = rng.standard_normal((dim, hidden)) * 0.5
    W_hh = rng.standard_normal((hidden, hidden)) * 0.5
    b = rng.standard_normal(hidden)
    expected = oracle_rnn_forward(xs.tolist(), h0.tolist(), W_xh.tolist(), W_hh.tolist(), b)
    assert_float_array(rnn.rnn_forward(xs, h0, W_xh, W_hh, b), expected)


def test_rnn_forward_nested_lists():
    out = rnn.rnn_forward([[1.0], [0.0]], [0.0], [[0.5]], [[2.0]], [0.0])
    h1 = math.tanh(0.5)
    assert_float_array(out, [[h1], [math.tanh(2 * h1)]])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("max_norm", [0.1, 1.0, 5.0, 100.0])
def test_clip_grad_norm_matches_oracle(seed, max_norm):
    rng = np.random.default_rng(seed)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5) * 3, rng.standard_normal(())]
    out = rnn.clip_grad_norm(grads, max_norm)
    assert type(out) is list
    assert len(out) == len(grads)
    for got, want in zip(out, oracle_clip(grads, max_norm), strict=True):
        assert_float_array(got, want)
    norm = math.sqrt(sum(float(np.sum(g**2)) for g in out))
    assert norm <= max_norm * (1 + 1e-12)


def test_clip_grad_norm_is_global_not_per_tensor():
    grads = [np.array([3.0, 0.0]), np.array([0.0, 4.0])]  # norms 3 and 4, global norm 5
    out = rnn.clip_grad_norm(grads, 3.5)
    # Global clipping scales both by 3.5 / 5; per-tensor clipping would scale only the second.
    assert_float_array(out[0], [2.1, 0.0])
    assert_float_array(out[1], [0.0, 2.8])
    within = rnn.clip_grad_norm(grads, 5.0)
    assert_float_array(within[0], grads[0], exact=True)
    assert_float_array(within[1], grads[1], exact=True)


def test_clip_grad_norm_handles_huge_and_zero_gradients():
    out = rnn.clip_grad_norm([np.array([3e200, 4e200])], 1.0)
    assert_float_array(out[0], [0.6, 0.8])
    zeros = rnn.clip_grad_norm([np.zeros(3), [0, 0]], 1.0)
    assert_float_array(zeros[0], np.zeros(3), exact=True)
    assert_float_array(zeros[1], [0.0, 0.0], exact=True)
    assert rnn.clip_grad_norm([], 1.0) == []


def test_clip_grad_norm_accepts_nested_lists_and_integers():
    out = rnn.clip_grad_norm([[[3, 0]], [4]], 1)
    assert_float_array(out[0], [[0.6, 0.0]])
    assert_float_array(out[1], [0.8])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("shape", "mode", "p"),
    [
        ((4, 6), "rows", None),
        ((4, 6), "columns", None),
        ((4, 6), "patches", 2),
        ((6, 4, 3), "rows", None),
        ((6, 4, 3), "columns", None),
        ((6, 4, 3), "patches", 2),
        ((6, 9, 2), "patches", 3),
        ((4, 8), "patches", 4),
        ((5, 5, 2), "patches", 1),
        ((5, 5, 2), "patches", 5),
        ((3, 5, 2), "rows", 7),  # patch_size is ignored by the other modes
    ],
)
def test_image_to_tokens_matches_oracle(seed, shape, mode, p):
    rng = np.random.default_rng(seed)
    image = rng.standard_normal(shape)
    expected = oracle_tokens(image, mode, p)
    assert_float_array(rnn.image_to_tokens(image, mode, p), expected, exact=True)


def test_image_to_tokens_default_mode_is_patches():
    image = np.arange(16).reshape(4, 4)
    out = rnn.image_to_tokens(image, patch_size=2)
    assert_float_array(out, [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]])
    assert_float_array(rnn.image_to_tokens(image.tolist(), "rows"), image, exact=True)
    assert_float_array(rnn.image_to_tokens(image, "columns"), image.T, exact=True)


def test_image_to_tokens_returns_a_copy():
    image = np.arange(12.0).reshape(3, 4)
    for mode in ("rows", "columns"):
        out = rnn.image_to_tokens(image, mode)
        assert not np.shares_memory(out, image)


# --- errors -------------------------------------------------------------------------------

IMAGE = np.ones((4, 4))
KERNEL = np.ones((3, 3))
IMAGES = np.ones((2, 6, 6, 3))
KERNELS = np.ones((4, 3, 3, 3))
RNN_ARGS = {
    "xs": np.ones((3, 2)),
    "h0": np.ones(4),
    "W_xh": np.ones((2, 4)),
    "W_hh": np.ones((4, 4)),
    "b": np.ones(4),
}


def rnn_with(**changes):
    return lambda: rnn.rnn_forward(**{**RNN_ARGS, **changes})


ERROR_CASES = {
    # conv2d
    "conv2d 3-D image": lambda: conv.conv2d(np.ones((4, 4, 1)), KERNEL),
    "conv2d 1-D image": lambda: conv.conv2d(np.ones(4), KERNEL),
    "conv2d 1-D kernel": lambda: conv.conv2d(IMAGE, np.ones(3)),
    "conv2d 3-D kernel": lambda: conv.conv2d(IMAGE, np.ones((3, 3, 1))),
    "conv2d empty kernel": lambda: conv.conv2d(IMAGE, np.ones((0, 3))),
    "conv2d kernel too tall": lambda: conv.conv2d(IMAGE, np.ones((5, 1))),
    "conv2d kernel too wide for padding": lambda: conv.conv2d(IMAGE, np.ones((1, 7)), padding=1),
    "conv2d stride 0": lambda: conv.conv2d(IMAGE, KERNEL, stride=0),
    "conv2d stride pair with 0": lambda: conv.conv2d(IMAGE, KERNEL, stride=(1, 0)),
    "conv2d negative padding": lambda: conv.conv2d(IMAGE, KERNEL, padding=-1),
    "conv2d negative padding pair": lambda: conv.conv2d(IMAGE, KERNEL, padding=(0, -1)),
    "conv2d stride triple": lambda: conv.conv2d(IMAGE, KERNEL, stride=(1, 1, 1)),
    "conv2d float stride": lambda: conv.conv2d(IMAGE, KERNEL, stride=1.5),
    "conv2d bool stride": lambda: conv.conv2d(IMAGE, KERNEL, stride=True),
    "conv2d string image": lambda: conv.conv2d([["a", "b"], ["c", "d"]], [[1]]),
    "conv2d ragged image": lambda: conv.conv2d([[1, 2], [3]], [[1]]),
    "conv2d complex image": lambda: conv.conv2d(IMAGE * 1j, KERNEL),
    # conv_layer
    "conv_layer 3-D images": lambda: conv.conv_layer(np.ones((6, 6, 3)), KERNELS),
    "conv_layer 3-D kernels": lambda: conv.conv_layer(IMAGES, np.ones((3, 3, 3))),
    "conv_layer channel mismatch": lambda: conv.conv_layer(IMAGES, np.ones((4, 3, 3, 2))),
    "conv_layer bias length": lambda: conv.conv_layer(IMAGES, KERNELS, np.ones(3)),
    "conv_layer bias 2-D": lambda: conv.conv_layer(IMAGES, KERNELS, np.ones((1, 4))),
    "conv_layer kernel too large": lambda: conv.conv_layer(IMAGES, np.ones((4, 7, 3, 3))),
    "conv_layer stride 0": lambda: conv.conv_layer(IMAGES, KERNELS, stride=(0, 1)),
    "conv_layer negative padding": lambda: conv.conv_layer(IMAGES, KERNELS, padding=-2),
    "conv_layer empty batch": lambda: conv.conv_layer(np.ones((0, 6, 6, 3)), KERNELS),
    # pooling
    "max_pool2d 3-D": lambda: conv.max_pool2d(np.ones((4, 4, 3)), 2),
    "avg_pool2d 1-D": lambda: conv.avg_pool2d(np.ones(4), 2),
    "max_pool2d window too large": lambda: conv.max_pool2d(IMAGE, 5),
    "avg_pool2d window too wide": lambda: conv.avg_pool2d(IMAGES, (2, 7)),
    "max_pool2d size 0": lambda: conv.max_pool2d(IMAGE, 0),
    "avg_pool2d stride 0": lambda: conv.avg_pool2d(IMAGE, 2, 0),
    "max_pool2d stride pair with 0": lambda: conv.max_pool2d(IMAGES, 2, (0, 1)),
    "max_pool2d bool size": lambda: conv.max_pool2d(IMAGE, True),
    "avg_pool2d size triple": lambda: conv.avg_pool2d(IMAGE, (2, 2, 2)),
    # shapes
    "conv_output_size n 0": lambda: shapes.conv_output_size(0, 1),
    "conv_output_size k 0": lambda: shapes.conv_output_size(5, 0),
    "conv_output_size stride 0": lambda: shapes.conv_output_size(5, 3, 0),
    "conv_output_size padding -1": lambda: shapes.conv_output_size(5, 3, 1, -1),
    "conv_output_size kernel too large": lambda: shapes.conv_output_size(5, 8, 1, 1),
    "conv_output_size float n": lambda: shapes.conv_output_size(224.0, 11, 4),
    "conv_output_size bool stride": lambda: shapes.conv_output_size(224, 11, True),
    "conv_output_size string k": lambda: shapes.conv_output_size(224, "11"),
    "conv_output_size numpy bool": lambda: shapes.conv_output_size(np.True_, 1),
    "conv_output_size array n": lambda: shapes.conv_output_size(np.array([224]), 11),
    "conv_output_shape not a tuple": lambda: shapes.conv_output_shape(224, 96, 11),
    "conv_output_shape rank 2": lambda: shapes.conv_output_shape((224, 224), 96, 11, 4),
    "conv_output_shape rank 5": lambda: shapes.conv_output_shape((1, 1, 224, 224, 3), 96, 11),
    "conv_output_shape zero channels": lambda: shapes.conv_output_shape((224, 224, 0), 96, 11),
    "conv_output_shape zero kernels": lambda: shapes.conv_output_shape((224, 224, 3), 0, 11),
    "conv_output_shape kernel too large": lambda: shapes.conv_output_shape((5, 9, 1), 2, (6, 3)),
    "conv_output_shape bad pair": lambda: shapes.conv_output_shape((9, 9, 1), 2, 3, (1, 1, 1)),
    "conv_output_shape padding -1": lambda: shapes.conv_output_shape((9, 9, 1), 2, 3, 1, (0, -1)),
    "conv_num_parameters channels 0": lambda: shapes.conv_num_parameters(0, 96, 11),
    "conv_num_parameters kernels 0": lambda: shapes.conv_num_parameters(3, 0, 11),
    "conv_num_parameters kernel 0": lambda: shapes.conv_num_parameters(3, 96, (11, 0)),
    "conv_num_parameters bool size": lambda: shapes.conv_num_parameters(True, 96, 11),
    "conv_num_parameters bias not bool": lambda: shapes.conv_num_parameters(3, 96, 11, "yes"),
    # rnn_types
    "rnn_type input 0": lambda: rnn_types.rnn_type(0, 1),
    "rnn_type output 0": lambda: rnn_types.rnn_type(1, 0),
    "rnn_type negative": lambda: rnn_types.rnn_type(-3, 2),
    "rnn_type bool": lambda: rnn_types.rnn_type(True, 2),
    "rnn_type float": lambda: rnn_types.rnn_type(2.0, 2),
    "rnn_type numpy bool": lambda: rnn_types.rnn_type(np.bool_(True), 2),
    # activations
    "relu strings": lambda: activations.relu(["a"]),
    "relu_grad None": lambda: activations.relu_grad(None),
    "leaky_relu string alpha": lambda: activations.leaky_relu([1.0], alpha="0.1"),
    "leaky_relu_grad complex": lambda: activations.leaky_relu_grad([1j]),
    "dead_unit_fraction 1-D": lambda: activations.dead_unit_fraction([1.0, -1.0]),
    "dead_unit_fraction 3-D": lambda: activations.dead_unit_fraction(np.ones((2, 2, 2))),
    "dead_unit_fraction empty": lambda: activations.dead_unit_fraction(np.ones((0, 3))),
    "softmax scalar": lambda: activations.softmax(3.0),
    "softmax axis out of range": lambda: activations.softmax([1.0, 2.0], axis=1),
    "softmax axis too negative": lambda: activations.softmax([[1.0, 2.0]], axis=-3),
    "softmax float axis": lambda: activations.softmax([1.0, 2.0], axis=0.0),
    "softmax empty axis": lambda: activations.softmax(np.ones((2, 0))),
    # rnn_forward
    "rnn_forward 1-D xs": rnn_with(xs=np.ones(2)),
    "rnn_forward 2-D h0": rnn_with(h0=np.ones((1, 4))),
    "rnn_forward W_xh wrong D": rnn_with(W_xh=np.ones((3, 4))),
    "rnn_forward W_xh transposed": rnn_with(W_xh=np.ones((4, 2))),
    "rnn_forward W_hh wrong H": rnn_with(W_hh=np.ones((4, 3))),
    "rnn_forward b wrong H": rnn_with(b=np.ones(3)),
    "rnn_forward b 2-D": rnn_with(b=np.ones((1, 4))),
    # clip_grad_norm
    "clip_grad_norm max_norm 0": lambda: rnn.clip_grad_norm([np.ones(2)], 0.0),
    "clip_grad_norm max_norm negative": lambda: rnn.clip_grad_norm([np.ones(2)], -1),
    "clip_grad_norm max_norm nan": lambda: rnn.clip_grad_norm([np.ones(2)], float("nan")),
    "clip_grad_norm max_norm string": lambda: rnn.clip_grad_norm([np.ones(2)], "1"),
    "clip_grad_norm bare array": lambda: rnn.clip_grad_norm(np.ones((2, 2)), 1.0),
    "clip_grad_norm string grad": lambda: rnn.clip_grad_norm([np.ones(2), "x"], 1.0),
    # image_to_tokens
    "image_to_tokens unknown mode": lambda: rnn.image_to_tokens(IMAGE, "pixels", 2),
    "image_to_tokens mode case": lambda: rnn.image_to_tokens(IMAGE, "Rows"),
    "image_to_tokens missing patch_size": lambda: rnn.image_to_tokens(IMAGE),
    "image_to_tokens patch_size 0": lambda: rnn.image_to_tokens(IMAGE, "patches", 0),
    "image_to_tokens float patch_size": lambda: rnn.image_to_tokens(IMAGE, "patches", 2.0),
    "image_to_tokens bool patch_size": lambda: rnn.image_to_tokens(IMAGE, "patches", True),
    "image_to_tokens not divisible": lambda: rnn.image_to_tokens(IMAGE, "patches", 3),
    "image_to_tokens width not divisible": lambda: rnn.image_to_tokens(
        np.ones((4, 6)), "patches", 4
    ),
    "image_to_tokens 1-D image": lambda: rnn.image_to_tokens(np.ones(4), "rows"),
    "image_to_tokens 4-D image": lambda: rnn.image_to_tokens(IMAGES, "rows"),
}


@pytest.mark.parametrize("call", ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_invalid_arguments_raise_value_error(call):
    with pytest.raises(ValueError) as info:
        call()
    # A message a student can act on, not NumPy's internals.
    assert len(str(info.value)) > 15


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: conv.conv2d(np.ones((4, 4, 3)), KERNEL), "2-D"),
        (lambda: conv.conv2d(IMAGE, np.ones((5, 5))), "larger than the padded"),
        (lambda: conv.conv2d(IMAGE, KERNEL, stride=0), "stride must be at least 1"),
        (lambda: conv.conv2d(IMAGE, KERNEL, padding=-1), "padding must be at least 0"),
        (lambda: conv.conv_layer(IMAGES, np.ones((4, 3, 3, 2))), "channels"),
        (lambda: conv.max_pool2d(IMAGE, (2, 5)), "pooling window"),
        (lambda: shapes.conv_output_size(5, 8), "larger than the padded"),
        (lambda: rnn.image_to_tokens(IMAGE, "pixels"), "mode"),
        (lambda: rnn.image_to_tokens(IMAGE), "patch_size"),
        (lambda: rnn.image_to_tokens(IMAGE, "patches", 3), "divide"),
        (lambda: rnn.clip_grad_norm([IMAGE], 0), "max_norm"),
    ],
)
def test_error_messages_name_the_problem(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()


# --- inputs are not modified, results are new float arrays -------------------------------


@pytest.fixture
def inputs():
    """Fresh float and integer arguments for every function."""
    rng = np.random.default_rng(7)
    return {
        "image": rng.standard_normal((6, 6)),
        "kernel": rng.integers(-3, 3, size=(3, 3)),
        "images": rng.standard_normal((2, 6, 6, 3)),
        "kernels": rng.standard_normal((4, 3, 3, 3)),
        "bias": rng.standard_normal(4),
        "z": rng.standard_normal((3, 4)) * 1000,
        "grads": [rng.standard_normal((3, 3)) * 10, rng.integers(-5, 5, size=4)],
        **{name: value.copy() for name, value in RNN_ARGS.items()},
        "image3": rng.standard_normal((4, 6, 3)),
    }


CALLS = {
    "conv2d": lambda a: conv.conv2d(a["image"], a["kernel"], stride=2, padding=1),
    "conv_layer": lambda a: conv.conv_layer(a["images"], a["kernels"], a["bias"], 1, 1),
    "max_pool2d": lambda a: conv.max_pool2d(a["images"], 2),
    "avg_pool2d": lambda a: conv.avg_pool2d(a["image"], 3, 1),
    "relu": lambda a: activations.relu(a["z"]),
    "relu_grad": lambda a: activations.relu_grad(a["z"]),
    "leaky_relu": lambda a: activations.leaky_relu(a["z"], 0.1),
    "leaky_relu_grad": lambda a: activations.leaky_relu_grad(a["kernel"]),
    "dead_unit_fraction": lambda a: activations.dead_unit_fraction(a["z"]),
    "softmax": lambda a: activations.softmax(a["z"], axis=0),
    "rnn_forward": lambda a: rnn.rnn_forward(a["xs"], a["h0"], a["W_xh"], a["W_hh"], a["b"]),
    "clip_grad_norm": lambda a: rnn.clip_grad_norm(a["grads"], 1.0),
    "clip_grad_norm within": lambda a: rnn.clip_grad_norm(a["grads"], 1e9),
    "image_to_tokens rows": lambda a: rnn.image_to_tokens(a["image3"], "rows"),
    "image_to_tokens columns": lambda a: rnn.image_to_tokens(a["image3"], "columns"),
    "image_to_tokens patches": lambda a: rnn.image_to_tokens(a["image3"], "patches", 2),
}


@pytest.mark.parametrize("read_only", [False, True], ids=["writable", "read-only"])
@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_inputs_are_not_modified_and_results_are_new_floats(call, read_only, inputs):
    args = inputs
    if read_only:  # any write to an input would now raise
        for value in args.values():
            for array in value if isinstance(value, list) else [value]:
                array.setflags(write=False)
    copies = {
        name: [g.copy() for g in value] if isinstance(value, list) else value.copy()
        for name, value in args.items()
    }
    result = call(args)
    for name, value in args.items():
        if isinstance(value, list):
            for got, kept in zip(value, copies[name], strict=True):
                np.testing.assert_array_equal(got, kept)
                assert got.dtype == kept.dtype
        else:
            np.testing.assert_array_equal(value, copies[name])
            assert value.dtype == copies[name].dtype
    outputs = result if isinstance(result, list) else [result]
    for out in outputs:
        if isinstance(out, float):
            continue  # dead_unit_fraction
        assert type(out) is np.ndarray
        assert out.dtype == np.float64
        # Writing to a result must never reach the caller's arrays.
        for value in args.values():
            for array in value if isinstance(value, list) else [value]:
                assert not np.shares_memory(out, array)
