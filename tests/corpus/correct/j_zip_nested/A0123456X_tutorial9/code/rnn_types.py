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
    if any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in (input_steps, output_steps)):
        raise ValueError("steps must be ints >= 1")
    return {
        (False, False): ONE_TO_ONE,
        (False, True): ONE_TO_MANY,
        (True, False): MANY_TO_ONE,
        (True, True): MANY_TO_MANY,
    }[(input_steps > 1, output_steps > 1)]
