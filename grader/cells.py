"""Notebook code cells to one importable module, and compile checks: parsing only, no running.

Used by intake (grader/submission.py) before any student code runs. From each code cell of an
nbformat 4 notebook, IPython syntax (magics, shell and help lines, `get_ipython()` lines, `%%`
cells) is commented out, a cell that does not compile is skipped, and only its top-level imports,
def, class and assignments are kept, verbatim and at their own line numbers. The module built
from them runs each cell on its own, so that one failing cell does not stop the others.
"""

from __future__ import annotations

import ast
import io
import json
import re
from collections.abc import Sequence


class NotebookError(ValueError):
    """The notebook cannot be read; the message completes "could not read <name>: ..."."""


_HELP_LINE = re.compile(r"\?{1,2}\s*[A-Za-z_][\w.*]*|[A-Za-z_][\w.*]*\s*\?{1,2}")
_ASSIGNED_MAGIC = re.compile(r"[A-Za-z_][\w.]*(\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[%!]")
_GET_IPYTHON = re.compile(r"([A-Za-z_][\w.]*\s*=\s*)?get_ipython\s*\(")
_KEPT_STATEMENTS = (
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Assign,
    ast.AnnAssign,
    ast.AugAssign,
)
_COMPILE_ERRORS = (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError)
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
        hint = "; save the file as UTF-8" if "codec can't decode" in str(exc.msg) else ""
        return f"{where}: {exc.msg}{hint}"
    except (MemoryError, RecursionError):
        return f"{origin}: the code is nested too deeply for Python to compile"
    except _COMPILE_ERRORS as exc:
        return f"{origin}: {exc}"
    return ""


def module_from_cells(sources: Sequence[str], origin: str) -> tuple[bytes, str, list[str]]:
    """The module built from a notebook's code cells: (code, error or "", notes for students)."""
    notes: list[str] = []
    kept: list[tuple[str, str, str]] = []
    with_other_code: list[str] = []
    for number, text in enumerate(sources, 1):
        name = f"{origin}, code cell {number}"
        text, neutralised = neutralise(text)
        if neutralised:
            notes.append(f"{name}: IPython syntax commented out, not run: {neutralised}")
        error = compile_error(text, name)
        if error:
            notes.append(f"{error}; this cell was skipped")
            continue
        # Only parse what compiled: on 3.10, ast.parse crashes the interpreter on code nested
        # deeper than compile() accepts.
        code, dropped = definitions(text, ast.parse(text))
        if dropped:
            with_other_code.append(str(number))
        if code.strip():
            kept.append((name, text, code))
    if with_other_code:
        notes.append(
            f"{origin}: only imports, def, class and assignments are taken from "
            "code cells; other top-level code (calls, prints, loops, if/with/try "
            f"blocks) was not run in code cells {', '.join(with_other_code)}"
        )
    if not kept:
        reason = f"{origin} has no usable code (no imports, definitions or assignments)"
        return b"", reason, notes
    code = cell_runner(origin, kept)
    error = compile_error(code, origin)
    return code, error, notes


def code_cells(raw: bytes) -> list[str]:
    """The source of every code cell of an nbformat 4 notebook."""
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
        sources.append(source)
    return sources


def neutralise(text: str) -> tuple[str, str]:
    """Comment out IPython-only lines; return the new text (same lines) and what changed."""
    lines = _lines(text)
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        return "".join(f"# {line}" for line in lines), f"a {first.split()[0]} cell"
    changed: list[str] = []
    depth, quote, continued = 0, "", False
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if depth == 0 and not quote and not continued and _ipython_line(stripped):
            indent = line[: len(line) - len(line.lstrip())]
            lines[number - 1] = f"{indent}# {line.lstrip()}"
            shown = stripped if len(stripped) <= 60 else stripped[:57] + "..."
            changed.append(f"line {number} `{shown}`")
            continue
        depth, quote, continued = _scan_line(line, depth, quote)
    return "".join(lines), ", ".join(changed)


