"""Public cases for rnn_types.py: Problem 2 and Problem 4(a), the types of RNN."""

import pytest

from solutions import rnn_types as ref

RNN_TYPES = (ref.ONE_TO_ONE, ref.ONE_TO_MANY, ref.MANY_TO_ONE, ref.MANY_TO_MANY)


@pytest.mark.problem("2")
def test_rnn_type_one_image_many_words(student, expect):
    """rnn_type(1, 12) is one-to-many: one image in, a caption of many words out"""
    got = student.rnn_types.rnn_type(1, 12)
    expect.text(
        got,
        ref.rnn_type(1, 12),
        "rnn_type(1, 12)",
        choices=RNN_TYPES,
        misconceptions={"the input and output steps were swapped": ref.MANY_TO_ONE},
    )


@pytest.mark.problem("2")
def test_task_types_of_problem_2(student, expect):
    """TASK_TYPES gives the tutorial's answers for captioning, classification and translation"""
    keys = ("image_captioning", "text_classification", "language_translation")
    expect.mapping(
        student.rnn_types.TASK_TYPES,
        {key: ref.TASK_TYPES[key] for key in keys},
        "TASK_TYPES",
        choices=RNN_TYPES,
    )


@pytest.mark.problem("4a")
def test_task_type_of_sentiment_analysis(student, expect):
    """TASK_TYPES gives Problem 4(a)'s answer for sentiment analysis of Covid-19 posts"""
    expect.mapping(
        student.rnn_types.TASK_TYPES,
        {"sentiment_analysis": ref.TASK_TYPES["sentiment_analysis"]},
        "TASK_TYPES",
        choices=RNN_TYPES,
    )
