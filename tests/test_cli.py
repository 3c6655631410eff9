"""grader/cli.py: options, outputs, exit statuses; grading itself is replaced by a stub here.

Exit status: 0 when results were written (any score), 1 below --fail-under, 2 for a usage
error, 3 for a grader fault; every requested output exists whatever happened.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from grader import cli
from grader.grading import pipeline
from grader.problems import DEFAULT_PATH, load
from grader.results import formats
from grader.results.outcomes import TestOutcome
from grader.results.scoring import Results, score
from tests import reporter

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = load(DEFAULT_PATH)
RUNNERS = ",".join(name for name, _ in formats.classroom_runners(PROBLEMS))


def fake_results(passed: bool) -> Results:
    outcomes = [
        TestOutcome(p.id, "a case", True, passed, "" if passed else "wrong", (), 0.01)
        for p in PROBLEMS.problems
        if p.graded
    ]
    return Results(
        problems=score(PROBLEMS, outcomes),
        written=tuple(p for p in PROBLEMS.problems if not p.graded),
        messages=(),
        execution_time=0.5,
        extra={"grader_version": "0.1.0", "sandbox": {"level": "full"}},
    )


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "conv.py").write_text("x = 1\n")
    return folder


@pytest.fixture
def graded(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Replace grading: the list holds the `passed` of the next results (default True)."""
    state = [True]
    monkeypatch.setattr(
        pipeline, "grade", lambda path, problems, trust=False: fake_results(state[0])
    )
    return state


def check_outputs(folder: Path, fault: bool) -> None:
    """Every format in `folder` exists and parses as its kind."""
    document = json.loads((folder / "results.json").read_text())
    assert ("grader_error" in document["extra_data"]) == fault
    ET.parse(folder / "junit.xml")
    env = reporter.parse_env((folder / "classroom.env").read_text())
    heading = (folder / "summary.md").read_text(encoding="utf-8").splitlines()[0]
    if env or not fault:  # empty only when problems.yaml itself could not be read
        seen = reporter.report(env, RUNNERS)
        assert seen.max_points == 19
        statuses = {reporter.payload(env, runner)["status"] for runner in RUNNERS.split(",")}
        assert (statuses == {"error"}) == fault
        assert heading.startswith(f"## {PROBLEMS.title} — ")  # the set's own title
    else:
        assert heading == "## Not graded"


def all_formats(folder: Path) -> list[str]:
    return [
        "--out", str(folder / "results.json"),
        "--format", f"junit={folder / 'junit.xml'}",
        "--format", f"classroom={folder / 'classroom.env'}",
        "--format", f"markdown={folder / 'summary.md'}",
    ]  # fmt: skip


