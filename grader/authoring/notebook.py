"""Build the student notebook, exercises/<name>.ipynb, from problems.yaml and the stubs.

Per problem: a Markdown cell with the statement, then a code cell holding the stubs of the
exercises the problem grades (verbatim, so the grader finds them by name) and a check cell,
`check("<id>")`, running its public cases on them (grader/selfcheck/command.py), or a Markdown
answer cell
for a written problem, marked `{"grader": {"answer": "<id>"}}` in its metadata (see
grader/intake/answers.py). The first code cell loads `check` from the student bundle's files beside
the notebook (or says how to get them); imports and given constants go into one setup cell;
the last cell checks everything and says what to submit. Cell ids are derived from problem ids
so the file is byte-for-byte reproducible.
"""

from __future__ import annotations

import ast
import textwrap

import nbformat

from grader.intake import answers
from grader.intake.cells import CHECK
from grader.problems import ProblemSet

_INTRO = """\
# {title}

Fill in every function below, then run the cells. After each code problem, a check cell such
as `check("{first}")` runs that problem's public test cases on your functions and lists what passes;
the last cell checks everything. Each code problem is graded by the public and more, hidden
cases; written problems are graded by hand. Keep the function names and signatures as they are:
the grader finds your functions by name, whichever cell they are in.

Your code may use {packages} only: nothing else is installed where grading happens
(no matplotlib, scipy or torch). Only imports, definitions, assignments, `if` and `try` blocks
are graded, each top-level statement on its own, so demo code, prints and plots in your cells
are fine, and a failing statement (such as `import matplotlib.pyplot as plt`) costs nothing by
itself: only a function that needs it fails.

Submit this notebook as it is, or {files}."""


def _intro(problems: ProblemSet) -> str:
    graded = [p.id for p in problems.problems if p.graded]
    names = [f"`{m}.py`" for m in problems.modules]
    count = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    many = count[len(names) - 1] if len(names) <= len(count) else str(len(names))
    files = (
        f"the file {names[0]}"
        if len(names) == 1
        else (f"the {many} files {', '.join(names[:-1])} and {names[-1]}")
    )
    text = _INTRO.format(
        title=problems.title, packages=problems.allowed, first=graded[0], files=files
    )
    # rewrapped: the file list's length varies with the set
    head, _, last = text.rpartition("\n\n")
    return f"{head}\n\n{textwrap.fill(last, width=96)}"


# In the setup cell, @NAME@ stands for the set's name (its bundle folder and zip).
# Runs in Jupyter, JupyterLab, VS Code and Colab. The grader runs it too (it is made only of
# imports, assignments, `if` and `try`), harmlessly: there it finds nothing and defines the
# fallback `check`.
_CHECKS = """\
# Run this cell first: it loads check(), which runs a problem's public test cases on your
# functions. It needs the files of @NAME@-student.zip around this notebook (exercises/).
import sys
from pathlib import Path

_places = [Path.cwd(), Path.cwd().parent, Path.cwd() / "@NAME@"]
_found = [place for place in _places if (place / "grader" / "check.py").is_file()]
if not _found and Path("@NAME@-student.zip").is_file():  # uploaded to Colab, say
    import zipfile

    zipfile.ZipFile("@NAME@-student.zip").extractall()
    _found = [Path.cwd() / "@NAME@"]
if _found and str(_found[0]) not in sys.path:
    sys.path.insert(0, str(_found[0]))
try:
    from grader.selfcheck.command import check
except ImportError as _error:
    _missing = _error

    def check(problem=None):
        print(
            "check() needs the files of @NAME@-student.zip next to this notebook "
            f"({_missing}). Unzip it and open exercises/@NAME@.ipynb from the unzipped "
            "folder; in Colab, upload @NAME@-student.zip to the Files panel and run the "
            "first code cell again. If pytest is missing: pip install -r requirements.txt"
        )"""

_LAST = """\
## Check everything, then submit

The cell below runs every public check and says what to submit."""


def _definitions(stub: str) -> tuple[list[str], dict[str, str]]:
    """Split a stub module into its setup statements and its named definitions."""
    tree = ast.parse(stub)
    setup: list[str] = []
    named: dict[str, str] = {}
    for node in tree.body:
        text = ast.get_source_segment(stub, node, padded=False) or ""
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            decorators = "".join(f"@{ast.unparse(d)}\n" for d in node.decorator_list)
            named[node.name] = decorators + text
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            named[node.target.id] = text
        elif isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue  # each notebook cell compiles alone; the hints work without it on 3.10
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # module docstring
        else:
            setup.append(text)
    return setup, named


def build(problems: ProblemSet, stubs: dict[str, str]) -> nbformat.NotebookNode:
    """The notebook for `problems`, given the stub text of every module (`<module>.py` -> text)."""
    setup: list[str] = []
    named: dict[str, str] = {}
    for module in problems.modules:
        module_setup, module_named = _definitions(stubs[f"{module}.py"])
        setup.extend(s for s in module_setup if s not in setup)
        named.update({f"{module}.{name}": text for name, text in module_named.items()})

    cells = [
        _markdown("intro", _intro(problems)),
        _code("checks", _CHECKS.replace("@NAME@", problems.name)),
        _code("setup", "\n".join(setup)),
    ]
    placed: set[str] = set()
    for problem in problems.problems:
        cells.append(
            _markdown(f"{problem.id}-statement", f"## {problem.title}\n\n{problem.statement}")
        )
        if not problem.graded:
            answer = _markdown(f"{problem.id}-answer", answers.PLACEHOLDER)
            # how `python -m grader answers` finds it, whatever the cell's position or id
            answer.metadata[answers.METADATA_KEY] = {"answer": problem.id}
            cells.append(answer)
            continue
        fresh = [t for t in problem.targets if t not in placed]
        placed.update(fresh)
        parts = [named[t] for t in fresh]
        parts += [
            f"# {t.split('.')[1]} is above, in an earlier problem's cell."
            for t in problem.targets
            if t not in fresh
        ]
        cells.append(_code(f"{problem.id}-code", "\n\n\n".join(parts)))
        cells.append(_code(f"{problem.id}-check", f'{CHECK}("{problem.id}")'))
    cells += [_markdown("submit", _LAST), _code("check-all", f"{CHECK}()")]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return notebook


def render(problems: ProblemSet, stubs: dict[str, str]) -> str:
    """The notebook as the exact text that is committed."""
    return nbformat.writes(build(problems, stubs)) + "\n"


def _markdown(cell_id: str, text: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(text.rstrip("\n"))
    cell.id = cell_id
    return cell


def _code(cell_id: str, text: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(text.rstrip("\n"))
    cell.id = cell_id
    return cell
