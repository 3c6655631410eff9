"""Scaled dot-product attention (the attention exercise set)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def attention_weights(q: ArrayLike, k: ArrayLike) -> np.ndarray:
    """The attention weights softmax(q k^T / sqrt(d)), softmax over each row.

    Args:
        q: shape (Tq, d), the queries.
        k: shape (Tk, d), the keys.

    Returns:
        A float array of shape (Tq, Tk) whose rows are positive and sum to 1 (finite also for
        large scores).

    Raises:
        ValueError: if q or k is not a non-empty 2-D array or their d differ.
    """
    raise NotImplementedError("Problem weights: implement attention_weights in attention.py")


def attend(q: ArrayLike, k: ArrayLike, v: ArrayLike) -> np.ndarray:
    """Scaled dot-product attention: attention_weights(q, k) @ v.

    Args:
        q: shape (Tq, d), the queries.
        k: shape (Tk, d), the keys.
        v: shape (Tk, dv), the values, one row per key.

    Returns:
        A float array of shape (Tq, dv).

    Raises:
        ValueError: if the shapes do not agree as above.
    """
    raise NotImplementedError("Problem attend: implement attend in attention.py")
