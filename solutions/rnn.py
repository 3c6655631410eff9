"""Recurrent networks: images as token sequences, the forward pass, gradient clipping.

Tutorial 9, Problem 4(d) (tokenising an image for an RNN) and the RNN exercises: the forward
pass of a simple (Elman) RNN, and gradient clipping by global norm, a standard fix for
exploding gradients.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


# BEGIN SOLUTION
def _as_float_array(value: ArrayLike, name: str) -> np.ndarray:
    """`value` as a float64 array (not a copy if it already is one); must hold real numbers."""
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers ({error})") from None
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must contain real numbers, got dtype {array.dtype}")
    return np.asarray(array, dtype=float)


def _is_int(value: object) -> bool:
    """True for int and NumPy integers, but not for bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_shape(array: np.ndarray, expected: tuple[int, ...], name: str, symbols: str) -> None:
    if array.shape != expected:
        raise ValueError(f"{name} must have shape {symbols} = {expected}, got {array.shape}")


def _global_norm(arrays: list[np.ndarray]) -> float:
    """The L2 norm of all entries of all arrays together."""
    largest = max((float(np.max(np.abs(a))) for a in arrays if a.size), default=0.0)
    if largest == 0.0 or not np.isfinite(largest):
        return largest
    # Dividing by the largest entry first keeps the squares of huge gradients from overflowing.
    total = sum(float(np.sum(np.square(a / largest))) for a in arrays)
    return largest * float(np.sqrt(total))


_MODES = ("rows", "columns", "patches")


# END SOLUTION
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
    # BEGIN SOLUTION
    # A copy, so the tokens never share memory with the caller's image.
    image = np.array(_as_float_array(image, "image"))
    if image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(
            f"image must be a non-empty (H, W) or (H, W, C) array, got shape {image.shape}"
        )
    if image.ndim == 2:
        image = image[:, :, None]
    height, width, channels = image.shape
    if not isinstance(mode, str) or mode not in _MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, _MODES))}, got {mode!r}")
    if mode == "rows":
        return image.reshape(height, width * channels)
    if mode == "columns":
        return image.transpose(1, 0, 2).reshape(width, height * channels)
    if patch_size is None:
        raise ValueError('mode "patches" needs a patch_size')
    if not _is_int(patch_size) or patch_size < 1:
        raise ValueError(f"patch_size must be a whole number (int) >= 1, got {patch_size!r}")
    p = int(patch_size)
    if height % p or width % p:
        raise ValueError(f"patch_size {p} must divide both sides of the {height} x {width} image")
    # (H/p, p, W/p, p, C) -> (H/p, W/p, p, p, C): patch indices first, row-major.
    patches = image.reshape(height // p, p, width // p, p, channels).transpose(0, 2, 1, 3, 4)
    return patches.reshape(-1, p * p * channels)
    # END SOLUTION


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
    # BEGIN SOLUTION
    xs = _as_float_array(xs, "xs")
    h = _as_float_array(h0, "h0")
    W_xh = _as_float_array(W_xh, "W_xh")
    W_hh = _as_float_array(W_hh, "W_hh")
    b = _as_float_array(b, "b")
    if xs.ndim != 2:
        raise ValueError(f"xs must be a 2-D array (T, D), got shape {xs.shape}")
    if h.ndim != 1:
        raise ValueError(f"h0 must be a 1-D array (H,), got shape {h.shape}")
    steps, dim = xs.shape
    hidden = h.shape[0]
    _check_shape(W_xh, (dim, hidden), "W_xh", "(D, H)")
    _check_shape(W_hh, (hidden, hidden), "W_hh", "(H, H)")
    _check_shape(b, (hidden,), "b", "(H,)")
    inputs = xs @ W_xh + b  # the input terms of all steps at once: (T, H)
    hs = np.empty((steps, hidden))
    for t in range(steps):  # each step needs the previous hidden state
        h = np.tanh(inputs[t] + h @ W_hh)
        hs[t] = h
    return hs
    # END SOLUTION


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
    # BEGIN SOLUTION
    if not isinstance(grads, (list, tuple)):
        raise ValueError(f"grads must be a list of arrays, got {type(grads).__name__}")
    if (
        not isinstance(max_norm, (int, float, np.integer, np.floating))
        or isinstance(max_norm, (bool, np.bool_))
        or not max_norm > 0  # also rejects NaN
    ):
        raise ValueError(f"max_norm must be a number > 0, got {max_norm!r}")
    arrays = [_as_float_array(g, f"grads[{i}]") for i, g in enumerate(grads)]
    norm = _global_norm(arrays)
    if norm > max_norm:
        factor = max_norm / norm
        # out= keeps 0-d gradients arrays (a * factor would give a NumPy scalar).
        return [np.multiply(a, factor, out=np.empty_like(a)) for a in arrays]
    return [a.copy() for a in arrays]
    # END SOLUTION
