"""Problem 2 and 4(a)."""

ONE_TO_ONE = "one-to-one"
ONE_TO_MANY = "one-to-many"
MANY_TO_ONE = "many-to-one"
MANY_TO_MANY = "many-to-many"

TASK_TYPES = {
    "image_captioning": ONE_TO_MANY,  # one image -> many words
    "text_classification": MANY_TO_ONE,  # many words -> one class
    "language_translation": MANY_TO_MANY,  # many words -> many words
    "sentiment_analysis": MANY_TO_ONE,  # a post -> one sentiment
    "image_classification": ONE_TO_ONE,  # one image -> one label
    "music_generation": ONE_TO_MANY,  # one seed note -> melody
    "part_of_speech_tagging": MANY_TO_MANY,  # a tag for every word
}


def rnn_type(input_steps, output_steps):
    if type(input_steps) is not int or type(output_steps) is not int:
        raise ValueError("input_steps and output_steps must be ints")
    if input_steps < 1 or output_steps < 1:
        raise ValueError("need at least one step")
    if input_steps == 1:
        if output_steps == 1:
            return ONE_TO_ONE
        return ONE_TO_MANY
    if output_steps == 1:
        return MANY_TO_ONE
    return MANY_TO_MANY
