"""grader/intake/answers.py: written answers found in notebooks, answers.md, folders and zips."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from grader.authoring import notebook, stubs
from grader.intake import answers
from grader.intake.submission import IntakeLimits
from grader.problems import DEFAULT_PATH, load

PROBLEMS = load(DEFAULT_PATH)
WRITTEN = [p for p in PROBLEMS.problems if not p.graded]
IDS = [p.id for p in WRITTEN]


def generated_notebook(fill: dict[str, str], drop_metadata: bool = False) -> dict:
    """The generated notebook with the answer cells of `fill` written in."""
    document = json.loads(notebook.render(PROBLEMS, stubs.render_all(PROBLEMS)))
    for cell in document["cells"]:
        mark = cell.get("metadata", {}).get(answers.METADATA_KEY)
        if mark and mark["answer"] in fill:
            cell["source"] = fill[mark["answer"]]
            if drop_metadata:
                cell["metadata"] = {}
    return document


def test_generated_notebook_marks_every_written_answer_cell() -> None:
    """Does each written problem get exactly one answer cell, marked with its id?"""
    document = generated_notebook({})
    marks = [
        c["metadata"][answers.METADATA_KEY]["answer"]
        for c in document["cells"]
        if answers.METADATA_KEY in c.get("metadata", {})
    ]
    assert marks == IDS


def test_untouched_notebook_has_no_answers() -> None:
    """Is the placeholder left as it is counted as no answer?"""
    raw = json.dumps(generated_notebook({})).encode()
    assert answers.from_notebook(raw, WRITTEN, "nb.ipynb") == []


@pytest.mark.parametrize("drop_metadata", [False, True])
def test_notebook_answers_by_metadata_or_cell_id(drop_metadata: bool) -> None:
    """Are answers found by cell metadata, and by cell id when the metadata was lost?"""
    fill = {"4b": "Yes: **convolutions** over words.", "1c-why": "Speed, $O(B)$."}
    raw = json.dumps(generated_notebook(fill, drop_metadata)).encode()
    found = {a.problem: a for a in answers.from_notebook(raw, WRITTEN, "nb.ipynb")}
    assert {p: a.text for p, a in found.items()} == fill
    assert found["4b"].origin.startswith("nb.ipynb, cell ")


def test_generated_answer_cells_use_the_neutral_key() -> None:
    """Is the answer cells' metadata key the grader's, not a set's name?"""
    assert answers.METADATA_KEY == "grader"
    document = generated_notebook({})
    assert not any(
        key in c.get("metadata", {})
        for c in document["cells"]
        for key in answers.LEGACY_METADATA_KEYS
    )


def test_notebooks_with_the_legacy_key_still_give_their_answers() -> None:
    """Are the answers of a notebook handed out with `{"tutorial9": {"answer": ...}}` cells
    found by that key (cell ids changed, so the key alone finds them)?"""
    fill = {"4b": "Yes.", "3-why": "Long sequences."}
    document = generated_notebook(fill)
    for number, cell in enumerate(document["cells"]):
        cell["id"] = f"cell-{number}"
        mark = cell.get("metadata", {}).pop(answers.METADATA_KEY, None)
        if mark is not None:
            cell["metadata"]["tutorial9"] = mark
    raw = json.dumps(document).encode()
    found = answers.from_notebook(raw, WRITTEN, "old.ipynb")
    assert {a.problem: a.text for a in found} == fill


def test_placeholder_kept_before_an_answer_is_dropped() -> None:
    """Does text written after the placeholder count, without the placeholder?"""
    raw = json.dumps(generated_notebook({"4c": f"{answers.PLACEHOLDER}\nFilters."})).encode()
    (answer,) = answers.from_notebook(raw, WRITTEN, "nb.ipynb")
    assert (answer.problem, answer.text) == ("4c", "Filters.")


def test_answer_split_over_marked_cells_is_joined() -> None:
    """Are two cells marked with one problem joined, in order?"""
    document = generated_notebook({"3-why": "first part"})
    cell = {"cell_type": "markdown", "id": "extra", "source": ["second ", "part"],
            "metadata": {answers.METADATA_KEY: {"answer": "3-why"}}}  # fmt: skip
    document["cells"].append(cell)
    (answer,) = answers.from_notebook(json.dumps(document).encode(), WRITTEN, "nb.ipynb")
    assert answer.text == "first part\n\nsecond part"


@pytest.mark.parametrize(
    "heading",
    ["## 4b", "## Problem 4(b)", "### 4B", "# problem 4 (b)", "## Problem 4(b): sentiment "
     "analysis with a CNN?", "## 4b ##"],
)  # fmt: skip
def test_answers_md_headings(heading: str) -> None:
    """Is a section found under each accepted spelling of its heading?"""
    text = f"# My answers\n\nintro\n\n{heading}\n\nYes, it is.\n\n## 4c\n\nFilters.\n"
    assert answers.sections(text, WRITTEN) == {"4b": "Yes, it is.", "4c": "Filters."}


