"""Unit tests of grader.checking.expect.Expect with literal values: verdicts and messages in both
modes."""

import functools

import numpy as np
import pytest

from grader.checking import coercion
from grader.checking.expect import Expect
from tests.lying import CANARY, LyingDict, LyingInt, LyingStr

# Canaries: values that must never appear in a hidden case's message.
EXPECTED = np.full((3, 5), CANARY)
INPUT_CANARY = np.full((2, 2), 9.99999)
EXPECTED_SHAPE = "(3, 5)"


@pytest.fixture
def public():
    return Expect(rtol=1e-4, atol=1e-5, reveal=True)


@pytest.fixture
def hidden():
    return Expect(rtol=1e-4, atol=1e-5, reveal=False)


def message(check, *args, **kwargs) -> str:
    """The AssertionError message of a failing check."""
    with pytest.raises(AssertionError) as info:
        check(*args, **kwargs)
    return str(info.value)


# ---------------------------------------------------------------------------------- arrays


@pytest.mark.parametrize(
    "actual",
    [
        pytest.param(np.array([[1.0, 2.0], [3.0, 4.0]]), id="ndarray"),
        pytest.param([[1.0, 2.0], [3.0, 4.0]], id="nested-list"),
        pytest.param(((1.0, 2.0), (3.0, 4.0)), id="nested-tuple"),
        pytest.param(np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32), id="float32"),
        pytest.param(np.array([[1.0, 2.0], [3.0, 4.0 + 2e-5]]), id="within-tolerance"),
    ],
)
def test_array_accepts(public, hidden, actual):
    for expect in (public, hidden):
        got = expect.array(actual, [[1, 2], [3, 4]], "f(x)")
        assert type(got) is np.ndarray


def test_array_float32_rounding_is_within_tolerance(hidden):
    expected = np.linspace(-3.0, 3.0, 7) / 3.0
    hidden.array(expected.astype(np.float32), expected, "f(x)")


def test_array_float32_far_off_is_rejected(hidden):
    text = message(hidden.array, np.float32([1.0, 2.1]), [1.0, 2.0], "f(x)")
    assert "some values are wrong" in text


def test_array_expected_nan_matches_returned_nan(hidden):
    hidden.array(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), "f(x)")


def test_array_nan_where_finite_expected(public, hidden):
    actual = np.array([np.nan, 1.0, np.inf])
    text = message(public.array, actual, [0.5, 1.0, 2.0], "softmax(z)")
    assert "contains NaN at 1 and inf at 1 of 3 entries" in text
    text = message(hidden.array, actual, [0.5, 1.0, 2.0], "softmax(z)")
    assert "contains NaN or inf" in text and "of 3" not in text


def test_array_message_starts_with_what(hidden):
    text = message(hidden.array, None, [1.0], "conv2d(image, kernel)")
    assert text.startswith("conv2d(image, kernel): returned None")
    assert "forget a `return`" in text


def test_array_wrong_shape_public_shows_both(public):
    text = message(public.array, np.zeros((2, 2)), np.zeros((2, 3)), "f(x)")
    assert "wrong shape: got (2, 2)" in text
    assert "expected shape (2, 3)" in text


def test_array_values_public_shows_expected_actual_and_inputs(public):
    text = message(
        public.array,
        np.array([1.0, 2.5]),
        np.array([1.0, CANARY]),
        "f(x)",
        inputs={"x": INPUT_CANARY, "stride": 2},
    )
    assert "values differ at 1 of 2 entries (first at index (1,))" in text
    assert "at (1,): expected 7.77777, got 2.5" in text
    assert "9.99999" in text and "stride = 2" in text
    assert "tolerance: rtol=0.0001, atol=1e-05" in text


def test_array_public_summarises_large_arrays(public):
    text = message(public.array, np.ones((20, 20)), np.zeros((20, 20)), "f(x)")
    assert "<array of shape (20, 20), dtype float64>" in text
    assert len(text.splitlines()) < 15


