"""The corpus (tests/corpus/): submissions written the way students write them, graded for real.

Written independently of solutions/ and of the cases, from the stubs' docstrings, problems.yaml
and the tutorial. Every correct submission must score full marks, through `grade()` and through
`python -m grader batch --jobs 2`, and again while two CPU-bound processes compete with the
grader. Every realistic mistake must lose points on its own problem only, with the hint that
names it.

GRADER_GAPS lists what the current grader still gets wrong (issue 7); those tests are strict
xfails, so each turns into a failure ("XPASS(strict)") the moment its fix lands: delete its entry
then.
"""

from __future__ import annotations

import ast
import csv
import importlib.util
import json
import shutil
import subprocess
import sys
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from grader.grading.pipeline import grade
from grader.problems import load
from grader.results.scoring import Results

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
CORRECT = CORPUS / "correct"
PROBLEMS = load()
POINTS = {p.id: p.points for p in PROBLEMS.problems if p.graded}
STYLES = sorted(p.name for p in CORRECT.iterdir() if p.is_dir())

# ------------------------------------------------------------------------------------------------
# What the current grader gets wrong (issue 7). Remove an entry when its fix merges.
GRADER_GAPS: dict[str, str] = {}  # none left
# ------------------------------------------------------------------------------------------------


def _gap(name: str) -> list[pytest.MarkDecorator]:
    reason = GRADER_GAPS.get(name)
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def _by_problem(results: Results) -> dict[str, float]:
    return {p.problem.id: p.score for p in results.problems}


def _per_test(results: Results) -> dict[str, float]:
    return {t.number: t.score for t in results.tests}


def _full_marks(results: Results) -> None:
    assert _by_problem(results) == POINTS, [
        f"{p.problem.id}: {p.reason}" for p in results.problems if p.score != p.max_score
    ]
    assert results.grader_errors == ()
    assert results.faults == ()


# ----------------------------------------------------------------------------- The submissions


def submit(style: str, into: Path) -> Path:
    """Copy correct/<style> into `into` as a student hands it in; return the path to grade.

    The notebook is handed in as the .ipynb itself, the nested folder as a zip (with the
    __MACOSX entries macOS adds), the rest as folders.
    """
    source = CORRECT / style
    if style == "g_notebook":
        return Path(shutil.copyfile(source / "submission.ipynb", into / f"{style}.ipynb"))
    if style == "j_zip_nested":
        archive = into / f"{style}.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for path in sorted(source.rglob("*")):
                if path.is_file():
                    name = path.relative_to(source).as_posix()
                    zipped.write(path, name)
                    zipped.writestr(f"__MACOSX/{Path(name).parent}/._{path.name}", b"\0\5\26\7")
        return archive
    return Path(shutil.copytree(source, into / style))


