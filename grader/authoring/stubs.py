"""Generate the student stubs in exercises/ from the reference solutions.

A reference module marks its answers with full-line comments::

    def double(x):
        \"\"\"...\"\"\"
        # BEGIN SOLUTION
        return 2 * x
        # END SOLUTION

In the stub, a region inside a function becomes ``raise NotImplementedError(...)`` naming the
problem that grades the function; a region at module level (private helpers) disappears; a
region holding ``# STUB: <code>`` lines becomes those lines. Everything outside the regions
(signatures, type hints, docstrings) is copied verbatim, so stubs and references cannot drift.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from grader.problems import ProblemSet

ROOT = Path(__file__).resolve().parents[2]

_BEGIN = re.compile(r"^(\s*)# BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*# END SOLUTION\s*$")
_STUB = re.compile(r"^\s*# STUB: (.*)$")


class MarkerError(ValueError):
    """A solution file's markers are unbalanced or misplaced."""


def stub_source(source: str, module: str, problems: ProblemSet) -> str:
    """The stub text for one reference module's source."""
    owners = _enclosing_functions(source)
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    region: list[str] | None = None
    indent = ""
    begin_line = 0
    for number, line in enumerate(lines, start=1):
        begin = _BEGIN.match(line)
        if begin:
            if region is not None:
                raise MarkerError(f"{module}.py:{number}: nested BEGIN SOLUTION")
            region, indent, begin_line = [], begin.group(1), number
        elif _END.match(line):
            if region is None:
                raise MarkerError(f"{module}.py:{number}: END SOLUTION without BEGIN")
            out.extend(_replacement(region, indent, owners.get(begin_line), module, problems))
            region = None
        elif region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise MarkerError(f"{module}.py:{begin_line}: BEGIN SOLUTION without END")
    return "".join(out)


def solution_lines(source: str) -> list[str]:
    """The stripped code lines inside solution regions (what students must never receive)."""
    lines, inside = [], False
    for line in source.splitlines():
        if _BEGIN.match(line) or _END.match(line):
            inside = bool(_BEGIN.match(line))
        elif inside and line.strip() and not line.strip().startswith("#"):
            lines.append(line.strip())
    return lines


def _replacement(
    region: list[str], indent: str, function: str | None, module: str, problems: ProblemSet
) -> list[str]:
    stubs = [m.group(1) for m in map(_STUB.match, region) if m]
    if stubs:
        return [f"{indent}{code}\n" for code in stubs]
    if function is None:
        if indent:
            raise MarkerError(
                f"{module}.py: an indented region outside a function needs STUB lines"
            )
        return []
    problem = problems.first_problem_of(f"{module}.{function}")
    message = f"Problem {problem.id}: implement {function} in {module}.py"
    return [f'{indent}raise NotImplementedError("{message}")\n']


def _enclosing_functions(source: str) -> dict[int, str]:
    """Map each line inside a top-level public function to that function's name."""
    owners: dict[int, str] = {}
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise MarkerError(f"line {exc.lineno}: not valid Python: {exc.msg}") from None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                owners[line] = node.name
    return owners


def render_all(problems: ProblemSet) -> dict[str, str]:
    """Stub text of every student module, keyed by file name, from the set's references."""
    return {
        f"{module}.py": stub_source(
            (problems.solutions_dir / f"{module}.py").read_text(encoding="utf-8"), module, problems
        )
        for module in problems.modules
    }


def write_all(problems: ProblemSet) -> list[Path]:
    """Regenerate the stubs in the set's exercises folder; returns the files written."""
    exercises = problems.exercises_dir
    exercises.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_all(problems).items():
        path = exercises / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
