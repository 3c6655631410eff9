"""grader/grading/plugin.py: the cases are collected once and called directly, with the outcomes
pytest's own run of them gives; case files that need more of pytest run under it."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from grader.grading import plugin, references
from grader.grading.pipeline import grade
from grader.problems import load

ROOT = Path(__file__).resolve().parents[2]
PROBLEMS = load()
GRADED = {p.id for p in PROBLEMS.problems if p.graded}

CASE = '''
import numpy as np
import pytest

from solutions import activations as ref


@pytest.mark.problem("3")
def test_relu(student, expect):
    """relu of a small vector"""
    x = np.array([-1.0, 2.0])
    expect.array(student.activations.relu(x), ref.relu(x), "relu(x)")


@pytest.mark.problem("3")
@pytest.mark.parametrize("alpha", [0.1, 0.2])
def test_leaky_relu(student, expect, alpha):
    """leaky_relu of a small vector"""
    x = np.array([-1.0, 2.0])
    expect.array(student.activations.leaky_relu(x, alpha), ref.leaky_relu(x, alpha), "leaky")
'''

NEEDS_PYTEST = '''

@pytest.fixture
def vector():
    return np.array([-3.0, 3.0])


@pytest.mark.problem("3")
def test_relu_of_a_fixture(student, expect, vector):
    """relu of a fixture's vector"""
    expect.array(student.activations.relu(vector), ref.relu(vector), "relu(vector)")


@pytest.mark.problem("3")
@pytest.mark.skip(reason="not today")
def test_skipped(student, expect):
    """a skipped case"""
