"""The engine holds nothing specific to one exercise set: examples/attention, a second set with
its own problems.yaml, references and cases, is generated, graded and batch-graded by the same
code as the tutorial."""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader import notebook, stubs
from grader.grading import grade
from grader.problems import load

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


@pytest.mark.slow
def test_the_sets_misconception_hint_reaches_the_student(tmp_path: Path) -> None:
    """Does a layer_norm over the whole array lose problem ln only, with the set's own hint?"""
    folder = tmp_path / "student"
    shutil.copytree(SET.solutions_dir, folder)
    (folder / "norms.py").write_text(
        "import numpy as np\n\n\ndef layer_norm(x, eps=1e-5):\n"
        "    x = np.asarray(x, dtype=float)\n"
        "    return (x - x.mean()) / np.sqrt(x.var() + eps)\n"
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
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "grader", "grade", "--problems", problems,
         str(SET.solutions_dir), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(out.read_text())["score"] == 6
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