def test_grade_writes_every_format(graded, submission: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """Does one run write all four formats and exit 0?"""
    assert cli.main(["grade", str(submission), *all_formats(tmp_path)]) == 0
    check_outputs(tmp_path, fault=False)
    assert "total" in capsys.readouterr().out


def test_grade_defaults_to_results_json(
    graded, submission: Path, tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001, E501
    """Without --out or --format, is results.json written in the current folder?"""
    monkeypatch.chdir(tmp_path)
    assert cli.main(["grade", str(submission)]) == 0
    assert json.loads((tmp_path / "results.json").read_text())["score"] == 19


def test_format_without_path_uses_its_default(
    graded, submission: Path, tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001, E501
    """Does `--format junit` alone write junit.xml, and no results.json?"""
    monkeypatch.chdir(tmp_path)
    assert cli.main(["grade", str(submission), "--format", "junit"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junit.xml", "submission"]


@pytest.mark.parametrize(
    ("threshold", "passed", "status"),
    [("19", True, 0), ("19", False, 1), ("100%", True, 0), ("1%", False, 1), ("0", False, 0)],
)
def test_fail_under(
    graded, submission: Path, tmp_path: Path, threshold: str, passed: bool, status: int
) -> None:  # noqa: ANN001, E501
    """Is the exit status 1 exactly when the score is below --fail-under (points or %)?"""
    graded[0] = passed
    out = tmp_path / "r.json"
    argv = ["grade", str(submission), "--out", str(out), "--fail-under", threshold]
    assert cli.main(argv) == status
    assert out.is_file()  # written whatever the score


def test_fail_under_still_writes_every_output_for_the_reporter(
    graded, submission: Path, tmp_path: Path
) -> None:  # noqa: ANN001
    """Below --fail-under (exit 1), is every output written, the reporter's runners complete?"""
    graded[0] = False
    assert cli.main(["grade", str(submission), *all_formats(tmp_path), "--fail-under", "50%"]) == 1
    check_outputs(tmp_path, fault=False)
    seen = reporter.report(reporter.parse_env((tmp_path / "classroom.env").read_text()), RUNNERS)
    assert seen.points == 0 and seen.failed


def docs_workflow_snippet() -> list[dict]:
    """The GitHub Actions steps of docs/instructors.md's "CI formats" section."""
    text = (ROOT / "docs" / "instructors.md").read_text(encoding="utf-8")
    text = text.split("## CI formats", 1)[1].split("\n## ", 1)[0]
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "grading-reporter" in b]
    return yaml.safe_load(block)


def test_documented_classroom_snippet_reports_below_fail_under(
    graded, submission: Path, tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001
    """Run docs/instructors.md's steps: below --fail-under, does the reporter get every runner?"""
    grade_step, report_step = docs_workflow_snippet()
    assert report_step["if"] == "always()"
    assert report_step["with"]["runners"] == RUNNERS
    github_env = tmp_path / "github_env"
    github_env.write_text("")
    summary = tmp_path / "step_summary"
    for name, value in (("GITHUB_ENV", github_env), ("GITHUB_STEP_SUMMARY", summary)):
        monkeypatch.setenv(name, str(value))
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(os.path.expandvars(grade_step["run"]))
    assert argv[:4] == ["python", "-m", "grader", "grade"]
    graded[0] = False
    assert cli.main(["grade", str(submission), *argv[5:]]) == 1
    seen = reporter.report(reporter.parse_env(github_env.read_text()), RUNNERS)
    assert seen.points == 0 and seen.max_points == 19 and seen.failed
    assert summary.read_text(encoding="utf-8").startswith(f"## {PROBLEMS.title} — ")


def test_grader_fault_writes_fault_documents(monkeypatch, submission: Path, tmp_path: Path) -> None:  # noqa: ANN001, E501
    """Does a grader crash exit 3 and still leave every requested output?"""

    def broken(path: Path, problems: object) -> Results:
        raise RuntimeError("the worker template is gone")

    monkeypatch.setattr(pipeline, "grade", broken)
    assert cli.main(["grade", str(submission), *all_formats(tmp_path)]) == 3
    check_outputs(tmp_path, fault=True)


def test_missing_submission_is_a_usage_error(tmp_path: Path) -> None:
    """Does a missing submission exit 2, with fault documents written?"""
    assert cli.main(["grade", str(tmp_path / "nope"), *all_formats(tmp_path)]) == 2
    check_outputs(tmp_path, fault=True)


@pytest.mark.parametrize("fmt", ["--out", "junit", "markdown"])
def test_output_in_a_missing_folder_is_a_usage_error_before_grading(
    fmt: str, submission: Path, tmp_path: Path, monkeypatch, capsys
) -> None:  # noqa: ANN001
    """Does an output in a folder that does not exist exit 2 at once, without grading?"""
    calls: list[Path] = []
    monkeypatch.setattr(pipeline, "grade", lambda path, problems: calls.append(path))
    target = tmp_path / "no-such-folder" / "out.txt"
    option = ["--out", str(target)] if fmt == "--out" else ["--format", f"{fmt}={target}"]
    assert cli.main(["grade", str(submission), *option]) == 2
    assert calls == []
    err = capsys.readouterr().err
    assert "does not exist" in err and str(target.parent) in err
    assert "Traceback" not in err
    assert not target.parent.exists()  # not created either


def test_output_that_is_a_folder_is_a_usage_error(
    graded, submission: Path, tmp_path: Path, capsys
) -> None:  # noqa: ANN001
    """Is a folder given as the output path refused before grading, with exit 2?"""
    assert cli.main(["grade", str(submission), "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_unexpected_error_is_a_grader_fault(
    graded, submission: Path, tmp_path: Path, monkeypatch, capsys
) -> None:  # noqa: ANN001
    """Does an error outside grading itself (here: writing an output) exit 3, never 1?"""

    def broken(document: dict, path: Path) -> None:
        raise PermissionError("read-only file system")

    monkeypatch.setattr(cli.gradescope, "write", broken)
    assert cli.main(["grade", str(submission), "--out", str(tmp_path / "r.json")]) == 3
    assert "read-only file system" in capsys.readouterr().err


def test_broken_problems_file(tmp_path: Path, submission: Path) -> None:
    """Does a broken problems.yaml exit 2 with every output saying why?"""
    bad = tmp_path / "problems.yaml"
    bad.write_text("schema_version: 99\n")
    argv = ["--problems", str(bad), "grade", str(submission), *all_formats(tmp_path)]
    assert cli.main(argv) == 2
    check_outputs(tmp_path, fault=True)


@pytest.mark.parametrize(
    "argv",
    [
        ["--format", "html"],
        ["--format", "junit="],
        ["--fail-under", "lots"],
        ["--fail-under", "-3"],
        ["--submission-limit", "0"],
        ["--format", "junit=same", "--format", "markdown=same"],
    ],
)
def test_usage_errors(argv: list[str], submission: Path, capsys) -> None:  # noqa: ANN001
    """Is every bad option a usage error (exit 2) with a message?"""
    with pytest.raises(SystemExit) as stop:
        cli.main(["grade", str(submission), *argv])
    assert stop.value.code == 2
    assert "error" in capsys.readouterr().err


def previous_results(score: float) -> dict:
    return {"score": score, "output": "earlier", "tests": []}


@pytest.mark.parametrize(("earlier", "kept"), [(2, False), (3, True)])
def test_submission_limit(
    graded, submission: Path, tmp_path: Path, earlier: int, kept: bool
) -> None:  # noqa: ANN001, E501
    """With 3 per day, is the 4th submission of the day kept at the previous results?"""
    metadata = tmp_path / "submission_metadata.json"
    metadata.write_text(
        json.dumps(
            {
                "created_at": "2025-03-01T12:00:00.000000-08:00",
                "previous_submissions": [
                    {"submission_time": f"2025-03-01T0{i}:00:00-08:00", "score": 7.0,
                     "autograder_error": False, "results": previous_results(7.0)}
                    for i in range(1, earlier + 1)
                ],
            }
        )
    )  # fmt: skip
    out = tmp_path / "results.json"
    argv = ["grade", str(submission), "--out", str(out), "--metadata", str(metadata)]
    assert cli.main([*argv, "--submission-limit", "3", "--limit-window", "24"]) == 0
    document = json.loads(out.read_text())
    assert document["score"] == (7.0 if kept else 19)
    assert document["output"].startswith("Submission limit reached") == kept


def test_build_commands_report_size(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """Does build-gradescope print the archive's size?"""
    out = tmp_path / "autograder.zip"
    assert cli.main(["build-gradescope", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"{out.stat().st_size:,} bytes" in printed


def test_batch_needs_a_folder(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """Is a batch of something that is not a folder a usage error?"""
    assert cli.main(["batch", str(tmp_path / "nope"), "--out", str(tmp_path / "g")]) == 2
    assert "not a folder" in capsys.readouterr().err


@pytest.mark.slow
def test_grade_end_to_end_in_every_format(tmp_path: Path) -> None:
    """Does `python -m grader grade solutions` give full marks in all four formats?"""
    run = subprocess.run(
        [sys.executable, "-m", "grader", "grade", "solutions", *all_formats(tmp_path),
         "--fail-under", "100%"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    check_outputs(tmp_path, fault=False)
    assert json.loads((tmp_path / "results.json").read_text())["score"] == 19
    seen = reporter.report(reporter.parse_env((tmp_path / "classroom.env").read_text()), RUNNERS)
    assert not seen.failed and seen.points == pytest.approx(19) and seen.max_points == 19


def test_answers_command(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """Does `answers` write the pages and hand-scores.csv, and say what is missing?"""
    folder = tmp_path / "class"
    (folder / "alice").mkdir(parents=True)
    (folder / "alice" / "answers.md").write_text("## 4b\nYes.\n")
    (folder / "bob.py").write_text("x = 1\n")
    out = tmp_path / "answers"
    assert cli.main(["answers", str(folder), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "4b 1/2" in printed and "4c 0/2" in printed and "hand-scores.csv" in printed
    assert (out / "4b.html").is_file() and (out / "hand-scores.csv").is_file()
    assert cli.main(["answers", str(folder / "bob.py"), "--out", str(out)]) == 2


def test_answers_without_model_answers_is_a_usage_error(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """Is a set whose model answers file is missing refused (exit 2), naming file and key?"""
    document = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    set_file = tmp_path / "problems.yaml"  # its folders need not exist to write the pages
    document["answers"] = "missing.md"
    set_file.write_text(yaml.safe_dump(document))
    (tmp_path / "class").mkdir()
    out = tmp_path / "answers"
    argv = ["--problems", str(set_file), "answers", str(tmp_path / "class"), "--out", str(out)]
    assert cli.main(argv) == 2
    assert "problems.yaml: 'answers': no file" in capsys.readouterr().err
    assert not out.exists()


def test_answers_refuses_to_overwrite_a_broken_hand_scores_file(tmp_path: Path, capsys) -> None:  # noqa: ANN001, E501
    """Is an unreadable existing hand-scores.csv a usage error, the file left as it was?"""
    folder = tmp_path / "class"
    folder.mkdir()
    out = tmp_path / "answers"
    out.mkdir()
    (out / "hand-scores.csv").write_text("submission,4b\nalice,9\n")
    assert cli.main(["answers", str(folder), "--out", str(out)]) == 2
    assert "outside 0..1" in capsys.readouterr().err
    assert (out / "hand-scores.csv").read_text() == "submission,4b\nalice,9\n"


def test_batch_checks_hand_scores_before_grading(tmp_path: Path, monkeypatch, capsys) -> None:  # noqa: ANN001, E501
    """Is a bad hand-scores file a usage error (exit 2) naming row and column, with no grading?"""
    from grader.instructor import batch

    folder = tmp_path / "class"
    (folder / "alice").mkdir(parents=True)
    scores = tmp_path / "hand.csv"
    scores.write_text("submission,4b (max 1)\nalicia,1\n")
    monkeypatch.setattr(batch, "run", lambda *a, **k: pytest.fail("graded anyway"))
    argv = ["batch", str(folder), "--out", str(tmp_path / "g"), "--hand-scores", str(scores)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert f"{scores}, row 2, column 'submission': 'alicia' is not a submission" in err


def test_the_table_ends_with_the_submissions_messages() -> None:
    """Does the terminal table show what intake and the first import reported, in order?"""
    results = Results((), (), ("using conv.py for conv", "conv.py, line 1: `import x` failed"), 0.5)
    assert cli.table(results).splitlines()[-2:] == [
        "using conv.py for conv",
        "conv.py, line 1: `import x` failed",
    ]


@pytest.fixture
def unsafe_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine where no sandbox level is safe (macOS, an old kernel, ...)."""
    from grader.sandbox import isolation

    unsafe = isolation.Isolation("unsafe", None, False, (), ("no Landlock on this kernel",))
    monkeypatch.setattr(pipeline, "probe", lambda: unsafe)
    monkeypatch.setattr(isolation, "probe", lambda: unsafe)


@pytest.mark.parametrize("command", ["grade", "batch"])
def test_no_safe_sandbox_is_refused_before_student_code_runs(
    command: str,
    unsafe_machine,
    tmp_path: Path,
    capsys,  # noqa: ANN001
) -> None:
    """Do grade and batch stop, naming the options, and leave no student code run?"""
    folder = tmp_path / "subs"
    (folder / "alice").mkdir(parents=True)
    canary = tmp_path / "ran"
    (folder / "alice" / "conv.py").write_text(f"open({str(canary)!r}, 'w').close()\n")
    target = folder / "alice" if command == "grade" else folder
    assert cli.main([command, str(target), "--out", str(tmp_path / "out")]) == 3
    err = capsys.readouterr().err
    for option in ("as root", "container", "user namespaces", "--unsafe-trust-submissions"):
        assert option in err
    assert not canary.exists()
    if command == "grade":
        assert "grader_error" in json.loads((tmp_path / "out").read_text())["extra_data"]


@pytest.mark.slow
def test_trusted_submissions_are_graded_and_marked_unsafe(
    unsafe_machine,
    tmp_path: Path,
    capsys,  # noqa: ANN001
) -> None:
    """With --unsafe-trust-submissions the references are graded, and the results and the
    terminal say plainly that no sandbox was used."""
    out = tmp_path / "results.json"
    status = cli.main(["grade", str(ROOT / "solutions"), "--out", str(out),
                       "--unsafe-trust-submissions"])  # fmt: skip
    assert status == 0
    document = json.loads(out.read_text())
    assert document["score"] == 19 and document["extra_data"]["sandbox"]["level"] == "unsafe"
    assert "UNSAFE" in document["output"] and "UNSAFE" in capsys.readouterr().err
