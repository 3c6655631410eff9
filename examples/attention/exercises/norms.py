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
    raise NotImplementedError("Problem ln: implement layer_norm in norms.py")
