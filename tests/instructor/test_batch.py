"""grader/instructor/batch.py: resume, grades.csv, the class report; fast ones use a stub
grader, the slow ones grade a real class with broken and hostile submissions in it.
"""

from __future__ import annotations

import csv
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.authoring import stubs
from grader.instructor import batch, classreport
from grader.intake.discovery import Entry
from grader.problems import DEFAULT_PATH, load
from grader.results.outcomes import TestOutcome
from grader.results.scoring import Results, score
from grader.sandbox import isolation
from tests.intake.test_discovery import make_class

MODULES = load().modules  # the tutorial's student modules, from problems.yaml

ROOT = Path(__file__).resolve().parents[2]
PROBLEMS = load(DEFAULT_PATH)
CODE_IDS = [p.id for p in PROBLEMS.problems if p.graded]
HINT = "Hint: it looks like the kernel was flipped."


def fake_grade(path: Path, problems: object) -> Results:
    """Full marks, except a submission whose name holds "bad" fails 1a with a hint."""
    bad = "bad" in Path(path).name
    if "crash" in Path(path).name:
        raise RuntimeError("grader fault")
    outcomes = [
        TestOutcome(
            p, "case", False, not (bad and p == "1a"),
            f"conv2d(image, kernel): 4 of 4 entries differ\n{HINT}" if bad and p == "1a" else "",
            (), 0.01,
        )
        for p in CODE_IDS
    ]  # fmt: skip
    return Results(
        problems=score(PROBLEMS, outcomes),
        written=(),
        messages=(),
        execution_time=0.01,
        extra={"sandbox": {"level": "full"}},
    )


