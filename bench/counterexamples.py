"""How often a lost point comes with a `Try:` line that reproduces it when pasted.

    python bench/counterexamples.py [--limit N]

Grades every realistic mistake (tests/corpus/mistakes.yaml) and every mutant (tests/test_mutants.py)
through the real grader, sandbox included. For each failed case that loses points on values,
shapes, dtypes, raising or a changed input (the failures a public example can show: not an
unfinished function, a timeout or a crash), it looks for the `Try:` line in the feedback, then
pastes that line into a fresh Python process started beside the student's modules (as intake
reads them, so a notebook's code too), the way a student would paste it into their notebook
(`import numpy as np`, the function imported from its module, the call evaluated), and checks
that the result differs from the reference's on the same call, by the grader's own rules
(grader/checking/examples.py `differs`).

Prints one line per case without a reproducing line, then the figure as the last line:
`reproducing Try: lines: R of F failed cases (P%)`.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from grader.checking import examples  # noqa: E402
from grader.grading.pipeline import grade  # noqa: E402
from grader.intake.submission import read_submission  # noqa: E402
from grader.problems import load  # noqa: E402

TRY = re.compile(r"^Try: (.+?)  -> expected ", re.M)
# What a small example cannot show: the grader's own words for code that never gave a value.
UNEXPLAINABLE = (
    "is not implemented yet",
    "CPU time",
    "did not return within",
    "crashed",
    "not run:",
    "could not be imported",
    "defines no",
    "no such module",
    "the grader could not run this case",
)

# Targets that are functions: a constant such as TASK_TYPES has no call to show, and showing
# its expected value would give away the problem's answer.
CALLABLE = {
    target
    for target in load().targets
    if callable(
        getattr(
            __import__(f"solutions.{target.split('.')[0]}", fromlist=["_"]),
            target.split(".")[1],
        )
    )
}

PASTE = """
import ast, copy, json, sys
import numpy as np
sys.path.insert(0, ".")
from {module} import {function}
call = {call!r}
scope = {{"np": np, "numpy": np, {function!r}: {function}}}
# The line as pasted; its arguments bound to names first, as a student checking whether the
# call changed or returned its input would write it (`x = ...; relu(x); x`).
node = ast.parse(call, mode="eval").body
args = [eval(ast.unparse(a), scope) for a in node.args]
kwargs = {{k.arg: eval(ast.unparse(k.value), scope) for k in node.keywords}}
before = copy.deepcopy((args, kwargs))


def arrays(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from arrays(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from arrays(item)


def same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def plain(value):
    if isinstance(value, np.ndarray):
        return {{"array": value.tolist(), "dtype": value.dtype.str}}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {{"dict": [[k, plain(v)] for k, v in value.items()]}}
    return value


try:
    value = eval(call, scope)  # the line exactly as pasted
    result = {function}(*args, **kwargs)  # and again on the bound arguments
    changed = not same(before, (args, kwargs))
    shared = any(
        np.shares_memory(r, a) for r in arrays(result) for a in arrays((args, kwargs))
    )
    print(json.dumps({{"value": plain(value), "changed": changed, "shared": shared}}))
except Exception as exc:
    print(json.dumps({{"raised": type(exc).__name__}}))
"""


def unplain(value: object) -> object:
    """The value the pasted line printed, as the grader would receive it."""
    if isinstance(value, dict) and "array" in value:
        return np.array(value["array"], dtype=value["dtype"])
    if isinstance(value, dict) and "dict" in value:
        return {k: unplain(v) for k, v in value["dict"]}
    if isinstance(value, list):
        return [unplain(v) for v in value]
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="grade at most N submissions")
    args = parser.parse_args()
    problems = load()
    with tempfile.TemporaryDirectory() as scratch:
        folders = build(Path(scratch))
        if args.limit:
            folders = folders[: args.limit]
        failed = reproduced = constants = 0
        for folder in folders:
            results = grade(folder, problems)
            for test in results.tests:
                outcome = test.outcome
                if outcome.passed:
                    continue
                # The grader's own classification, checked against the wording of its failure:
                # a disagreement would hide a lost point from this measure, so it is shown.
                unexplainable = any(u in outcome.message for u in UNEXPLAINABLE)
                if unexplainable == outcome.explainable:
                    print(f"{folder.name} '{outcome.name}': explainable={outcome.explainable}")
                if unexplainable and not outcome.explainable:
                    continue
                if not any(t in CALLABLE for t in outcome.targets):
                    constants += 1  # a wrong constant (TASK_TYPES): its example is the answer
                    continue
                failed += 1
                found = TRY.search(outcome.message)
                problem = problems.problem(outcome.problem)
                if found and reproduces(folder, problem, found.group(1), problems):
                    reproduced += 1
                else:
                    why = "no Try: line" if not found else f"does not reproduce: {found.group(1)}"
                    print(f"{folder.name} {outcome.problem} '{outcome.name}': {why}")
    print(f"not counted: {constants} failed cases of constants (no call to show)")
    share = 100.0 * reproduced / failed if failed else 100.0
    print(f"reproducing Try: lines: {reproduced} of {failed} failed cases ({share:.0f}%)")


def reproduces(submission: Path, problem: object, call: str, problems: object) -> bool:
    """Whether pasting `call` next to the student's modules gives something the reference
    does not (by the grader's rules)."""
    example = examples.parse(call)
    (target,) = [t for t in problem.targets if t.endswith("." + example.function)]
    module = target.split(".")[0]
    script = PASTE.format(module=module, function=example.function, call=call)
    with tempfile.TemporaryDirectory() as modules:
        for name, source in read_submission(submission, problems.modules).sources.items():
            (Path(modules) / f"{name}.py").write_bytes(source.code)
        return _differs(modules, script, module, example, problem, problems)


def _differs(
    folder: str, script: str, module: str, example: examples.Example, problem, problems
) -> bool:
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    if run.returncode != 0 or not run.stdout.strip():
        return False
    theirs = json.loads(run.stdout.strip().splitlines()[-1])
    reference = __import__(f"{problems.solutions_package}.{module}", fromlist=[module])
    expected = examples_result(getattr(reference, example.function), example)
    if theirs.get("changed") or theirs.get("shared"):  # the reference never does either
        return True
    got = (
        examples.Result(raised=theirs["raised"])
        if "raised" in theirs
        else examples.Result(unplain(theirs["value"]))
    )
    limits = problem.limits
    return examples.differs(expected, got, rtol=limits.rtol, atol=limits.atol)


def examples_result(function: object, example: examples.Example) -> examples.Result:
    args, kwargs = example.arguments()
    try:
        return examples.Result(function(*args, **kwargs))
    except Exception as exc:  # noqa: BLE001
        return examples.Result(raised=type(exc).__name__)


def build(folder: Path) -> list[Path]:
    """The realistic mistakes and the mutants, one folder each."""
    from tests.test_corpus import MISTAKES, replace_definition, submit
    from tests.test_mutants import MUTANTS, _apply

    made = []
    for mistake in MISTAKES:
        with tempfile.TemporaryDirectory() as scratch:
            copy = submit(mistake.style, Path(scratch))
            path = copy / f"{mistake.module}.py"
            path.write_text(replace_definition(path.read_text(encoding="utf-8"), mistake.source))
            made.append(Path(copy.rename(folder / f"mistake-{mistake.name}{copy.suffix}")))
    for param in MUTANTS:
        (mutant,) = param.values
        target = folder / f"mutant-{mutant.name}"
        target.mkdir()
        _apply(mutant, target)
        made.append(target)
    return made


if __name__ == "__main__":
    main()
