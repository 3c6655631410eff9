"""grader/authoring/audit.py: each mistake a course team makes writing its own set (a target the
cases do not call, a typo in a case, a reference that fails its own hidden case, a public case
the stubs pass) is refused at the start of a command or at build, by a message naming the file,
the problem and the case; the tutorial and examples/attention pass.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from grader import cli
from grader.authoring import audit, release
from grader.problems import DEFAULT_PATH, ProblemSet, load

ROOT = Path(__file__).resolve().parents[2]
ATTENTION = ROOT / "examples" / "attention"
PUBLIC = "cases/public/test_attention.py"
HIDDEN = "cases/hidden/test_attention.py"
REFERENCE = "attention_solutions/norms.py"


def _edit(problems: ProblemSet, name: str, old: str, new: str) -> None:
    path = problems.root / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (name, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _rename_target(problems: ProblemSet) -> None:
    """problems.yaml's ln targets norms.layer_norm7, its examples calling it by that name."""
    _edit(problems, "problems.yaml", "targets: [norms.layer_norm]", "targets: [norms.layer_norm7]")
    for example in ("layer_norm(np.array([[1.0", "layer_norm(np.array([[1, 3"):
        _edit(problems, "problems.yaml", example, example.replace("layer_norm(", "layer_norm7("))


def _copy(tmp_path: Path) -> ProblemSet:
    folder = tmp_path / "set"
    shutil.copytree(ATTENTION, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return load(folder / "problems.yaml")


def _line(problems: ProblemSet, name: str, function: str) -> int:
    lines = (problems.root / name).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(f"def {function}("))


# ------------------------------------------------------------------------- The sound sets


@pytest.mark.parametrize(
    "path", [DEFAULT_PATH, ATTENTION / "problems.yaml"], ids=["tutorial", "attention"]
)
def test_the_sets_pass_the_static_check(path: Path) -> None:
    """Do the tutorial's and the attention set's cases call only their problems' targets?"""
    assert audit.static(load(path)) == []


@pytest.mark.slow
@pytest.mark.parametrize("archive", [True, False], ids=["archive", "repository"])
def test_the_attention_set_passes_the_graded_check(archive: bool) -> None:
    """Do its references score full marks, and its stubs no public case, in either layout?"""
    assert audit.graded(load(ATTENTION / "problems.yaml"), archive=archive) == []


# ------------------------------------------------------------- Refused by reading: mistakes


def test_a_case_calling_what_its_problem_does_not_target_is_named(tmp_path: Path) -> None:
    """problems.yaml targets norms.layer_norm7 (which the reference defines); the cases still
    call student.norms.layer_norm: each such case is named, with its file, line and problem."""
    problems = _copy(tmp_path)
    _rename_target(problems)
    _edit(problems, REFERENCE, "def layer_norm(", "def layer_norm7(")
    problems = load(problems.path)
    findings = audit.static(problems)
    shown = [str(f) for f in findings]
    line = _line(problems, PUBLIC, "test_layer_norm_of_two_rows")
    assert any(
        s.startswith(f"{PUBLIC}:")
        and "problem 'ln': case test_layer_norm_of_two_rows: calls student.norms.layer_norm," in s
        and "not among the problem's targets (norms.layer_norm7)" in s
        for s in shown
    ), shown
    by_case = {f.case: f for f in findings if f.case}
    assert set(by_case) == {
        "test_layer_norm_of_two_rows", "test_layer_norm_of_a_3d_batch",
        "test_layer_norm_with_a_large_eps",
    }  # fmt: skip
    assert by_case["test_layer_norm_of_two_rows"].where == f"{PUBLIC}:{line}"
    assert {f.where.split(":")[0] for f in by_case.values()} == {PUBLIC, HIDDEN}
    assert any(
        s == "problems.yaml: problem 'ln': 'targets': norms.layer_norm7 is called by none of "
        "the problem's cases (as student.norms.layer_norm7(...)): nothing grades it"
        for s in shown
    ), shown


def test_a_target_the_reference_lacks_is_named(tmp_path: Path) -> None:
    """A target renamed in problems.yaml only: the reference module defines no such name."""
    problems = _copy(tmp_path)
    _rename_target(problems)
    shown = [str(f) for f in audit.static(load(problems.path))]
    assert (
        "problems.yaml: problem 'ln': 'targets': norms.layer_norm7: attention_solutions/norms.py "
        "defines no layer_norm7 at its top level (it defines layer_norm)" in shown
    ), shown


