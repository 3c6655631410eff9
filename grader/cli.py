"""The command line: parses arguments and calls the library. The only module that knows all.

    python -m grader grade SUBMISSION --out results.json
    python -m grader stubs        # regenerate exercises/*.py from solutions/
    python -m grader notebook     # regenerate exercises/tutorial9.ipynb
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from grader import gradescope, notebook, stubs
from grader.problems import DEFAULT_PATH, ProblemsError, load
from grader.scoring import Results


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        problems = load(args.problems)
    except ProblemsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if args.command == "grade":
            gradescope.write(gradescope.fallback(f"problems file: {exc}"), args.out)
        return 2
    if args.command == "stubs":
        for path in stubs.write_all(problems):
            print(f"wrote {path}")
        return 0
    if args.command == "notebook":
        text = notebook.render(problems, stubs.render_all(problems))
        target = stubs.EXERCISES / notebook.NOTEBOOK_NAME
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
        return 0
    return _grade(args, problems)


def _grade(args: argparse.Namespace, problems) -> int:  # noqa: ANN001
    if not Path(args.submission).exists():
        print(f"error: no such submission: {args.submission}", file=sys.stderr)
        gradescope.write(gradescope.fallback("the submission path does not exist"), args.out)
        return 2
    # Imported here so that `stubs` and `notebook` do not pay for numpy and the sandbox.
    from grader.grading import grade

    try:
        results = grade(args.submission, problems)
    except Exception as exc:  # noqa: BLE001  (a grader fault must still leave a results file)
        traceback.print_exc()
        gradescope.write(gradescope.fallback(f"{type(exc).__name__}: {exc}"), args.out)
        return 3
    gradescope.write(gradescope.render(results), args.out)
    print(table(results))
    print(f"wrote {args.out}")
    sandbox = results.extra.get("sandbox", {})
    if sandbox.get("level") != "full":
        notes = "; ".join(sandbox.get("notes", []))
        print(f"warning: sandbox level {sandbox.get('level')!r}: {notes}", file=sys.stderr)
    for error in results.grader_errors:
        print(f"warning: grader error in {error}", file=sys.stderr)
    return 0


def table(results: Results) -> str:
    """A short human table: problem, score, max, one-line reason."""
    rows = [("problem", "score", "max", "")]
    rows += [
        (p.problem.id, f"{p.score:g}", f"{p.max_score:g}", p.reason[:70]) for p in results.problems
    ]
    rows.append(("total", f"{results.score:g}", f"{results.max_score:g}",
                 f"{results.execution_time:.2f} s"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [
        f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:>{widths[2]}}  {d}".rstrip() for a, b, c, d in rows
    ]
    lines.insert(1, "-" * max(len(line) for line in lines))
    if results.written:
        lines.append("graded by hand: " + ", ".join(p.id for p in results.written))
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=Path, default=DEFAULT_PATH, help="problems.yaml")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade one submission")
    grade.add_argument("submission", help="a folder, .py, .ipynb or .zip")
    grade.add_argument("--out", type=Path, default=Path("results.json"), help="results.json path")
    commands.add_parser("stubs", help="regenerate exercises/*.py from solutions/")
    commands.add_parser("notebook", help="regenerate exercises/tutorial9.ipynb")
    return parser
