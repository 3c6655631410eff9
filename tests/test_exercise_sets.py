"""The engine holds nothing specific to one exercise set: examples/attention, a second set with
its own problems.yaml, references, cases and model answers, goes through every command (grade,
check, batch, answers, stubs, notebook, build-student, build-gradescope) with the same code as
the tutorial."""

from __future__ import annotations

import csv
import html
import json
import math
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml

from grader import cli
from grader.authoring import notebook, release, stubs
from grader.grading.pipeline import grade
from grader.intake import answers
from grader.problems import load, parse
from tests.authoring import test_release as release_tests

ROOT = Path(__file__).resolve().parent.parent
SET = load(ROOT / "examples" / "attention" / "problems.yaml")


def _reference(module: str):  # noqa: ANN202
    sys.path.insert(0, str(SET.root))
    try:
        return __import__(f"{SET.solutions_package}.{module}", fromlist=["_"])
    finally:
        sys.path.remove(str(SET.root))


# --- slow oracles for the set's references -------------------------------------------------------


def _layer_norm_oracle(rows: np.ndarray, eps: float) -> np.ndarray:
    out = np.empty_like(rows)
    for i, row in enumerate(rows):
        mean = sum(row) / len(row)
        var = sum((v - mean) ** 2 for v in row) / len(row)
        out[i] = [(v - mean) / math.sqrt(var + eps) for v in row]
    return out


def _weights_oracle(q: np.ndarray, k: np.ndarray) -> np.ndarray:
    d = q.shape[1]
    out = np.zeros((len(q), len(k)))
    for i in range(len(q)):
        scores = [sum(q[i, t] * k[j, t] for t in range(d)) / math.sqrt(d) for j in range(len(k))]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        out[i] = [e / sum(exps) for e in exps]
    return out


