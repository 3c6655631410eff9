"""Mutation tests of the grading cases: realistic student mistakes must be caught, and only there.

Each mutant is the reference solutions with one textual change that mirrors a common mistake.
The grading cases run against it in a subprocess (in-process fixtures, junit report); the
mutated problem(s) must lose at least one hidden case, the failure must carry the matching
misconception hint, and every other problem must still pass in full.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str  # the solutions module mutated
    edits: tuple[tuple[str, str], ...]  # (old, new) replacements, each applying exactly once
    problems: frozenset[str]  # the problems whose cases must catch it
    hint: str  # a substring of the misconception hint a failing case must give


def _mutant(name: str, module: str, edits, problems, hint: str):
    return pytest.param(Mutant(name, module, tuple(edits), frozenset(problems), hint), id=name)


MUTANTS = [
    _mutant(
        "flip-kernel",
        "conv",
        [(
            "weights = kernels.reshape(out_channels, -1).T",
            "weights = kernels[:, ::-1, ::-1].reshape(out_channels, -1).T",
        )],
        {"1a", "1c"},
        "the kernel was flipped",
    ),
    _mutant(
        "pad-one-side",
        "conv",
        [("((0, 0), (ph, ph), (pw, pw), (0, 0))", "((0, 0), (ph, 0), (pw, 0), (0, 0))")],
        {"1a", "1c"},
        "padding was added on one side only",
    ),
    _mutant(
        "forgot-bias",
        "conv",
        [("block += bias\n", "pass\n")],
        {"1c"},
        "the bias was ignored",
    ),
    _mutant(
        "channels-first",
        "conv",
        [(
            "    return _correlate(images, kernels, bias, (sh, sw), (ph, pw))",
            "    out = _correlate(images, kernels, bias, (sh, sw), (ph, pw))\n"
            "    return out.transpose(0, 3, 1, 2)",
        )],
        {"1c"},
        "channels-first",
    ),
    _mutant(
        "pool-stride-1",
        "conv",
        [("(kh, kw) if stride is None else stride", "1 if stride is None else stride")],
        {"pool"},
        "defaults to the window size",
    ),
    _mutant(
        "ceil-for-floor",
        "shapes",
        [("return (n - k + 2 * p) // s + 1", "return -((k - n - 2 * p) // s) + 1")],
        {"1b"},
        "ceil was used instead of floor",
    ),
    _mutant(
        "padding-counted-once",
        "shapes",
        [("return (n - k + 2 * p) // s + 1", "return (n - k + p) // s + 1")],
        {"1b"},
        "the padding was counted once",
    ),
    _mutant(
        "swapped-steps",
        "rnn_types",
        [(
            'many_in = _steps(input_steps, "input_steps") > 1',
            'many_in = _steps(output_steps, "output_steps") > 1',
        ), (
            'many_out = _steps(output_steps, "output_steps") > 1',
            'many_out = _steps(input_steps, "input_steps") > 1',
        )],
        {"2"},
        "the input and output steps were swapped",
    ),
    _mutant(
        "sentiment-per-word",
        "rnn_types",
        [('"sentiment_analysis": MANY_TO_ONE,', '"sentiment_analysis": MANY_TO_MANY,')],
        {"4a"},
        "one label per word",
    ),
    _mutant(
        "relu-grad-one-at-zero",
        "activations",
        [(
            'return np.where(_as_float_array(x, "x") > 0, 1.0, 0.0)',
            'return np.where(_as_float_array(x, "x") >= 0, 1.0, 0.0)',
        )],
        {"3"},
        "the gradient at 0 was taken as 1",
    ),
    _mutant(
        "leaky-grad-zero-for-negatives",
        "activations",
        [(
            'return np.where(_as_float_array(x, "x") > 0, 1.0, _alpha(alpha))',
            'return np.where(_as_float_array(x, "x") > 0, 1.0, 0.0)',
        )],
        {"3"},
        "the gradient for negative inputs is 0",
    ),
    _mutant(
        "dead-entries-not-units",
        "activations",
        [("float(np.mean(np.all(z <= 0, axis=0)))", "float(np.mean(z <= 0))")],
        {"3"},
        "the fraction of dead entries was counted",
    ),
    _mutant(
        "softmax-overflow",
        "activations",
        [("e = np.exp(z - z.max(axis=axis, keepdims=True))", "e = np.exp(z)")],
        {"softmax"},
        "exp overflowed",
    ),
    _mutant(
        "softmax-axis-ignored",
        "activations",
        [(
            "e = np.exp(z - z.max(axis=axis, keepdims=True))\n"
            "    return e / e.sum(axis=axis, keepdims=True)",
            "e = np.exp(z - z.max(axis=-1, keepdims=True))\n"
            "    return e / e.sum(axis=-1, keepdims=True)",
        )],
        {"softmax"},
        "the axis argument was ignored",
    ),
    _mutant(
        "rows-columns-swapped",
        "rnn",
        [(
            "return image.reshape(height, width * channels)",
            "return image.transpose(1, 0, 2).reshape(width, height * channels)",
        )],
        {"4d"},
        "rows and columns were swapped",
    ),
    _mutant(
        "patch-column-row-order",
        "rnn",
        [(".transpose(0, 2, 1, 3, 4)", ".transpose(0, 2, 3, 1, 4)")],
        {"4d"},
        "(column, row, channel) order",
    ),
    _mutant(
        "h0-included",
        "rnn",
        [
            ("hs = np.empty((steps, hidden))", "hs = np.empty((steps + 1, hidden))\n    hs[0] = h"),
            ("        hs[t] = h\n", "        hs[t + 1] = h\n"),
        ],
        {"rnn-forward"},
        "h0 was included",
    ),
    _mutant(
        "state-not-carried",
        "rnn",
        [(
            "        h = np.tanh(inputs[t] + h @ W_hh)\n        hs[t] = h\n",
            "        hs[t] = np.tanh(inputs[t] + h @ W_hh)\n",
        )],
        {"rnn-forward"},
        "h0 was used at every step",
    ),
    _mutant(
        "per-tensor-clipping",
        "rnn",
        [(
            "    norm = _global_norm(arrays)\n",
            "    return [a * min(1.0, max_norm / (_global_norm([a]) or 1.0)) for a in arrays]\n"
            "    norm = _global_norm(arrays)\n",
        )],
        {"grad-clip"},
        "each array was clipped on its own",
    ),
]  # fmt: skip


def _problem_of(testcase: ET.Element) -> str:
    """The problem marker of a junit testcase's test function."""
    module = importlib.import_module(testcase.get("classname", ""))
    function = getattr(module, testcase.get("name", "").split("[")[0])
    marks = getattr(function, "pytestmark", []) + getattr(module, "pytestmark", [])
    (problem,) = [str(mark.args[0]) for mark in marks if mark.name == "problem"]
    return problem