def _ipython_line(stripped: str) -> bool:
    return (
        stripped.startswith("%")
        or (stripped.startswith("!") and not stripped.startswith("!="))
        or bool(_HELP_LINE.fullmatch(stripped))
        or bool(_ASSIGNED_MAGIC.match(stripped))
        or bool(_GET_IPYTHON.match(stripped))
    )


def _scan_line(line: str, depth: int, quote: str) -> tuple[int, str, bool]:
    """Track brackets and strings so that only lines starting a statement count as magics.

    Returns the bracket depth, the open string delimiter ("" if none) and whether the line ends
    with a backslash continuation, after `line`.
    """
    body = line.rstrip("\r\n")
    i = 0
    while i < len(body):
        char = body[i]
        if quote:
            if char == "\\":
                i += 2
            elif body.startswith(quote, i):
                i += len(quote)
                quote = ""
            else:
                i += 1
            continue
        if char == "#":
            return depth, "", False
        if char in "\"'":
            quote = body[i : i + 3] if body[i : i + 3] in ('"""', "'''") else char
            i += len(quote)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        i += 1
    continued = body.endswith("\\")
    if len(quote) == 1 and not continued:
        quote = ""  # an unterminated one-line string is a syntax error: start afresh
    return depth, quote, continued and not quote


def _lines(text: str) -> list[str]:
    # Split as Python's tokenizer does: at \n, \r\n and \r only (str.splitlines also splits
    # at \f and other characters), so line numbers match the compiler's.
    return io.StringIO(text, newline="").readlines()


def definitions(text: str, tree: ast.Module) -> tuple[str, bool]:
    """Keep top-level imports, def, class and assignments verbatim, on their own line numbers.

    Returns the kept code and whether any other statement was dropped.
    """
    lines = _lines(text)
    out = [""] * len(lines)
    dropped = False
    for node in tree.body:
        if not isinstance(node, _KEPT_STATEMENTS):
            dropped = True
            continue
        end = node.end_lineno or node.lineno
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            segment = lines[first - 1 : end]  # compound statements own whole lines
        else:
            first = node.lineno
            segment = _lines(ast.get_source_segment(text, node) or "")
        for offset, piece in enumerate(segment):
            piece = piece.rstrip("\r\n")
            index = first - 1 + offset
            # Two kept statements can share a line ("a = 1; b = 2").
            out[index] = f"{out[index]}; {piece}" if offset == 0 and out[index] else piece
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n" if out else "", dropped


_RUNNER = """\
# Generated by the grader from {origin}: the imports, definitions and assignments of each code
# cell, run cell by cell so that an error in one cell does not stop the others.


def _grader_run_cells(namespace, cells):
    # Cells run in this module's namespace, so use nothing a cell could rebind.
    import builtins
    import linecache
    import sys
    import traceback

    for name, lines, code in cells:
        # Tracebacks then show the student's own lines.
        linecache.cache[name] = (0, None, lines, name)
        try:
            builtins.exec(builtins.compile(code, name, "exec"), namespace)
        except builtins.Exception:
            kind, error, trace = sys.exc_info()
            builtins.print(f"{{name}} failed; its later definitions are missing:",
                           file=sys.stderr)
            traceback.print_exception(kind, error, trace.tb_next, file=sys.stderr)
    namespace.pop("_grader_run_cells", None)


_grader_run_cells(globals(), [
{cells}])
"""


def cell_runner(origin: str, cells: Sequence[tuple[str, str, str]]) -> bytes:
    # ascii() literals keep the module pure ASCII whatever the notebook holds.
    listed = "".join(
        f"    ({ascii(name)}, {ascii(_lines(text))}, {ascii(code)}),\n"
        for name, text, code in cells
    )
    return _RUNNER.format(origin=ascii(origin)[1:-1], cells=listed).encode("ascii")
