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
import base64
import csv
import importlib.util
import json
import random
import re
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
    if style in ("g_notebook", "l_writefile"):
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
    assert [s[0] for s in STYLES] == list("abcdefghijkl")
    for style in STYLES:
        assert any(p.suffix in (".py", ".ipynb") for p in (CORRECT / style).rglob("*")), style


@pytest.mark.parametrize("builder", ["build_notebook", "build_writefile"])
def test_committed_notebooks_are_what_their_generators_write(builder: str) -> None:
    """Are the committed notebooks current with tests/corpus/build_*.py?"""
    spec = importlib.util.spec_from_file_location(builder, CORPUS / f"{builder}.py")
    built = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(built)
    assert built.TARGET.read_text(encoding="utf-8") == built.text()


def test_cp1252_comments_are_not_utf_8_and_python_compiles_them() -> None:
    """Is correct/k_cp1252_comment/rnn.py really what a Windows editor saved (not UTF-8), and
    does Python compile it (so importing it works)?"""
    code = (CORRECT / "k_cp1252_comment" / "rnn.py").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        code.decode("utf-8")
    compile(code, "rnn.py", "exec")


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


@pytest.mark.slow
@pytest.mark.parametrize("style", STYLES)
def test_load_does_not_change_a_score(
    style: str, unloaded: Graded, cpu_hogs: list, tmp_path: Path
) -> None:
    """Does each correct submission get the same per-test scores with two CPU hogs running?"""
    loaded = grade(submit(style, tmp_path))
    assert all(hog.poll() is None for hog in cpu_hogs)  # they really ran throughout
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


# ----------------------------------------------------------------------------- Big notebooks
# A correct notebook whose cell showing a grid of sample images kept its outputs: 25 MiB of
# base64 PNG, made here rather than committed.

SAMPLE_GRID = """fig, axes = plt.subplots(8, 8, figsize=(16, 16))
for ax, image in zip(axes.flat, samples):
    ax.imshow(image)
    ax.axis("off")"""


def big_notebook(into: Path, mib: int = 25) -> Path:
    """correct/g_notebook with a sample-grid cell whose PNG output is `mib` MiB of base64
    (incompressible, as a PNG's is), written in pieces."""
    notebook = json.loads((CORRECT / "g_notebook" / "submission.ipynb").read_text("utf-8"))
    png = {"image/png": "@PNG@", "text/plain": ["<Figure size 1600x1600 with 64 Axes>"]}
    grid = {
        "cell_type": "code",
        "execution_count": 99,
        "id": "sample-grid",
        "metadata": {"colab": {"height": 1000}},
        "outputs": [{"output_type": "display_data", "metadata": {}, "data": png}],
        "source": SAMPLE_GRID,
    }
    notebook["cells"].insert(4, grid)
    head, tail = json.dumps(notebook, indent=1).split("@PNG@")
    block = base64.b64encode(random.Random(7).randbytes(3 << 18))  # 1 MiB of base64
    path = into / "big_outputs.ipynb"
    with path.open("wb") as stream:
        stream.write(head.encode())
        for _ in range(mib):
            stream.write(block)
        stream.write(tail.encode())
    return path


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = big_notebook(tmp_path_factory.mktemp("big"))
    assert path.stat().st_size > 25 * 2**20
    return path


def test_a_notebook_with_25_mib_of_outputs_scores_full_marks(big: Path, tmp_path: Path) -> None:
    """Does a correct notebook that kept a 25 MiB image output earn every point, also zipped?"""
    _full_marks(grade(big))
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(big, "A0123456X/tutorial9.ipynb")
    _full_marks(grade(archive))


def students_check(submission: Path) -> subprocess.CompletedProcess[str]:
    """`python -m grader check <submission>`, the students' own public checks."""
    return subprocess.run(
        [sys.executable, "-m", "grader", "check", str(submission)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize(
    ("style", "said"),
    [
        ("k_cp1252_comment", "rnn.py, line 15: a comment holds byte 0x93 (and on 1 more lines)"),
        ("l_writefile", "l_writefile.ipynb, cell 19: read `%%writefile -a rnn.py` as rnn.py"),
        ("big", "using big_outputs.ipynb for conv"),
    ],
)
def test_the_students_own_checks_pass(style: str, said: str, tmp_path: Path, big: Path) -> None:
    """Do the public checks pass on the submissions intake once read unfairly (issue 16), and
    say how the submission was read?"""
    submission = big if style == "big" else submit(style, tmp_path)
    run = students_check(submission)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    summary = run.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"=+ \d+ passed in [\d.]+s =+", summary), run.stdout[-3000:]
    assert said in run.stdout, run.stdout[-3000:]