def test_a_typo_in_a_cases_student_call_is_named(tmp_path: Path) -> None:
    """student.norms.layer_nrom in a hidden case: named with the target it may have meant."""
    problems = _copy(tmp_path)
    _edit(problems, HIDDEN, "student.norms.layer_norm(x),", "student.norms.layer_nrom(x),")
    findings = audit.static(problems)
    assert len(findings) == 1, findings
    finding = findings[0]
    assert (finding.where.split(":")[0], finding.problem, finding.case) == (
        HIDDEN, "ln", "test_layer_norm_of_a_3d_batch",
    )  # fmt: skip
    assert "calls student.norms.layer_nrom, not among the problem's targets" in finding.message


def test_a_call_of_another_problems_target_says_which(tmp_path: Path) -> None:
    """A case marked "ln" calling attention.attend: the message names the problem that
    targets it."""
    problems = _copy(tmp_path)
    _edit(problems, PUBLIC, '@pytest.mark.problem("attend")\n', '@pytest.mark.problem("ln")\n')
    shown = [str(f) for f in audit.static(problems)]
    assert any(
        "problem 'ln': case test_attend_of_a_small_example: calls student.attention.attend; "
        "it is a target of problem 'attend'" in s
        for s in shown
    ), shown


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('@pytest.mark.problem("weights")\n', "", 'has no @pytest.mark.problem("<id>")'),
        ('@pytest.mark.problem("weights")\n', '@pytest.mark.problem("weight")\n',
         "is marked with a problem problems.yaml lacks (its code problems: ln, weights, attend)"),
        ('@pytest.mark.problem("weights")\n', '@pytest.mark.problem("why-scale")\n',
         "is marked with a written problem"),
    ],
    ids=["unmarked", "unknown", "written"],
)  # fmt: skip
def test_a_case_without_a_code_problem_is_named(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    problems = _copy(tmp_path)
    _edit(problems, PUBLIC, old, new)
    findings = {str(f) for f in audit.static(problems) if f.case}
    assert len(findings) == 1 and message in findings.pop()


def test_a_case_file_that_does_not_parse_is_named(tmp_path: Path) -> None:
    problems = _copy(tmp_path)
    _edit(problems, HIDDEN, "def _qkv(", "def _qkv(:")
    shown = [str(f) for f in audit.static(problems)]
    assert shown[0].startswith(f"{HIDDEN}:9: not valid Python"), shown


def test_calls_through_a_helper_of_the_case_file_count(tmp_path: Path) -> None:
    """A helper given `student` (under any name) is read as part of each case that calls it."""
    problems = _copy(tmp_path)
    _edit(
        problems, PUBLIC, "\n\n@pytest.mark.problem(\"weights\")\n",
        "\n\ndef _check(who, expect, x):\n"
        "    expect.array(who.norms.layer_nrom(x), ref_norms.layer_norm(x), 'layer_norm(x)')\n"
        "\n\n@pytest.mark.problem(\"ln\")\n"
        "def test_through_a_helper(student, expect):\n"
        "    _check(expect=expect, who=student, x=np.ones((2, 2)))\n"
        "\n\n@pytest.mark.problem(\"weights\")\n",
    )  # fmt: skip
    findings = audit.static(problems)
    assert [(f.case, f.problem) for f in findings] == [("test_through_a_helper", "ln")]
    assert "student.norms.layer_nrom" in findings[0].message


def test_a_problem_without_cases_is_named(tmp_path: Path) -> None:
    problems = _copy(tmp_path)
    for name in (PUBLIC, HIDDEN):
        text = (problems.root / name).read_text(encoding="utf-8")
        (problems.root / name).write_text(
            text.replace('mark.problem("attend")', 'mark.problem("weights")'), encoding="utf-8"
        )
    shown = [str(f) for f in audit.static(problems)]
    assert any(s.startswith("problems.yaml: problem 'attend': 'id': no case in cases is marked")
               for s in shown), shown  # fmt: skip


# ---------------------------------------------------------- Refused by grading, at build


def _refused_build(problems: ProblemSet, tmp_path: Path) -> list[audit.Finding]:
    out = tmp_path / "autograder.zip"
    with pytest.raises(audit.Unsound) as raised:
        release.build_gradescope(out, problems)
    assert not out.exists()
    return list(raised.value.findings)


@pytest.mark.slow
def test_a_reference_that_fails_its_hidden_case_is_refused(tmp_path: Path) -> None:
    """A layer_norm that accepts eps = 0: the hidden case that asks for a ValueError fails."""
    problems = _copy(tmp_path)
    _edit(problems, REFERENCE, "    if not eps > 0:\n", "    if eps < 0:\n")
    findings = _refused_build(problems, tmp_path)
    assert len(findings) == 1, findings
    finding = findings[0]
    line = _line(problems, HIDDEN, "test_layer_norm_with_a_large_eps")
    assert finding.where == f"{HIDDEN}:{line}"
    assert finding.problem == "ln"
    assert finding.case.startswith("test_layer_norm_with_a_large_eps (layer_norm with eps = 1")
    assert finding.message.startswith("the references fail it: ")
    assert "instead of raising ValueError for an eps of 0" in finding.message


@pytest.mark.slow
def test_a_typo_in_a_cases_reference_call_is_refused(tmp_path: Path) -> None:
    """ref.attention_weigths: not something reading the case can tell; grading the references
    through it can."""
    problems = _copy(tmp_path)
    path = problems.root / HIDDEN  # the first of two: in test_attention_weights_of_random_queries
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("ref.attention_weights(", "ref.attention_weigths(", 1))
    assert audit.static(problems) == []
    findings = _refused_build(problems, tmp_path)
    assert {(f.where.split(":")[0], f.problem) for f in findings} == {(HIDDEN, "weights")}
    assert len(findings) == 3  # the case's three parametrizations
    assert all(
        f.case.startswith("test_attention_weights_of_random_queries")
        and "the case itself fails against the references (a typo in the case?)" in f.message
        and "AttributeError" in f.message
        for f in findings
    ), findings


