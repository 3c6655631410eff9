"""Public cases of the attention exercise set."""

import numpy as np
import pytest
from attention_solutions import attention as ref
from attention_solutions import norms as ref_norms


@pytest.mark.problem("ln")
def test_layer_norm_of_two_rows(student, expect):
    """layer_norm of a (2, 4) array normalises each row"""
    x = np.array([[1.0, 2.0, 3.0, 4.0], [10.0, 10.0, 10.0, 14.0]])
    expect.array(
        student.norms.layer_norm(x),
        ref_norms.layer_norm(x),
        "layer_norm(x)",
        inputs={"x": x},
        misconceptions={"the whole array was normalised, not each row": (x - x.mean()) / x.std()},
    )


@pytest.mark.problem("weights")
def test_attention_weights_of_a_small_example(student, expect):
    """attention_weights of 2 queries and 3 keys with d = 2"""
    q = np.array([[1.0, 0.0], [0.0, 2.0]])
    k = np.array([[1.0, 1.0], [0.0, 1.0], [2.0, 0.0]])
    unscaled = np.exp(q @ k.T) / np.exp(q @ k.T).sum(axis=1, keepdims=True)
    expect.array(
        student.attention.attention_weights(q, k),
        ref.attention_weights(q, k),
        "attention_weights(q, k)",
        inputs={"q": q, "k": k},
        misconceptions={"the scores were not divided by sqrt(d)": unscaled},
    )


@pytest.mark.problem("attend")
def test_attend_of_a_small_example(student, expect):
    """attend of 2 queries over 3 keys and values"""
    q = np.array([[1.0, 0.0], [0.0, 2.0]])
    k = np.array([[1.0, 1.0], [0.0, 1.0], [2.0, 0.0]])
    v = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0], [4.0, 0.0, 1.0]])
    expect.array(
        student.attention.attend(q, k, v),
        ref.attend(q, k, v),
        "attend(q, k, v)",
        inputs={"q": q, "k": k, "v": v},
    )