def _apply(mutant: Mutant, directory: Path) -> None:
    for path in SOLUTIONS.glob("*.py"):
        if path.name != "__init__.py":
            shutil.copy(path, directory / path.name)
    target = directory / f"{mutant.module}.py"
    source = target.read_text(encoding="utf-8")
    for old, new in mutant.edits:
        assert source.count(old) == 1, f"{mutant.name}: {old!r} does not occur exactly once"
        source = source.replace(old, new)
    target.write_text(source, encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("mutant", MUTANTS)
def test_mutant_is_caught_where_it_belongs(mutant: Mutant, tmp_path: Path) -> None:
    submission = tmp_path / "submission"
    submission.mkdir()
    _apply(mutant, submission)
    report = tmp_path / "report.xml"
    env = dict(os.environ, TUTORIAL9_SUBMISSION=str(submission))
    env.pop("PYTEST_ADDOPTS", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "grader/cases", "-q", "-p", "no:cacheprovider",
         f"--junitxml={report}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]

    failed: dict[str, list[tuple[str, str]]] = {}  # problem -> (test id, failure text)
    for testcase in ET.parse(report).getroot().iter("testcase"):
        outcomes = [child for child in testcase if child.tag in ("failure", "error", "skipped")]
        if outcomes:
            text = outcomes[0].get("message", "") + "\n" + (outcomes[0].text or "")
            test_id = f"{testcase.get('classname')}::{testcase.get('name')}"
            failed.setdefault(_problem_of(testcase), []).append((test_id, text))

    unrelated = {
        p: [t for t, _ in tests] for p, tests in failed.items() if p not in mutant.problems
    }
    assert not unrelated, f"cases of unrelated problems failed: {unrelated}"
    for problem in mutant.problems:
        hidden = [t for t, _ in failed.get(problem, []) if ".hidden." in t]
        assert hidden, f"no hidden case of {problem} caught {mutant.name}"
    texts = [text for tests in failed.values() for _, text in tests]
    assert any(mutant.hint in text for text in texts), f"no failure hints {mutant.hint!r}"
