"""Notebook code cells to a program, and compile checks: parsing only, no running.

Used by intake (grader/intake/submission.py) before any student code runs. Each code cell of an
nbformat 4 notebook gives its top-level statements (grader/intake/statements.py), run one by one
in
the sandbox, so one failing statement never takes the definitions after it down:
- kept: imports, def, class, assignments, `if` and `try` statements; other top-level code
  (demo calls, prints, plots, loops, `with`) is dropped, with one note naming the cells;
- `%%time` and `%%capture` cells keep their body, as IPython runs it; other `%%` cells are
  skipped whole; line magics, `!` and `?` lines, and statements calling `get_ipython()` are
  skipped; each skip is reported once, like a failed statement;
- a statement that does not compile is reported and skipped; the rest of its cell is kept;
- the generated notebook's check cells, `check("1a")`, are dropped without a note.
Cells are numbered as Jupyter lays them out, Markdown cells included.
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
from collections.abc import Sequence

from grader.intake import nbjson, statements, tree


class NotebookError(ValueError):
    """The notebook cannot be read; the message completes "could not read <name>: ..."."""


_HELP_LINE = re.compile(r"\?{1,2}\s*[A-Za-z_][\w.*]*|[A-Za-z_][\w.*]*\s*\?{1,2}")
_ASSIGNED_MAGIC = re.compile(r"[A-Za-z_][\w.]*(\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[%!]")
_KEPT_STATEMENTS = (
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Assign,
    ast.AnnAssign,
    ast.AugAssign,
    ast.If,
    ast.Try,
    *(t for t in (getattr(ast, "TryStar", None),) if t),  # try/except*, Python 3.11+
)
_COMPILE_ERRORS = (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError)
CHECK = "check"  # the notebook's check cells call check("<id>") (grader/selfcheck/command.py)
_LOOKS_PYTHON = re.compile(
    rb"(\xef\xbb\xbf)?\s*(#|@|import\s|from\s|def\s|class\s|[A-Za-z_]\w*\s*=)"
)


def compile_error(code: bytes | str, origin: str) -> str:
    """Compile `code` without running it; return "" or a student-facing error."""
    newline = b"\n" if isinstance(code, bytes) else "\n"
    nul = code.find(b"\0" if isinstance(code, bytes) else "\0")
    if nul >= 0:
        # Python 3.10 raises ValueError here and 3.11 SyntaxError, without a line: say it once.
        line = code.count(newline, 0, nul) + 1
        return (
            f"{origin}, line {line}: contains a NUL byte, which Python source cannot "
            "contain; save the file as UTF-8 text"
        )
    try:
        compile(code, origin, "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f"{origin}, line {exc.lineno}" if exc.lineno else origin
        undecodable = _UNDECODABLE.search(str(exc.msg))
        if undecodable:
            return (
                f"{where}: byte {undecodable.group(1)} is not valid UTF-8; save the file as UTF-8"
            )
        return f"{where}: {exc.msg}"
    except (MemoryError, RecursionError):
        return f"{origin}: the code is nested too deeply for Python to compile"
    except _COMPILE_ERRORS as exc:
        return f"{origin}: {exc}"
    return ""


_UNDECODABLE = re.compile(r"'utf-8' codec can't decode byte (0x[0-9a-f]{2})")
WRITEFILE = ("%%writefile", "%%file")  # cell magics writing their body to a file
_MAGIC_CELLS_THAT_RUN_PYTHON = ("%%time", "%%capture")  # IPython runs their body as Python


def notebook_program(
    cells: Sequence[tuple[int, str]], origin: str
) -> tuple[statements.Program, str, list[str]]:
    """The program of a notebook's code cells: (statements, error or "", notes for students).

    `cells` are (cell number counting every cell, source). Statements skipped at intake carry
    their `failure`; the caller reports them.
    """
    notes: list[str] = []
    found: list[statements.Statement] = []
    with_other_code: list[str] = []
    for number, text in cells:
        filename = f"{origin}, cell {number}"
        cell, skipped = _cell_statements(text, filename)
        if skipped:
            with_other_code.append(str(number))
        found += cell
    if with_other_code:
        notes.append(
            f"{origin}: only imports, def, class, assignments, if and try blocks are taken from "
            "code cells; other top-level code (calls, prints, loops, with blocks) was not run "
            f"in cells {', '.join(with_other_code)}"
        )
    if not any(s.runs for s in found):
        reason = f"{origin} has no usable code (no imports, definitions or assignments)"
        return tuple(found), reason, notes
    return tuple(found), "", notes


def _cell_statements(text: str, filename: str) -> tuple[list[statements.Statement], bool]:
    """One cell's statements in line order, and whether some of its code was dropped."""
    lines = _lines(text)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].split()[0]
        if magic in WRITEFILE:  # a file, read as a module or noted (grader/intake/writefile.py)
            return [], False
        if magic not in _MAGIC_CELLS_THAT_RUN_PYTHON:
            where = f"{filename}, line {first + 1}"
            failure = (
                f"{where}: a {magic} cell is IPython syntax and runs no Python; it was skipped"
            )
            return [statements.Statement(where, filename, first + 1, text, (), failure)], False
        lines[first] = f"# {lines[first]}"  # the body runs, as IPython would run it
        text = "".join(lines)
    text, neutralised = neutralise(text)
    found = [
        statements.Statement(
            f"{filename}, line {line}",
            filename,
            line,
            shown,
            (),
            f"{filename}, line {line}: `{shown}` is IPython syntax, which works only inside "
            "Jupyter; it was skipped",
        )
        for line, shown in neutralised
    ]
    kept, dropped = statements.program(text, filename, _kept)
    noted = [node for node in dropped if not _check_call(node)]
    return sorted(found + kept, key=lambda s: s.line), bool(noted)