@pytest.mark.parametrize(
    "actual",
    [
        pytest.param(np.zeros((2, 5)), id="shape"),
        pytest.param(np.zeros((5, 3)), id="transposed-shape"),
        pytest.param(np.full((3, 5), 7), id="int-dtype"),
        pytest.param(np.full((3, 5), np.nan), id="nan"),
        pytest.param(EXPECTED + 1.0, id="values"),
        pytest.param(EXPECTED[:, :1] + 1, id="broadcastable"),
        pytest.param(None, id="none"),
        pytest.param(np.full((3, 5), True), id="bool"),
        pytest.param(EXPECTED.astype(complex), id="complex"),
    ],
)
def test_array_hidden_never_reveals_expected_or_inputs(hidden, actual):
    text = message(
        hidden.array,
        actual,
        EXPECTED,
        "f(x)",
        inputs={"x": INPUT_CANARY},
        misconceptions={"a planted misconception": np.zeros(4)},
    )
    assert "7.77" not in text
    assert "9.99" not in text
    assert EXPECTED_SHAPE not in text
    assert "expected" not in text.lower()


def test_array_hidden_values_message(hidden):
    actual = EXPECTED.copy()
    actual[1, 2] += 1.0
    actual[2, 0] -= 1.0
    text = message(hidden.array, actual, EXPECTED, "f(x)")
    assert text == "f(x): some values are wrong."


def test_array_hidden_shape_message(hidden):
    text = message(hidden.array, np.zeros((4, 3)), EXPECTED, "f(x)")
    assert text == "f(x): wrong shape."


# ------------------------------------------------------------------------ misconceptions


def test_misconception_detected_in_values(public, hidden):
    expected = np.array([[1.6, 2.59], [1.51, 1.91]])
    flipped = np.array([[1.2, 2.1], [1.8, 1.3]])
    for expect in (public, hidden):
        text = message(
            expect.array,
            flipped + 1e-7,
            expected,
            "conv2d(image, kernel)",
            misconceptions={"the kernel was unrelated": np.zeros((2, 2)), "flipped": flipped},
        )
        assert text.endswith("Hint: it looks like flipped.")
        assert "unrelated" not in text


def test_misconception_detected_at_shape_stage(hidden):
    expected = np.arange(24.0).reshape(2, 3, 4)
    channels_first = np.moveaxis(expected, 2, 0)
    text = message(
        hidden.array,
        channels_first,
        expected,
        "conv_layer",
        misconceptions={"channels-first": channels_first},
    )
    assert "wrong shape." in text
    assert "Hint: it looks like channels-first." in text


def test_misconception_detected_for_nan(hidden):
    naive = np.array([np.nan, np.nan])
    text = message(hidden.array, naive, [0.5, 0.5], "softmax", misconceptions={"overflow": naive})
    assert "contains NaN" in text and "Hint: it looks like overflow." in text


def test_misconception_detected_for_integer_truncation(hidden):
    expected = np.array([1.5, 2.75, -0.5])
    text = message(
        hidden.array,
        np.array([1, 2, 0]),
        expected,
        "avg_pool2d",
        misconceptions={"truncation": np.trunc(expected)},
    )
    assert "integer array" in text and "Hint: it looks like truncation." in text


def test_misconception_equal_to_expected_is_not_hinted(hidden):
    text = message(
        hidden.array, np.array([9.0, 9.0]), [1.0, 2.0], "f", misconceptions={"same": [1.0, 2.0]}
    )
    assert "Hint" not in text


def test_no_hint_without_a_match(hidden):
    text = message(
        hidden.array, np.array([9.0, 9.0]), [1.0, 2.0], "f", misconceptions={"m": [3, 4]}
    )
    assert "Hint" not in text


# -------------------------------------------------------------------------------- integers


