"""Notebooks for the tests: the generated one, and a solved copy of it built from solutions/.

The solved notebook is exercises/tutorial9.ipynb with each stub replaced by the reference
function of the same name (and the references' private helpers and constants added to its
setup cell), as a student who solved everything in the notebook would hand it in.
"""

from __future__ import annotations

import ast

import nbformat

from grader.authoring import notebook, stubs
from grader.problems import ProblemSet, load


def stub_notebook(problems: ProblemSet | None = None) -> str:
    """The generated notebook's text (of the tutorial, or of `problems`)."""
    problems = problems or load()
    return notebook.render(problems, stubs.render_all(problems))


def solved_notebook(problems: ProblemSet | None = None) -> str:
    """The generated notebook with every exercise solved, as nbformat JSON text."""
    problems = problems or load()
    named: dict[str, str] = {}
    helpers: list[str] = []
    for module in problems.modules:
        text = (problems.solutions_dir / f"{module}.py").read_text(encoding="utf-8")
        for node in ast.parse(text).body:
            segment = ast.get_source_segment(text, node) or ""
            decorators = "".join(
                f"@{ast.unparse(d)}\n" for d in getattr(node, "decorator_list", [])
            )
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                named[node.name] = decorators + segment
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                named[node.target.id] = segment
            elif isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # a docstring
            elif segment not in helpers:
                helpers.append(decorators + segment)
    book = nbformat.reads(stub_notebook(problems), as_version=4)
    for cell in book.cells:
        if cell.id == "setup":
            cell.source = "\n\n".join([cell.source, *helpers])
        elif cell.id.endswith("-code"):
            cell.source = _replaced(cell.source, named)
    return nbformat.writes(book)


def _replaced(source: str, named: dict[str, str]) -> str:
    """`source` with each top-level definition of a name in `named` replaced by its text."""
    lines = source.splitlines(keepends=True)
    for node in reversed(ast.parse(source).body):
        name = getattr(node, "name", None) or getattr(getattr(node, "target", None), "id", None)
        if name in named:
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            lines[first - 1 : node.end_lineno] = [named[name] + "\n"]
    return "".join(lines)