def read_grades(out: Path) -> list[dict[str, str]]:
    with open(out / classreport.GRADES, newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_result_names_are_safe_and_distinct() -> None:
    """Do odd submission names map to distinct, safe file names?"""
    entries = [Entry(n, Path(n)) for n in ["a b.py", "a_b.py", "../x", "ü.zip"]]
    names = batch.result_names(entries)
    assert len(set(names.values())) == 4
    assert all("/" not in n and not n.startswith(".") for n in names.values())


def test_batch_writes_results_grades_and_report(tmp_path: Path) -> None:
    """Does a batch write a results.json per submission, grades.csv and report.md?"""
    folder = make_class(tmp_path / "class", ["alice", "bad-bob.py", "carol.zip"])
    out = tmp_path / "grades"
    summary = batch.run(folder, out, jobs=1, progress=False, grade_function=fake_grade)
    assert (summary.graded, summary.skipped, summary.faults) == (3, 0, 0)
    rows = read_grades(out)
    assert [r["submission"] for r in rows] == ["alice", "bad-bob.py", "carol.zip"]
    assert list(rows[0]) == ["submission", "total", *CODE_IDS, "students"]
    assert rows[0]["total"] == "19" and rows[1]["total"] == "17" and rows[1]["1a"] == "0"
    for name in ("alice", "bad-bob.py", "carol.zip"):
        document = json.loads((out / "results" / f"{name}.json").read_text())
        assert document["extra_data"]["submission"] == name
    report = (out / classreport.REPORT).read_text()
    assert "| 1a |" in report and "the kernel was flipped" in report
    assert "bad-bob.py" in report  # slowest or failing lists name submissions


def test_rerun_skips_unchanged_and_regrades_changed(tmp_path: Path) -> None:
    """Does a rerun skip what did not change, and regrade a changed submission?"""
    folder = make_class(tmp_path / "class", ["alice", "bob.py"])
    out = tmp_path / "grades"
    batch.run(folder, out, jobs=1, progress=False, grade_function=fake_grade)
    again = batch.run(folder, out, jobs=1, progress=False, grade_function=fake_grade)
    assert (again.graded, again.skipped) == (0, 2)
    (folder / "bob.py").write_text("# new version\n")
    third = batch.run(folder, out, jobs=1, progress=False, grade_function=fake_grade)
    assert (third.graded, third.skipped) == (1, 1)
    forced = batch.run(folder, out, jobs=1, progress=False, force=True, grade_function=fake_grade)
    assert forced.graded == 2
    assert [r["submission"] for r in read_grades(out)] == ["alice", "bob.py"]


def test_new_grader_regrades_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Does a changed grader fingerprint regrade unchanged submissions?"""
    folder = make_class(tmp_path / "class", ["alice", "bob.py"])
    out = tmp_path / "grades"
    batch.run(folder, out, jobs=1, progress=False, grade_function=fake_grade)
    monkeypatch.setattr(batch, "grader_fingerprint", lambda path: "0.2.0+other")
    assert batch.run(folder, out, jobs=1, progress=False, grade_function=fake_grade).graded == 2


def test_grader_faults_are_reported_and_retried(tmp_path: Path) -> None:
    """Does a grader fault leave a fallback results.json, count, and get retried next time?"""
    folder = make_class(tmp_path / "class", ["alice", "crash.py"])
    out = tmp_path / "grades"
    summary = batch.run(folder, out, jobs=1, progress=False, grade_function=fake_grade)
    assert summary.faults == 1
    document = json.loads((out / "results" / "crash.py.json").read_text())
    assert "grader fault" in document["extra_data"]["grader_error"]
    assert "Not graded" in (out / classreport.REPORT).read_text()
    again = batch.run(folder, out, jobs=1, progress=False, grade_function=fake_grade)
    assert (again.graded, again.skipped) == (1, 1)


def test_interrupted_batch_resumes(tmp_path: Path) -> None:
    """After an interruption, are finished submissions kept and only the rest graded?"""
    folder = make_class(tmp_path / "class", [f"s{i}.py" for i in range(5)])
    out = tmp_path / "grades"
    calls = []

    def interrupted(path: Path, problems: object) -> Results:
        calls.append(path.name)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return fake_grade(path, problems)

    with pytest.raises(KeyboardInterrupt):
        batch.run(folder, out, jobs=1, progress=False, grade_function=interrupted)
    assert [r["submission"] for r in read_grades(out)] == ["s0.py", "s1.py"]  # as they finished
    with open(out / batch.MANIFEST, "a") as manifest:
        manifest.write('{"submission": "s2.py", "hash"')  # a line torn by the interruption
    summary = batch.run(folder, out, jobs=1, progress=False, grade_function=fake_grade)
    assert (summary.graded, summary.skipped) == (3, 2)
    assert [r["submission"] for r in read_grades(out)] == [f"s{i}.py" for i in range(5)]


def test_parallel_workers(tmp_path: Path) -> None:
    """Do forked workers grade a class with the same results as one process?"""
    folder = make_class(tmp_path / "class", [f"s{i}.py" for i in range(6)] + ["bad.py"])
    out = tmp_path / "grades"
    summary = batch.run(folder, out, jobs=2, progress=False, grade_function=fake_grade)
    assert summary.graded == 7
    totals = {r["submission"]: r["total"] for r in read_grades(out)}
    assert totals["bad.py"] == "17" and totals["s0.py"] == "19"


def test_progress_without_tqdm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # noqa: ANN001, E501
    """Without tqdm, is there one plain progress line per submission?"""
    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes `from tqdm import tqdm` fail
    folder = make_class(tmp_path / "class", ["a.py", "b.py"])
    batch.run(folder, tmp_path / "g", jobs=1, progress=True, grade_function=fake_grade)
    err = capsys.readouterr().err
    assert "[1/2] a.py: 19/19" in err and "[2/2] b.py" in err


def test_report_without_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without matplotlib, is the report still written, saying how to get the chart?"""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    folder = make_class(tmp_path / "class", ["a.py"])
    batch.run(folder, tmp_path / "g", jobs=1, progress=False, grade_function=fake_grade)
    assert "report` extra" in (tmp_path / "g" / classreport.REPORT).read_text()
    assert not (tmp_path / "g" / classreport.CHART).exists()


# ------------------------------------------------------------------------- End to end


def write_modules(folder: Path, replace: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True)
    for module in MODULES:
        text = (ROOT / "solutions" / f"{module}.py").read_text()
        (folder / f"{module}.py").write_text((replace or {}).get(module, text))
    return folder


HOSTILE = """
import os
def conv2d(image, kernel, stride=1, padding=0):
    while True:
        try:
            os.fork()
        except OSError:
            pass
def conv_layer(images, kernels, bias=None, stride=1, padding=0):
    os.kill(-1, 9)
"""


@pytest.mark.slow
@pytest.mark.skipif(
    not isolation.probe().safe,
    reason="no sandbox level contains a fork bomb and kill(-1) on this machine: the grader "
    "refuses to run student code here (see docs/sandbox.md)",
)
def test_real_class_with_broken_and_hostile_submissions(tmp_path: Path) -> None:
    """Does a real batch grade everyone, unaffected by broken and hostile neighbours?"""
    folder = tmp_path / "class"
    write_modules(folder / "alice")
    write_modules(folder / "bob")
    write_modules(folder / "mallory", {"conv": HOSTILE})
    (folder / "broken.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    (folder / "syntax.py").write_text("def conv2d(:\n")
    stub_folder = folder / "stubs"
    stub_folder.mkdir()
    for name, text in stubs.render_all(PROBLEMS).items():
        (stub_folder / name).write_text(text)
    out = tmp_path / "grades"
    summary = batch.run(folder, out, jobs=2, progress=False)
    assert summary.faults == 0 and summary.graded == 6
    totals = {r["submission"]: float(r["total"]) for r in read_grades(out)}
    assert totals["alice"] == totals["bob"] == 19
    assert totals["stubs"] == totals["broken.zip"] == totals["syntax.py"] == 0
    assert 0 < totals["mallory"] < 19
    report = (out / classreport.REPORT).read_text()
    assert "## Failing submissions" in report and "mallory" in report


@pytest.mark.slow
def test_cli_batch_resumes_after_sigint(tmp_path: Path) -> None:
    """Interrupted with Ctrl-C, does `python -m grader batch` resume where it stopped?"""
    folder = tmp_path / "class"
    for i in range(4):
        write_modules(folder / f"s{i}")
    out = tmp_path / "grades"
    command = [sys.executable, "-m", "grader", "batch", str(folder), "--out", str(out),
               "--jobs", "1", "--no-progress"]  # fmt: skip
    first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    manifest = out / batch.MANIFEST
    while time.monotonic() < deadline and first.poll() is None:
        if manifest.is_file() and manifest.read_text().count("\n") >= 1:
            break
        time.sleep(0.05)
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=120)
    done = len(batch.read_manifest(manifest))
    assert 1 <= done <= 4
    second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr
    assert f"unchanged {done}" in second.stdout
    rows = read_grades(out)
    assert [r["submission"] for r in rows] == [f"s{i}" for i in range(4)]
    assert {r["total"] for r in rows} == {"19"}
    shutil.rmtree(folder)


def test_progress_uses_tqdm_when_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With tqdm importable, does the batch drive a tqdm bar of the right total?"""
    bars = []

    class FakeBar:
        def __init__(self, total: int, **options: object) -> None:
            self.total, self.done, self.closed = total, 0, False
            bars.append(self)

        def set_postfix_str(self, text: str, refresh: bool = True) -> None:
            self.postfix = text

        def update(self, n: int) -> None:
            self.done += n

        def close(self) -> None:
            self.closed = True

    monkeypatch.setitem(sys.modules, "tqdm", type(sys)("tqdm"))
    sys.modules["tqdm"].tqdm = FakeBar  # type: ignore[attr-defined]
    folder = make_class(tmp_path / "class", ["a.py", "b.py", "c.py"])
    batch.run(folder, tmp_path / "g", jobs=1, progress=True, grade_function=fake_grade)
    (bar,) = bars
    assert (bar.total, bar.done, bar.closed) == (3, 3, True)


# ----------------------------------------------------------------------------- Hand scores


def test_hand_scores_merge_into_grades_and_report(tmp_path: Path) -> None:
    """Are hand points in grades.csv and report.md, apart from the auto-graded ones?"""
    from grader.instructor import handscores

    folder = make_class(tmp_path / "class", ["alice", "bad_bob.py", "carol.zip"])
    written = [p for p in PROBLEMS.problems if not p.graded]
    csv_path = tmp_path / "hand-scores.csv"
    csv_path.write_text(
        "submission,students,1c-why (max 1),3-why (max 1),4b (max 1),4c (max 1),notes\n"
        "alice,,1,1,0.5,,\nbad_bob.py,,0,,,1,\n"
    )
    hand = handscores.read(csv_path, written, {"alice", "bad_bob.py", "carol.zip"})
    out = tmp_path / "grades"
    batch.run(folder, out, jobs=1, progress=False, grade_function=fake_grade, hand_scores=hand)
    with open(out / classreport.GRADES, newline="", encoding="utf-8") as stream:
        header = next(csv.reader(stream))
    assert header == ["submission", "auto_total", "hand_total", "total", *CODE_IDS,
                      "1c-why", "3-why", "4b", "4c", "students"]  # fmt: skip
    rows = {r["submission"]: r for r in read_grades(out)}
    assert (rows["alice"]["auto_total"], rows["alice"]["hand_total"]) == ("19", "2.5")
    assert rows["alice"]["total"] == "21.5" and rows["alice"]["4b"] == "0.5"
    assert rows["alice"]["4c"] == ""  # not graded yet: empty, not 0
    assert (rows["bad_bob.py"]["auto_total"], rows["bad_bob.py"]["total"]) == ("17", "18")
    assert (rows["carol.zip"]["hand_total"], rows["carol.zip"]["total"]) == ("0", "19")
    report = (out / classreport.REPORT).read_text(encoding="utf-8")
    assert "## Written problems (graded by hand)" in report
    assert "| 4b | Problem 4(b): sentiment analysis with a CNN? | 1 | 1/3 | 0.50 |" in report
    assert "by hand 1.17 / 4, total 19.50 / 23" in report
    assert "7 written answers have no hand score yet" in report


def test_without_hand_scores_grades_csv_is_unchanged(tmp_path: Path) -> None:
    """Without --hand-scores, is grades.csv's header the plain one?"""
    folder = make_class(tmp_path / "class", ["alice"])
    batch.run(folder, tmp_path / "g", jobs=1, progress=False, grade_function=fake_grade)
    with open(tmp_path / "g" / classreport.GRADES, newline="", encoding="utf-8") as stream:
        assert next(csv.reader(stream)) == ["submission", "total", *CODE_IDS, "students"]
