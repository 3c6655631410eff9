"""Student code as a program: its top-level statements, each to be run on its own. Parsing only.

Intake (grader/intake/submission.py, grader/intake/cells.py) turns every chosen source into
a program, an
ordered tuple of `Statement`s; the sandbox worker runs them one by one in the module's
namespace and goes on after a failure, so one failing statement (`import matplotlib`, say)
never takes the definitions after it down. Nothing here runs student code.

- A .py file keeps every top-level statement. A file that does not compile is split into
  top-level segments (a segment starts at a column-0 line outside brackets and strings, except
  `else`/`elif`/`except`/`finally` and a `def`/`class` after its decorators); a segment that
  does not compile is reported and skipped, the others are kept.
- A notebook cell keeps only its imports, def, class, assignments, `if` and `try` statements
  (demo calls, prints and loops are dropped; see grader/intake/cells.py).
- Statements that call `get_ipython()` (a notebook exported with nbconvert) are skipped and
  reported: that function exists only inside Jupyter.
- A statement that failed when it ran is worded here (`why_failed`, `failed`), once for the
  grader and the student's own checks (grader/calling/student.py `FailedStatements`).
"""

from __future__ import annotations

import ast
import io
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

_SHOWN = 60  # characters of a statement's first line quoted in messages
_CONTINUATION = re.compile(r"(else|elif|except|finally)\b")
_DEFINITION = re.compile(r"(@|(async\s+)?def\s|class\s|import\s|from\s)")
_NAMED = re.compile(r"(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)|([A-Za-z_]\w*)\s*(?::[^=]*)?=")
_INDENTED = ("", " ", "\t", "\r", "\n", "#", "\x0c")  # first characters of no statement start
_COMPILE_ERRORS = (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError)


@dataclass(frozen=True, slots=True)
class Statement:
    """One top-level statement of a submission, as intake found it.

    A statement with a `failure` was skipped at intake (a syntax error, an IPython line) and
    never runs; the others run in order, each on its own.
    """

    where: str  # for messages: "layers.py, line 12" or "set.ipynb, cell 2, line 1"
    filename: str  # the compile filename, so tracebacks show it: "layers.py", "set.ipynb, cell 2"
    line: int  # line of `filename` on which `text` starts
    text: str  # the exact source text
    names: tuple[str, ...]  # the names it binds at top level (imports, defs, assignments)
    failure: str = ""  # why intake skipped it, a complete message; "" when it runs

    @property
    def runs(self) -> bool:
        return not self.failure

    @property
    def shown(self) -> str:
        """Its first line of code, shortened, for quoting in messages."""
        lines = [line.strip() for line in self.text.splitlines() if line.strip()]
        first = next(
            (line for line in lines if not line.startswith("@")), lines[0] if lines else ""
        )
        return first if len(first) <= _SHOWN else first[: _SHOWN - 3] + "..."


Program = tuple[Statement, ...]
Keep = Callable[[ast.stmt], bool]


def lines_of(text: str) -> list[str]:
    """Split as Python's tokenizer does: at \\n, \\r\\n and \\r only (str.splitlines also splits
    at \\f and other characters), so line numbers match the compiler's."""
    return io.StringIO(text, newline="").readlines()


