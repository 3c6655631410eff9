"""Hidden cases for rnn.py: Problem 4(d) image tokens, the RNN forward pass, gradient clipping."""

import numpy as np
import pytest

from solutions import rnn as ref

SWAPPED = "rows and columns were swapped"
RESHAPED = (
    "the image was reshaped directly; the pixels of a column or patch are not contiguous in "
    "memory, so transpose first"
)
PER_TENSOR = "each array was clipped on its own; the norm is the global one over all arrays"


def _image(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


# ------------------------------------------------------------------------ Problem 4(d)


@pytest.mark.problem("4d")
def test_image_to_tokens_columns(student, expect):
    """image_to_tokens in "columns" mode gives one token per column of a non-square image"""
    image = _image(301, (4, 6, 3))
    got = student.rnn.image_to_tokens(image, mode="columns")
    expect.array(
        got,
        ref.image_to_tokens(image, mode="columns"),
        'image_to_tokens(image, mode="columns")',
        misconceptions={
            SWAPPED: ref.image_to_tokens(image, mode="rows"),
            RESHAPED: image.reshape(6, 12),
            "each column was flattened in (channel, row) order; it is (row, channel)": (
                image.transpose(1, 2, 0).reshape(6, 12)
            ),
        },
    )


@pytest.mark.problem("4d")
def test_image_to_tokens_rows_channel_order(student, expect):
    """image_to_tokens in "rows" mode flattens each row in (column, channel) order"""
    image = _image(302, (5, 3, 2))
    got = student.rnn.image_to_tokens(image, mode="rows")
    expect.array(
        got,
        ref.image_to_tokens(image, mode="rows"),
        'image_to_tokens(image, mode="rows")',
        misconceptions={
            SWAPPED: ref.image_to_tokens(image, mode="columns"),
            "each row was flattened in (channel, column) order; it is (column, channel)": (
                image.transpose(0, 2, 1).reshape(5, 6)
            ),
        },
    )


@pytest.mark.problem("4d")
def test_image_to_tokens_patches_color(student, expect):
    """image_to_tokens cuts a non-square color image into row-major patches (the default mode)"""
    image = _image(303, (4, 6, 3))
    blocks = image.reshape(2, 2, 3, 2, 3)  # (patch row, row, patch column, column, channel)
    got = student.rnn.image_to_tokens(image, patch_size=2)
    expect.array(
        got,
        ref.image_to_tokens(image, mode="patches", patch_size=2),
        "image_to_tokens(image, patch_size)",
        misconceptions={
            RESHAPED: image.reshape(6, 12),
            "the patches are in column-major order; they go row by row": (
                blocks.transpose(2, 0, 1, 3, 4).reshape(6, 12)
            ),
            "each patch was flattened in (column, row, channel) order; it is (row, column, "
            "channel)": blocks.transpose(0, 2, 3, 1, 4).reshape(6, 12),
            "each patch was flattened channel-first; it is (row, column, channel)": (
                blocks.transpose(0, 2, 4, 1, 3).reshape(6, 12)
            ),
        },
    )


@pytest.mark.problem("4d")
def test_image_to_tokens_gray_columns(student, expect):
    """image_to_tokens treats an (H, W) image as one channel"""
    image = _image(304, (3, 5))
    got = student.rnn.image_to_tokens(image, mode="columns")
    expect.array(
        got,
        ref.image_to_tokens(image, mode="columns"),
        'image_to_tokens(image, mode="columns")',
        misconceptions={SWAPPED: image, RESHAPED: image.reshape(5, 3)},
    )


@pytest.mark.problem("4d")
@pytest.mark.parametrize(
    "shape, options, reason",
    [
        pytest.param(
            (4, 4), {"mode": "pixels", "patch_size": 2}, "for an unknown mode", id="unknown-mode"
        ),
        pytest.param(
            (4, 4, 3), {"mode": "patches"}, "when patch_size is missing", id="missing-patch-size"
        ),
        pytest.param(
            (4, 6),
            {"mode": "patches", "patch_size": 4},
            "for a patch_size that does not divide the image",
            id="not-divisible",
        ),
    ],
)
def test_image_to_tokens_rejects_invalid_arguments(student, expect, shape, options, reason):
    """image_to_tokens computes a valid call, and raises ValueError for invalid arguments"""
    # Refusing everything must not pay: the same case needs a right answer first.
    image = _image(305, (4, 6, 2))
    got = student.rnn.image_to_tokens(image, mode="patches", patch_size=2)
    expect.array(
        got,
        ref.image_to_tokens(image, mode="patches", patch_size=2),
        'image_to_tokens(image, mode="patches", patch_size)',
        misconceptions={RESHAPED: image.reshape(6, 8)},
    )
    expect.raises(
        ValueError,
        lambda: student.rnn.image_to_tokens(np.ones(shape), **options),
        "image_to_tokens(image, " + ", ".join(options) + ")",
        reason=reason,
    )


# ----------------------------------------------------------------------- rnn_forward


def _rnn_case(seed: int, steps: int, d: int, h: int) -> dict[str, np.ndarray]:
    """Random RNN inputs scaled so that tanh stays away from saturation."""
    rng = np.random.default_rng(seed)
    return {
        "xs": rng.standard_normal((steps, d)),
        "h0": rng.standard_normal(h) / 2,
        "W_xh": rng.standard_normal((d, h)) / np.sqrt(d),
        "W_hh": rng.standard_normal((h, h)) / np.sqrt(h),
        "b": rng.standard_normal(h) / 4,
    }


@pytest.mark.problem("rnn-forward")
def test_rnn_forward_carries_the_state(student, expect):
    """rnn_forward feeds each hidden state into the next step, with the same weights"""
    case = _rnn_case(311, steps=5, d=3, h=4)
    xs, h0, w_xh, w_hh, b = case.values()
    expected = ref.rnn_forward(**case)
    got = student.rnn.rnn_forward(xs, h0, w_xh, w_hh, b)
    expect.array(
        got,
        expected,
        "rnn_forward(xs, h0, W_xh, W_hh, b)",
        misconceptions={
            "h0 was used at every step; each step needs the previous hidden state": np.tanh(
                xs @ w_xh + h0 @ w_hh + b
            ),
            "W_hh was applied as W_hh @ h; the formula is h @ W_hh": ref.rnn_forward(
                xs, h0, w_xh, w_hh.T, b
            ),
            "the first step ignored h0 (started from zeros)": ref.rnn_forward(
                xs, np.zeros_like(h0), w_xh, w_hh, b
            ),
        },
    )


@pytest.mark.problem("rnn-forward")
def test_rnn_forward_returns_every_state(student, expect):
    """rnn_forward returns all T hidden states (T, H), without h0"""
    case = _rnn_case(312, steps=6, d=2, h=5)
    xs, h0, w_xh, w_hh, b = case.values()
    expected = ref.rnn_forward(**case)
    got = student.rnn.rnn_forward(xs, h0, w_xh, w_hh, b)
    expect.array(
        got,
        expected,
        "rnn_forward(xs, h0, W_xh, W_hh, b)",
        misconceptions={
            "h0 was included; return only h_1 ... h_T": np.vstack([h0, expected]),
            "only the last hidden state was returned; return all of them": expected[-1],
            "the states stop one step early (h_0 ... h_{T-1})": np.vstack([h0, expected[:-1]]),
        },
    )


@pytest.mark.problem("rnn-forward")
def test_rnn_forward_single_step(student, expect):
    """rnn_forward of a 1-step sequence returns a (1, H) array"""
    # D == H, so swapped weight matrices still have the right shapes.
    case = _rnn_case(313, steps=1, d=3, h=3)
    xs, h0, w_xh, w_hh, b = case.values()
    expected = ref.rnn_forward(**case)
    got = student.rnn.rnn_forward(xs, h0, w_xh, w_hh, b)
    expect.array(
        got,
        expected,
        "rnn_forward(xs, h0, W_xh, W_hh, b)",
        misconceptions={
            "a (H,) vector was returned; return a (T, H) array": expected[0],
            "W_xh and W_hh were swapped: W_xh multiplies x_t, W_hh multiplies h_{t-1}": (
                ref.rnn_forward(xs, h0, w_hh, w_xh, b)
            ),
        },
    )


# ---------------------------------------------------------------------- clip_grad_norm


def _grads(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((3, 4)) * 3, rng.standard_normal(4), rng.standard_normal((2, 2))]


@pytest.mark.problem("grad-clip")
def test_clip_grad_norm_global_norm(student, expect):
    """clip_grad_norm rescales all gradients by one factor to reach the global max_norm"""
    grads = _grads(321)
    norms = [np.linalg.norm(g) for g in grads]
    got = student.rnn.clip_grad_norm(grads, 2.0)
    expect.array_list(
        got,
        ref.clip_grad_norm(grads, 2.0),
        "clip_grad_norm(grads, max_norm)",
        misconceptions={
            PER_TENSOR: [ref.clip_grad_norm([g], 2.0)[0] for g in grads],
            "the norms of the arrays were added; the global norm is the square root of the sum "
            "of all squared entries": [g * 2.0 / sum(norms) for g in grads],
            "each entry was clipped to [-max_norm, max_norm] (clipping by value)": [
                np.clip(g, -2.0, 2.0) for g in grads
            ],
        },
    )


@pytest.mark.problem("grad-clip")
def test_clip_grad_norm_within_limit(student, expect):
    """clip_grad_norm leaves gradients already within max_norm unchanged"""
    grads = _grads(322)
    total = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    got = student.rnn.clip_grad_norm(grads, total * 1.5)
    expect.array_list(
        got,
        ref.clip_grad_norm(grads, total * 1.5),
        "clip_grad_norm(grads, max_norm)",
        misconceptions={
            "the gradients were scaled up to max_norm; only larger norms are clipped": [
                g * 1.5 for g in grads
            ],
        },
    )


@pytest.mark.problem("grad-clip")
def test_clip_grad_norm_rejects_zero_max_norm(student, expect):
    """clip_grad_norm computes a valid call, and raises ValueError when max_norm is 0"""
    # Refusing everything must not pay: the same case needs a right answer first.
    grads = _grads(323)
    got = student.rnn.clip_grad_norm(grads, 1.0)
    expect.array_list(
        got,
        ref.clip_grad_norm(grads, 1.0),
        "clip_grad_norm(grads, max_norm)",
        misconceptions={PER_TENSOR: [ref.clip_grad_norm([g], 1.0)[0] for g in grads]},
    )
    expect.raises(
        ValueError,
        lambda: student.rnn.clip_grad_norm(grads, 0.0),
        "clip_grad_norm(grads, max_norm)",
        reason="when max_norm is 0",
    )


@pytest.mark.problem("rnn-forward")
def test_rnn_forward_integer_inputs(student, expect):
    """rnn_forward of integer inputs and initial state returns float hidden states"""
    case = _rnn_case(314, steps=4, d=3, h=2)
    xs = np.array([[1, 0, -1], [0, 2, 0], [1, 1, 1], [-2, 0, 1]])
    h0 = np.array([0, 1])
    expected = ref.rnn_forward(xs, h0, case["W_xh"], case["W_hh"], case["b"])
    got = student.rnn.rnn_forward(xs, h0, case["W_xh"], case["W_hh"], case["b"])
    expect.array(
        got,
        expected,
        "rnn_forward(xs, h0, W_xh, W_hh, b)",
        misconceptions={"h0 was included; return only h_1 ... h_T": np.vstack([h0, expected])},
    )


@pytest.mark.problem("grad-clip")
def test_clip_grad_norm_integer_gradients(student, expect):
    """clip_grad_norm of integer gradients returns float arrays, scaled or not"""
    grads = [np.array([[3, 0], [0, 4]]), np.array([12, 0, 0])]
    for max_norm in (6.5, 20.0):
        got = student.rnn.clip_grad_norm(grads, max_norm)
        expect.array_list(
            got,
            ref.clip_grad_norm(grads, max_norm),
            "clip_grad_norm(grads, max_norm)",
            misconceptions={PER_TENSOR: [ref.clip_grad_norm([g], max_norm)[0] for g in grads]},
        )
