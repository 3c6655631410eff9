"""grader/grading/session.py, the sandbox backend of grader/calling/student.py: the budget,
strike and import policies, with a scripted fake sandbox."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from grader.calling import failures as F
from grader.calling.student import Student
from grader.grading import session as P
from grader.intake.statements import Statement
from grader.intake.submission import Source
from grader.problems import Limits, Problem, ProblemSet
from grader.sandbox.supervisor import SandboxCrash, SandboxTimeout

SLOW = (
    "a loop over every output pixel is slow in Python; use numpy operations on whole arrays "
    "(vectorise)"
)
CONV = Problem(
    "1a", "t", "s", "code", 2, ("conv.conv2d", "conv.conv_layer"), Limits(timeout=2),
    when_slow=SLOW,
)  # fmt: skip
SHAPES = Problem("1b", "t", "s", "code", 2, ("shapes.conv_output_size",), Limits(timeout=1))
PROBLEMS = ProblemSet("t", (CONV, SHAPES), Limits(budget=60), Path("p"))


class FakeSandbox:
    """Answers from a script; each entry handles one request. Time passes as the script says:
    "spin" uses up the CPU limit (taking that long), "sleep" waits out the wall-clock limit,
    "crash" ends the worker at once and "slow-crash" after running longer than the limit."""

    def __init__(self, clock: list[float], script: dict[tuple[str, str], object]) -> None:
        self.clock = clock
        self.script = script
        self.starts = 0
        self.alive = False
        self.requests: list[tuple[str, str, float, float]] = []
        self.aliases: dict[str, str] = {}  # module -> the module whose code it shares

    def start(self) -> None:
        if not self.alive:
            self.alive, self.starts = True, self.starts + 1

    def request(self, header: dict, values: dict | None, limit: float, wall: float) -> dict:
        self.start()
        key = (header["op"], f"{header['module']}.{header.get('name', '')}".rstrip("."))
        self.requests.append((*key, limit, wall))
        if "alias_of" in header:
            self.aliases[header["module"]] = header["alias_of"]
        action = self.script.get(key, {"ok": True, "value": 1})
        if action in ("spin", "sleep"):
            self.clock[0] += limit if action == "spin" else wall
            self.alive = False
            raise SandboxTimeout(limit, wall, limit if action == "spin" else 0.0, action == "sleep")
        if action in ("crash", "slow-crash"):
            self.clock[0] += limit + 1 if action == "slow-crash" else 0.01
            self.alive = False
            raise SandboxCrash("the process ended (exit status 0) before replying")
        if key[0] == "get" and action == {"ok": True, "value": 1}:
            return {"ok": True, "callable": True}
        return action  # type: ignore[return-value]


def session(
    script: dict, unavailable: dict | None = None, problems: ProblemSet = PROBLEMS
) -> tuple[P.Session, FakeSandbox]:
    clock = [0.0]
    box = FakeSandbox(clock, script)
    return P.Session(problems, unavailable or {}, box, clock=lambda: clock[0]), box  # type: ignore[arg-type]


def test_calls_go_through_and_record_targets() -> None:
    """Does student.conv.conv2d(...) reach the sandbox and record the target?"""
    s, box = session({("call", "conv.conv2d"): {"ok": True, "value": [[1.6]]}})
    student = Student(s, CONV)
    assert student.conv.conv2d([[1.0]], [[1.0]]) == [[1.6]]
    assert student.touched == ["conv.conv2d"]
    assert [r[:2] for r in box.requests] == [("import", "conv"), ("import", "shapes"),
        ("get", "conv.conv2d"), ("call", "conv.conv2d")]  # fmt: skip


def test_constants_come_back_as_values() -> None:
    """Is a non-callable target (TASK_TYPES) returned as its value?"""
    s, _ = session({("get", "conv.conv_layer"): {"ok": True, "value": {"a": "b"}}})
    assert Student(s, CONV).conv.conv_layer == {"a": "b"}


def test_unknown_names_are_grader_errors_not_student_calls() -> None:
    """Can a case reach anything but the problems.yaml targets?"""
    s, box = session({})
    with pytest.raises(AttributeError):
        Student(s, CONV).conv.secret
    with pytest.raises(AttributeError):
        Student(s, CONV).os
    assert box.requests == []


def test_unavailable_modules_fail_at_once_with_the_intake_message() -> None:
    """Does a module intake rejected never reach the sandbox?"""
    s, box = session({}, {"conv": "conv.py, line 3: invalid syntax"})
    with pytest.raises(F.Unavailable, match="line 3: invalid syntax"):
        Student(s, CONV).conv.conv2d
    assert box.requests == []


def test_a_failed_import_is_not_retried() -> None:
    """Is a module whose import raised reported with the same message every time, once tried?"""
    error = {"type": "ModuleNotFoundError", "message": "No module named 'torch'"}
    s, box = session({("import", "conv"): {"ok": False, "error": error}})
    for _ in range(3):
        with pytest.raises(F.Unavailable, match="conv.py failed to import: ModuleNotFoundError"):
            Student(s, CONV).conv.conv2d
    assert [r[:2] for r in box.requests] == [("import", "conv"), ("import", "shapes")]


def test_a_hanging_import_costs_one_timeout_and_spares_other_modules() -> None:
    """Does an import that spins fail its module only, once, naming its limit?"""
    s, box = session({("import", "conv"): "spin"})
    with pytest.raises(F.Unavailable) as caught:
        Student(s, CONV).conv.conv2d
    assert str(caught.value).startswith(
        "importing conv.py used more than 2 s of CPU time (the limit for importing it): "
        "code at the top level"
    )
    with pytest.raises(F.Unavailable):
        Student(s, CONV).conv.conv_layer
    assert Student(s, SHAPES).shapes.conv_output_size(224, 11, 4) == 1
    assert [r[0] for r in box.requests].count("import") == 2


def test_requests_get_their_problems_cpu_limit_and_its_backstop() -> None:
    """Is a call limited to its problem's timeout in CPU seconds, with 3 x timeout + 2 s of
    wall-clock time, and an import to the largest timeout of the module's problems?"""
    s, box = session({})
    assert Student(s, SHAPES).shapes.conv_output_size(1) == 1
    assert Student(s, CONV).conv.conv2d(1) == 1
    assert box.requests == [  # every module is imported first, each with its own limit
        ("import", "conv", 2, 8), ("import", "shapes", 1, 5),
        ("get", "shapes.conv_output_size", 1, 5), ("call", "shapes.conv_output_size", 1, 5),
        ("get", "conv.conv2d", 2, 8), ("call", "conv.conv2d", 2, 8),
    ]  # fmt: skip