def _kept(node: ast.stmt) -> bool:
    return isinstance(node, _KEPT_STATEMENTS)


def _check_call(node: ast.stmt) -> bool:
    """A check cell's `check("1a")` (grader/authoring/notebook.py): dropped like any call, not
    noted."""
    call = node.value if isinstance(node, ast.Expr) else None
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == CHECK
        and not call.keywords
        and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args)
    )


_EXACT_ERRORS = 20 * tree.MiB  # a notebook this small is parsed whole to say where its JSON breaks


def notebook_cells(file: tree.File, limits: tree.IntakeLimits) -> list[tuple[int, str]]:
    """The code cells of the notebook `file` (as `code_cells`), read by `kept_notebook`."""
    return code_cells(kept_notebook(file, limits))


def kept_notebook(file: tree.File, limits: tree.IntakeLimits) -> bytes:
    """The JSON of the notebook `file` without its outputs, attachments and metadata, streamed:
    they are skipped unread (grader/intake/nbjson.py), so memory stays bounded. A malformed
    notebook small enough is returned whole, for `code_cells` to say where its JSON breaks.

    Raises:
        tree.Unusable: it cannot be read or is over `limits.max_notebook_bytes`.
        NotebookError: too much of it is not outputs, or it is big and not JSON.
    """
    what = "a notebook; clear its outputs"
    try:
        with contextlib.closing(tree.chunks(file, limits.max_notebook_bytes, what)) as chunks:
            return nbjson.pruned(chunks, limits.max_notebook_text_bytes)
    except nbjson.TooBig:
        raise NotebookError(
            f"it holds more than {tree.size_text(limits.max_notebook_text_bytes)} besides the "
            "outputs of its cells; submit a notebook with your code"
        ) from None
    except nbjson.Malformed as exc:
        if file.size > _EXACT_ERRORS:
            raise NotebookError(f"it is not valid JSON (at byte {exc.offset})") from None
        return tree.read_capped(file, _EXACT_ERRORS, what)


def code_cells(raw: bytes) -> list[tuple[int, str]]:
    """(cell number counting every cell, source) of every code cell of an nbformat 4 notebook."""
    try:
        notebook = json.loads(raw)
    except RecursionError:
        raise NotebookError("its JSON is nested too deeply") from None
    except ValueError as exc:
        where = (
            f" (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        hint = "; is it a .py file renamed to .ipynb?" if _LOOKS_PYTHON.match(raw) else ""
        raise NotebookError(f"it is not valid JSON{where}{hint}") from None
    if not isinstance(notebook, dict):
        raise NotebookError("it is not a notebook (no cells)")
    version = notebook.get("nbformat")
    if version != 4 and (isinstance(version, int) or "worksheets" in notebook):
        raise NotebookError(
            f"it uses notebook format {version}; open it in a current Jupyter and "
            "save it again to convert it to format 4"
        )
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        raise NotebookError("it is not a notebook (no cells)")
    sources = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise NotebookError(f"cell {number} is not a notebook cell")
        if cell["cell_type"] != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookError(f"cell {number} has no source text")
        sources.append((number, source))
    return sources


def neutralise(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Comment out IPython-only lines: the new text (same lines), and (line, shortened text) of
    each line commented out."""
    lines = _lines(text)
    changed: list[tuple[int, str]] = []
    depth, quote, continued = 0, "", False
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if depth == 0 and not quote and not continued and _ipython_line(stripped):
            indent = line[: len(line) - len(line.lstrip())]
            lines[number - 1] = f"{indent}# {line.lstrip()}"
            shown = stripped if len(stripped) <= 60 else stripped[:57] + "..."
            changed.append((number, shown))
            continue
        depth, quote, continued = statements.scan_line(line, depth, quote)
    return "".join(lines), changed


def _ipython_line(stripped: str) -> bool:
    return (
        stripped.startswith("%")
        or (stripped.startswith("!") and not stripped.startswith("!="))
        or bool(_HELP_LINE.fullmatch(stripped))
        or bool(_ASSIGNED_MAGIC.match(stripped))
    )


def _lines(text: str) -> list[str]:
    return statements.lines_of(text)
