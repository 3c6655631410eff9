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
print("TASK_TYPES =", TASK_TYPES)


def rnn_type(input_steps, output_steps):
    print("rnn_type called with", input_steps, output_steps)
    if type(input_steps) != int or type(output_steps) != int:
        raise ValueError("need ints")
    if input_steps < 1 or output_steps < 1:
        raise ValueError("need >= 1")
    if input_steps == 1 and output_steps == 1:
        ans = ONE_TO_ONE
    elif input_steps == 1:
        ans = ONE_TO_MANY
    elif output_steps == 1:
        ans = MANY_TO_ONE
    else:
        ans = MANY_TO_MANY
    print("answer:", ans)
    return ans


print(rnn_type(1, 5), rnn_type(5, 1))