@pytest.mark.parametrize(
    "actual", [54, np.int64(54), np.int32(54), np.uint8(54)], ids=["int", "i64", "i32", "u8"]
)
def test_integer_accepts(hidden, actual):
    got = hidden.integer(actual, 54, "conv_output_size")
    assert got == 54 and type(got) is int


def test_integer_float_hint_mentions_floor_division(hidden):
    assert "use // for floor division" in message(hidden.integer, 54.0, 54, "f")


def test_integer_subclass_is_read_by_its_value(hidden):
    # LyingInt(53) claims to equal anything and lies in __index__; its stored value is 53.
    text = message(hidden.integer, LyingInt(53), 54, "f")
    assert "the value is not right" in text


def test_integer_wrong_value_messages(public, hidden):
    kwargs = {"inputs": {"n": 224}, "misconceptions": {"ceil was used": 56}}
    assert message(public.integer, 56, 55, "conv_output_size", **kwargs) == (
        "conv_output_size: got 56, which is not right.\n  n = 224\n  expected 55\n"
        "Hint: it looks like ceil was used."
    )
    assert message(hidden.integer, 56, 55, "conv_output_size", **kwargs) == (
        "conv_output_size: the value is not right.\nHint: it looks like ceil was used."
    )


# --------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("actual", [0.25, np.float64(0.25), np.float32(0.25), 0.25 + 1e-6], ids=str)
def test_number_accepts(hidden, actual):
    assert hidden.number(actual, 0.25, "dead_unit_fraction") == pytest.approx(0.25, abs=1e-5)


def test_number_accepts_an_int(hidden):
    assert hidden.number(1, 1.0, "f") == 1.0


@pytest.mark.parametrize("actual", [float("nan"), np.float64("-inf")], ids=["nan", "inf"])
def test_number_rejects_nan_and_inf(public, hidden, actual):
    assert message(hidden.number, actual, 0.25, "f") == "f: got NaN or inf."
    assert message(public.number, actual, 0.25, "f").startswith(
        f"f: got {float(actual)}, which is not a finite number."
    )


def test_number_hidden_message_and_hint(public, hidden):
    kwargs = {"misconceptions": {"entries were counted": 0.5}}
    assert message(hidden.number, 0.5, CANARY, "f", **kwargs) == (
        "f: the value is not right.\nHint: it looks like entries were counted."
    )
    assert "expected 7.77777" in message(public.number, 0.5, CANARY, "f", **kwargs)


# --------------------------------------------------------------------------------- strings


def test_text_accepts_plain_and_subclass_by_value(hidden):
    assert hidden.text("many-to-one", "many-to-one", "rnn_type") == "many-to-one"
    got = hidden.text(LyingStr("many-to-one"), "many-to-one", "rnn_type")
    assert type(got) is str


def test_text_subclass_cannot_lie(hidden):
    text = message(hidden.text, LyingStr("one-to-one"), "many-to-one", "rnn_type")
    assert "the text is not right" in text


def test_text_choices_and_misconceptions(public, hidden):
    choices = ("one-to-one", "one-to-many", "many-to-one", "many-to-many")
    assert "not one of the allowed values" in message(
        hidden.text, "Many-to-one", "many-to-one", "f", choices=choices
    )
    text = message(
        hidden.text,
        "one-to-many",
        "many-to-one",
        "f",
        choices=choices,
        misconceptions={"swapped": "one-to-many"},
    )
    assert text == "f: the text is not right.\nHint: it looks like swapped."
    assert "expected 'many-to-one'" in message(public.text, "one-to-many", "many-to-one", "f")


def test_text_long_values_are_shortened(hidden):
    assert len(message(hidden.text, "x" * 10_000, "y", "f")) < 200


# ---------------------------------------------------------------------------- shape tuples


def test_shape_tuple_accepts_ints_and_numpy_ints(hidden):
    got = hidden.shape_tuple((np.int64(54), 54, 96), (54, 54, 96), "conv_output_shape")
    assert got == (54, 54, 96) and all(type(n) is int for n in got)


