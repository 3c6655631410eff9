"""grader/calling/failures.py: what a call raised, classified and worded once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.calling import failures as F
from grader.problems import Limits, Problem
from grader.runtime import runner

RELU = Problem("3", "t", "s", "code", 1, ("activations.relu",), Limits(), when_slow="vectorise")


@pytest.mark.parametrize(
    ("error", "kind", "text"),
    [
        ({"type": "ValueError", "builtin": True, "message": "m"}, ValueError, "m"),
        ({"type": "SystemExit", "builtin": True, "message": "0"}, F.StudentRaised,
         "relu raised SystemExit: 0"),
        ({"type": "MyError", "builtin": False, "message": "m"}, F.StudentRaised,
         "relu raised MyError: m"),
        ({"type": "ValueError", "builtin": "yes", "message": "m"}, F.StudentRaised,
         "relu raised ValueError: m"),
        ({"type": "UnicodeDecodeError", "builtin": True, "message": "m"}, F.StudentRaised,
         "relu raised UnicodeDecodeError: m"),
        ({"type": "UnsupportedReturn", "message": "a set cannot be graded"}, F.StudentRaised,
         "relu returned a set cannot be graded"),
        ("not a dict", F.StudentRaised, "relu raised Exception: "),
    ],
)  # fmt: skip
def test_raised_rebuilds_only_plain_builtin_exceptions(error: object, kind: type, text: str):
    """Is only a builtin Exception rebuilt as itself, and everything tagged as the student's?"""
    exc = F.raised("relu", error)
    assert type(exc) is kind and str(exc) == text
    assert getattr(exc, F.STUDENT_ERROR)["function"] == "relu"


def test_a_live_exception_is_described_as_the_worker_describes_it() -> None:
    """Does runner.error (used by the worker and the in-process checks) give `raised` what it
    needs: the class, whether it is builtin, the message and the frames below the caller?"""

    class Mine(Exception):
        pass

    def student() -> None:
        raise Mine("boom")

    try:
        student()
    except Mine as caught:
        error = runner.error(caught)
    assert (error["type"], error["builtin"], error["message"]) == ("Mine", False, "boom")
    assert "in student" in error["traceback"] and "test_a_live" not in error["traceback"]
    assert isinstance(F.raised("f", error), F.StudentRaised)


def test_time_and_contract_failures() -> None:
    """Is an over-time call worded with its limit and the problem's advice (or the general
    one), and a call that changed its input a BrokeContract naming the parameter?"""
    assert F.slow_hint(RELU) == "vectorise"
    assert F.slow_hint(Problem("1b", "t", "s", "code", 1, ("a.b",), Limits())) == F.NEVER_ENDS
    late = F.over_time("relu", 2.0, "the limit for problem 3", F.slow_hint(RELU))
    assert str(late) == "relu used more than 2 s of CPU time (the limit for problem 3): vectorise"
    x = np.array([-1.0, 1.0])
    broken = F.broken_contract("activations.relu", RELU, {"mutated": [[0]]}, (x,), {}, "solutions")
    assert isinstance(broken, F.BrokeContract)
    assert str(broken).startswith("relu modified its input array x in place")
    assert F.broken_contract("activations.relu", RELU, {}, (x,), {}, "solutions") is None


def test_the_hierarchy_is_one() -> None:
    """Is there exactly one StudentFailure class in grader/, whatever imports it?"""
    grader = Path(F.__file__).resolve().parents[1]
    defined = [p for p in grader.rglob("*.py") if "class StudentFailure(" in p.read_text()]
    assert defined == [Path(F.__file__).resolve()]


def test_a_result_that_cannot_be_sent_carries_no_traceback() -> None:
    """Is an unsendable result described without wire.py's frames (not the student's)?"""
    from grader.runtime import wire

    try:
        wire.encode({"ok": True}, {"value": {1, 2}})
    except wire.Unsupported as caught:
        error = runner.error(caught, unsupported=True)
    assert (error["type"], error["builtin"], error["traceback"]) == ("UnsupportedReturn", False, "")
