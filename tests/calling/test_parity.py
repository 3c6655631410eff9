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

Hand-made submissions (`ODD`) add what the corpus lacks: a lost name, a result that cannot be
sent, the student's own exception class, a changed input, a missing name, a KeyError, a
SystemExit, a deep traceback and a slow function. Two of them differ, by design (`ALLOWED`).

What the student reads locally (`inprocess.describe`) words the same failures for a terminal:
the call with its parameter names instead of the function's name, "is not implemented yet" for
a stub, and the traceback's last frames only, without a lost name's traceback. Those are the
only differences allowed between its first line and the grader's (`_as_graded`, `_headline`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.calling import counterexamples
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

ODD = {  # name -> (module of the solutions, code added at its end, redefining a function)
    "lost-name": ("shapes", "import scipy_is_not_here as sp\n\n"
                  "def conv_num_parameters(in_channels, num_kernels, kernel_size, bias=True):\n"
                  "    return sp.prod(in_channels)\n"),
    "unsendable": ("activations", "def relu(x):\n    return {1, 2}\n"),
    "own-exception": ("conv", "class PoolError(Exception):\n    pass\n\n"
                      "def max_pool2d(x, size=2, stride=None):\n    raise PoolError('none')\n"),
    "in-place": ("rnn", "def clip_grad_norm(grads, max_norm):\n    for g in grads:\n"
                 "        g *= 0.5\n    return grads\n"),
    "missing": ("rnn_types", "del TASK_TYPES\n"),
    "key-error": ("rnn_types", "def rnn_type(input_steps, output_steps):\n"
                  "    return {}['missing']\n"),
    "exits": ("activations", "def relu_grad(x):\n    raise SystemExit(3)\n"),
    "deep": ("shapes", "def conv_output_size(n, kernel_size, stride=1, padding=0, depth=0):\n"
             "    if depth < 12:\n"
             "        return conv_output_size(n, kernel_size, stride, padding, depth + 1)\n"
             "    raise ValueError('too deep')\n"),
    "slow": ("activations", "def leaky_relu(x, alpha=0.01):\n    import time\n"
             "    started = time.process_time()\n"
             "    while time.process_time() - started < 1.3:\n        pass\n    return x\n"),
}  # fmt: skip
ALLOWED = {  # submission -> what may differ, and why
    # The public checks show a traceback's last 8 frames, as a terminal would; the grader up to
    # 4000 characters of it. The message above the traceback agrees.
    "deep": "traceback",
    # Only the sandbox stops a call at its CPU limit (and then gives the function up: "not
    # run: ... already timed out"); in process the call runs to its end and is measured after,
    # each time, with the time it used. The same cases fail, worded differently.
    "slow": "time",
}


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
    reference = counterexamples.references(problems.solutions_package)
    try:
        for case in plugin.collect(PUBLIC, problems).cases:
            made: list[Student] = []

            def student(problem: object, made: list[Student] = made) -> tuple[Student, list[str]]:
                made.append(submission.student(problem))  # type: ignore[arg-type]
                return made[-1], made[-1].touched

            outcome = plugin.run_case(case, problems, student)
            message = outcome.message
            if outcome.explainable:  # as grader/cases/conftest.py adds it to the report
                line = counterexamples.for_case(made[-1], reference)
                message = f"{message}\n{line}" if line else message
            outcomes[outcome.problem, outcome.name] = (outcome.passed, message)
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


def _headline(message: str) -> str:
    """The grader's message up to its traceback (a lost name's follows it on the first line)."""
    return message.splitlines()[0].split(':   File "')[0]


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
                assert locally == _headline(message), (name, message, locally)
            compared += len(graded)
            failed += len(described)
    finally:
        server.close()
    assert compared > 1500 and failed > 100  # the corpus really was graded, failures and all


@pytest.mark.slow
@pytest.mark.parametrize("name", list(ODD))
def test_only_what_the_sandbox_alone_can_do_differs(name: str, tmp_path: Path) -> None:
    """Do the hand-made submissions agree too, but for the documented differences?"""
    module, code = ODD[name]
    for path in (ROOT / "solutions").glob("*.py"):
        if path.name != "__init__.py":
            shutil.copy(path, tmp_path / path.name)
    changed = tmp_path / f"{module}.py"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\n" + code, encoding="utf-8")
    graded = _graded(tmp_path, None)
    checked, described = _checked(tmp_path, PROBLEMS)
    assert graded.keys() == checked.keys()
    assert [case for case in graded if not graded[case][0]], "nothing failed"
    allowed = ALLOWED.get(name)
    for case, (passed, message) in graded.items():
        locally = checked[case][1]
        assert passed == checked[case][0], case
        if allowed == "traceback":
            message, locally = message.split('\n  File "')[0], locally.split('\n  File "')[0]
        elif allowed == "time" and not passed:
            assert "s of CPU time (the limit for problem" in locally, locally
            continue
        assert message == locally, case
    for message, locally in described:
        if allowed != "time":
            assert locally == _headline(message), (message, locally)
