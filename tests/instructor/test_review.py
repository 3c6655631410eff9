"""grader/instructor/review.py: the TA's pages of written answers, and hand-scores.csv next to
them."""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from grader.authoring import notebook, stubs
from grader.instructor import handscores, rendering, review
from grader.intake import answers
from grader.problems import DEFAULT_PATH, ProblemsError, load

PROBLEMS = load(DEFAULT_PATH)
WRITTEN = [p for p in PROBLEMS.problems if not p.graded]


def notebook_with(fill: dict[str, str]) -> str:
    document = json.loads(notebook.render(PROBLEMS, stubs.render_all(PROBLEMS)))
    for cell in document["cells"]:
        mark = cell.get("metadata", {}).get(answers.METADATA_KEY)
        if mark and mark["answer"] in fill:
            cell["source"] = fill[mark["answer"]]
    return json.dumps(document)


@pytest.fixture
def classroom(tmp_path: Path) -> Path:
    """A Gradescope export: a folder with answers.md, a notebook, a zip, and a blank one."""
    folder = tmp_path / "export"
    (folder / "submission_1").mkdir(parents=True)
    (folder / "submission_1" / "answers.md").write_text(
        "## Problem 4(b)\nYes, with **convolutions** over $x_t$.\n## 3-why\nA slope.\n"
    )
    (folder / "submission_2").mkdir()
    (folder / "submission_2" / "tutorial9.ipynb").write_text(
        notebook_with({"4b": "<script>alert('pwned')</script> no", "4c": "Filters $$k$$"})
    )
    with zipfile.ZipFile(folder / "submission_3.zip", "w") as archive:
        archive.writestr("answers.md", "## 1c-why\nBatches.\n")
    (folder / "submission_4").mkdir()  # answered nothing
    (folder / "submission_metadata.yml").write_text(
        "submission_1:\n  :submitters:\n  - :name: Ada <b>L</b>\n"
        "submission_2:\n  :submitters:\n  - :name: Bo\n"
    )
    return folder


def page(out: Path, problem: str) -> str:
    return (out / f"{problem}.html").read_text(encoding="utf-8")


def test_one_page_per_written_problem_and_an_index(classroom: Path, tmp_path: Path) -> None:
    """Are there a page per written problem, an index and hand-scores.csv, with counts?"""
    done = review.write(classroom, tmp_path / "out", PROBLEMS)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == sorted([*(f"{p.id}.html" for p in WRITTEN), "index.html", "hand-scores.csv"])
    assert done.answered == {"1c-why": 1, "3-why": 1, "4b": 2, "4c": 1}
    assert done.submissions == 4


def test_page_has_model_answer_and_rubric_first(classroom: Path, tmp_path: Path) -> None:
    """Are the model answer and rubric from solutions/answers.md above the students' answers?"""
    review.write(classroom, tmp_path / "out", PROBLEMS)
    text = page(tmp_path / "out", "4b")
    assert PROBLEMS.answers_path == PROBLEMS.root / "solutions" / "answers.md"
    model, rubric = review.model_answers(PROBLEMS)["4b"]
    assert model and rubric
    first_model_line = model.splitlines()[0].split(":")[0]
    assert first_model_line in text
    assert text.index("Model answer") < text.index("Rubric") < text.index("<article")


def test_model_answers_come_from_the_set(classroom: Path, tmp_path: Path) -> None:
    """Are the model answers read from the set's `answers` file, a missing part said by name,
    and a missing file refused before any page is written?"""
    (tmp_path / "refs").mkdir()
    model = tmp_path / "refs" / "model.md"
    model.write_text("## 4b\nThe set's own model answer.\n")
    moved = replace(PROBLEMS, path=tmp_path / "problems.yaml", answers="refs/model.md")
    review.write(classroom, tmp_path / "out", moved)
    text = page(tmp_path / "out", "4b")
    assert "<p>The set's own model answer.</p>" in text
    assert "<p>None in refs/model.md.</p>" in text  # no rubric in that file
    assert "<p>None in refs/model.md.</p>" in page(tmp_path / "out", "4c")
    with pytest.raises(ProblemsError, match="'answers': no file"):
        review.write(classroom, tmp_path / "other", replace(moved, answers="absent.md"))
    assert not (tmp_path / "other").exists()


