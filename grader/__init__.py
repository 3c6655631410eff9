"""A sandboxed grader for numpy exercise sets described by a problems.yaml: grading, CI and
Gradescope results, stubs, notebooks and release bundles.

Nothing here is specific to one set: modules, functions, folders and titles come from the set's
problems.yaml (grader/problems.py); the default is the problems.yaml at the
repository's top.

The library entry point is `grader.grade(submission) -> Results` (grader/grading/pipeline.py). It is
resolved on first use so that `import grader` stays cheap for the commands that do not grade.
"""

from __future__ import annotations

from typing import Any

__all__ = ["__version__", "grade"]
__version__ = "0.1.0"  # the one place: pyproject.toml reads it, results.json reports it


def __getattr__(name: str) -> Any:
    if name == "grade":
        from grader.grading.pipeline import grade

        return grade
    raise AttributeError(f"module 'grader' has no attribute {name!r}")
