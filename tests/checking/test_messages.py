"""grader/checking/messages.py: the wording of check failures (literal values only)."""

import pytest

from grader.checking import messages


@pytest.mark.parametrize(
    "missing, extra, text",
    [
        pytest.param(["a", "b"], [], "is missing 'a', 'b'.", id="missing"),
        pytest.param([], ["x"], "has unexpected keys 'x'.", id="extra"),
        pytest.param(["a"], ["x"], "is missing 'a' and has unexpected keys 'x'.", id="both"),
        pytest.param([], list("uvwxyz"), "has unexpected keys 'u', 'v', 'w', 'x', 'y'.", id="five"),
    ],
)
def test_key_set(missing, extra, text):
    assert messages.key_set(missing, extra) == text


def test_key_set_shortens_a_long_unexpected_key():
    text = messages.key_set([], ["k" * 1000])
    assert text == f"has unexpected keys {'k' * messages.MAX_TEXT!r}...."
