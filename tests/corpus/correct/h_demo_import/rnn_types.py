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
    if type(input_steps) is not int or type(output_steps) is not int:
        raise ValueError("input_steps and output_steps must be ints")
    if input_steps < 1 or output_steps < 1:
        raise ValueError("input_steps and output_steps must be >= 1")
    return ("one" if input_steps == 1 else "many") + "-to-" + ("one" if output_steps == 1 else "many")
