"""Batch throughput: how many submissions per second `python -m grader batch` grades.

    python bench/batch.py [-n 20] [--jobs J]     # N copies of the reference solutions
    python bench/batch.py --mix [--jobs J]       # a realistic class, most failing some cases

`--mix` is a class built from this project's realistic submissions: the correct styles of
tests/corpus/correct (folders, a notebook, a zip), every single mistake of
tests/corpus/mistakes.yaml, every mutant of tests/test_mutants.py, a submission that raises
everywhere, the untouched stubs, and a few with files missing.

Runs the real command line, `python -m grader batch <folder> --out <tmp> --jobs J` (default
J: the CPU count), in a fresh interpreter and times it whole: start-up, the warm-up, the forked
workers, the report. Then the in-process floor of the same work, also in a fresh interpreter
with J forked workers: the same intake, the same cases run the same way (grader/grading/plugin.py
`run_case`) against the same code imported into the process itself, no sandbox. The score of
each reference copy must be full marks, and in the mix each correct style's must be and no
other's, or the figure means nothing and the run fails.

Prints the sandbox level, both wall times, their ratio and the CPU time used, then
`submissions/s: X` as the last line (target: X >= 10 on a 2-core machine, full sandbox).
Other processes on the machine slow both runs alike: compare the ratio, and read `uptime`.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the grader, also where it is not installed
from grader.problems import DEFAULT_PATH, load  # noqa: E402  (after the path is set)

MODULES = load(DEFAULT_PATH).modules  # the tutorial's, whose corpus builds the class
FULL = 19.0
# Single-threaded BLAS, as in the sandbox worker: otherwise the floor's idle BLAS threads spin.
FLOOR_ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="copies of the references (default 20)")
    parser.add_argument("--mix", action="store_true", help="grade a realistic class instead")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)  # the floor's own process
    args = parser.parse_args()
    if args.floor is not None:
        return floor(args.floor, args.jobs)
    with tempfile.TemporaryDirectory(prefix="tutorial9-bench-") as folder:
        submissions, out = Path(folder) / "class", Path(folder) / "grades"
        submissions.mkdir()
        described = mixed_class(submissions) if args.mix else copies(submissions, args.n)
        count = len(list(submissions.iterdir()))
        command = [sys.executable, "-m", "grader", "batch", str(submissions), "--out", str(out),
                   "--jobs", str(args.jobs), "--no-progress"]  # fmt: skip
        seconds, cpu, _ = timed(command)
        with open(out / "grades.csv", newline="", encoding="utf-8") as stream:
            scores = {row["submission"]: float(row["total"]) for row in csv.DictReader(stream)}
        check(scores, count, args.mix)
        level = _sandbox_level(out)
        floor_seconds, floor_cpu, report = timed(
            [sys.executable, __file__, "--floor", str(submissions), "--jobs", str(args.jobs)],
            env=FLOOR_ENV,
        )
        floor_scores = json.loads(report)
    failing = sum(score < FULL for score in scores.values())
    print(f"class: {count} submissions ({described}); {failing} fail some case")
    print(f"sandboxed: python -m grader batch --jobs {args.jobs} on {os.cpu_count()} CPUs, "
          f"sandbox level {level}: wall {seconds:.2f} s ({seconds / count * 1000:.0f} ms per "
          f"submission), CPU {cpu:.2f} s")  # fmt: skip
    print(f"in-process floor (same intake, cases and code, no sandbox), {args.jobs} workers: "
          f"wall {floor_seconds:.2f} s ({floor_seconds / count * 1000:.0f} ms per submission), "
          f"CPU {floor_cpu:.2f} s; {sum(s < FULL for s in floor_scores.values())} fail some "
          "case (contracts are checked in the sandbox only)")  # fmt: skip
    print(f"sandboxed/floor: wall {seconds / floor_seconds:.2f}, CPU {cpu / floor_cpu:.2f}")
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"submissions/s: {count / seconds:.2f}")


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of the reaped process tree) and stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, done.stdout


def check(scores: dict[str, float], count: int, mix: bool) -> None:
    """Fail the run unless every submission was graded as it must be."""
    if len(scores) != count:
        sys.exit(f"graded {len(scores)} of {count} submissions")
    for name, score in sorted(scores.items()):
        must_pass = name.startswith("correct-") or not mix
        if must_pass != (score == FULL):
            sys.exit(f"{name} scored {score:g} of {FULL:g}: the figure would mean nothing")


# -------------------------------------------------------------------------------- The classes


def copies(folder: Path, n: int) -> str:
    for i in range(n):
        student = folder / f"student{i:03d}"
        student.mkdir()
        for module in MODULES:
            shutil.copy(ROOT / "solutions" / f"{module}.py", student)
    return f"{n} copies of the references"


def mixed_class(folder: Path) -> str:
    """Write the realistic class into `folder`; return what it holds."""
    sys.path.insert(0, str(ROOT))
    from tests.test_corpus import CORPUS, MISTAKES, STYLES, replace_definition, submit
    from tests.test_mutants import MUTANTS, _apply

    for style in STYLES:
        with tempfile.TemporaryDirectory() as scratch:
            made = submit(style, Path(scratch))
            made.rename(folder / f"correct-{made.name}")
    for mistake in MISTAKES:
        with tempfile.TemporaryDirectory() as scratch:
            made = submit(mistake.style, Path(scratch))
            path = made / f"{mistake.module}.py"
            path.write_text(replace_definition(path.read_text(encoding="utf-8"), mistake.source))
            made.rename(folder / f"mistake-{mistake.name}")
    for param in MUTANTS:
        (mutant,) = param.values
        (folder / f"mutant-{mutant.name}").mkdir()
        _apply(mutant, folder / f"mutant-{mutant.name}")
    shutil.copytree(CORPUS / "mistakes" / "always_raises", folder / "raises-everywhere")
    partial = {
        "stubs-untouched": {m: ROOT / "exercises" for m in MODULES},
        "forgot-rnn": {m: ROOT / "solutions" for m in MODULES if m != "rnn"},
        "only-activations": {"activations": ROOT / "solutions"},
        "stubs-but-conv": {m: ROOT / ("exercises", "solutions")[m == "conv"] for m in MODULES},
    }
    for name, sources in partial.items():
        (folder / name).mkdir()
        for module, source in sources.items():
            shutil.copy(source / f"{module}.py", folder / name)
    return (
        f"{len(STYLES)} correct styles, {len(MISTAKES)} single mistakes, {len(MUTANTS)} "
        f"mutants, 1 raising everywhere, {len(partial)} unfinished or incomplete"
    )


def _sandbox_level(out: Path) -> str:
    levels = set()
    for path in (out / "results").glob("*.json"):
        levels.add(json.loads(path.read_text())["extra_data"]["sandbox"]["level"])
    return ", ".join(sorted(levels))


# --------------------------------------------------------------------------------- The floor


def floor(folder: Path, jobs: int) -> None:
    """Grade `folder` in-process in `jobs` forked workers; print {submission: total} as JSON."""
    import multiprocessing

    from grader.grading import plugin
    from grader.intake import discovery

    problems = load(DEFAULT_PATH)
    entries, _ = discovery.discover(folder)
    _grade_in_process(ROOT / "solutions", problems)  # imports, collects, primes the references
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs) as pool:
        totals = pool.starmap(_grade_in_process, [(e.path, problems) for e in entries])
    assert plugin.collect(problems.cases_dir, problems).direct
    print(json.dumps({e.name: t for e, t in zip(entries, totals, strict=True)}))


def _grade_in_process(path: Path, problems: object) -> float:
    """The submission's total, its cases run against its code imported into this process."""
    from grader.calling.failures import Unavailable
    from grader.grading import plugin
    from grader.intake.submission import read_submission
    from grader.results.scoring import score

    intake = read_submission(Path(path), MODULES)
    modules = {}
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for name in intake.sources:
            module = type(sys)(name)
            module.__file__ = str(Path(path) / f"{name}.py")
            sys.modules[name] = modules[name] = module
        for name, source in intake.sources.items():
            for statement in source.program:
                if statement.runs:
                    with contextlib.suppress(Exception):
                        code = compile(
                            "\n" * (statement.line - 1) + statement.text, statement.filename, "exec"
                        )
                        exec(code, modules[name].__dict__)  # noqa: S102  (the corpus: trusted)

    class Module:
        def __init__(self, name: str) -> None:
            self.name = name

        def __getattr__(self, attribute: str) -> object:
            if self.name not in modules or not hasattr(modules[self.name], attribute):
                raise Unavailable(f"{self.name}.py defines no {attribute}")
            return getattr(modules[self.name], attribute)

    class Student:
        def __getattr__(self, name: str) -> Module:
            return Module(name)

    def student(problem: object) -> tuple[Student, list[str]]:
        return Student(), []

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            outcomes = [
                plugin.run_case(case, problems, student)  # type: ignore[arg-type]
                for case in plugin.collect(problems.cases_dir, problems).cases  # type: ignore[attr-defined]
            ]
    finally:
        for name in modules:
            sys.modules.pop(name, None)
    return round(sum(p.score for p in score(problems, outcomes)), 4)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