def test_answers_have_anchors_and_missing_ones_are_listed(classroom: Path, tmp_path: Path) -> None:
    """Does each answer sit under its own anchor, and is every non-answer listed by name?"""
    review.write(classroom, tmp_path / "out", PROBLEMS)
    text = page(tmp_path / "out", "4b")
    articles = re.findall(r'<article id="(s-[\w-]+)">', text)
    assert articles == ["s-submission_1", "s-submission_2"]
    missing = text[text.index('id="missing"') :]
    assert "submission_3.zip" in missing and "submission_4" in missing
    assert "submission_1" not in missing
    assert "Ada &lt;b&gt;L&lt;/b&gt;" in text  # names from the metadata, escaped
    index = (tmp_path / "out" / "index.html").read_text()
    assert 'href="4b.html#s-submission_1"' in index


def test_pages_are_self_contained_and_student_html_is_text(classroom: Path, tmp_path: Path) -> None:
    """No script, no remote resource; a `<script>` answer shows as text; LaTeX as MathML."""
    review.write(classroom, tmp_path / "out", PROBLEMS)
    for path in (tmp_path / "out").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script" not in text.lower(), path.name
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path.name
        assert "default-src 'none'" in text
    text = page(tmp_path / "out", "4b")
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt; no" in text
    assert "<msub><mi>x</mi><mi>t</mi></msub>" in text
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in page(
        tmp_path / "out", "4c"
    )


def test_hand_scores_csv_lists_every_submission(classroom: Path, tmp_path: Path) -> None:
    """Is hand-scores.csv readable back, one row per submission, every score empty?"""
    review.write(classroom, tmp_path / "out", PROBLEMS)
    names = {"submission_1", "submission_2", "submission_3.zip", "submission_4"}
    scores = handscores.read(tmp_path / "out" / "hand-scores.csv", WRITTEN, names)
    assert set(scores.scores) == names
    assert all(not s for s in scores.scores.values())
    assert scores.students["submission_1"] == "Ada <b>L</b>"


def test_rerun_keeps_entered_scores_and_refuses_a_broken_file(
    classroom: Path, tmp_path: Path
) -> None:
    """Run again after the TA began, are scores kept; is a broken file left untouched?"""
    out = tmp_path / "out"
    review.write(classroom, out, PROBLEMS)
    path = out / "hand-scores.csv"
    path.write_text(path.read_text().replace("submission_1,Ada <b>L</b>,,", "submission_1,x,1,"))
    done = review.write(classroom, out, PROBLEMS)
    assert done.kept_scores == 1
    assert handscores.read(path, WRITTEN).score("submission_1", "1c-why") == 1
    path.write_text("submission,4b\nsubmission_1,lots\n")
    with pytest.raises(handscores.HandScoresError, match="not a number"):
        review.write(classroom, out, PROBLEMS)
    assert path.read_text() == "submission,4b\nsubmission_1,lots\n"


ROOT = Path(__file__).resolve().parents[2]
# Every exercise set: its problems.yaml and the answers.md holding its model answers and rubrics.
SETS = {
    "tutorial": (DEFAULT_PATH, ROOT / "solutions" / "answers.md"),
    "attention": (
        ROOT / "examples" / "attention" / "problems.yaml",
        ROOT / "examples" / "attention" / "answers.md",
    ),
}


def test_every_answers_md_is_a_known_set() -> None:
    """Is every model-answers file in the project checked by the test below?"""
    found = {
        p
        for p in ROOT.rglob("answers.md")
        if not {"tests", ".git", ".venv", "node_modules"} & set(p.relative_to(ROOT).parts)
    }
    assert found == {answers_md for _, answers_md in SETS.values()}


@pytest.mark.parametrize("name", sorted(SETS))
def test_model_answers_and_rubrics_render(name: str) -> None:
    """Do every set's statements, model answers and rubrics render: math as MathML, no LaTeX
    delimiter or table row left as text, and 3-why's "instead of\\n0." not a numbered list?"""
    problems_yaml, answers_md = SETS[name]
    problems = load(problems_yaml)
    assert problems.model_answers_path() == answers_md
    written = [p for p in problems.problems if not p.graded]
    models = review.model_answers(problems)
    assert set(models) == {p.id for p in written}
    for problem in written:
        model, rubric = models[problem.id]
        assert model and rubric, problem.id
        for text in (problem.statement, model, rubric):
            rendered = rendering.render(text)
            assert "tex-error" not in rendered, (problem.id, rendered)
            shown = re.sub(r"<(code|pre|annotation)\b.*?</\1>", "", rendered, flags=re.S)
            assert not re.search(r"\$|\\\(|\\\[|^\s*\|", shown, re.M), (problem.id, rendered)
    if "3-why" in models:
        model = rendering.render(models["3-why"][0])
        assert "<ol" not in model and "instead of\n0. The unit" in model
