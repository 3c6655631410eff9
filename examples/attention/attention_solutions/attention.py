"""Scaled dot-product attention (the attention exercise set)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


# BEGIN SOLUTION
def _pair(q: ArrayLike, k: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    q, k = np.asarray(q, dtype=float), np.asarray(k, dtype=float)
    if q.ndim != 2 or k.ndim != 2 or q.shape[1] != k.shape[1] or 0 in q.shape + k.shape:
        raise ValueError(f"q and k must be non-empty (T, d) arrays, got {q.shape} and {k.shape}")
    return q, k


# END SOLUTION
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
    # BEGIN SOLUTION
    q, k = _pair(q, k)
    scores = q @ k.T / np.sqrt(q.shape[1])
    scores -= scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    return weights / weights.sum(axis=1, keepdims=True)
    # END SOLUTION


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
    # BEGIN SOLUTION
    v = np.asarray(v, dtype=float)
    weights = attention_weights(q, k)
    if v.ndim != 2 or v.shape[0] != weights.shape[1]:
        raise ValueError(f"v must have shape ({weights.shape[1]}, dv), got {v.shape}")
    return weights @ v
    # END SOLUTION