def test_one_timeout_and_the_target_is_given_up_others_unaffected() -> None:
    """After one timeout, does conv2d fail at once while conv_layer still runs?"""
    s, box = session({("call", "conv.conv2d"): "spin"})
    student = Student(s, CONV)
    with pytest.raises(F.TimedOut) as caught:
        student.conv.conv2d(1, 2)
    assert str(caught.value) == (
        "conv2d used more than 2 s of CPU time (the limit for problem 1a): a loop over every "
        "output pixel is slow in Python; use numpy operations on whole arrays (vectorise)"
    )
    before = len(box.requests)
    for _ in range(3):
        with pytest.raises(F.GivenUp, match="^not run: conv2d already timed out$"):
            student.conv.conv2d(1, 2)
    assert len(box.requests) == before
    assert student.conv.conv_layer(1, 2) == 1
    assert box.starts == 2  # a fresh worker after the kill, which re-imports


def test_a_timeout_without_the_problems_advice_suggests_a_loop_that_never_ends() -> None:
    """Without `when_slow` in problems.yaml, is the general advice given?"""
    s, _ = session({("call", "shapes.conv_output_size"): "spin"})
    with pytest.raises(F.TimedOut) as caught:
        Student(s, SHAPES).shapes.conv_output_size(1)
    assert str(caught.value) == (
        "conv_output_size used more than 1 s of CPU time (the limit for problem 1b): check for "
        "a loop that never ends"
    )


def test_code_that_sleeps_is_stopped_by_the_wall_clock_backstop() -> None:
    """Does a call that waits instead of computing say so, with the backstop's length?"""
    s, _ = session({("call", "shapes.conv_output_size"): "sleep"})
    with pytest.raises(F.TimedOut) as caught:
        Student(s, SHAPES).shapes.conv_output_size(1)
    assert str(caught.value) == (
        "conv_output_size did not return within 5 s (it was waiting or sleeping, not computing)"
    )
    with pytest.raises(F.GivenUp, match="already timed out"):
        Student(s, SHAPES).shapes.conv_output_size(1)


def test_crashes_take_two_strikes() -> None:
    """Is a function that kills the worker quickly given up after its second crash?"""
    s, _ = session({("call", "conv.conv2d"): "crash"})
    student = Student(s, CONV)
    for _ in range(2):
        with pytest.raises(F.Crashed, match="conv2d crashed") as caught:
            student.conv.conv2d()
        # The exit status is the student's to choose: a detail for public cases only.
        assert "exit status" not in str(caught.value) and "exit status" in caught.value.detail
    with pytest.raises(F.GivenUp, match="^not run: conv2d already crashed 2 times$"):
        student.conv.conv2d()


