"""The project's own hygiene: Python 3.10 compatibility (Gradescope) and lint, in the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CODE = ["grader", "solutions", "exercises", "tests", "bench"]


VERMIN = shutil.which("vermin", path=str(Path(sys.executable).parent)) or shutil.which("vermin")


@pytest.mark.skipif(VERMIN is None, reason="vermin is in the `test` extra")
def test_everything_runs_on_python_3_10() -> None:
    """Does any file need a Python newer than Gradescope's 3.10?"""
    run = subprocess.run(
        [str(VERMIN), "-t=3.10-", "--no-tips", "--violations", *CODE],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.skipif(find_spec("ruff") is None, reason="ruff is in the `test` extra")
def test_ruff_is_clean() -> None:
    """Does the configured lint pass on every file?"""
    run = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--output-format", "concise", *CODE],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