def test_shape_tuple_wrong_values(public, hidden):
    kwargs = {"misconceptions": {"ceil was used": (55, 55, 96)}}
    assert message(hidden.shape_tuple, (55, 55, 96), (54, 54, 96), "f", **kwargs) == (
        "f: the shape is not right.\nHint: it looks like ceil was used."
    )
    assert "expected (54, 54, 96)" in message(public.shape_tuple, (55, 55), (54, 54, 96), "f")


# -------------------------------------------------------------------------------- mappings

TYPES = {"captioning": "one-to-many", "classification": "many-to-one", "tagging": "many-to-many"}


def test_mapping_accepts_subset_and_exact_keys(hidden):
    got = hidden.mapping(dict(TYPES), {"captioning": "one-to-many"}, "TASK_TYPES", keys=TYPES)
    assert got == {"captioning": "one-to-many"}


def test_mapping_stub_values_are_none(hidden):
    stub = dict.fromkeys(TYPES)
    text = message(hidden.mapping, stub, {"captioning": "one-to-many"}, "TASK_TYPES")
    assert text == "TASK_TYPES: entry 'captioning' is None; it should be a str."


def test_mapping_key_set(public, hidden):
    """Are missing keys (API names) named in every case, and unexpected ones (the student's
    code chose them) only in public cases?"""
    got = {"captioning": "one-to-many", "extra": "x"}
    text = message(hidden.mapping, got, {}, "TASK_TYPES", keys=TYPES)
    assert "is missing 'classification', 'tagging'" in text
    assert "has unexpected keys." in text and "'extra'" not in text
    text = message(public.mapping, got, {}, "TASK_TYPES", keys=TYPES)
    assert "has unexpected keys 'extra'" in text


def test_mapping_dict_subclass_cannot_lie(public):
    lying = LyingDict(captioning="many-to-one")
    text = message(public.mapping, lying, {"captioning": "one-to-many"}, "TASK_TYPES")
    assert "entry 'captioning' is 'many-to-one', which is not right." in text


def test_mapping_wrong_value_hints(public, hidden):
    wrong = dict(TYPES, captioning="many-to-many")
    kwargs = {"misconceptions": {"captions were per frame": {"captioning": "many-to-many"}}}
    text = message(hidden.mapping, wrong, TYPES, "TASK_TYPES", **kwargs)
    assert text == (
        "TASK_TYPES: entry 'captioning' is not right.\nHint: it looks like captions were per frame."
    )
    assert "is 'many-to-many'" in message(public.mapping, wrong, TYPES, "TASK_TYPES", **kwargs)
    assert "expected 'one-to-many'" in message(public.mapping, wrong, TYPES, "TASK_TYPES")
    text = message(hidden.mapping, dict(TYPES, tagging="M2M"), TYPES, "T", choices=("a", "b"))
    assert "use the module's constants" in text


# ----------------------------------------------------------------------------- array lists


def test_array_list_accepts(hidden):
    got = hidden.array_list([np.ones(2), [1.0, 1.0, 1.0]], [np.ones(2), np.ones(3)], "clip")
    assert [a.shape for a in got] == [(2,), (3,)]


def test_array_list_rejects_tuple_and_wrong_length(public, hidden):
    assert "returned a tuple" in message(hidden.array_list, (np.ones(2),), [np.ones(2)], "clip")
    text = message(hidden.array_list, [np.ones(2)], [np.ones(2), np.ones(3)], "clip")
    assert text == (
        "clip: returned the wrong number of arrays; there should be one per input array."
    )
    text = message(public.array_list, [np.ones(2)], [np.ones(2), np.ones(3)], "clip")
    assert text.startswith("clip: returned 1 arrays; there should be one per input array.")