def test_a_crash_after_running_past_the_limit_gives_up_at_once() -> None:
    """Is a crash that took longer than the limit as final as a timeout (it cost as much)?"""
    s, _ = session({("call", "conv.conv2d"): "slow-crash"})
    student = Student(s, CONV)
    with pytest.raises(F.Crashed):
        student.conv.conv2d()
    with pytest.raises(F.GivenUp, match="already crashed after running for more than 2 s"):
        student.conv.conv2d()


@pytest.mark.parametrize("action", ["spin", "sleep", "slow-crash"])
def test_every_target_failing_slowly_finishes_inside_the_worst_case(action: str) -> None:
    """If every import and function fails as slowly as allowed, does grading stay inside the
    worst case that the budget is checked against, with nothing cut by the budget?"""
    script = {("import", m): "sleep" for m in ("conv", "shapes")}
    s, _ = session(script)
    calls = [(CONV, "conv", "conv2d"), (CONV, "conv", "conv_layer"),
             (SHAPES, "shapes", "conv_output_size")]  # fmt: skip
    for problem, module, name in calls * 4:
        with pytest.raises(F.Unavailable):
            getattr(getattr(Student(s, problem), module), name)()
    imports = s.clock()
    s, _ = session({("call", f"{m}.{n}"): action for _, m, n in calls})
    failures = []
    for problem, module, name in calls * 4:
        with pytest.raises(F.StudentFailure) as caught:
            getattr(getattr(Student(s, problem), module), name)()
        failures.append(type(caught.value))
    assert imports + s.clock() <= PROBLEMS.worst_case()
    assert F.BudgetExhausted not in failures and failures.count(F.GivenUp) == 9


def test_the_budget_cuts_a_call_short_and_then_fails_the_rest_as_not_run() -> None:
    """Is a call's wall-clock limit cut to the budget left, and reported as the budget's?"""
    s, box = session({("call", "conv.conv2d"): "sleep"})
    Student(s, CONV).conv.conv_layer()
    s.deadline = s.clock() + 3.0
    with pytest.raises(F.BudgetExhausted, match="time budget ran out during conv2d"):
        Student(s, CONV).conv.conv2d()
    assert box.requests[-1][3] == 3.0
    with pytest.raises(F.BudgetExhausted, match="^not run: the submission's time budget"):
        Student(s, SHAPES).shapes.conv_output_size(1)


def test_missing_functions_name_the_expected_name() -> None:
    """Is a misspelt function reported by the name the grader looks for?"""
    s, _ = session({("get", "conv.conv2d"): {"ok": False, "missing": True}})
    with pytest.raises(F.Unavailable, match="conv.py defines no conv2d: define it at the top"):
        Student(s, CONV).conv.conv2d


@pytest.mark.parametrize(
    ("error", "raised"),
    [
        pytest.param(
            {"type": "ValueError", "builtin": True, "message": "m"}, ValueError, id="value"
        ),
        pytest.param(
            {"type": "NotImplementedError", "builtin": True, "message": "Problem 1a"},
            NotImplementedError,
            id="stub",
        ),
        pytest.param(
            {"type": "SystemExit", "builtin": True, "message": "0"},
            F.StudentRaised,
            id="base-exception",
        ),
        pytest.param(
            {"type": "MyError", "builtin": False, "message": "m"}, F.StudentRaised, id="custom"
        ),
        pytest.param(
            {"type": "ValueError", "builtin": "yes", "message": "m"},
            F.StudentRaised,
            id="forged-builtin-flag",
        ),
        pytest.param(
            {"type": "UnicodeDecodeError", "builtin": True, "message": "m"},
            F.StudentRaised,
            id="needs-more-arguments",
        ),
        pytest.param("not a dict", F.StudentRaised, id="garbage"),
    ],
)
def test_student_exceptions_are_rebuilt_safely(error: object, raised: type) -> None:
    """Are only plain builtin Exceptions rebuilt, marked as the student's?"""
    s, _ = session({("call", "conv.conv2d"): {"ok": False, "error": error}})
    with pytest.raises(raised) as caught:
        Student(s, CONV).conv.conv2d()
    assert getattr(caught.value, F.STUDENT_ERROR)["function"] == "conv2d"


