"""How much the sandbox costs: sandboxed grading against an in-process pytest run.

    python bench/grading.py [--repeats N]

Both commands grade the reference solutions with the same cases, in fresh interpreters, in
this one run (these machines are noisy, so only a ratio measured side by side means much):

- sandboxed: `python -m grader grade solutions --out <tmp>` (intake, sandbox worker, results);
- in-process (the floor): `pytest grader/cases` with the student modules imported into the
  test process itself, no plugins autoloaded and no cache, as a student's own check runs.

Also grades a failing submission the same way: only activations.py, so most cases fail (the
other modules are missing), which must take no longer than the passing one.

Prints the medians, then `sandboxed/in-process: R` as the last line (target: R <= 1.5, the
sandboxed grade under 1 s on a 2-core machine, and failing/passing <= 1).
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
        failing = Path(scratch) / "only-activations"
        failing.mkdir()
        (failing / "activations.py").write_bytes(
            (ROOT / "solutions" / "activations.py").read_bytes()
        )
        failing_cmd = [*sandboxed_cmd[:4], str(failing), *sandboxed_cmd[5:]]
        floor_cmd = [sys.executable, "-m", "pytest", "grader/cases", "-q", "-p",
                     "no:cacheprovider", "-c", os.devnull, "--rootdir", "grader/cases"]  # fmt: skip
        wall(sandboxed_cmd, env)  # warm the page cache for both
        wall(floor_cmd, floor_env)
        sandboxed, floor, failed = [], [], []
        for _ in range(repeats):  # interleaved, so drift affects both alike
            sandboxed.append(wall(sandboxed_cmd, env))
            floor.append(wall(floor_cmd, floor_env))
            failed.append(wall(failing_cmd, env))
    s, f = statistics.median(sandboxed), statistics.median(floor)
    x = statistics.median(failed)
    print(f"sandboxed grade (median of {repeats}): {s:.3f} s")
    print(f"failing submission, only activations.py (median of {repeats}): {x:.3f} s; "
          f"failing/passing: {x / s:.2f}")  # fmt: skip
    print(f"in-process pytest (median of {repeats}): {f:.3f} s")
    print(f"sandboxed/in-process: {s / f:.2f}")


if __name__ == "__main__":
    main()
