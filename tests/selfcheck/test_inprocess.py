"""grader/selfcheck/inprocess.py and grader/cases/conftest.py: the public checks read a
submission as the grader does, so that what passes there passes the same public
cases in the grader."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from grader.calling.failures import StudentFailure
from grader.grading.pipeline import grade
from grader.problems import load
from grader.selfcheck import inprocess
from tests.solved import solved_notebook

MODULES = load().modules  # the tutorial's student modules, from problems.yaml

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
PROBLEMS = load()


def public_checks(submission: Path, *args: str, cwd: Path = ROOT) -> tuple[dict[str, bool], str]:
    """Run `python -m pytest --submission=...` on the public cases: ({case: passed}, output)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TUTORIAL9_"))}
    report = submission.parent / "public.xml"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "grader" / "cases" / "public"),
         f"--submission={submission}", "-p", "no:cacheprovider", f"--junitxml={report}", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode in (0, 1), run.stdout[-3000:] + run.stderr[-3000:]
    cases = {
        case.get("name"): not list(case) for case in ET.parse(report).getroot().iter("testcase")
    }
    return cases, run.stdout


def graded_public(submission: Path) -> tuple[dict[str, bool], tuple[str, ...]]:
    """The grader's verdict on each public case (by display name), and its messages."""
    results = grade(submission)
    verdicts = {
        test.outcome.name: test.outcome.passed
        for problem in results.problems
        for test in problem.tests
        if test.outcome.visible
    }
    return verdicts, results.messages


def solved_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "solved"
    folder.mkdir()
    for module in MODULES:
        shutil.copy(SOLUTIONS / f"{module}.py", folder)
    return folder


@pytest.mark.slow
def test_a_solved_notebook_passes_every_public_check_locally_and_in_the_grader(
    tmp_path: Path,
) -> None:
    """Does a notebook solved in its cells pass every public case with --submission, and in
    the grader, with no note about the check cells?"""
    book = tmp_path / "tutorial9.ipynb"
    book.write_text(solved_notebook(), encoding="utf-8")
    local_cases, output = public_checks(book)
    assert local_cases and all(local_cases.values()), output[-2000:]
    graded, messages = graded_public(book)
    assert len(graded) == len(local_cases) and all(graded.values())
    assert not any("check" in m and "cells" in m for m in messages), messages


@pytest.mark.slow
def test_a_failing_demo_import_is_reported_alike_and_costs_nothing(tmp_path: Path) -> None:
    """A .py file whose `import matplotlib` fails where grading happens: do the local checks
    block it as the grader does, pass the same cases, and word the failure the same?"""
    folder = solved_folder(tmp_path)
    conv = folder / "conv.py"
    conv.write_text("import matplotlib.pyplot as plt\n" + conv.read_text(), encoding="utf-8")
    shapes = folder / "shapes.py"
    shapes.write_text(  # a function that needs the failed import fails, in both
        shapes.read_text() + "\n\nimport scipy_is_not_here as sp\n\n"
        "def conv_num_parameters(in_channels, num_kernels, kernel_size, bias=True):\n"
        "    return sp.prod(in_channels)\n",
        encoding="utf-8",
    )
    local_cases, output = public_checks(folder)
    graded, messages = graded_public(folder)
    graded_by_name = sorted(graded.values())
    assert sorted(local_cases.values()) == graded_by_name
    assert local_cases["test_conv_num_parameters_tutorial"] is False
    assert sum(not passed for passed in local_cases.values()) == 1
    wording = [m for m in messages if "matplotlib" in m]
    assert wording == [
        "conv.py, line 1: `import matplotlib.pyplot as plt` failed: matplotlib is not available "
        "where grading happens (only numpy and Python's standard library are); the rest of "
        "conv.py was graded"
    ]
    assert output.count(wording[0]) == 1
    assert "raised NameError: sp is not defined, since shapes.py, line" in output


