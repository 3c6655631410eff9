"""grader/checking/coercion.py: what a student function returned, as plain type-checked values.

Literal values only. A rejection's words are the same in public and hidden cases (the checks
prefix them with the case's label: tests/checking/test_expect.py).
"""

import numpy as np
import pytest

from grader.checking import coercion
from tests.lying import (
    AlwaysEqual,
    LyingArray,
    LyingDict,
    LyingFloat64,
    LyingInt,
    LyingList,
    LyingStr,
    LyingTuple,
)


def rejection(convert, *args) -> str:
    """The headline `convert(*args)` rejects its value with."""
    with pytest.raises(coercion.Rejected) as info:
        convert(*args)
    return str(info.value)


# ---------------------------------------------------------------------------------- arrays


@pytest.mark.parametrize(
    "actual",
    [
        pytest.param([[1.0, 2.0], [3.0, 4.0]], id="nested-list"),
        pytest.param(((1.0, 2.0), (3.0, 4.0)), id="nested-tuple"),
        pytest.param([[1, 2], [3, 4]], id="list-of-ints"),
    ],
)
def test_plain_array_converts_lists_and_tuples_to_new_arrays(actual):
    arr = coercion.plain_array(actual)
    assert type(arr) is np.ndarray and arr.shape == (2, 2)
    np.testing.assert_array_equal(arr, [[1, 2], [3, 4]])


def test_plain_array_returns_a_returned_ndarray_as_it_is():
    actual = np.arange(3.0)
    assert coercion.plain_array(actual) is actual


@pytest.mark.parametrize("dtype", [bool, np.int64, np.uint8, np.float32, np.complex128])
def test_plain_array_leaves_the_numeric_dtype_to_the_comparison(dtype):
    # An integer result is rejected later, where the truncation hint can compare values.
    assert coercion.plain_array(np.zeros(2, dtype=dtype)).dtype == dtype


@pytest.mark.parametrize(
    "actual, words",
    [
        pytest.param(None, "returned None", id="none"),
        pytest.param("1.0", "returned a str", id="str"),
        pytest.param({"a": 1.0}, "returned a dict", id="dict"),
        pytest.param(1.0, "returned a float", id="scalar-for-array"),
        pytest.param(np.float64(1.0), "returned a float64", id="numpy-scalar-for-array"),
        pytest.param([[1.0, 2.0], [3.0]], "does not convert", id="ragged-list"),
        pytest.param([None, 1.0], "does not convert", id="list-with-none"),
        pytest.param(["1.0", "2.0"], "does not convert", id="list-of-str"),
        pytest.param(np.array([AlwaysEqual(), 1.0], dtype=object), "dtype object", id="objects"),
        pytest.param(np.array(["a", "b"]), "dtype <U1", id="strings"),
        pytest.param(np.ma.masked_all((2,)), "masked array", id="masked"),
        pytest.param(np.zeros(2).view(LyingArray), "LyingArray (a subclass", id="subclass"),
        pytest.param(AlwaysEqual(), "returned an AlwaysEqual", id="always-equal"),
    ],
)
def test_array_rejects_wrong_types(actual, words):
    assert words in rejection(coercion.plain_array, actual)


def test_plain_array_none_asks_about_a_missing_return():
    assert rejection(coercion.plain_array, None) == (
        "returned None; it should return a numpy array. Did you forget a `return`?"
    )


# ----------------------------------------------------------------------------------- lists


def test_plain_list_reads_the_items_a_list_stores():
    first, second = np.ones(2), np.zeros(3)
    assert coercion.plain_list([first, second], "a list of arrays") == [first, second]


@pytest.mark.parametrize(
    "actual, words",
    [
        pytest.param((np.ones(2),), "returned a tuple; it should return a list of arrays.", id="t"),
        pytest.param(LyingList([None]), "returned a LyingList; it should return a list", id="sub"),
        pytest.param(None, "returned None; it should return a list of arrays.", id="none"),
    ],
)
def test_plain_list_rejects_anything_but_a_list(actual, words):
    assert words in rejection(coercion.plain_list, actual, "a list of arrays")


# -------------------------------------------------------------------------------- integers


@pytest.mark.parametrize(
    "actual", [54, np.int64(54), np.int32(54), np.uint8(54)], ids=["int", "i64", "i32", "u8"]
)
def test_plain_int_accepts_ints_and_numpy_integers(actual):
    got = coercion.plain_int(actual)
    assert got == 54 and type(got) is int


def test_plain_int_reads_a_subclass_by_its_stored_value():
    got = coercion.plain_int(LyingInt(53))  # its __index__ says 54
    assert got == 53 and type(got) is int


