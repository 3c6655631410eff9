"""Public cases for rnn.py: Problem 4(d) image tokens, the RNN forward pass, gradient clipping."""

import numpy as np
import pytest

from solutions import rnn as ref


@pytest.mark.problem("4d")
def test_image_to_tokens_rows(student, expect):
    """image_to_tokens in "rows" mode gives one token per row of a 3x2x2 image"""
    image = np.arange(12.0).reshape(3, 2, 2)
    got = student.rnn.image_to_tokens(image, mode="rows")
    expect.array(
        got,
        ref.image_to_tokens(image, mode="rows"),
        'image_to_tokens(image, mode="rows")',
        inputs={"image": image},
    )


@pytest.mark.problem("4d")
def test_image_to_tokens_patches(student, expect):
    """image_to_tokens in "patches" mode cuts a 4x4 image into four 2x2 patches"""
    image = np.arange(16.0).reshape(4, 4)
    got = student.rnn.image_to_tokens(image, mode="patches", patch_size=2)
    expect.array(
        got,
        ref.image_to_tokens(image, mode="patches", patch_size=2),
        'image_to_tokens(image, mode="patches", patch_size=2)',
        inputs={"image": image},
        misconceptions={
            "the image was reshaped directly; a patch's pixels are not contiguous in memory, "
            "so split the axes and transpose first": image.reshape(4, 4),
        },
    )


@pytest.mark.problem("rnn-forward")
def test_rnn_forward_small(student, expect):
    """rnn_forward returns the 3 hidden states of a 3-step sequence"""
    xs = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
    h0 = np.zeros(3)
    w_xh = np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6]])
    w_hh = np.array([[0.3, 0.0, -0.2], [0.1, 0.5, 0.0], [-0.4, 0.2, 0.1]])
    b = np.array([0.0, 0.1, -0.1])
    got = student.rnn.rnn_forward(xs, h0, w_xh, w_hh, b)
    expected = ref.rnn_forward(xs, h0, w_xh, w_hh, b)
    expect.array(
        got,
        expected,
        "rnn_forward(xs, h0, W_xh, W_hh, b)",
        inputs={"xs": xs, "h0": h0, "W_xh": w_xh, "W_hh": w_hh, "b": b},
        misconceptions={
            "h0 was included; return only h_1 ... h_T": np.vstack([h0, expected]),
        },
    )


@pytest.mark.problem("grad-clip")
def test_clip_grad_norm_scales_together(student, expect):
    """clip_grad_norm scales two gradients with global norm 13 down to norm 6.5"""
    grads = [np.array([[3.0, 0.0], [0.0, 4.0]]), np.array([12.0, 0.0, 0.0])]
    got = student.rnn.clip_grad_norm(grads, 6.5)
    expect.array_list(
        got,
        ref.clip_grad_norm(grads, 6.5),
        "clip_grad_norm(grads, 6.5)",
        inputs={"grads": grads},
        misconceptions={
            "each array was clipped on its own; the norm is the global one over all arrays": [
                ref.clip_grad_norm([g], 6.5)[0] for g in grads
            ],
        },
    )


@pytest.mark.problem("4d")
def test_image_to_tokens_of_an_integer_image(student, expect):
    """image_to_tokens of a uint8 image (as images are stored) returns float tokens"""
    image = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    got = student.rnn.image_to_tokens(image, mode="columns")
    expect.array(
        got,
        ref.image_to_tokens(image, mode="columns"),
        'image_to_tokens(image, mode="columns")',
        inputs={"image": image},
    )