def test_array_list_element_failures_name_the_element(hidden):
    text = message(hidden.array_list, [np.ones(2), None], [np.ones(2), np.ones(3)], "clip")
    assert text.startswith("clip[1]: returned None")
    text = message(hidden.array_list, [np.ones(2), np.ones(3) * 2], [np.ones(2), np.ones(3)], "c")
    assert text == "c[1]: some values are wrong."


def test_array_list_misconception(hidden):
    expected = [np.full(2, 0.5), np.full(3, 0.25)]
    per_tensor = [np.full(2, 1.0), np.full(3, 0.25)]
    text = message(
        hidden.array_list, per_tensor, expected, "clip", misconceptions={"per-tensor": per_tensor}
    )
    assert text.endswith("Hint: it looks like per-tensor.")
    assert "0.5" not in text


def test_expect_repr_and_defaults():
    assert repr(Expect()) == "Expect(rtol=0.0001, atol=1e-05, reveal=True)"


@pytest.mark.parametrize(
    ("method", "actual", "expected"),
    [
        pytest.param("integer", 987654321, 54, id="integer"),
        pytest.param("number", 0.987654321, 0.25, id="number"),
        pytest.param("text", "987654321", "many-to-one", id="text"),
        pytest.param("shape_tuple", (987654321, 54, 96), (54, 54, 96), id="shape-tuple"),
        pytest.param("array", np.zeros((13, 2)), np.zeros((2, 2)), id="array-shape"),
        pytest.param("integer", 987654321.0, 54, id="integer-as-float"),
        pytest.param("integer", np.zeros(13), 54, id="integer-as-array"),
        pytest.param("number", np.zeros((13, 2)), 0.25, id="number-as-array"),
        pytest.param("text", np.zeros(13), "many-to-one", id="text-as-array"),
        pytest.param("shape_tuple", (54,) * 13 + (1.0,), (54, 54, 96), id="shape-entry-position"),
        pytest.param("shape_tuple", (987654321.0, 54, 96), (54, 54, 96), id="shape-entry-float"),
        pytest.param("shape_tuple", (np.zeros(13), 54, 96), (54, 54, 96), id="shape-entry-array"),
        pytest.param("array_list", [np.zeros(2)] * 13, [np.zeros(2)], id="array-count"),
        pytest.param("array_list", [np.zeros(2), np.zeros(13)], [np.zeros(2)] * 2, id="item"),
        pytest.param("mapping", {"987654321": "x"}, {}, id="mapping-extra-key"),
        pytest.param("mapping", {"a": "987654321"}, {"a": "b"}, id="mapping-value"),
    ],
)
def test_hidden_messages_never_echo_what_the_student_returned(hidden, method, actual, expected):
    """Could a student smuggle hidden inputs out through the echo of their own return value?"""
    keys = {"keys": ("a",)} if method == "mapping" else {}
    text = message(getattr(hidden, method), actual, expected, "f", **keys)
    assert "987654321" not in text and "0.987" not in text and "13" not in text


@pytest.mark.parametrize(
    "actual, expected, truncated",
    [
        pytest.param([1, 2, 0], [1.5, 2.75, -0.5], True, id="truncated"),
        pytest.param([1, 2, -1], [1.5, 2.75, -0.5], True, id="floored"),
        pytest.param([1, 3, 0], [1.0, 3.0, 0.0], False, id="right-values"),
        pytest.param([7, 7, 7], [1.5, 2.75, -0.5], False, id="wrong-values"),
    ],
)
def test_integer_results_name_truncation_only_when_it_happened(hidden, actual, expected, truncated):
    text = message(hidden.array, np.array(actual), np.array(expected), "relu(x)")
    assert text.startswith("relu(x): returned an integer array (int64): return floating-point")
    assert ("truncated" in text) is truncated
    lines = text.splitlines()
    assert lines[-1].startswith("Hint: it looks like the values were truncated") is truncated


