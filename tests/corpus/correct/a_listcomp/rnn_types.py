ONE_TO_ONE = "one-to-one"
ONE_TO_MANY = "one-to-many"
MANY_TO_ONE = "many-to-one"
MANY_TO_MANY = "many-to-many"

# image captioning: one image in, many words out
# text classification: many words in, one class out
# translation: many words in, many words out
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
    for steps in [input_steps, output_steps]:
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError("steps must be an int >= 1")
    names = {(True, True): ONE_TO_ONE, (True, False): ONE_TO_MANY,
             (False, True): MANY_TO_ONE, (False, False): MANY_TO_MANY}
    return names[(input_steps == 1, output_steps == 1)]