def test_plugin_messages_of_hidden_cases_carry_nothing_the_student_chose() -> None:
    """Do hidden-case messages drop student-chosen texts, class names and exit statuses?"""
    from grader.grading.plugin import _message

    canary = "EXFIL-1-2-3"
    cases = [
        {"type": "ValueError", "builtin": True, "message": canary},
        {"type": canary, "builtin": False, "message": canary},
        {"type": "UnsupportedReturn", "builtin": False, "message": f"a {canary}"},
    ]
    for error in cases:
        exc = F.raised("conv2d", error)
        hidden, fault = _message(exc, visible=False)
        assert canary not in hidden and hidden.startswith("conv2d ") and not fault
        visible, _ = _message(exc, visible=True)
        assert canary in visible
    crash = F.Crashed("conv2d crashed", detail=f"exit status {canary}")
    assert _message(crash, visible=False) == ("conv2d crashed", False)
    assert canary in _message(crash, visible=True)[0]


def test_a_call_that_changed_its_input_fails_with_a_contract_message() -> None:
    """Does a worker's mutation report turn into a failure naming the parameter?"""
    reply = {"ok": True, "value": [[0.0]], "mutated": [[0]]}
    s, _ = session({("call", "conv.conv2d"): reply})
    with pytest.raises(F.BrokeContract, match="conv2d modified its input array image in place"):
        Student(s, CONV).conv.conv2d(np.zeros((1, 1)), np.ones((1, 1)))


def test_shared_memory_fails_only_for_problems_that_promise_new_arrays() -> None:
    """Is a result that shares memory with an input a failure only where promised?"""
    reply = {"ok": True, "value": [[0.0]], "shared": [[[], [0]]]}
    s, _ = session({("call", "conv.conv2d"): reply})
    image = np.zeros((1, 1))
    assert Student(s, CONV).conv.conv2d(image, image) == [[0.0]]
    strict = replace(CONV, returns_new_arrays=True)
    with pytest.raises(F.BrokeContract, match="share memory with its input image"):
        Student(s, strict).conv.conv2d(image, image)


# --- statement failures: recorded once, from the first import only ------------------------------

NOTEBOOK_PROGRAM = (
    Statement("nb.ipynb, cell 2, line 1", "nb.ipynb, cell 2", 1, "import matplotlib.pyplot as plt",
              ("plt",)),
    Statement("nb.ipynb, cell 2, line 2", "nb.ipynb, cell 2", 2, "import numpy as np", ("np",)),
    Statement("nb.ipynb, cell 3, line 1", "nb.ipynb, cell 3", 1, "def conv2d(x):\n    return x",
              ("conv2d",)),
    Statement("nb.ipynb, cell 4, line 1", "nb.ipynb, cell 4", 1, "%%bash", (),
              "nb.ipynb, cell 4, line 1: a %%bash cell is IPython syntax; it was skipped"),
)  # fmt: skip
MATPLOTLIB = {"index": 0, "type": "ModuleNotFoundError", "message": "No module named 'x'",
              "missing": "matplotlib.pyplot"}  # fmt: skip
IMPORTED = {"ok": True, "failures": {"conv": [MATPLOTLIB]}}


def notebook_session(script: dict) -> tuple[P.Session, FakeSandbox]:
    clock = [0.0]
    box = FakeSandbox(clock, script)
    sources = {m: Source(m, b"", "nb.ipynb", NOTEBOOK_PROGRAM) for m in ("conv", "shapes")}
    problems = ProblemSet("t", (CONV, SHAPES), Limits(budget=60), Path("p"), ("numpy",))
    session = P.Session(problems, {}, box, clock=lambda: clock[0], sources=sources)  # type: ignore[arg-type]
    return session, box


def test_failed_statements_are_reported_once_with_where_and_why() -> None:
    """Is a notebook statement that failed in both modules it backs reported once, naming the
    notebook's cell and the missing package, from the eager first import?"""
    failures = {"conv": [MATPLOTLIB], "shapes": [MATPLOTLIB, {"index": 99}, {"index": 3}, "x"]}
    s, box = notebook_session({
        ("import", "conv"): {"ok": True, "failures": {"conv": [MATPLOTLIB]}},
        ("import", "shapes"): {"ok": True, "failures": failures}})  # fmt: skip
    assert Student(s, SHAPES).shapes.conv_output_size(1) == 1
    assert [r[:2] for r in box.requests][:2] == [("import", "conv"), ("import", "shapes")]
    assert s.messages == (
        "nb.ipynb, cell 2, line 1: `import matplotlib.pyplot as plt` failed: matplotlib is not "
        "available where grading happens (only numpy and Python's standard library are); the "
        "rest of the notebook was graded",
    )


