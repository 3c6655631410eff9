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
    "image_captioning": None,
    "text_classification": None,
    "language_translation": None,
    "sentiment_analysis": None,
    "image_classification": None,
    "music_generation": None,
    "part_of_speech_tagging": None,
}


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
    raise NotImplementedError("Problem 2: implement rnn_type in rnn_types.py")