class Graded:
    """grade() of each correct style, once per module, on copies in a temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.results: dict[str, Results] = {}

    def __getitem__(self, style: str) -> Results:
        if style not in self.results:
            self.results[style] = grade(submit(style, self.folder))
        return self.results[style]


@pytest.fixture(scope="module")
def unloaded(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    return Graded(tmp_path_factory.mktemp("unloaded"))


def test_corpus_has_every_style() -> None:
    """Are all the styles the issue names in the corpus (a-j), none of them empty?"""
    assert [s[0] for s in STYLES] == list("abcdefghij")
    for style in STYLES:
        assert any(p.suffix in (".py", ".ipynb") for p in (CORRECT / style).rglob("*")), style


def test_committed_notebook_is_what_its_generator_writes() -> None:
    """Is correct/g_notebook/submission.ipynb current with tests/corpus/build_notebook.py?"""
    spec = importlib.util.spec_from_file_location("build_notebook", CORPUS / "build_notebook.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    assert builder.TARGET.read_text(encoding="utf-8") == builder.text()


@pytest.mark.parametrize("style", [pytest.param(s, marks=_gap(s)) for s in STYLES])
def test_correct_submission_scores_full_marks(style: str, unloaded: Graded) -> None:
    """Does each correct submission earn every point, whatever its style?"""
    _full_marks(unloaded[style])


# ----------------------------------------------------------------------------- The batch


@dataclass(frozen=True)
class Batch:
    totals: dict[str, float]  # submission -> total
    problems: dict[str, dict[str, float]]  # submission -> problem id -> score
    tests: dict[str, dict[str, float]]  # submission -> test number -> score


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    """`python -m grader batch` over the whole correct corpus, two jobs."""
    folder = tmp_path_factory.mktemp("class")
    names = {submit(style, folder).name: style for style in STYLES}
    out = tmp_path_factory.mktemp("grades")
    run = subprocess.run(
        [sys.executable, "-m", "grader", "batch", str(folder), "--out", str(out), "--jobs", "2"]
        + ["--no-progress"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    with (out / "grades.csv").open(newline="", encoding="utf-8") as handle:
        rows = {names[row["submission"]]: row for row in csv.DictReader(handle)}
    tests = {}
    for record in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        submission = json.loads(record)["submission"]
        results = next((out / "results").glob(f"{submission}*.json"))
        document = json.loads(results.read_text(encoding="utf-8"))
        tests[names[submission]] = {t["number"]: t["score"] for t in document["tests"]}
    return Batch(
        totals={style: float(row["total"]) for style, row in rows.items()},
        problems={style: {p: float(row[p]) for p in POINTS} for style, row in rows.items()},
        tests=tests,
    )


def test_batch_grades_every_submission(batch: Batch) -> None:
    """Does the batch write a grades.csv row and a results.json for each submission?"""
    assert sorted(batch.totals) == sorted(batch.tests) == STYLES


@pytest.mark.parametrize("style", STYLES)
def test_batch_agrees_with_grade(style: str, batch: Batch, unloaded: Graded) -> None:
    """Does `batch --jobs 2` give each submission the per-test scores `grade()` gives it?"""
    assert batch.tests[style] == _per_test(unloaded[style])


@pytest.mark.parametrize("style", [pytest.param(s, marks=_gap(s)) for s in STYLES])
def test_batch_scores_full_marks(style: str, batch: Batch) -> None:
    """Does grades.csv give each correct submission every point?"""
    assert batch.problems[style] == POINTS
    assert batch.totals[style] == sum(POINTS.values())


# ----------------------------------------------------------------------------- Under load


@pytest.fixture
def two_cpu_hogs():
    """Two processes that spin on a CPU each for as long as the test runs."""
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], stdin=subprocess.DEVNULL)
        for _ in range(2)
    ]
    try:
        yield hogs
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


@pytest.mark.slow
@pytest.mark.parametrize("style", STYLES)
def test_load_does_not_change_a_score(
    style: str, unloaded: Graded, two_cpu_hogs: list, tmp_path: Path
) -> None:
    """Does each correct submission get the same per-test scores with two CPU hogs running?"""
    loaded = grade(submit(style, tmp_path))
    assert all(hog.poll() is None for hog in two_cpu_hogs)  # they really ran throughout
    assert _per_test(loaded) == _per_test(unloaded[style])
    if style not in GRADER_GAPS:
        _full_marks(loaded)


# ----------------------------------------------------------------------------- The mistakes


@dataclass(frozen=True)
class Mistake:
    name: str
    style: str  # the correct submission it is a copy of
    module: str  # the module whose one definition is replaced
    problem: str  # the problem that must lose points
    source: str  # the replacement definition
    hint: str | None = None  # a substring of the failed cases' messages
    at_most: float | None = None  # the most the problem may score


def _mistakes() -> list[Mistake]:
    entries = yaml.safe_load((CORPUS / "mistakes.yaml").read_text(encoding="utf-8"))
    return [Mistake(**entry) for entry in entries]


MISTAKES = _mistakes()


def _defined(node: ast.stmt) -> str | None:
    """The name a top-level def or single-target assignment defines, else None."""
    if isinstance(node, ast.FunctionDef):
        return node.name
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return targets[0].id if len(targets) == 1 and isinstance(targets[0], ast.Name) else None


def replace_definition(code: str, source: str) -> str:
    """`code` with the top-level def or assignment of the name `source` defines replaced."""
    (new,) = ast.parse(source).body
    name = _defined(new)
    matches = [node for node in ast.parse(code).body if _defined(node) == name]
    assert len(matches) == 1, f"{name} is defined {len(matches)} times"
    lines = code.splitlines(keepends=True)
    start, end = matches[0].lineno - 1, matches[0].end_lineno
    return "".join(lines[:start]) + textwrap.dedent(source) + "".join(lines[end:])


def test_every_mistake_changes_its_base() -> None:
    """Is each mistake a real change of a correct submission, named once?"""
    assert len({m.name for m in MISTAKES}) == len(MISTAKES)
    for mistake in MISTAKES:
        assert mistake.problem in POINTS, mistake.name
        original = (CORRECT / mistake.style / f"{mistake.module}.py").read_text(encoding="utf-8")
        assert replace_definition(original, mistake.source) != original, mistake.name


@pytest.mark.parametrize(
    "mistake", [pytest.param(m, id=m.name, marks=_gap(m.name)) for m in MISTAKES]
)
def test_mistake_loses_points_on_its_problem_only(mistake: Mistake, tmp_path: Path) -> None:
    """Does each single mistake cost points on its problem, with its hint, and nowhere else?"""
    folder = submit(mistake.style, tmp_path)
    path = folder / f"{mistake.module}.py"
    path.write_text(replace_definition(path.read_text(encoding="utf-8"), mistake.source))
    results = grade(folder)
    scores = _by_problem(results)
    assert results.grader_errors == ()
    assert {p: s for p, s in scores.items() if p != mistake.problem} == {
        p: s for p, s in POINTS.items() if p != mistake.problem
    }
    assert scores[mistake.problem] < POINTS[mistake.problem]
    if mistake.at_most is not None:
        assert scores[mistake.problem] <= mistake.at_most
    if mistake.hint is not None:
        (problem,) = [p for p in results.problems if p.problem.id == mistake.problem]
        said = " ".join(t.outcome.message for t in problem.tests if not t.outcome.passed)
        assert mistake.hint.lower() in said.lower(), said


@pytest.mark.parametrize("name", [pytest.param("always_raises", marks=_gap("always_raises"))])
def test_refusing_everything_scores_zero(name: str, tmp_path: Path) -> None:
    """Does a submission whose every function raises ValueError earn nothing?"""
    results = grade(shutil.copytree(CORPUS / "mistakes" / name, tmp_path / name))
    assert results.grader_errors == ()
    assert _by_problem(results) == dict.fromkeys(POINTS, 0)
