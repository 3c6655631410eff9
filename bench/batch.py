"""Batch throughput: how many submissions per second `python -m grader batch` grades.

    python bench/batch.py [-n 20] [--jobs J]

Copies the reference solutions into N submission folders, then runs the real command line,
`python -m grader batch <folder> --out <tmp> --jobs J` (default J: the CPU count), in a fresh
interpreter and times it whole: start-up, the warm-up grade, the forked workers, the report.
Every submission must score full marks, or the figure means nothing and the run fails.

Prints the sandbox level, the wall time and the per-submission time, then
`submissions/s: X` as the last line (target: X >= 10 on a 2-core machine, full sandbox).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ("conv", "shapes", "rnn_types", "activations", "rnn")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="submissions to grade (default 20)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tutorial9-bench-") as folder:
        submissions, out = Path(folder) / "class", Path(folder) / "grades"
        for i in range(args.n):
            student = submissions / f"student{i:03d}"
            student.mkdir(parents=True)
            for module in MODULES:
                shutil.copy(ROOT / "solutions" / f"{module}.py", student)
        command = [sys.executable, "-m", "grader", "batch", str(submissions), "--out", str(out),
                   "--jobs", str(args.jobs), "--no-progress"]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        with open(out / "grades.csv", newline="", encoding="utf-8") as stream:
            totals = [row["total"] for row in csv.DictReader(stream)]
        if len(totals) != args.n or set(totals) != {"19"}:
            sys.exit(f"not every copy of the references scored 19: {sorted(set(totals))}")
        level = _sandbox_level(out)
    print(f"graded {args.n} copies of the references with --jobs {args.jobs} "
          f"on {os.cpu_count()} CPUs; sandbox level: {level}")  # fmt: skip
    print(f"wall time {seconds:.2f} s, {seconds / args.n * 1000:.0f} ms per submission")
    print(f"submissions/s: {args.n / seconds:.2f}")


def _sandbox_level(out: Path) -> str:
    import json

    levels = set()
    for path in (out / "results").glob("*.json"):
        levels.add(json.loads(path.read_text())["extra_data"]["sandbox"]["level"])
    return ", ".join(sorted(levels))


if __name__ == "__main__":
    main()
