"""How much the sandbox costs: sandboxed grading against an in-process pytest run.

    python bench/grading.py [--repeats N]

Both commands grade the reference solutions with the same cases, in fresh interpreters, in
this one run (these machines are noisy, so only a ratio measured side by side means much):

- sandboxed: `python -m grader grade solutions --out <tmp>` (intake, sandbox worker, results);
- in-process (the floor): `pytest grader/cases` with the student modules imported into the
  test process itself, no plugins autoloaded and no cache, as a student's own check runs.

Prints both medians, then `sandboxed/in-process: R` as the last line (target: R <= 1.5, and the
sandboxed grade under 1 s on a 2-core machine).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    repeats = parser.parse_args().repeats
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    floor_env = dict(env, TUTORIAL9_SUBMISSION=str(ROOT / "solutions"))
    with tempfile.TemporaryDirectory() as scratch:
        sandboxed_cmd = [sys.executable, "-m", "grader", "grade", "solutions",
                         "--out", str(Path(scratch) / "results.json")]  # fmt: skip
        floor_cmd = [sys.executable, "-m", "pytest", "grader/cases", "-q", "-p",
                     "no:cacheprovider", "-c", os.devnull, "--rootdir", "grader/cases"]  # fmt: skip
        wall(sandboxed_cmd, env)  # warm the page cache for both
        wall(floor_cmd, floor_env)
        sandboxed, floor = [], []
        for _ in range(repeats):  # interleaved, so drift affects both alike
            sandboxed.append(wall(sandboxed_cmd, env))
            floor.append(wall(floor_cmd, floor_env))
    s, f = statistics.median(sandboxed), statistics.median(floor)
    print(f"sandboxed grade (median of {repeats}): {s:.3f} s")
    print(f"in-process pytest (median of {repeats}): {f:.3f} s")
    print(f"sandboxed/in-process: {s / f:.2f}")


if __name__ == "__main__":
    main()