def test_answers_md_sections_keep_subheadings_and_fenced_headings() -> None:
    """Do deeper headings and headings inside code fences stay in the section?"""
    text = "## 1(c) why\nA\n### detail\nB\n```\n## 4b\n```\n## 4a\ncode problem\n## 3 why\nC\n"
    found = answers.sections(text, WRITTEN)
    assert found == {"1c-why": "A\n### detail\nB\n```\n## 4b\n```", "3-why": "C"}


def test_headings_of_code_problems_do_not_count() -> None:
    """Is "## 1c" (a code problem) not taken for 1c-why, and an empty section no answer?"""
    assert answers.sections("## 1c\nshape\n## 4b\n\n## 4c\nx\n", WRITTEN) == {"4c": "x"}


def make_folder(root: Path) -> Path:
    (root / "hw" / ".ipynb_checkpoints").mkdir(parents=True)
    (root / "hw" / "answers.md").write_text("## 4b\nfrom the folder's answers.md\n")
    (root / "hw" / ".ipynb_checkpoints" / "answers.md").write_text("## 4c\nstale copy\n")
    document = generated_notebook({"4b": "from the notebook", "3-why": "notebook only"})
    (root / "hw" / "tutorial9.ipynb").write_text(json.dumps(document))
    return root


def test_folder_answers_md_first_then_notebook(tmp_path: Path) -> None:
    """In a folder, does answers.md win over a notebook, checkpoints ignored, gaps missing?"""
    found = answers.collect(make_folder(tmp_path / "sub"), WRITTEN)
    assert {p: a.text for p, a in found.found.items()} == {
        "4b": "from the folder's answers.md",
        "3-why": "notebook only",
    }
    assert found.found["4b"].origin == "hw/answers.md"
    assert found.notes == ()


def test_zip_answers(tmp_path: Path) -> None:
    """Are answers read from a zip's answers.md and notebook, without extracting it?"""
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("__MACOSX/x/answers.md", "## 4b\nresource fork\n")
        zipped.writestr("x/answers.md", "## 4b\nzipped\n")
        zipped.writestr("x/nb.ipynb", json.dumps(generated_notebook({"4c": "zipped nb"})))
    found = answers.collect(archive, WRITTEN)
    assert {p: a.text for p, a in found.found.items()} == {"4b": "zipped", "4c": "zipped nb"}


def test_single_notebook_and_broken_files(tmp_path: Path) -> None:
    """Is a lone notebook read, and a broken one a note rather than a crash?"""
    good = tmp_path / "good.ipynb"
    good.write_text(json.dumps(generated_notebook({"4c": "lone"})))
    assert answers.collect(good, WRITTEN).found["4c"].text == "lone"
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    result = answers.collect(bad, WRITTEN)
    assert result.found == {} and "invalid JSON" in result.notes[0]
    assert answers.collect(tmp_path / "code.py", WRITTEN).found == {}


def test_oversized_files_are_not_read(tmp_path: Path) -> None:
    """Is an answers.md above the source cap skipped with a note?"""
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "answers.md").write_text("## 4b\n" + "x" * 2000)
    result = answers.collect(folder, WRITTEN, IntakeLimits(max_source_bytes=1000))
    assert result.found == {} and "larger than 1000 bytes" in result.notes[0]


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    """Is an answers.md that is a symbolic link (to anything on the machine) ignored?"""
    secret = tmp_path / "secret.md"
    secret.write_text("## 4b\nsecret\n")
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "answers.md").symlink_to(secret)
    assert answers.collect(folder, WRITTEN).found == {}


@pytest.mark.parametrize("zipped", [False, True])
def test_answers_are_found_in_a_notebook_with_big_outputs(tmp_path: Path, zipped: bool) -> None:
    """Are the outputs of a notebook skipped unread (over the text cap) and its answer cells'
    metadata kept?"""
    document = generated_notebook({"4b": "Yes."})
    first_code = next(c for c in document["cells"] if c["cell_type"] == "code")
    first_code["outputs"] = [{"output_type": "display_data", "data": {"image/png": "A" * 5000}}]
    path = tmp_path / "tutorial9.ipynb"
    path.write_text(json.dumps(document), encoding="utf-8")
    if zipped:
        with zipfile.ZipFile(tmp_path / "s.zip", "w") as archive:
            archive.write(path, "hw/tutorial9.ipynb")
        path.unlink()
        path = tmp_path / "s.zip"
    text_cap = len(json.dumps(document)) - 4000
    collected = answers.collect(path, WRITTEN, IntakeLimits(max_notebook_text_bytes=text_cap))
    assert {p: a.text for p, a in collected.found.items()} == {"4b": "Yes."}
    assert collected.notes == ()
