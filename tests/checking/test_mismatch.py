"""grader/checking/mismatch.py: the first way a returned array differs from the expected one,
worded.

Literal values only; the messages these become, with inputs and hints, are in
tests/checking/test_expect.py.
"""

import numpy as np
import pytest

from grader.checking import mismatch

TOLERANCES = {"rtol": 1e-4, "atol": 1e-5}
EXPECTED = np.array([1.0, 2.0, 3.0])


def find(arr, exp=EXPECTED, reveal=False):
    return mismatch.find(np.asarray(arr), np.asarray(exp, dtype=float), reveal=reveal, **TOLERANCES)


@pytest.mark.parametrize(
    "arr, exp",
    [
        pytest.param([1.0, 2.0, 3.0], EXPECTED, id="equal"),
        pytest.param([1.0, 2.0, 3.0 + 2e-5], EXPECTED, id="within-tolerance"),
        pytest.param(np.float32([1.0, 2.0, 3.0]) / 3, EXPECTED / 3, id="float32-rounding"),
        pytest.param([np.nan, 2.0], [np.nan, 2.0], id="expected-nan"),
        pytest.param(np.inf, np.inf, id="expected-inf"),
        pytest.param(np.zeros((0, 3)), np.zeros((0, 3)), id="empty"),
    ],
)
def test_matching_arrays_have_no_mismatch(arr, exp):
    assert find(arr, exp) is None


@pytest.mark.parametrize(
    "arr, words",
    [
        pytest.param(np.array([True, False, True]), "boolean array", id="bool"),
        pytest.param(np.array([1, 2, 3]), "integer array (int64)", id="int"),
        pytest.param(np.array([1, 2, 3], dtype=np.uint8), "integer array (uint8)", id="uint"),
        pytest.param(np.array([1 + 0j, 2 + 0j, 3 + 0j]), "complex array", id="complex"),
    ],
)
def test_array_rejects_non_float_dtypes(arr, words):
    # Right values, wrong dtype: the API returns floating point.
    for reveal in (True, False):
        assert words in find(arr, reveal=reveal).headline


def test_shape_comes_before_dtype_and_values():
    found = find(np.array([[1, 2, 3]]), reveal=True)
    assert found.headline == "wrong shape: got (1, 3)."
    assert found.details[0] == "expected shape (3,), got (1, 3)"
    assert find(np.array([[1, 2, 3]])) == mismatch.Mismatch("wrong shape.", found.details)


def test_dtype_comes_before_finiteness():
    assert "integer array" in find(np.array([1, 2, 3]), [np.nan, 2.0, 3.0]).headline


def test_nonfinite_entries_are_counted_only_when_revealing():
    arr = [np.nan, 2.0, np.inf]
    assert find(arr, reveal=True).headline == (
        "the result contains NaN at 1 and inf at 1 of 3 entries "
        "(an overflow, or a division by zero?)."
    )
    assert find(arr).headline == (
        "the result contains NaN or inf (an overflow, or a division by zero?)."
    )


def test_values_public_say_where_and_itemise_the_first_few():
    arr = np.arange(10.0)
    found = find(arr, arr + 1.0, reveal=True)
    assert found.headline == "values differ at 10 of 10 entries (first at index (0,))."
    assert found.details[0] == "tolerance: rtol=0.0001, atol=1e-05"
    itemised = [line for line in found.details if line.startswith("at (")]
    assert itemised == [f"at ({i},): expected {i + 1}, got {i}" for i in range(3)]
    assert found.details[-2].startswith("expected:") and found.details[-1].startswith("got:")


def test_values_hidden_headline_says_only_that_some_are_wrong():
    found = find([1.0, 2.5, 3.0])
    assert found.headline == "some values are wrong."


def test_a_scalar_has_no_index():
    found = find(np.float64(2.0), np.float64(1.0), reveal=True)
    assert found.headline == "values differ at 1 of 1 entries."


def test_the_tolerances_are_the_ones_given():
    arr, exp = np.array([1.0]), np.array([1.001])
    assert mismatch.find(arr, exp, rtol=1e-4, atol=0.0, reveal=False) is not None
    assert mismatch.find(arr, exp, rtol=1e-2, atol=0.0, reveal=False) is None
    assert mismatch.find(arr, exp, rtol=0.0, atol=1e-2, reveal=False) is None
