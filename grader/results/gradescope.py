"""Results to Gradescope's results.json: the only module that knows Gradescope's keys.

`render` is pure. `write` is the one side effect, through `formats.write`: a temporary file in
the target directory, then an atomic rename, so a reader never sees a half-written file and a
planted symlink at the target is replaced rather than followed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.results import formats
from grader.results.scoring import Results

_MAX_OUTPUT = 8000  # characters of one test's output


def render(results: Results) -> dict[str, Any]:
    """The results.json document (keys of the Gradescope specification only)."""
    tests = []
    for test in results.tests:
        outcome = test.outcome
        output = outcome.message if not outcome.passed else ""
        if not outcome.visible:
            output = f"(hidden case) {output}".strip()
        tests.append(
            {
                "name": outcome.name,
                "number": test.number,
                "score": test.score,
                "max_score": test.max_score,
                "status": "passed" if outcome.passed else "failed",
                "output": output[:_MAX_OUTPUT],
                "visibility": "visible",
                "tags": list(outcome.targets),
            }
        )
    return {
        "score": results.score,
        "execution_time": round(results.execution_time, 3),
        "output": summary(results),
        "tests": tests,
        "extra_data": results.extra,
    }


def fallback(reason: str) -> dict[str, Any]:
    """A valid document for when grading itself failed: nobody is left without results."""
    return {
        "score": 0.0,
        "output": f"The grader could not grade this submission: {reason}. "
        "This is not your fault; please tell the course staff.",
        "tests": [],
        "extra_data": {"grader_error": reason},
    }


def summary(results: Results) -> str:
    """The top-level text: score, problems graded by hand, and intake messages."""
    lines = [f"Auto-graded score: {results.score:g} / {results.max_score:g}."]
    if results.written:
        ids = ", ".join(p.id for p in results.written)
        lines.append(f"Written problems are graded by hand, not here: {ids}.")
    lines += list(results.messages)
    if results.grader_errors:
        lines.append("Some cases could not be run by the grader; the course staff will check.")
    return "\n".join(lines)


def write(document: dict[str, Any], path: Path) -> None:
    """Write `document` as strict JSON to `path` atomically."""
    formats.write(json.dumps(document, indent=2, allow_nan=False) + "\n", path)
