"""grader/authoring/notebook.py: the committed notebook is current and is a valid submission."""

from __future__ import annotations

import json

import nbformat

from grader.authoring import notebook, stubs
from grader.problems import load

PROBLEMS = load()


def test_committed_notebook_is_current() -> None:
    """Is exercises/tutorial9.ipynb exactly what the generator makes?"""
    generated = notebook.render(PROBLEMS, stubs.render_all(PROBLEMS))
    committed = (load().exercises_dir / load().notebook_name).read_text(encoding="utf-8")
    assert committed == generated, "run `python -m grader notebook` and commit the result"


def test_notebook_is_valid_and_follows_the_problems() -> None:
    """One statement cell per problem, then its stubs or an answer cell, in order?"""
    book = nbformat.reads(notebook.render(PROBLEMS, stubs.render_all(PROBLEMS)), as_version=4)
    nbformat.validate(book)
    ids = [cell.id for cell in book.cells]
    expected = ["intro", "checks", "setup"]
    for problem in PROBLEMS.problems:
        expected.append(f"{problem.id}-statement")
        expected += (
            [f"{problem.id}-code", f"{problem.id}-check"]
            if problem.graded
            else [f"{problem.id}-answer"]
        )
    assert ids == [*expected, "submit", "check-all"]
    by_id = {cell.id: cell for cell in book.cells}
    assert "def conv2d(" in by_id["1a-code"].source
    assert "def conv_layer(" in by_id["1c-code"].source
    assert by_id["4b-answer"].cell_type == "markdown"
    assert by_id["1a-check"].source == 'check("1a")' and by_id["check-all"].source == "check()"
    assert "0.5 & 0.2 & 0.1 & 0.7" in by_id["1a-statement"].source


def test_every_function_appears_once_verbatim() -> None:
    """Is every stub function's source in exactly one code cell, verbatim?"""
    rendered = stubs.render_all(PROBLEMS)
    book = json.loads(notebook.render(PROBLEMS, rendered))
    code = "\n".join("".join(c["source"]) for c in book["cells"] if c["cell_type"] == "code")
    for target in PROBLEMS.targets:
        name = target.split(".")[1]
        marker = f"def {name}(" if name != "TASK_TYPES" else "TASK_TYPES:"
        assert code.count(marker) == 1, target


def test_notebook_compiles_cell_by_cell() -> None:
    """Does every code cell compile on its own, as Jupyter and the grader run them?"""
    book = json.loads(notebook.render(PROBLEMS, stubs.render_all(PROBLEMS)))
    for cell in book["cells"]:
        if cell["cell_type"] == "code":
            compile("".join(cell["source"]), cell["id"], "exec")
