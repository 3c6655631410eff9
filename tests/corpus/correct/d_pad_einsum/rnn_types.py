ONE_TO_ONE = "one-to-one"
ONE_TO_MANY = "one-to-many"
MANY_TO_ONE = "many-to-one"
MANY_TO_MANY = "many-to-many"

TASK_TYPES = {}
TASK_TYPES["image_captioning"] = ONE_TO_MANY
TASK_TYPES["text_classification"] = MANY_TO_ONE
TASK_TYPES["language_translation"] = MANY_TO_MANY
TASK_TYPES["sentiment_analysis"] = MANY_TO_ONE
TASK_TYPES["image_classification"] = ONE_TO_ONE
TASK_TYPES["music_generation"] = ONE_TO_MANY
TASK_TYPES["part_of_speech_tagging"] = MANY_TO_MANY

_TABLE = [[ONE_TO_ONE, ONE_TO_MANY], [MANY_TO_ONE, MANY_TO_MANY]]


def rnn_type(input_steps, output_steps):
    for value in (input_steps, output_steps):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"expected an int, got {value!r}")
        if value < 1:
            raise ValueError(f"need at least 1 step, got {value}")
    return _TABLE[min(input_steps, 2) - 1][min(output_steps, 2) - 1]
