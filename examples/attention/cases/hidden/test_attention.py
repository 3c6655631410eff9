"""Hidden cases of the attention exercise set."""

import numpy as np
import pytest
from attention_solutions import attention as ref
from attention_solutions import norms as ref_norms


def _qkv(seed: int, tq: int, tk: int, d: int, dv: int, scale: float = 1.0):
    rng = np.random.default_rng(seed)
    return (
        scale * rng.standard_normal((tq, d)),
        scale * rng.standard_normal((tk, d)),
        rng.standard_normal((tk, dv)),
    )


@pytest.mark.problem("ln")
def test_layer_norm_of_a_3d_batch(student, expect):
    """layer_norm of a (2, 3, 5) array normalises along the last axis"""
    x = np.random.default_rng(701).standard_normal((2, 3, 5)) * 3 + 1
    unbiased = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, ddof=1, keepdims=True) + 1e-5)
    expect.array(
        student.norms.layer_norm(x),
        ref_norms.layer_norm(x),
        "layer_norm(x)",
        misconceptions={"the unbiased variance (ddof=1) was used": unbiased},
    )


@pytest.mark.problem("ln")
def test_layer_norm_with_a_large_eps(student, expect):
    """layer_norm with eps = 1 adds eps to the variance inside the square root"""
    x = np.random.default_rng(702).standard_normal((3, 4))
    expect.array(student.norms.layer_norm(x, eps=1.0), ref_norms.layer_norm(x, eps=1.0),
                 "layer_norm(x, eps)")  # fmt: skip
    expect.raises(
        ValueError, lambda: student.norms.layer_norm(x, eps=0.0), "layer_norm(x, eps)",
        reason="for an eps of 0",
    )  # fmt: skip


@pytest.mark.problem("weights")
@pytest.mark.parametrize("seed, tq, tk, d", [(711, 3, 5, 4), (712, 1, 7, 16), (713, 6, 2, 1)])
def test_attention_weights_of_random_queries(student, expect, seed, tq, tk, d):
    """attention_weights of random queries and keys"""
    q, k, _ = _qkv(seed, tq, tk, d, 1)
    expect.array(student.attention.attention_weights(q, k), ref.attention_weights(q, k),
                 "attention_weights(q, k)")  # fmt: skip


@pytest.mark.problem("weights")
def test_attention_weights_do_not_overflow(student, expect):
    """attention_weights stay finite for scores in the thousands"""
    q, k, _ = _qkv(714, 2, 4, 8, 1, scale=40.0)
    expect.array(student.attention.attention_weights(q, k), ref.attention_weights(q, k),
                 "attention_weights(q, k)")  # fmt: skip


@pytest.mark.problem("attend")
@pytest.mark.parametrize("seed, tq, tk, d, dv", [(721, 3, 5, 4, 2), (722, 4, 4, 8, 8)])
def test_attend_of_random_inputs(student, expect, seed, tq, tk, d, dv):
    """attend of random queries, keys and values"""
    q, k, v = _qkv(seed, tq, tk, d, dv)
    expect.array(student.attention.attend(q, k, v), ref.attend(q, k, v), "attend(q, k, v)")
    expect.raises(
        ValueError, lambda: student.attention.attend(q, k, v[:-1]), "attend(q, k, v)",
        reason="for values with fewer rows than keys",
    )  # fmt: skip