def compile_problem(text: str, filename: str) -> tuple[int | None, str]:
    """Compile `text` without running it: (error line or None, error message), ("" if fine)."""
    try:
        compile(text, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno, str(exc.msg)
    except (MemoryError, RecursionError):
        return None, "the code is nested too deeply for Python to compile"
    except _COMPILE_ERRORS as exc:
        return None, str(exc)
    return None, ""


def program(
    text: str,
    filename: str,
    keep: Keep | None = None,
    first_line: int = 1,
    compiles: bool = False,
) -> tuple[list[Statement], list[ast.stmt]]:
    """The statements of `text` (a file or a cell), and the statements `keep` dropped.

    Args:
        text: The source; line 1 of `text` is line `first_line` of `filename`.
        filename: The compile filename, also the start of every `where`.
        keep: Which parsed statements to keep (None: all).
        compiles: The caller has compiled `text` without error already.
    """
    statements: list[Statement] = []
    dropped: list[ast.stmt] = []
    problem = "" if compiles else compile_problem(text, filename)[1]
    pieces = [(1, text)] if not problem else _segments(text)
    for start, piece in pieces:
        if problem and compile_problem(piece, filename)[1]:
            found, lost = _unparsed(piece, start, filename, keep, first_line)
            statements += found
            dropped += lost
            continue
        # Only parse what compiled: on 3.10, ast.parse crashes the interpreter on code nested
        # deeper than compile() accepts.
        lines = lines_of(piece)  # once: ast.get_source_segment splits the text per call
        for node in ast.parse(piece).body:
            statement = _statement(lines, node, start + first_line - 2, filename)
            if statement.runs and keep is not None and not keep(node):
                dropped.append(node)  # a get_ipython() call is reported even so
                continue
            statements.append(statement)
    return statements, dropped


def _statement(lines: list[str], node: ast.stmt, offset: int, filename: str) -> Statement:
    """The statement `node` of the text split into `lines` (by `lines_of`), whose line 1 is
    line `offset + 1` of `filename`."""
    decorators = getattr(node, "decorator_list", [])
    first = min([node.lineno] + [d.lineno for d in decorators])
    source = _segment(lines, node)
    if first < node.lineno:  # a decorated definition starts at column 0 on its first decorator
        source = "".join(lines[first - 1 : node.lineno - 1]) + source
    line = first + offset
    where = f"{filename}, line {line}"
    names = tuple(dict.fromkeys(bound_names(node)))
    # The walk only where the name can be (identifiers are NFKC-normalised: non-ASCII may be).
    if ("get_ipython" in source or not source.isascii()) and calls_get_ipython(node):
        statement = Statement(where, filename, line, source, names)
        failure = (
            f"{where}: `{statement.shown}` calls get_ipython(), which exists only inside "
            "Jupyter; it was skipped"
        )
        return Statement(where, filename, line, source, names, failure)
    return Statement(where, filename, line, source, names)


def _segment(lines: list[str], node: ast.stmt) -> str:
    """`ast.get_source_segment` on text already split: columns count UTF-8 bytes."""
    end_line, end_col = node.end_lineno, node.end_col_offset
    if end_line is None or end_col is None:
        return ""
    first = lines[node.lineno - 1].encode()
    if end_line == node.lineno:
        return first[node.col_offset : end_col].decode()
    last = lines[end_line - 1].encode()[:end_col].decode()
    middle = "".join(lines[node.lineno : end_line - 1])
    return first[node.col_offset :].decode() + middle + last


def _unparsed(
    piece: str,
    start: int,
    filename: str,
    keep: Keep | None,
    first: int,
) -> tuple[list[Statement], list[ast.stmt]]:
    """A segment that does not compile: split it further at definitions, report the rest."""
    begins = start + first - 1  # the segment's first line in `filename`
    parts = _split(lines_of(piece), _DEFINITION.match, ignore_brackets=True)
    if len(parts) > 1:  # an unclosed bracket or string must not swallow later definitions
        found: list[Statement] = []
        lost: list[ast.stmt] = []
        for offset, part in parts:
            sub, dropped = program(part, filename, keep, begins + offset - 1)
            found += sub
            lost += dropped
        return found, lost
    line, problem = compile_problem(piece, filename)
    at = begins + line - 1 if line else begins
    place = "there" if at == begins else f"at line {begins}"
    failure = f"{filename}, line {at}: {problem}; the statement starting {place} was skipped"
    where = f"{filename}, line {begins}"
    return [Statement(where, filename, begins, piece, _guessed(piece), failure)], []


def scan_line(line: str, depth: int, quote: str) -> tuple[int, str, bool]:
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


def _segments(text: str) -> list[tuple[int, str]]:
    return _split(lines_of(text), lambda line: not _CONTINUATION.match(line))


def _split(
    lines: Sequence[str],
    starts: Callable[[str], object],
    ignore_brackets: bool = False,
) -> list[tuple[int, str]]:
    """Cut `lines` where a top-level statement starts: [(first line number, text)]."""
    firsts: list[int] = []
    depth, quote, continued, decorating = 0, "", False, False
    for number, line in enumerate(lines, 1):
        top = ignore_brackets or (depth == 0 and not quote and not continued)
        if top and line[:1] not in _INDENTED and starts(line):
            if not decorating:
                firsts.append(number)
            decorating = line.startswith("@")
        if not ignore_brackets:
            depth, quote, continued = scan_line(line, depth, quote)
    if not firsts or any(_is_code(line) for line in lines[: firsts[0] - 1]):
        firsts.insert(0, 1)  # code before the first start is a segment of its own
    firsts[0] = 1  # leading comments and blank lines go with the first statement
    bounds = [*firsts, len(lines) + 1]
    return [(a, "".join(lines[a - 1 : b - 1])) for a, b in zip(bounds, bounds[1:], strict=False)]


def _is_code(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _guessed(piece: str) -> tuple[str, ...]:
    """The name a statement that does not compile was meant to define, if it says."""
    for line in lines_of(piece):
        if line.startswith("@") or not line.strip() or line.startswith("#"):
            continue
        match = _NAMED.match(line)
        return tuple(n for n in (match.group(1) or match.group(2),) if n) if match else ()
    return ()


def bound_names(node: ast.AST) -> list[str]:
    """Names a top-level statement binds in its module (not inside its functions or classes)."""
    names: list[str] = []
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(item.name)
            continue
        if isinstance(item, (ast.Import, ast.ImportFrom)):
            names += [a.asname or a.name.split(".")[0] for a in item.names if a.name != "*"]
            continue
        if isinstance(item, ast.Name) and isinstance(item.ctx, (ast.Store, ast.Del)):
            names.append(item.id)
        elif isinstance(item, ast.ExceptHandler) and item.name:
            names.append(item.name)
        if isinstance(
            item, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
        ):
            continue  # their own scope
        pending += reversed(list(ast.iter_child_nodes(item)))
    return names


def calls_get_ipython(node: ast.AST) -> bool:
    """Whether running the statement calls get_ipython() (not merely defines code that does)."""
    pending = [node]
    while pending:
        item = pending.pop()
        function = item.func if isinstance(item, ast.Call) else None
        if isinstance(function, ast.Name) and function.id == "get_ipython":
            return True
        children = list(ast.iter_child_nodes(item))
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            children = [c for c in children if isinstance(c, ast.expr) and c not in _bodies(item)]
        pending += children
    return False


def _bodies(item: ast.AST) -> list[ast.AST]:
    body = getattr(item, "body", [])
    return body if isinstance(body, list) else [body]


def encode(statements: Program) -> bytes:
    """The program file the sandbox worker runs: its runnable statements, with their index."""
    runnable = [
        {"index": index, "filename": s.filename, "line": s.line, "text": s.text}
        for index, s in enumerate(statements)
        if s.runs
    ]
    return json.dumps({"statements": runnable}, ensure_ascii=True).encode("ascii")


def listing(statements: Program, origin: str) -> bytes:
    """Readable Python holding the runnable statements (the module's __file__ in the sandbox)."""
    parts = [f"# Generated by the grader from {origin}: the statements it runs, one by one.\n"]
    for statement in statements:
        if statement.runs:
            parts.append(f"\n# {statement.where}\n{statement.text.rstrip()}\n")
    return "".join(parts).encode("utf-8", "backslashreplace")


# ------------------------------------------------------------------ statements that failed
# A failure is the runner's report of one statement (grader/runtime/runner.py `run_program`):
# index, type, message and, for an ImportError, the missing module's name. The grader and the
# student's own checks note it with grader/calling/student.py `FailedStatements`.

_MODULE_NAME = re.compile(r"[A-Za-z_][\w.]{0,99}")


class Allowed(Protocol):
    """What a problem set allows student code to import (grader.problems.ProblemSet)."""

    packages: tuple[str, ...]
    allowed: str


def why_failed(
    failure: Mapping[str, Any], problems: Allowed, unavailable: Mapping[str, str]
) -> str:
    """Why a statement failed ("failed: ..."), from the runner's report at import time.

    `unavailable` maps the submission's modules that cannot be imported to the reason.
    """
    kind = str(failure.get("type", ""))[:100]
    message = str(failure.get("message", ""))[:300]
    missing = str(failure.get("missing", ""))
    top = missing.split(".")[0]
    if kind in ("ImportError", "ModuleNotFoundError") and _MODULE_NAME.fullmatch(missing):
        if top in unavailable:
            return f"failed: {top} could not be imported ({unavailable[top]})"
        if top not in problems.packages and top not in sys.stdlib_module_names:
            verb = "are" if problems.packages else "is"
            return (
                f"failed: {top} is not available where grading happens "
                f"(only {problems.allowed} {verb})"
            )
    return f"failed: {kind}: {message}" if message else f"failed: {kind}"


def failed(statement: Statement, origin: str, why: str) -> tuple[str, str]:
    """(what failed, the message reported once) for a statement of the file `origin`."""
    failed_how = f"{statement.where}: `{statement.shown}` {why}"
    rest = "the notebook" if origin.lower().endswith(".ipynb") else origin
    return failed_how, f"{failed_how}; the rest of {rest} was graded"