@pytest.mark.parametrize(
    "actual, words",
    [
        pytest.param(True, "returned a bool (True); it should be an int", id="bool"),
        pytest.param(np.bool_(True), "returned a bool (True)", id="numpy-bool"),
        pytest.param(54.0, "returned a float (54.0)", id="integral-float"),
        pytest.param(np.float64(54.0), "returned a float (54.0)", id="numpy-float"),
        pytest.param(LyingFloat64(54.0), "LyingFloat64 (a numpy scalar subclass)", id="lying-f64"),
        pytest.param(np.array(54), "returned a numpy array of shape ()", id="0-d-array"),
        pytest.param("54", "returned a str", id="str"),
        pytest.param(None, "returned None", id="none"),
        pytest.param(AlwaysEqual(), "returned an AlwaysEqual", id="always-equal"),
    ],
)
def test_integer_rejects(actual, words):
    assert words in rejection(coercion.plain_int, actual)


def test_plain_int_float_hint_mentions_floor_division():
    assert "use // for floor division" in rejection(coercion.plain_int, 54.0)


def test_plain_int_names_the_entry():
    assert rejection(coercion.plain_int, None, "entry 1") == "entry 1 is None; it should be an int."
    assert rejection(coercion.plain_int, False, "entry 0").startswith("entry 0 is a bool (False)")


# ---------------------------------------------------------------------------- int tuples


def test_plain_int_tuple_accepts_ints_and_numpy_ints():
    got = coercion.plain_int_tuple((np.int64(54), 54, np.uint8(96)))
    assert got == (54, 54, 96) and all(type(n) is int for n in got)


def test_plain_int_tuple_reads_the_entries_a_tuple_stores():
    assert coercion.plain_int_tuple(LyingTuple((1, 2))) == (1, 2)  # it iterates as (54, 54, 96)


@pytest.mark.parametrize(
    "actual, words",
    [
        pytest.param([54, 54, 96], "returned a list; it should return a tuple", id="list"),
        pytest.param(np.array([54, 54, 96]), "a numpy array of shape (3,)", id="array"),
        pytest.param((54.0, 54, 96), "entry 0 is a float (54.0)", id="float-entry"),
        pytest.param((54, None, 96), "entry 1 is None", id="none-entry"),
        pytest.param((54, 54, True), "entry 2 is a bool", id="bool-entry"),
        pytest.param(None, "returned None", id="none"),
    ],
)
def test_shape_tuple_rejects(actual, words):
    assert words in rejection(coercion.plain_int_tuple, actual)


# ---------------------------------------------------------------------------------- floats


@pytest.mark.parametrize(
    "actual, value",
    [
        pytest.param(0.25, 0.25, id="float"),
        pytest.param(np.float64(0.25), 0.25, id="f64"),
        pytest.param(np.float32(0.25), 0.25, id="f32"),
        pytest.param(1, 1.0, id="int"),
        pytest.param(np.int8(-3), -3.0, id="i8"),
    ],
)
def test_plain_float_accepts_real_numbers(actual, value):
    got = coercion.plain_float(actual)
    assert got == value and type(got) is float


def test_plain_float_passes_nan_on():
    # Whether NaN or inf is wrong is the check's call (tests/checking/test_expect.py).
    assert np.isnan(coercion.plain_float(float("nan")))


@pytest.mark.parametrize(
    "actual, words",
    [
        pytest.param(np.array([0.25]), "returned an array of shape (1,)", id="array"),
        pytest.param(np.array(0.25), "returned an array of shape ()", id="0-d-array"),
        pytest.param(False, "returned a bool", id="bool"),
        pytest.param(0.25j, "complex", id="complex"),
        pytest.param(np.complex64(0.25), "complex", id="numpy-complex"),
        pytest.param(LyingFloat64(0.5), "numpy scalar subclass", id="lying-f64"),
        pytest.param(None, "returned None", id="none"),
        pytest.param("0.25", "returned a str; it should return a float.", id="str"),
    ],
)
def test_number_rejects(actual, words):
    assert words in rejection(coercion.plain_float, actual)


# --------------------------------------------------------------------------------- strings


def test_plain_str_reads_a_subclass_by_its_stored_value():
    got = coercion.plain_str(LyingStr("one-to-one"))  # its __str__ says "many-to-one"
    assert got == "one-to-one" and type(got) is str


@pytest.mark.parametrize(
    "actual, words",
    [
        pytest.param(None, "returned None", id="none"),
        pytest.param(AlwaysEqual(), "returned an AlwaysEqual", id="always-equal"),
        pytest.param(b"many-to-one", "returned a bytes", id="bytes"),
    ],
)
def test_text_rejects(actual, words):
    assert words in rejection(coercion.plain_str, actual)


def test_plain_str_names_the_entry():
    assert (
        rejection(coercion.plain_str, 3, "entry 'a'") == "entry 'a' is an int; it should be a str."
    )


# ----------------------------------------------------------------------------------- dicts


def test_plain_dict_reads_the_items_a_dict_stores():
    got = coercion.plain_dict(LyingDict(captioning="one-to-many", n=None))
    assert type(got) is dict and got == {"captioning": "one-to-many", "n": None}


def test_mapping_rejects_non_str_keys_and_non_dicts():
    assert "a key that is not a str (int)" in rejection(coercion.plain_dict, {1: "x"})
    assert "returned a list" in rejection(coercion.plain_dict, [("a", "b")])
    assert "returned None" in rejection(coercion.plain_dict, None)
