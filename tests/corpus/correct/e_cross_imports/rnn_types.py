"""rnn_types.py (problems 2, 4a)."""
from shapes import is_int

ONE_TO_ONE = "one-to-one"
ONE_TO_MANY = "one-to-many"
MANY_TO_ONE = "many-to-one"
MANY_TO_MANY = "many-to-many"

TASK_TYPES = {
    "image_captioning": ONE_TO_MANY,
    "text_classification": MANY_TO_ONE,
    "language_translation": MANY_TO_MANY,
    "sentiment_analysis": MANY_TO_ONE,
    "image_classification": ONE_TO_ONE,
    "music_generation": ONE_TO_MANY,
    "part_of_speech_tagging": MANY_TO_MANY,
}


def rnn_type(input_steps, output_steps):
    if not (is_int(input_steps) and is_int(output_steps)):
        raise ValueError("steps must be ints")
    if min(input_steps, output_steps) < 1:
        raise ValueError("steps must be >= 1")
    key = ("one" if input_steps == 1 else "many") + "-to-" + ("one" if output_steps == 1 else "many")
    return {ONE_TO_ONE: ONE_TO_ONE, ONE_TO_MANY: ONE_TO_MANY,
            MANY_TO_ONE: MANY_TO_ONE, MANY_TO_MANY: MANY_TO_MANY}[key]