'''


def write_cases(folder: Path, text: str, name: str = "") -> Path:
    """A cases folder with one public case file; its name is unique (pytest imports case
    files without a package under their own name, once per process)."""
    (folder / "public").mkdir(parents=True, exist_ok=True)
    name = name or re.sub(r"\W", "_", folder.parent.name)
    (folder / "public" / f"test_{name}.py").write_text(text, encoding="utf-8")
    return folder


def submission(folder: Path, **replaced: Path) -> Path:
    """The references, with some modules taken from elsewhere (or left out, for None)."""
    folder.mkdir()
    for module in ("conv", "shapes", "rnn_types", "activations", "rnn"):
        source = replaced.get(module, ROOT / "solutions")
        if source is not None:
            shutil.copy(source / f"{module}.py", folder)
    return folder


def test_the_grading_cases_are_called_directly() -> None:
    """Are the project's cases callable without pytest, covering every code problem?"""
    collected = plugin.collect(PROBLEMS.cases_dir, PROBLEMS)
    assert collected.direct and not collected.errors
    assert {case.problem for case in collected.cases} == GRADED
    assert all(callable(case.function) for case in collected.cases)
    assert any(case.params for case in collected.cases)  # parametrized ones, one per id
    assert {case.visible for case in collected.cases} == {True, False}


@pytest.mark.parametrize(
    "problems_path",
    [ROOT / "problems.yaml", ROOT / "examples" / "attention" / "problems.yaml"],
    ids=["tutorial9", "attention"],
)
def test_priming_runs_every_case_against_the_references_and_remembers(
    problems_path: Path,
) -> None:
    """Does `prime` run each case once against the set's own references, all passing, so that
    a batch's forked workers find every expected value computed?"""
    problems = load(problems_path)
    outcomes = plugin.prime(problems)
    assert outcomes is not None
    assert len(outcomes) == len(plugin.collect(problems.cases_dir, problems).cases)
    assert [o.name for o in outcomes if not o.passed] == []
    package = problems.solutions_package
    assert any(key.startswith(f"{package}.") for key, _ in references._results)


def test_priming_leaves_cases_that_need_pytest_to_a_real_grading(
    tmp_path: Path, monkeypatch
) -> None:
    """Where the cases need pytest itself, does `prime` run nothing (and say so)?"""
    monkeypatch.setattr(plugin, "collect", lambda *args: plugin.Collected((), (), direct=False))
    assert plugin.prime(PROBLEMS) is None


def test_collection_happens_once_until_a_case_file_changes(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases", CASE)
    first = plugin.collect(cases, PROBLEMS)
    assert plugin.collect(cases, PROBLEMS) is first
    assert [c.name for c in first.cases] == [
        "relu of a small vector",
        "leaky_relu of a small vector [0.1]",
        "leaky_relu of a small vector [0.2]",
    ]
    write_cases(cases, CASE.replace("small", "short"), name=f"more_{tmp_path.name}")
    again = plugin.collect(cases, PROBLEMS)
    assert again is not first
    assert len(again.cases) == 2 * len(first.cases)
    assert "relu of a short vector" in {c.name for c in again.cases}


def _outcomes(results) -> list[tuple]:
    return [replace(t.outcome, duration=0.0) for t in results.tests]


def test_direct_calls_give_what_pytest_gives(tmp_path: Path, monkeypatch) -> None:
    """Passes, hints, student exceptions, contract breaches and missing modules: the same
    outcomes, messages and targets whether pytest runs the cases or the grader calls them."""
    folder = submission(tmp_path / "sub", activations=ROOT / "exercises", rnn=None)
    conv = folder / "conv.py"
    conv.write_text(
        conv.read_text().replace(
            "weights = kernels.reshape(out_channels, -1).T",
            "weights = kernels[:, ::-1, ::-1].reshape(out_channels, -1).T",
        )
    )
    direct = grade(folder)
    monkeypatch.setattr(plugin, "collect", lambda *args: plugin.Collected((), (), direct=False))
    under_pytest = grade(folder)
    assert _outcomes(direct) == _outcomes(under_pytest)
    passed = {t.outcome.passed for t in direct.tests}
    assert passed == {True, False}
    messages = " ".join(t.outcome.message for t in direct.tests)
    assert "the kernel was flipped" in messages and "no rnn.py" in messages


def test_cases_needing_more_of_pytest_run_under_pytest(tmp_path: Path) -> None:
    """A case file with its own fixture and a skip mark is run by pytest as a whole."""
    cases = write_cases(tmp_path / "cases", CASE + NEEDS_PYTEST)
    assert not plugin.collect(cases, PROBLEMS).direct
    results = grade(submission(tmp_path / "sub"), cases=cases)
    by_name = {t.outcome.name: t.outcome for t in results.tests}
    assert by_name["relu of a fixture's vector"].passed
    assert by_name["leaky_relu of a small vector [0.2]"].passed
    skipped = by_name["a skipped case"]
    assert not skipped.passed and skipped.grader_error
    assert skipped.message == "the grader skipped this case"


@pytest.mark.parametrize("under_pytest", [False, True])
def test_a_failed_case_keeps_its_assertion_message(tmp_path: Path, under_pytest: bool) -> None:
    """A case's own assert (rewritten by pytest at collection) gives its message either way."""
    text = (
        CASE
        + (NEEDS_PYTEST if under_pytest else "")
        + '''

@pytest.mark.problem("3")
def test_own_assert(student, expect):
    """an assert of the case itself"""
    got = student.activations.relu(np.array([-1.0]))
    assert got[0] == 1.0
'''
    )
    cases = write_cases(tmp_path / "cases", text)
    results = grade(submission(tmp_path / "sub"), cases=cases)
    (own,) = [t.outcome for t in results.tests if t.outcome.name == "an assert of the case itself"]
    assert not own.passed and not own.grader_error
    assert own.message.startswith("assert ") and "== 1.0" in own.message  # rewritten


def test_a_public_message_quotes_the_students_exception_as_python_prints_it() -> None:
    """Is a KeyError('k') shown as `KeyError: 'k'` (its rebuilt str() would quote it twice),
    as the public checks show it?"""
    from grader.calling.failures import raised

    error = {"type": "KeyError", "builtin": True, "message": "'k'", "traceback": ""}
    assert plugin._message(raised("f", error), visible=True) == ("f raised KeyError: 'k'", False)