def test_failures_after_a_restart_add_no_messages() -> None:
    """Does a re-import after a worker restart (a hidden case may have run) add nothing?"""
    s, box = notebook_session({
        ("import", "conv"): {"ok": True, "failures": {"conv": [{**MATPLOTLIB, "index": 1}]}},
        ("import", "shapes"): {"ok": True}, ("call", "conv.conv2d"): "crash"})  # fmt: skip
    student = Student(s, CONV)
    with pytest.raises(F.Crashed):
        student.conv.conv2d()
    before = s.messages
    s.sandbox.script[("import", "conv")] = IMPORTED  # type: ignore[attr-defined]
    with pytest.raises(F.Crashed):
        student.conv.conv2d()
    assert [r[0] for r in box.requests].count("import") == 3
    assert s.messages == before and len(before) == 1 and "import numpy as np" in before[0]


@pytest.mark.parametrize("visible", [True, False])
def test_a_name_error_for_a_lost_name_says_which_statement_failed(visible: bool) -> None:
    """Does conv2d's NameError for plt name the failed import and the package, in trusted text
    (the student's own message is only matched, never shown)?"""
    error = {"type": "NameError", "builtin": True, "message": "name 'plt' is not defined",
             "traceback": '  File "nb.ipynb, cell 3", line 2'}  # fmt: skip
    s, _ = notebook_session({("import", "conv"): IMPORTED,
                             ("call", "conv.conv2d"): {"ok": False, "error": error}})  # fmt: skip
    with pytest.raises(F.LostName) as caught:
        Student(s, CONV).conv.conv2d(1)
    assert str(caught.value) == (
        "conv2d raised NameError: plt is not defined, since nb.ipynb, cell 2, line 1: `import "
        "matplotlib.pyplot as plt` failed: matplotlib is not available where grading happens "
        "(only numpy and Python's standard library are)"
    )
    assert caught.value.detail == error["traceback"]  # shown for public cases only
    other = {**error, "message": "name 'secret_1234' is not defined"}
    s.sandbox.script[("call", "conv.conv2d")] = {"ok": False, "error": other}  # type: ignore[attr-defined]
    with pytest.raises(NameError):
        Student(s, CONV).conv.conv2d(1)


def test_a_missing_function_names_the_notebook_and_any_failed_statement() -> None:
    """Is a function missing from a notebook reported against the notebook, never conv.py, and
    with the failed statement that should have defined it?"""
    failed_def = {"index": 2, "type": "NameError", "message": "name 'ArrayLike' is not defined"}
    s, _ = notebook_session({
        ("import", "conv"): {"ok": True, "failures": {"conv": [failed_def]}},
        ("get", "conv.conv2d"): {"ok": False, "missing": True},
        ("get", "conv.conv_layer"): {"ok": False, "missing": True}})  # fmt: skip
    with pytest.raises(F.Unavailable) as caught:
        Student(s, CONV).conv.conv2d
    assert str(caught.value) == (
        "nb.ipynb defines no conv2d: nb.ipynb, cell 3, line 1: `def conv2d(x):` failed: "
        "NameError: name 'ArrayLike' is not defined"
    )
    with pytest.raises(F.Unavailable, match="^nb.ipynb defines no conv_layer: define it at the"):
        Student(s, CONV).conv.conv_layer


def test_a_notebook_backing_several_modules_runs_once_with_their_largest_limit() -> None:
    """Is a notebook's code run by the first module's import only, under the largest import
    limit of the modules it backs, the others importing it under their own names?"""
    s, box = notebook_session({("import", "conv"): IMPORTED})
    assert Student(s, SHAPES).shapes.conv_output_size(1) == 1
    imports = [r for r in box.requests if r[0] == "import"]
    assert [r[1] for r in imports] == ["conv", "shapes"]
    assert {r[2] for r in imports} == {CONV.limits.timeout}  # 2 s: conv's, the larger
    assert box.aliases == {"shapes": "conv"}


def test_functions_named_by_the_import_need_no_get() -> None:
    """Does an import that reports conv2d as a function save its `get` round trip, and is a
    name the grader did not ask about ignored?"""
    imported = {"ok": True, "failures": {}, "callables": ["conv2d", "secret"]}
    s, box = session(
        {("import", "conv"): imported, ("call", "conv.conv2d"): {"ok": True, "value": 2.5}}
    )
    assert Student(s, CONV).conv.conv2d([[1.0]], [[1.0]]) == 2.5
    assert [r[:2] for r in box.requests] == [("import", "conv"), ("import", "shapes"),
        ("call", "conv.conv2d")]  # fmt: skip
    assert "conv.secret" not in s._functions
    Student(s, CONV).conv.conv_layer  # not reported as a function: asked for
    assert box.requests[-1][:2] == ("get", "conv.conv_layer")
