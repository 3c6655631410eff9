"""grader/calling/student.py: the `student` fixture over any backend, and the bookkeeping of
the statements that failed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from grader.calling.failures import LostName
from grader.calling.student import DEFINE_IT, FUNCTION, FailedStatements, Student
from grader.intake.statements import Statement
from grader.intake.submission import Source
from grader.problems import Limits, Problem, ProblemSet

CONV = Problem("1a", "t", "s", "code", 2, ("conv.conv2d", "conv.SIZES"), Limits())
PROBLEMS = ProblemSet("t", (CONV,), Limits(), Path("p"), ("numpy",))


class Backend:
    """Answers from a dict: FUNCTION for names of functions; records the calls."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.problems = PROBLEMS
        self.values = values
        self.calls: list[tuple[str, str, tuple, dict]] = []

    def get(self, target: str, problem: Problem) -> Any:
        return self.values[target]

    def call(self, target: str, problem: Problem, args: tuple, kwargs: dict) -> Any:
        self.calls.append((target, problem.id, args, kwargs))
        return "result"


def test_functions_are_called_in_the_backend_and_values_returned() -> None:
    """Does student.conv.conv2d(...) reach the backend's `call`, SIZES its value, and are the
    targets the case touched recorded once each, in order?"""
    backend = Backend({"conv.conv2d": FUNCTION, "conv.SIZES": [1, 2]})
    student = Student(backend, CONV)
    assert student.conv.SIZES == [1, 2]
    function = student.conv.conv2d
    assert repr(function) == "<student conv.conv2d>"
    assert function(1, stride=2) == "result"
    student.conv.conv2d(3)
    assert backend.calls == [("conv.conv2d", "1a", (1,), {"stride": 2}),
                             ("conv.conv2d", "1a", (3,), {})]  # fmt: skip
    assert student.touched == ["conv.SIZES", "conv.conv2d"]


def test_only_problems_yaml_targets_can_be_asked_for() -> None:
    """Is a module or name that problems.yaml does not grade an AttributeError (a fault of the
    case), never a question to the backend?"""
    student = Student(Backend({}), CONV)
    with pytest.raises(AttributeError, match="no student module 'rnn'"):
        _ = student.rnn
    with pytest.raises(AttributeError, match="conv.helper is not an exercise in problems.yaml"):
        _ = student.conv.helper
    assert student.touched == []


PROGRAM = (
    Statement("conv.py, line 1", "conv.py", 1, "import matplotlib", ("matplotlib",)),
    Statement("conv.py, line 2", "conv.py", 2, "def conv2d(x):\n    return x", ("conv2d",)),
    Statement("conv.py, line 4", "conv.py", 4, "%%bash", ("skipped",),
              "conv.py, line 4: a %%bash cell is IPython syntax; it was skipped"),
)  # fmt: skip
FAILED = {"index": 0, "type": "ModuleNotFoundError", "message": "No module named 'matplotlib'",
          "missing": "matplotlib"}  # fmt: skip


def test_failed_statements_are_noted_once_and_explain_the_names_they_bind() -> None:
    """Is each failed statement one message, whatever repeats or garbage the reports hold, and
    are the names it binds (or intake's skipped ones) explained when missing or needed?"""
    failed = FailedStatements({"conv": Source("conv", b"", "conv.py", PROGRAM)})
    assert failed.missing("conv.py", "skipped").endswith("it was skipped")
    failed.record({"conv": [FAILED, FAILED, {"index": 9}, "x"], 3: []}, PROBLEMS, {})
    failed.record({"conv": [FAILED], "rnn": [FAILED]}, PROBLEMS, {})
    failed.record("garbage", PROBLEMS, {})
    assert len(failed.messages) == 1 and failed.messages[0].startswith(
        "conv.py, line 1: `import matplotlib` failed: matplotlib is not available"
    )
    assert failed.missing("conv.py", "conv3d") == f"conv.py defines no conv3d: {DEFINE_IT}"
    assert failed.missing("conv.py", "matplotlib").startswith(
        "conv.py defines no matplotlib: conv.py, line 1: `import matplotlib` failed"
    )
    error = {"type": "NameError", "builtin": True, "traceback": "t",
             "message": "name 'matplotlib' is not defined"}  # fmt: skip
    lost = failed.lost_name("conv2d", error)
    assert isinstance(lost, LostName) and lost.detail == "t"
    assert str(lost).startswith("conv2d raised NameError: matplotlib is not defined, since ")
    assert failed.lost_name("conv2d", {**error, "builtin": "yes"}) is None  # forged flag
    assert failed.lost_name("conv2d", {**error, "message": "name 'x' is not defined"}) is None