def test_a_call_that_changes_its_input_fails_as_in_the_grader(tmp_path: Path) -> None:
    """Does the in-process student check the API's contract (inputs unchanged)?"""
    namespace: dict = {}
    exec("def relu(x):\n    x[x < 0] = 0\n    return x\n", namespace)
    submission = inprocess.InProcessSubmission.from_namespace(namespace, PROBLEMS)
    student = submission.student(PROBLEMS.problem("3"))
    with pytest.raises(StudentFailure, match="relu modified its input array x in place"):
        student.activations.relu(np.array([-1.0, 2.0]))


def test_results_cross_the_wire_and_builtin_exceptions_pass_through() -> None:
    """A result the grader cannot read fails; a ValueError reaches the case as itself."""
    namespace: dict = {}
    exec(
        "def relu(x):\n    return object()\n"
        "def conv2d(image, kernel, stride=1, padding=0):\n    raise ValueError('bad stride')\n",
        namespace,
    )
    submission = inprocess.InProcessSubmission.from_namespace(namespace, PROBLEMS)
    with pytest.raises(StudentFailure, match="relu returned a object cannot be graded"):
        submission.student(PROBLEMS.problem("3")).activations.relu(np.zeros(2))
    with pytest.raises(ValueError, match="bad stride") as caught:
        submission.student(PROBLEMS.problem("1a")).conv.conv2d(np.zeros((2, 2)), np.ones((1, 1)))
    assert inprocess.describe(caught.value).startswith("conv2d(image, kernel) raised ValueError")


def test_a_stub_failure_is_described_in_one_line() -> None:
    """Does an unfinished function fail with the call and "not implemented yet", no trace?"""
    namespace: dict = {}
    exec("def softmax(z):\n    raise NotImplementedError('Problem softmax')\n", namespace)
    student = inprocess.InProcessSubmission.from_namespace(namespace, PROBLEMS).student(
        PROBLEMS.problem("softmax")
    )
    with pytest.raises(NotImplementedError) as caught:
        student.activations.softmax(np.zeros(3))
    assert inprocess.describe(caught.value) == "softmax(z) is not implemented yet (Problem softmax)"


@pytest.mark.slow
@pytest.mark.parametrize("where", ["root", "exercises"])
def test_pytest_from_the_project_and_from_exercises_checks_exercises(where: str) -> None:
    """Does `python -m pytest` started in exercises/ run the public cases (not "no tests")?"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TUTORIAL9_"))}
    cwd = ROOT / "exercises" if where == "exercises" else ROOT
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--co", "-q"]
    if where == "root":
        command.append("grader/cases/public")
    run = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:]
    assert "test_conv2d_tutorial_feature_map" in run.stdout
    assert "tests/test_" not in run.stdout


def test_a_missing_submission_is_a_usage_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TUTORIAL9_"))}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "grader/cases/public", "-p", "no:cacheprovider",
         f"--submission={tmp_path / 'nothing.ipynb'}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 4, run.stdout[-2000:]
    assert "--submission" in run.stdout and "no such file or folder" in run.stdout


def test_statement_failures_in_the_check_match_the_grader_wording(tmp_path: Path) -> None:
    """In-process import of a notebook: failed statements listed once each, grader-worded."""
    book = json.loads(solved_notebook())
    book["cells"].insert(1, {"cell_type": "code", "id": "plots", "metadata": {},
                             "execution_count": None, "outputs": [],
                             "source": "import matplotlib.pyplot as plt"})  # fmt: skip
    path = tmp_path / "mine.ipynb"
    path.write_text(json.dumps(book), encoding="utf-8")
    submission = inprocess.InProcessSubmission.from_path(path, PROBLEMS)
    try:
        failed = [m for m in submission.messages if "matplotlib" in m]
        assert failed == [
            "mine.ipynb, cell 2, line 1: `import matplotlib.pyplot as plt` failed: matplotlib "
            "is not available where grading happens (only numpy and Python's standard library "
            "are); the rest of the notebook was graded"
        ]
    finally:
        submission.close()
    assert "conv" not in sys.modules
