"""Recurrent networks: images as token sequences, the forward pass, gradient clipping.

Tutorial 9, Problem 4(d) (tokenising an image for an RNN) and the RNN exercises: the forward
pass of a simple (Elman) RNN, and gradient clipping by global norm, a standard fix for
exploding gradients.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def image_to_tokens(
    image: ArrayLike, mode: str = "patches", patch_size: int | None = None
) -> np.ndarray:
    """Turn an image into a sequence of tokens that an RNN can read (Problem 4(d)).

    Modes:
        "rows": one token per image row, top to bottom; each token is the row's pixels from
            left to right, with each pixel's channels together: (column, channel) order.
        "columns": one token per image column, left to right; each token is the column's
            pixels from top to bottom, each pixel's channels together: (row, channel) order.
        "patches": the image is cut into non-overlapping patch_size x patch_size patches, taken
            in row-major order (left to right along the top row of patches, then the next
            row); each token is a patch flattened in (row, column, channel) order.

    Args:
        image: shape (H, W) for a single-channel image (treated as C = 1), or (H, W, C).
        mode: "rows", "columns" or "patches".
        patch_size: the patch side p, an int >= 1 dividing both H and W; needed for
            "patches", ignored by the other modes.

    Returns:
        A 2-D float array (num_tokens, token_dim), one token per row, in sequence order:
        (H, W * C) for "rows", (W, H * C) for "columns", (H * W / p**2, p * p * C) for
        "patches".

    Raises:
        ValueError: if image is not a non-empty 2-D or 3-D array, mode is unknown, or (for
            "patches") patch_size is missing, not an int >= 1, or does not divide H and W.
    """
    raise NotImplementedError("Problem 4d: implement image_to_tokens in rnn.py")


def rnn_forward(
    xs: ArrayLike, h0: ArrayLike, W_xh: ArrayLike, W_hh: ArrayLike, b: ArrayLike
) -> np.ndarray:
    """Run a simple RNN over a sequence and return every hidden state.

    For t = 1, ..., T: h_t = tanh(x_t @ W_xh + h_{t-1} @ W_hh + b), starting from h0. The same
    weights are used at every time step.

    Args:
        xs: shape (T, D), the inputs x_1, ..., x_T, one row per time step.
        h0: shape (H,), the initial hidden state.
        W_xh: shape (D, H), input-to-hidden weights.
        W_hh: shape (H, H), hidden-to-hidden weights.
        b: shape (H,), the bias.

    Returns:
        shape (T, H): row t - 1 is h_t. h0 itself is not included.

    Raises:
        ValueError: if an argument is not an array of real numbers of the shape above (the
            shapes must agree on D and H).
    """
    raise NotImplementedError("Problem rnn-forward: implement rnn_forward in rnn.py")


def clip_grad_norm(grads: list[ArrayLike], max_norm: float) -> list[np.ndarray]:
    """Clip gradients by their global norm, to tame exploding gradients.

    The global norm is the L2 norm of all entries of all gradients together:
    sqrt(sum over every array g of sum(g ** 2)). If it is larger than max_norm, every gradient
    is multiplied by the same factor max_norm / global_norm, so the direction of the update is
    kept and its global norm becomes max_norm. Otherwise the gradients are returned unchanged.

    Args:
        grads: a list (or tuple) of gradient arrays, any shapes.
        max_norm: the largest global norm allowed, > 0.

    Returns:
        A new list of new float arrays, with the same shapes as grads; the inputs are not
        modified.

    Raises:
        ValueError: if grads is not a list or tuple of arrays of real numbers, or max_norm is
            not a number > 0.
    """
    raise NotImplementedError("Problem grad-clip: implement clip_grad_norm in rnn.py")
