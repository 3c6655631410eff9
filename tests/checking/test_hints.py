"""grader/checking/hints.py: which known mistake a wrong result matches (literal values only).

The hints as students see them, at the end of a failure message: tests/checking/test_expect.py.
"""

import numpy as np
import pytest

from grader.checking import hints
from tests.lying import AlwaysEqual

RTOL, ATOL = 1e-4, 1e-5


@pytest.mark.parametrize(
    "returned, label",
    [
        pytest.param([np.full(2, 1.0), np.full(3, 0.25)], "per-tensor", id="matches"),
        pytest.param([np.full(2, 1.0 + 1e-7), np.full(3, 0.25)], "per-tensor", id="close"),
        pytest.param([np.full(2, 1.0)], None, id="shorter"),
        pytest.param([np.full(2, 1.0), np.full(3, 0.3)], None, id="one-array-differs"),
        pytest.param([np.full(2, 1.0), np.full((3, 1), 0.25)], None, id="other-shape"),
    ],
)
def test_array_list_hint_matches_the_whole_list(returned, label):
    expected = [np.full(2, 0.5), np.full(3, 0.25)]
    wrong = {"unrelated": [np.zeros(2), np.zeros(3)], "per-tensor": [[1.0, 1.0], [0.25] * 3]}
    assert hints.array_list_hint(returned, expected, wrong, RTOL, ATOL) == label


def test_array_list_hint_skips_a_mistake_that_gives_the_right_answer():
    expected = [np.full(2, 0.5)]
    wrong = {"harmless": [[0.5, 0.5]], "doubled": [[1.0, 1.0]]}
    assert hints.array_list_hint([np.full(2, 0.5)], expected, wrong, RTOL, ATOL) is None
    assert hints.array_list_hint([np.full(2, 1.0)], expected, wrong, RTOL, ATOL) == "doubled"
    assert hints.array_list_hint([np.full(2, 1.0)], expected, None, RTOL, ATOL) is None


@pytest.mark.parametrize(
    "value, label",
    [
        pytest.param(0.5, "entries were counted", id="exact"),
        pytest.param(0.5 + 1e-6, "entries were counted", id="within-tolerance"),
        pytest.param(0.51, None, id="no-match"),
        pytest.param(0.25, None, id="mistake-equal-to-the-answer"),
    ],
)
def test_number_hint(value, label):
    wrong = {"same as the answer": 0.25, "entries were counted": 0.5}
    assert hints.number_hint(value, 0.25, wrong, RTOL, ATOL) == label


def test_number_hint_uses_the_tolerances_given():
    wrong = {"off by a bit": 0.51}
    assert hints.number_hint(0.5, 0.25, wrong, RTOL, ATOL) is None
    assert hints.number_hint(0.5, 0.25, wrong, 0.1, 0.0) == "off by a bit"


TYPES = {"captioning": "one-to-many", "classification": "many-to-one"}
MISTAKES = {
    "captions were per frame": {"captioning": "many-to-many"},
    "both were swapped": {"captioning": "many-to-one", "classification": "one-to-many"},
}


PER_FRAME = dict(TYPES, captioning="many-to-many")
SWAPPED = {"captioning": "many-to-one", "classification": "one-to-many"}


@pytest.mark.parametrize(
    "got, key, label",
    [
        pytest.param(PER_FRAME, "captioning", "captions were per frame", id="one-entry"),
        pytest.param(SWAPPED, "captioning", "both were swapped", id="all-entries"),
        pytest.param(dict(TYPES, captioning="many-to-one"), "captioning", None, id="some-entries"),
        pytest.param(PER_FRAME, "classification", None, id="about-another-key"),
        pytest.param(dict(SWAPPED, classification=AlwaysEqual()), "captioning", None, id="not-str"),
    ],
)
def test_mapping_hint_needs_every_entry_of_the_mistake(got, key, label):
    assert hints.mapping_hint(got, key, MISTAKES) == label