def test_array_list_names_truncated_integer_arrays(hidden):
    text = message(hidden.array_list, [np.array([1, 0])], [np.array([1.5, 0.25])], "clip")
    assert "integer array" in text and "Hint: it looks like the values were truncated" in text


def _returns(value):
    return lambda: value


def _raises(error):
    def call():
        raise error

    return call


def test_raises_passes_only_for_the_documented_exception(public, hidden):
    public.raises(ValueError, _raises(ValueError("no")), "f(x)", reason="for x = 0")
    with pytest.raises(TypeError):  # another exception propagates as it is
        hidden.raises(ValueError, _raises(TypeError("no")), "f(x)", reason="for x = 0")


def test_raises_says_in_plain_words_that_a_value_came_back(public, hidden):
    inputs = {"stride": 0}
    text = message(public.raises, ValueError, _returns(3), "conv2d(image, kernel, stride=0)",
                   reason="for a stride of 0", inputs=inputs)  # fmt: skip
    assert text.startswith(
        "conv2d(image, kernel, stride=0): returned a value instead of raising ValueError for a "
        "stride of 0."
    )
    assert "stride = 0" in text and "DID NOT RAISE" not in text
    text = message(hidden.raises, ValueError, _returns(3), "conv2d(image, kernel, stride)",
                   reason="for a stride of 0", inputs=inputs)  # fmt: skip
    assert text == (
        "conv2d(image, kernel, stride): returned a value instead of raising ValueError for a "
        "stride of 0."
    )


# ------------------------------------------------------------------------- type rejections
# Which values each coercion rejects, and with which words: tests/checking/test_coercion.py.

REJECTING = [
    pytest.param("array", coercion.plain_array, ([1.0],), id="array"),
    pytest.param(
        "array_list",
        functools.partial(coercion.plain_list, wanted="a list of numpy arrays"),
        ([[1.0]],),
        id="array-list",
    ),
    pytest.param("integer", coercion.plain_int, (1,), id="integer"),
    pytest.param("number", coercion.plain_float, (1.0,), id="number"),
    pytest.param("text", coercion.plain_str, ("a",), id="text"),
    pytest.param("shape_tuple", coercion.plain_int_tuple, ((1,),), id="shape-tuple"),
]


@pytest.mark.parametrize(("method", "convert", "args"), REJECTING)
def test_a_rejected_type_fails_with_the_label_and_public_inputs(
    public, hidden, method, convert, args
):
    """Does each check fail a value of the wrong type with `what: <the coercion's headline>`,
    the inputs following only in public cases, and no chained exception for pytest to show?"""
    wrong = {"not": "this"}
    with pytest.raises(coercion.Rejected) as rejected:
        convert(wrong)
    headline = f"f(x): {rejected.value}"
    inputs = {"x": INPUT_CANARY}
    with pytest.raises(AssertionError) as info:
        getattr(hidden, method)(wrong, *args, "f(x)", inputs=inputs)
    assert str(info.value) == headline
    assert info.value.__context__ is None and info.value.__cause__ is None
    text = message(getattr(public, method), wrong, *args, "f(x)", inputs=inputs)
    assert text.startswith(headline + "\n  x = ") and "9.99999" in text


def test_a_rejected_mapping_fails_with_the_label(hidden):
    with pytest.raises(AssertionError) as info:
        hidden.mapping(["not", "a dict"], {}, "TASK_TYPES")
    assert str(info.value) == "TASK_TYPES: returned a list; it should return a dict."
    assert info.value.__context__ is None
    text = message(hidden.mapping, {"a": 1}, {"a": "x"}, "TASK_TYPES")
    assert text == "TASK_TYPES: entry 'a' is an int; it should be a str."


def test_a_rejected_list_entry_is_named_by_its_index(public):
    text = message(public.array_list, [np.ones(2), "x"], [np.ones(2)] * 2, "clip", inputs={"g": 1})
    assert text == "clip[1]: returned a str; it should return a numpy array.\n  g = 1"
