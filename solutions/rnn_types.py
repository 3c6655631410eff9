"""Types of RNN models by input and output length (Tutorial 9, Problems 2 and 4(a)).

An RNN reads a sequence of input time steps and produces a sequence of output time steps. With
one or several of each, the four types are one-to-one, one-to-many, many-to-one and
many-to-many.
"""

from __future__ import annotations

ONE_TO_ONE = "one-to-one"
ONE_TO_MANY = "one-to-many"
MANY_TO_ONE = "many-to-one"
MANY_TO_MANY = "many-to-many"

# The RNN type each task uses: replace every None by one of the four constants above.
# music_generation generates a melody from one seed note.
TASK_TYPES: dict[str, str | None] = {
    # BEGIN SOLUTION
    # STUB: "image_captioning": None,
    # STUB: "text_classification": None,
    # STUB: "language_translation": None,
    # STUB: "sentiment_analysis": None,
    # STUB: "image_classification": None,
    # STUB: "music_generation": None,
    # STUB: "part_of_speech_tagging": None,
    # One image in, a sequence of words out.
    "image_captioning": ONE_TO_MANY,
    # A sequence of words in, one class out.
    "text_classification": MANY_TO_ONE,
    # A sentence in language A in, a sentence in language B out.
    "language_translation": MANY_TO_MANY,
    # A post (sequence of words) in, one sentiment out (Problem 4(a)).
    "sentiment_analysis": MANY_TO_ONE,
    # One image in, one label out: no sequence at all.
    "image_classification": ONE_TO_ONE,
    # One seed note in, a sequence of notes out.
    "music_generation": ONE_TO_MANY,
    # One tag per word: a sequence in, a sequence of the same length out.
    "part_of_speech_tagging": MANY_TO_MANY,
    # END SOLUTION
}


# BEGIN SOLUTION
def _is_int(value: object) -> bool:
    """True for int and NumPy integer scalars, but not for bool (nor NumPy's bool)."""
    if isinstance(value, bool):
        return False
    # NumPy integers are recognised by their dtype, so this module needs no imports.
    dtype = getattr(value, "dtype", None)
    return isinstance(value, int) or (
        getattr(dtype, "kind", "") in ("i", "u") and getattr(value, "ndim", None) == 0
    )


def _steps(value: object, name: str) -> int:
    """`value` as an int number of time steps, at least 1."""
    if not _is_int(value):
        raise ValueError(f"{name} must be a whole number (int) of time steps, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1 time step, got {value}")
    return int(value)


# END SOLUTION
def rnn_type(input_steps: int, output_steps: int) -> str:
    """The type of RNN model that maps input_steps inputs to output_steps outputs.

    Args:
        input_steps: the number of input time steps, at least 1.
        output_steps: the number of output time steps, at least 1.

    Returns:
        ONE_TO_ONE, ONE_TO_MANY, MANY_TO_ONE or MANY_TO_MANY ("one" means exactly 1 step,
        "many" means more than 1); e.g. rnn_type(1, 5) == ONE_TO_MANY.

    Raises:
        ValueError: if either argument is not an int (bool is not accepted) or is < 1.
    """
    # BEGIN SOLUTION
    many_in = _steps(input_steps, "input_steps") > 1
    many_out = _steps(output_steps, "output_steps") > 1
    if many_in:
        return MANY_TO_MANY if many_out else MANY_TO_ONE
    return ONE_TO_MANY if many_out else ONE_TO_ONE
    # END SOLUTION
