"""Layer normalisation (the attention exercise set)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def layer_norm(x: ArrayLike, eps: float = 1e-5) -> np.ndarray:
    """Normalise each row of x (its last axis) to mean 0 and variance 1.

    Args:
        x: shape (..., D), D >= 1 features per row.
        eps: added to the variance before the square root, > 0.

    Returns:
        A new float array of shape (..., D): (x - mean) / sqrt(var + eps) along the last axis,
        with the biased variance (as np.var).

    Raises:
        ValueError: if x is 0-dimensional or has no entries along its last axis, or eps <= 0.
    """
    # BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"x must have at least one entry along its last axis, got {x.shape}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)
    # END SOLUTION
