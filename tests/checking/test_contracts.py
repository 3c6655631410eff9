"""grader/checking/contracts.py and the worker's side of it (grader/runtime/runner.py
`contract`)."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checking import contracts
from grader.runtime import runner


def _report(function, *args, **kwargs) -> dict:
    """What the worker reports for one call, as the trusted side decodes it."""
    kept = runner.snapshot([list(args), kwargs])
    live = [list(args), kwargs]
    result = function(*live[0], **live[1])
    return runner.contract(kept, live, result)


def _relu_in_place(x):
    x[x < 0] = 0.0
    return x


def _clip_in_place(grads, max_norm):
    for g in grads:
        g *= 0.5
    return grads


@pytest.mark.parametrize(
    "function, args, kwargs, mutated",
    [
        pytest.param(lambda x: np.maximum(x, 0), (np.array([-1.0, 2.0]),), {}, None, id="pure"),
        pytest.param(_relu_in_place, (np.array([-1.0, 2.0]),), {}, [[0]], id="array"),
        pytest.param(
            lambda g, m: _clip_in_place(g, m),
            ([np.ones(2), np.ones(3)], 1.0),
            {},
            [[0, 0], [0, 1]],
            id="nested-arrays",
        ),
        pytest.param(lambda g: g.append(np.ones(1)), ([np.ones(2)],), {}, [[0]], id="list-grew"),
        pytest.param(lambda g: g.__setitem__(0, 5), ([np.ones(2)],), {}, [[0, 0]], id="replaced"),
        pytest.param(
            lambda x, alpha: x.__imul__(alpha), (), {"x": np.ones(2), "alpha": 2.0},
            [["x"]], id="keyword",
        ),
        pytest.param(
            lambda x: x.resize(4, refcheck=False), (np.ones(2),), {}, [[0]], id="reshaped"
        ),
        pytest.param(lambda x: x.__setitem__(0, np.nan), (np.array([np.nan, 1.0]),), {}, None,
                     id="nan-stays-nan"),
    ],
)  # fmt: skip
def test_worker_reports_exactly_the_changed_arguments(function, args, kwargs, mutated) -> None:
    assert _report(function, *args, **kwargs).get("mutated") == mutated


def test_worker_reports_results_that_share_memory_with_arguments() -> None:
    grads = [np.ones((2, 2)), np.ones(3)]
    report = _report(lambda g: [g[0][:, :1], g[1] * 2, g[1].copy()], grads)
    assert report == {"shared": [[[0], [0, 0]]]}
    assert _report(lambda g: g, grads) == {"shared": [[[0], [0, 0]], [[1], [0, 1]]]}
    assert _report(lambda x: x.reshape(-1), np.ones((2, 2))) == {"shared": [[[], [0]]]}
    assert _report(lambda x: x + 1, np.ones((2, 2))) == {}


def _call(reply: dict, args=(), kwargs=None, target="activations.relu", new_arrays=False):
    return contracts.broken(target, new_arrays, reply, args, kwargs or {})


def test_a_changed_array_argument_is_named_by_the_reference_signature() -> None:
    x = np.ones(3)
    headline, detail = _call({"mutated": [[0]]}, (x,))
    assert headline.startswith("relu modified its input array x in place: return a new array")
    assert detail == ""
    headline, _ = _call({"mutated": [["alpha"]]}, (x,), {"alpha": 0.5}, "activations.leaky_relu")
    assert "modified its input alpha in place" in headline


def test_a_changed_item_of_a_list_argument_names_the_list_and_details_the_item() -> None:
    grads = [np.ones(2), np.ones(3)]
    headline, detail = _call({"mutated": [[0, 1]]}, (grads, 1.0), target="rnn.clip_grad_norm")
    assert headline.startswith("clip_grad_norm modified its input grads in place")
    assert detail == "changed: grads[1]"


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param({}, id="nothing"),
        pytest.param({"mutated": [[5]]}, id="no-such-argument"),
        pytest.param({"mutated": [["secret"]]}, id="no-such-keyword"),
        pytest.param({"mutated": [[0, 0]]}, id="not-a-container"),
        pytest.param({"mutated": "x"}, id="not-a-list"),
        pytest.param({"mutated": [[True]]}, id="bool-index"),
        pytest.param({"shared": [[[], [0]]]}, id="shared-without-contract"),
    ],
)
def test_reports_that_do_not_lead_into_the_arguments_sent_are_ignored(reply) -> None:
    assert _call(reply, (np.ones(2),)) is None


def test_shared_memory_fails_only_where_new_arrays_are_promised() -> None:
    grads = [np.ones(2), np.ones(3)]
    reply = {"shared": [[[0], [0, 0]], [[1], [0, 1]]]}
    assert _call(reply, (grads, 1.0), target="rnn.clip_grad_norm") is None
    headline, detail = _call(reply, (grads, 1.0), target="rnn.clip_grad_norm", new_arrays=True)
    assert headline.startswith("clip_grad_norm returned arrays that share memory with its input")
    assert "grads" in headline and detail == "shared with: grads[0], grads[1]"


def test_parameters_come_from_the_references() -> None:
    assert contracts.parameters("rnn.rnn_forward") == ("xs", "h0", "W_xh", "W_hh", "b")
    assert contracts._parameter("activations.relu", 3) == "argument 4"
