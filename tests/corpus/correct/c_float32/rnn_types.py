ONE_TO_ONE = "one-to-one"
ONE_TO_MANY = "one-to-many"
MANY_TO_ONE = "many-to-one"
MANY_TO_MANY = "many-to-many"

TASK_TYPES = dict(
    image_captioning=ONE_TO_MANY,
    text_classification=MANY_TO_ONE,
    language_translation=MANY_TO_MANY,
    sentiment_analysis=MANY_TO_ONE,
    image_classification=ONE_TO_ONE,
    music_generation=ONE_TO_MANY,
    part_of_speech_tagging=MANY_TO_MANY,
)


def rnn_type(input_steps, output_steps):
    ok = all(type(s) is int and s >= 1 for s in (input_steps, output_steps))
    if not ok:
        raise ValueError("input_steps and output_steps must be ints >= 1")
    one_in, one_out = input_steps == 1, output_steps == 1
    if one_in:
        return ONE_TO_ONE if one_out else ONE_TO_MANY
    return MANY_TO_ONE if one_out else MANY_TO_MANY