@pytest.mark.slow
def test_a_public_case_the_stubs_pass_is_refused(tmp_path: Path) -> None:
    """A public case comparing the reference with itself passes whatever a student writes."""
    problems = _copy(tmp_path)
    _edit(
        problems, PUBLIC, "        student.norms.layer_norm(x),\n        ref_norms.layer_norm(x),",
        "        ref_norms.layer_norm(x),\n        ref_norms.layer_norm(x),",
    )  # fmt: skip
    findings = _refused_build(problems, tmp_path)
    assert [str(f) for f in findings] == [
        f"{PUBLIC}:{_line(problems, PUBLIC, 'test_layer_norm_of_two_rows')}: problem 'ln': "
        "case test_layer_norm_of_two_rows (layer_norm of a (2, 4) array normalises each row): "
        "the stubs pass this public case: it tests nothing a student writes"
    ]
    with pytest.raises(audit.Unsound):
        release.build_student(tmp_path / "student.zip", problems)
    assert not (tmp_path / "student.zip").exists()


# ------------------------------------------------------------------------ The command line


def _broken(tmp_path: Path) -> ProblemSet:
    problems = _copy(tmp_path)
    _rename_target(problems)
    _edit(problems, REFERENCE, "def layer_norm(", "def layer_norm7(")
    return load(problems.path)


@pytest.mark.parametrize("command", ["build-gradescope", "build-student"])
def test_the_builds_refuse_and_force_writes_saying_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    problems = _broken(tmp_path)
    out = tmp_path / "out.zip"
    argv = [command, "--problems", str(problems.path), "--out", str(out)]
    assert cli.main(argv) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert not out.exists()
    assert re.search(
        rf"error: {PUBLIC}:\d+: problem 'ln': case test_layer_norm_of_two_rows: calls "
        r"student\.norms\.layer_norm,", err
    ), err  # fmt: skip
    assert f"error: refused to write {out}" in err and "pass --force to write it anyway" in err
    if command == "build-student":
        return  # its recording needs references that pass the public cases
    assert cli.main([*argv, "--force"]) == 0
    captured = capsys.readouterr()
    assert out.is_file() and f"wrote {out}" in captured.out
    assert f"warning: --force: writing {out} although the exercise set fails its check" in (
        captured.err
    )


def test_batch_refuses_a_set_that_fails_its_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = _broken(tmp_path)
    (tmp_path / "class").mkdir()
    argv = ["batch", "--problems", str(problems.path), str(tmp_path / "class"),
            "--out", str(tmp_path / "grades"), "--no-progress"]  # fmt: skip
    assert cli.main(argv) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "error: refused to grade" in err and "--grade-anyway" in err
    assert not (tmp_path / "grades").exists()
    assert cli.main([*argv, "--grade-anyway"]) == 0
    assert "warning: --grade-anyway: " in capsys.readouterr().err


def test_stubs_warn_of_what_reading_finds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = _broken(tmp_path)
    assert cli.main(["stubs", "--problems", str(problems.path)]) == 0
    assert "warning: cases/public/test_attention.py:" in capsys.readouterr().err
