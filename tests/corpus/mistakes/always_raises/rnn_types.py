ONE_TO_ONE = "one-to-one"
ONE_TO_MANY = "one-to-many"
MANY_TO_ONE = "many-to-one"
MANY_TO_MANY = "many-to-many"

TASK_TYPES = {
    "image_captioning": None,
    "text_classification": None,
    "language_translation": None,
    "sentiment_analysis": None,
    "image_classification": None,
    "music_generation": None,
    "part_of_speech_tagging": None,
}


def rnn_type(input_steps, output_steps):
    raise ValueError("not done")
