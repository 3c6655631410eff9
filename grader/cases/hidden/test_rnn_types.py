"""Hidden cases for rnn_types.py: Problem 2 and Problem 4(a), the types of RNN."""

import pytest

from solutions import rnn_types as ref

RNN_TYPES = (ref.ONE_TO_ONE, ref.ONE_TO_MANY, ref.MANY_TO_ONE, ref.MANY_TO_MANY)
PER_WORD = (
    "one label per word was predicted (many-to-many); a post gets one sentiment, read from the "
    "final hidden state"
)


@pytest.mark.problem("2")
@pytest.mark.parametrize(
    "input_steps, output_steps",
    [
        pytest.param(1, 1, id="one-one"),
        pytest.param(40, 1, id="many-one"),
        pytest.param(5, 5, id="many-many-equal"),
    ],
)
def test_rnn_type_of_step_counts(student, expect, input_steps, output_steps):
    """rnn_type names the RNN type for given input and output step counts"""
    got = student.rnn_types.rnn_type(input_steps, output_steps)
    expect.text(
        got,
        ref.rnn_type(input_steps, output_steps),
        "rnn_type(input_steps, output_steps)",
        choices=RNN_TYPES,
        misconceptions={
            "the input and output steps were swapped": ref.rnn_type(output_steps, input_steps)
        },
    )


@pytest.mark.problem("2")
def test_rnn_type_rejects_zero_steps(student, expect):
    """rnn_type computes a valid call, and raises ValueError for a sequence of no steps"""
    # Refusing everything must not pay: the same case needs a right answer first.
    got = student.rnn_types.rnn_type(7, 1)
    expect.text(
        got,
        ref.rnn_type(7, 1),
        "rnn_type(input_steps, output_steps)",
        choices=RNN_TYPES,
        misconceptions={"the input and output steps were swapped": ref.rnn_type(1, 7)},
    )
    expect.raises(
        ValueError,
        lambda: student.rnn_types.rnn_type(0, 3),
        "rnn_type(input_steps, output_steps)",
        reason="when a sequence has no steps",
    )


@pytest.mark.problem("2")
def test_task_types_other_tasks(student, expect):
    """TASK_TYPES has exactly the seven tasks, and the right type for the other three"""
    keys = ("image_classification", "music_generation", "part_of_speech_tagging")
    expect.mapping(
        student.rnn_types.TASK_TYPES,
        {key: ref.TASK_TYPES[key] for key in keys},
        "TASK_TYPES",
        keys=tuple(ref.TASK_TYPES),
        choices=RNN_TYPES,
        misconceptions={
            "music generated from one seed note was given many input steps; the seed is a "
            "single input": {"music_generation": ref.MANY_TO_MANY},
            "image classification was treated as a sequence task; one image in, one label out "
            "is one-to-one": {"image_classification": ref.MANY_TO_ONE},
        },
    )


@pytest.mark.problem("4a")
def test_sentiment_analysis_one_label_per_post(student, expect):
    """TASK_TYPES['sentiment_analysis'] reads a whole post and outputs one sentiment"""
    expect.mapping(
        student.rnn_types.TASK_TYPES,
        {"sentiment_analysis": ref.TASK_TYPES["sentiment_analysis"]},
        "TASK_TYPES",
        choices=RNN_TYPES,
        misconceptions={
            PER_WORD: {"sentiment_analysis": ref.MANY_TO_MANY},
            "the input and output were swapped": {"sentiment_analysis": ref.ONE_TO_MANY},
        },
    )


@pytest.mark.problem("4a")
def test_sentiment_analysis_is_exactly_the_constant(student, expect):
    """TASK_TYPES['sentiment_analysis'] is exactly the MANY_TO_ONE string, not a variant"""
    # The same fact as above, graded on its own: a tweet (many words) in, one sentiment out.
    expect.mapping(
        student.rnn_types.TASK_TYPES,
        {"sentiment_analysis": ref.rnn_type(30, 1)},
        "TASK_TYPES",
        choices=RNN_TYPES,
        misconceptions={
            PER_WORD: {"sentiment_analysis": ref.MANY_TO_MANY},
            "a single input step was assumed; a post is a sequence of many words": {
                "sentiment_analysis": ref.ONE_TO_ONE
            },
        },
    )
