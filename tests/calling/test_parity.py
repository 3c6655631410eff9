"""The two backends of grader/calling agree: every public case passes or fails alike, with the
same message, whether the submission is graded in the sandbox or checked in the student's own
process.

The submissions are every mutant of tests/test_mutants.py, every realistic mistake and every
correct style of tests/test_corpus.py, the submission that refuses everything, and the stubs
(about 90 submissions, well over 100 failing public cases). Each is graded by
`grader.grading.pipeline.grade` restricted to the public cases, and its public cases are run
again through `grader.grading.plugin.run_case` with the in-process backend's `student`: both
sides are worded by the plugin's `_message`, so any difference comes from the calling core or
a backend.

What the student reads locally (`inprocess.describe`) words the same failures for a terminal:
the call with its parameter names instead of the function's name, "is not implemented yet" for
a stub, and the traceback's last frames only, without a lost name's traceback. Those are the
only differences allowed between its first line and the grader's (`_as_graded`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.calling.student import Student
from grader.checking.expect import Expect
from grader.grading import plugin
from grader.grading.pipeline import grade
from grader.problems import ProblemSet, load
from grader.sandbox.forkserver import ForkServer
from grader.sandbox.isolation import probe
from grader.selfcheck import inprocess
from tests.test_corpus import CORPUS, MISTAKES, STYLES, replace_definition, submit
from tests.test_mutants import MUTANTS, Mutant, _apply

ROOT = Path(__file__).resolve().parents[2]
PROBLEMS = load()
PUBLIC = PROBLEMS.cases_dir / "public"

Outcomes = dict[tuple[str, str], tuple[bool, str]]  # (problem, case) -> (passed, message)


def _submissions(into: Path) -> Iterator[tuple[str, Path]]:
    for param in MUTANTS:
        mutant: Mutant = param.values[0]  # type: ignore[assignment]
        folder = into / f"mutant-{mutant.name}"
        folder.mkdir()
        _apply(mutant, folder)
        yield folder.name, folder
    for mistake in MISTAKES:
        (into / mistake.name).mkdir()
        folder = submit(mistake.style, into / mistake.name)
        path = folder / f"{mistake.module}.py"
        path.write_text(replace_definition(path.read_text(encoding="utf-8"), mistake.source))
        yield mistake.name, folder
    for style in STYLES:
        (into / style).mkdir()
        yield style, submit(style, into / style)
    yield "always_raises", shutil.copytree(CORPUS / "mistakes" / "always_raises", into / "raises")
    yield "stubs", shutil.copytree(ROOT / "exercises", into / "stubs")


def _graded(path: Path, template: ForkServer | None) -> Outcomes:
    results = grade(path, PROBLEMS, cases=PUBLIC, template=template)
    assert results.grader_errors == () and results.faults == ()
    return {(t.outcome.problem, t.outcome.name): (t.outcome.passed, t.outcome.message)
            for t in results.tests}  # fmt: skip


def _checked(path: Path, problems: ProblemSet) -> tuple[Outcomes, list[tuple[str, str]]]:
    """The public cases run in this process: their outcomes as the plugin words them, and for
    each failure (plugin message, `describe`'s text)."""
    submission = inprocess.InProcessSubmission.from_path(path, problems)
    outcomes: Outcomes = {}
    described: list[tuple[str, str]] = []
    try:
        for case in plugin.collect(PUBLIC, problems).cases:

            def student(problem: object) -> tuple[Student, list[str]]:
                made = submission.student(problem)  # type: ignore[arg-type]
                return made, made.touched

            outcome = plugin.run_case(case, problems, student)
            outcomes[outcome.problem, outcome.name] = (outcome.passed, outcome.message)
            if not outcome.passed:
                described.append((outcome.message, _describe(case, problems, submission)))
    finally:
        submission.close()
    return outcomes, described


def _describe(case: plugin.Case, problems: ProblemSet, submission: object) -> str:
    """`describe` of the exception the case raises, as the student's pytest would report it."""
    problem = problems.problem(case.problem)
    expect = Expect(rtol=problem.limits.rtol, atol=problem.limits.atol, reveal=True)
    try:
        case.function(student=submission.student(problem), expect=expect, **case.params)  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001
        text = inprocess.describe(exc)
        assert text is not None, f"{case.name}: {exc!r} would be reported with a traceback"
        return _as_graded(exc, text)
    raise AssertionError(f"{case.name} passed the second time")


def _as_graded(exc: BaseException, text: str) -> str:
    """`describe`'s first line in the grader's words: the function's name for the call as
    written, and a stub's NotImplementedError as raised."""
    name, call = getattr(exc, inprocess._CALL, ("", ""))
    first = text.splitlines()[0]
    if call and first.startswith(call):
        first = name + first[len(call) :]
    stub = f"{name} {inprocess._NOT_IMPLEMENTED} ("
    if name and first.startswith(stub) and first.endswith(")"):
        first = f"{name} raised NotImplementedError: {first[len(stub) : -1]}"
    return first


@pytest.mark.slow
def test_sandbox_and_in_process_agree_on_every_public_case(tmp_path: Path) -> None:
    """Does each public case pass or fail alike, with the same message, in both backends?"""
    server = ForkServer(probe())
    template = server if server.usable else None  # as grade() decides for itself
    compared = failed = 0
    try:
        for name, path in _submissions(tmp_path):
            graded = _graded(path, template)
            checked, described = _checked(path, PROBLEMS)
            assert graded.keys() == checked.keys(), name
            differ = {case: (graded[case], checked[case]) for case in graded
                      if graded[case] != checked[case]}  # fmt: skip
            assert not differ, f"{name}: sandbox vs in-process: {differ}"
            for message, locally in described:
                assert locally == message.splitlines()[0], (name, message, locally)
            compared += len(graded)
            failed += len(described)
    finally:
        server.close()
    assert compared > 1500 and failed > 100  # the corpus really was graded, failures and all
