"""grader/grading/references.py: reference results remembered by argument value, never shared."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from grader.grading import references

REFERENCE = """
import numpy as np

CALLS = []


def double(x, scale=2):
    CALLS.append(1)
    if scale == 0:
        raise ValueError("scale must not be 0")
    return np.asarray(x) * scale


def pair(x):
    CALLS.append(1)
    return [np.asarray(x), {"sum": float(np.sum(x))}]


def _private(x):
    CALLS.append(1)
    return x
"""


@pytest.fixture
def ref(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A reference package `fakeref` with one module, memoised; forgotten afterwards."""
    package = tmp_path / "fakeref"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "maths.py").write_text(REFERENCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    references.memoise(("maths", "missing"), package="fakeref")
    yield sys.modules["fakeref.maths"]
    references.clear()
    for name in ("fakeref.maths", "fakeref"):
        sys.modules.pop(name, None)


def test_a_call_seen_before_is_not_computed_again(ref) -> None:
    first = ref.double(np.arange(3.0))
    again = ref.double(np.arange(3.0))
    np.testing.assert_array_equal(first, again)
    assert len(ref.CALLS) == 1


@pytest.mark.parametrize(
    "other",
    [
        np.arange(3),  # same values, another dtype
        np.arange(3.0).reshape(3, 1),  # same bytes, another shape
        [0.0, 1.0, 2.0],  # a list, not an array
        np.arange(1.0, 4.0),
    ],
)
def test_arguments_are_told_apart_by_type_dtype_shape_and_value(ref, other) -> None:
    ref.double(np.arange(3.0))
    ref.double(other)
    assert len(ref.CALLS) == 2


def test_keyword_arguments_count(ref) -> None:
    ref.double(np.arange(3.0), scale=3)
    np.testing.assert_array_equal(ref.double(np.arange(3.0), scale=3), [0.0, 3.0, 6.0])
    ref.double(np.arange(3.0))
    assert len(ref.CALLS) == 2


def test_a_caller_changing_its_result_changes_nothing_for_the_next(ref) -> None:
    got = ref.pair(np.ones(2))
    got[0][:] = 99.0
    got[1]["sum"] = -1.0
    again = ref.pair(np.ones(2))
    np.testing.assert_array_equal(again[0], [1.0, 1.0])
    assert again[1] == {"sum": 2.0}
    assert len(ref.CALLS) == 1


def test_a_call_that_raises_is_not_remembered(ref) -> None:
    for _ in range(2):
        with pytest.raises(ValueError, match="scale must not be 0"):
            ref.double(np.ones(2), scale=0)
    assert len(ref.CALLS) == 2


def test_arguments_without_a_value_key_call_through(ref) -> None:
    class Thing:
        def __array__(self, dtype=None, copy=None):
            return np.ones(2)

    ref.double(Thing())
    ref.double(Thing())
    ref.double(np.array([1.0, 2.0], dtype=object))
    assert len(ref.CALLS) == 3


def test_private_functions_are_left_alone_and_memoising_twice_wraps_once(ref) -> None:
    ref._private(1)
    ref._private(1)
    references.memoise(("maths",), package="fakeref")
    ref.double(np.ones(2))
    ref.double(np.ones(2))
    assert len(ref.CALLS) == 3
    assert ref.double.__memoised__.__name__ == "double"