@pytest.mark.parametrize("seed", range(5))
def test_the_sets_references_match_slow_oracles(seed: int) -> None:
    """Do layer_norm, attention_weights and attend agree with loop oracles on seeded inputs?"""
    rng = np.random.default_rng(seed)
    norms, attention = _reference("norms"), _reference("attention")
    x = rng.standard_normal((3, 7)) * 5 + 2
    np.testing.assert_allclose(norms.layer_norm(x, 0.1), _layer_norm_oracle(x, 0.1), rtol=1e-12)
    q, k, v = (rng.standard_normal(s) * 20 for s in ((4, 3), (6, 3), (6, 2)))
    weights = _weights_oracle(q, k)
    np.testing.assert_allclose(attention.attention_weights(q, k), weights, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(attention.attend(q, k, v), weights @ v, rtol=1e-9, atol=1e-12)


# --- generated files ---------------------------------------------------------------------------


def test_the_sets_stubs_and_notebook_are_current() -> None:
    """Were examples/attention/exercises regenerated from its references and problems.yaml?"""
    rendered = stubs.render_all(SET)
    assert sorted(rendered) == ["attention.py", "norms.py"]
    for name, text in rendered.items():
        assert (SET.exercises_dir / name).read_text(encoding="utf-8") == text, name
    committed = (SET.exercises_dir / SET.notebook_name).read_text(encoding="utf-8")
    assert committed == notebook.render(SET, rendered)


def test_the_cli_writes_the_sets_stubs_and_notebook(tmp_path: Path) -> None:
    """Do `stubs --problems` and `notebook --problems` write the set's files, into the folder
    its problems.yaml names (a copy of the set, its exercises/ removed)?"""
    copy = tmp_path / "attention"
    shutil.copytree(SET.root, copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.rmtree(copy / SET.exercises)
    (copy / SET.exercises).mkdir()
    for command in ("stubs", "notebook"):
        assert cli.main([command, "--problems", str(copy / "problems.yaml")]) == 0
    written = sorted(p.name for p in (copy / SET.exercises).iterdir())
    assert written == sorted([SET.notebook_name, *(f"{m}.py" for m in SET.modules)])
    for name in written:
        assert (copy / SET.exercises / name).read_bytes() == (SET.exercises_dir / name).read_bytes()


# --- grading ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_sets_references_score_full_marks_and_its_stubs_zero(tmp_path: Path) -> None:
    """Does the same grader give the set's references every point and its stubs none?"""
    references = grade(SET.solutions_dir, SET)
    assert {p.problem.id: p.score for p in references.problems} == {
        "ln": 2, "weights": 2, "attend": 2,
    }  # fmt: skip
    assert references.grader_errors == ()
    assert [p.id for p in references.written] == ["why-scale"]
    stubbed = grade(SET.exercises_dir, SET)
    assert stubbed.score == 0 and stubbed.max_score == 6 and stubbed.grader_errors == ()


def _with_layer_norm(tmp_path: Path, body: str) -> Path:
    """The set's references, with norms.py replaced by a layer_norm of this body."""
    folder = tmp_path / "student"
    shutil.copytree(SET.solutions_dir, folder)
    header = "import numpy as np\n\n\ndef layer_norm(x, eps=1e-5):\n"
    (folder / "norms.py").write_text(header + body)
    return folder


@pytest.mark.slow
def test_the_sets_misconception_hint_reaches_the_student(tmp_path: Path) -> None:
    """Does a layer_norm over the whole array lose problem ln only, with the set's own hint?"""
    folder = _with_layer_norm(
        tmp_path,
        "    x = np.asarray(x, dtype=float)\n    return (x - x.mean()) / np.sqrt(x.var() + eps)\n",
    )
    results = grade(folder, SET)
    scores = {p.problem.id: p.score for p in results.problems}
    assert scores["ln"] < 2 and scores["weights"] == scores["attend"] == 2
    messages = " ".join(t.outcome.message for p in results.problems for t in p.tests)
    assert "the whole array was normalised, not each row" in messages


@pytest.mark.slow
def test_the_cli_grades_and_batch_grades_the_set(tmp_path: Path) -> None:
    """Do `grade --problems` and `batch --problems` work on the set, with no set-specific code?"""
    problems = str(SET.path)
    out, summary = tmp_path / "results.json", tmp_path / "summary.md"
    run = subprocess.run(
        [sys.executable, "-m", "grader", "grade", "--problems", problems,
         str(SET.solutions_dir), "--out", str(out), "--format", f"markdown={summary}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(out.read_text())["score"] == 6
    heading = summary.read_text(encoding="utf-8").splitlines()[0]
    assert heading == f"## {SET.title} — auto-graded score 6 / 6"
    for name, source in (("alice", SET.solutions_dir), ("bob", SET.exercises_dir)):
        (tmp_path / "class" / name).mkdir(parents=True)
        for module in SET.modules:
            shutil.copy(source / f"{module}.py", tmp_path / "class" / name)
    run = subprocess.run(
        [sys.executable, "-m", "grader", "batch", "--problems", problems, str(tmp_path / "class"),
         "--out", str(tmp_path / "grades"), "--jobs", "2", "--no-progress"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    with (tmp_path / "grades" / "grades.csv").open() as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
    assert rows["alice"]["total"] == "6" and rows["bob"]["total"] == "0"
    assert list(rows["alice"])[2:5] == ["ln", "weights", "attend"]


@pytest.mark.slow
def test_the_cli_checks_the_set() -> None:
    """Does `check --problems` run the set's public cases (not the tutorial's): passing on its
    references, failing on its stubs (its exercises/, the default), one problem with --problem?"""
    base = [sys.executable, "-m", "grader", "check", "--problems", str(SET.path)]
    expected = {
        (str(SET.solutions_dir),): (0, "3 passed"),
        (): (1, "is not implemented yet"),
        (str(SET.solutions_dir), "--problem", "ln"): (0, "1 passed, 2 deselected"),
    }
    for extra, (status, said) in expected.items():
        run = subprocess.run(
            [*base, *extra], cwd=ROOT, env=_clean_env(), capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip
        assert run.returncode == status, (extra, run.stdout[-2000:], run.stderr[-2000:])
        assert said in run.stdout and "test_attention.py" in run.stdout, run.stdout[-2000:]
        assert "test_conv" not in run.stdout


def _section(text: str, problem_id: str) -> list[str]:
    """The non-blank lines of `## <problem_id>`'s section of a model answers file."""
    body = text.split(f"## {problem_id}\n", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in body.splitlines() if line.strip()]


def test_the_answers_command_shows_the_sets_own_model_answers(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """Does `answers --problems` find the set's written answers (answers.md, the generated
    notebook, a notebook with the legacy metadata key) and show examples/attention/answers.md's
    model answer and rubric, not the tutorial's?"""
    written = [p for p in SET.problems if not p.graded]
    assert [p.id for p in written] == ["why-scale"]
    document = json.loads(notebook.render(SET, stubs.render_all(SET)))
    (cell,) = [c for c in document["cells"] if answers.METADATA_KEY in c.get("metadata", {})]
    folder = tmp_path / "class"
    for name in ("alice", "bob", "carol"):
        (folder / name).mkdir(parents=True)
    (folder / "alice" / "answers.md").write_text("## why-scale\nAlice: the softmax saturates.\n")
    cell["source"] = "Bob: the variance grows with d."
    (folder / "bob" / SET.notebook_name).write_text(json.dumps(document))
    cell["source"] = "Carol: from a notebook handed out before the key was renamed."
    cell["metadata"] = {"tutorial9": cell["metadata"].pop(answers.METADATA_KEY)}
    cell["id"] = "renamed"
    (folder / "carol" / SET.notebook_name).write_text(json.dumps(document))
    out = tmp_path / "answers"
    argv = ["answers", "--problems", str(SET.path), str(folder), "--out", str(out)]
    assert cli.main(argv) == 0
    assert "why-scale 3/3" in capsys.readouterr().out
    page = (out / "why-scale.html").read_text(encoding="utf-8")
    model = _section((SET.root / "answers.md").read_text(encoding="utf-8"), "why-scale")
    assert SET.answers_path == SET.root / "answers.md"
    for line in (model[0], model[-1]):  # the model answer's first line, the rubric's last
        assert html.escape(line.removeprefix("- ")) in page
    assert "None in" not in page
    for who in ("Alice: the softmax", "Bob: the variance", "Carol: from a notebook"):
        assert who in page
    assert html.escape(SET.title) in (out / "index.html").read_text(encoding="utf-8")
    header = (out / "hand-scores.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "why-scale (max 1)" in header


# --- release: the student bundle and the Gradescope zip ----------------------------------------
# Built with the command line (`build-student`/`build-gradescope --problems`), once per module.


@pytest.fixture(scope="module")
def set_student_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("set") / "student.zip"
    assert cli.main(["build-student", "--problems", str(SET.path), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def set_gradescope_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("set") / "autograder.zip"
    assert cli.main(["build-gradescope", "--problems", str(SET.path), "--out", str(out)]) == 0
    return out


def _unzip(path: Path, into: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        archive.extractall(into)
    return into


def _clean_env() -> dict[str, str]:
    """The environment of a student's shell: nothing of this repository on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TUTORIAL9_"))}
    env.update(PYTHONPATH="", PYTHONDONTWRITEBYTECODE="1")
    return env


@pytest.mark.slow
def test_the_sets_student_bundle_has_the_layout_its_checks_read(set_student_zip: Path) -> None:
    """Is the bundle under attention/, its problems.yaml pointing at the bundle's own folders,
    with the set's public cases (not the tutorial's) and a recorded `attention_solutions`?"""
    texts = release_tests.archive_texts(set_student_zip)
    assert {name.split("/")[0] for name in texts} == {SET.name}
    files = {name.split("/", 1)[1]: text for name, text in texts.items()}
    shipped = parse(yaml.safe_load(files["problems.yaml"]), Path("problems.yaml"))
    assert (shipped.solutions, shipped.cases, shipped.exercises) == (
        "attention_solutions", "grader/cases", "exercises",
    )  # fmt: skip
    assert shipped.problems == SET.problems and shipped.title == SET.title
    public = sorted(n for n in files if n.startswith("grader/cases/public/"))
    assert public == ["grader/cases/public/__init__.py", "grader/cases/public/test_attention.py"]
    assert {"exercises/norms.py", "exercises/attention.py", "exercises/attention.ipynb"} <= set(
        files
    )
    for module in SET.modules:
        assert (
            "from attention_solutions._recorded import" in files[f"attention_solutions/{module}.py"]
        )
    assert not any(n.startswith("solutions/") for n in files)
    assert "--problem ln" in files["README.md"] and "conv" not in files["README.md"]


@pytest.mark.slow
def test_the_sets_student_bundle_holds_no_reference_code_or_hidden_case(
    set_student_zip: Path,
) -> None:
    """Does no reference line, model answer or hidden case of the set appear in its bundle?"""
    texts = release_tests.archive_texts(set_student_zip)
    assert not any("/hidden/" in name or name.endswith("answers.md") for name in texts)
    support = [ROOT / "grader" / n for n in release.student_grader_files()]
    public = "\n".join(
        [*stubs.render_all(SET).values(), *(p.read_text() for p in support),
         (release.TEMPLATES / "recorded.py").read_text()]
    )  # fmt: skip
    secrets: set[str] = set()
    for module in SET.modules:
        lines = stubs.solution_lines((SET.solutions_dir / f"{module}.py").read_text())
        found = {line for line in release_tests.distinctive(lines) if line not in public}
        assert found, module  # the scan must have something to look for
        secrets |= found
    answers = (SET.root / "answers.md").read_text().splitlines()
    secrets |= release_tests.distinctive([line.strip() for line in answers], 30)
    shown = (SET.cases_dir / "public" / "test_attention.py").read_text()
    hidden = (SET.cases_dir / "hidden" / "test_attention.py").read_text().splitlines()
    hidden_names = {
        s.strip() for s in hidden if s.strip().startswith(("def test_", '"""')) and s not in shown
    }
    assert hidden_names
    secrets |= hidden_names
    for name, text in texts.items():
        leaked = {line for line in secrets if line in text}
        assert not leaked, f"{name}: {sorted(leaked)[:3]}"


@pytest.mark.slow
@pytest.mark.parametrize("work", ["stubs", "solved"])
def test_the_sets_student_readme_commands_run(
    set_student_zip: Path, tmp_path: Path, work: str
) -> None:
    """Unzipped, does every command of the set's README fail on the stubs, briefly, saying
    what is not implemented, and pass with the references in exercises/ and the notebook?"""
    from tests.solved import solved_notebook

    bundle = _unzip(set_student_zip, tmp_path) / SET.name
    commands = release_tests.readme_commands((bundle / "README.md").read_text())
    assert "python -m pytest" in commands
    assert any(c.startswith("python -m grader check path/to/my-work") for c in commands)
    elsewhere = tmp_path / "elsewhere" / "my-work"
    elsewhere.mkdir(parents=True)
    for module in SET.modules:
        if work == "solved":
            shutil.copy(SET.solutions_dir / f"{module}.py", bundle / "exercises")
        shutil.copy(bundle / "exercises" / f"{module}.py", elsewhere)
    if work == "solved":
        (bundle / "exercises" / SET.notebook_name).write_text(solved_notebook(SET))
    shutil.copy(bundle / "exercises" / SET.notebook_name, elsewhere.parent / SET.notebook_name)
    for command in [*commands, "python -m grader check exercises"]:
        words = command.replace("path/to", str(elsewhere.parent)).split()
        run = subprocess.run(
            [sys.executable, *words[1:], "-p", "no:cacheprovider"],
            cwd=bundle, env=_clean_env(), capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert run.returncode == (0 if work == "solved" else 1), (command, run.stdout[-3000:])
        if work == "stubs":
            assert "is not implemented yet" in run.stdout, run.stdout[-1000:]
            assert "Traceback" not in run.stdout and len(run.stdout.splitlines()) < 60
        else:
            assert re.search(r"\d+ passed", run.stdout) and "failed" not in run.stdout


@pytest.mark.slow
def test_the_sets_gradescope_zip_grades_end_to_end(
    set_gradescope_zip: Path, tmp_path: Path
) -> None:
    """Unzipped into a simulated /autograder, does run_autograder give the set's references
    6 of 6, with the set's problems.yaml pointing at its references and cases in the zip and
    none of the tutorial's cases shipped?"""
    root = tmp_path / "autograder"
    source, submission, results = root / "source", root / "submission", root / "results"
    for folder in (source, submission, results):
        folder.mkdir(parents=True)
    _unzip(set_gradescope_zip, source)
    with zipfile.ZipFile(set_gradescope_zip) as archive:
        names = archive.namelist()
    assert not any(n.startswith(("grader/cases/", "solutions/")) for n in names)
    assert {"cases/hidden/test_attention.py", "attention_solutions/norms.py"} <= set(names)
    shipped = load(source / "problems.yaml")
    assert (shipped.solutions, shipped.cases) == ("attention_solutions", "cases")
    (source / "run_autograder").chmod(0o755)
    for module in SET.modules:
        shutil.copy(SET.solutions_dir / f"{module}.py", submission)
    (root / "submission_metadata.json").write_text(json.dumps({"created_at": "2025-01-01"}))
    run = subprocess.run(
        [str(source / "run_autograder")],
        env={**os.environ, "AUTOGRADER_ROOT": str(root), "TUTORIAL9_PYTHON": sys.executable},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    document = json.loads((results / "results.json").read_text())
    assert document["score"] == 6, document.get("output")
    assert document["tests"] and all(t["status"] == "passed" for t in document["tests"])


@pytest.mark.slow
def test_contract_messages_name_the_sets_own_parameters(tmp_path: Path) -> None:
    """Does an in-place layer_norm get a message naming `x`, from the set's references?"""
    folder = _with_layer_norm(
        tmp_path,
        "    x -= x.mean(axis=-1, keepdims=True)\n"
        "    x /= np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps)\n"
        "    return x\n",
    )
    results = grade(folder, SET)
    messages = [
        t.outcome.message for p in results.problems for t in p.tests if p.problem.id == "ln"
    ]
    assert messages and all("layer_norm modified its input array x in place" in m for m in messages)
