"""Mutation tests through the real grader: realistic mistakes are caught, with their hint, and
only there.

Each mutant is the reference solutions with one textual change that mirrors a common mistake.
It is graded by `grader.grading.pipeline.grade` (the sandbox, the plugin, the contracts, the
scoring):
each mutated problem must lose points and carry the mistake's hint on a failed case, and every
other problem must keep full marks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.grading.pipeline import grade
from grader.results.scoring import Results

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
STUBS = ROOT / "exercises"


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str  # the solutions module mutated
    edits: tuple[tuple[str, str], ...]  # (old, new) replacements, each applying exactly once
    problems: frozenset[str]  # the problems whose cases must catch it
    hint: str  # a substring of the hint (or message) a failed case of each problem must give
    unwanted: str = ""  # a substring no failed case may give (a message that does not apply)


def _mutant(name: str, module: str, edits, problems, hint: str, unwanted: str = ""):
    mutant = Mutant(name, module, tuple(edits), frozenset(problems), hint, unwanted)
    return pytest.param(mutant, id=name)


MUTANTS = [
    _mutant(
        "flip-kernel",
        "conv",
        [
            (
                "weights = kernels.reshape(out_channels, -1).T",
                "weights = kernels[:, ::-1, ::-1].reshape(out_channels, -1).T",
            )
        ],
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
        [
            (
                "    return _correlate(images, kernels, bias, (sh, sw), (ph, pw))",
                "    out = _correlate(images, kernels, bias, (sh, sw), (ph, pw))\n"
                "    return out.transpose(0, 3, 1, 2)",
            )
        ],
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
        [
            (
                'many_in = _steps(input_steps, "input_steps") > 1',
                'many_in = _steps(output_steps, "output_steps") > 1',
            ),
            (
                'many_out = _steps(output_steps, "output_steps") > 1',
                'many_out = _steps(input_steps, "input_steps") > 1',
            ),
        ],
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
        [
            (
                'return np.where(_as_float_array(x, "x") > 0, 1.0, 0.0)',
                'return np.where(_as_float_array(x, "x") >= 0, 1.0, 0.0)',
            )
        ],
        {"3"},
        "the gradient at 0 was taken as 1",
    ),
    _mutant(
        "leaky-grad-zero-for-negatives",
        "activations",
        [
            (
                'return np.where(_as_float_array(x, "x") > 0, 1.0, _alpha(alpha))',
                'return np.where(_as_float_array(x, "x") > 0, 1.0, 0.0)',
            )
        ],
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
        [
            (
                "e = np.exp(z - z.max(axis=axis, keepdims=True))\n"
                "    return e / e.sum(axis=axis, keepdims=True)",
                "e = np.exp(z - z.max(axis=-1, keepdims=True))\n"
                "    return e / e.sum(axis=-1, keepdims=True)",
            )
        ],
        {"softmax"},
        "the axis argument was ignored",
    ),
    _mutant(
        "rows-columns-swapped",
        "rnn",
        [
            (
                "return image.reshape(height, width * channels)",
                "return image.transpose(1, 0, 2).reshape(width, height * channels)",
            )
        ],
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
        [
            (
                "        h = np.tanh(inputs[t] + h @ W_hh)\n        hs[t] = h\n",
                "        hs[t] = np.tanh(inputs[t] + h @ W_hh)\n",
            )
        ],
        {"rnn-forward"},
        "h0 was used at every step",
    ),
    _mutant(
        "per-tensor-clipping",
        "rnn",
        [
            (
                "    norm = _global_norm(arrays)\n",
                "    return [a * min(1.0, max_norm / (_global_norm([a]) or 1.0)) for a in arrays]\n"
                "    norm = _global_norm(arrays)\n",
            )
        ],
        {"grad-clip"},
        "each array was clipped on its own",
    ),
    # The API's contracts: inputs unchanged, new arrays where promised, floats from integers.
    _mutant(
        "relu-in-place",
        "activations",
        [
            (
                "    return np.maximum(x, 0.0, out=np.empty_like(x))",
                "    x[x < 0] = 0.0\n    return x",
            )
        ],
        {"3"},
        "relu modified its input array x in place",
    ),
    _mutant(
        "leaky-relu-in-place",
        "activations",
        [
            (
                "    return np.where(x > 0, x, _alpha(alpha) * x)",
                "    x[x <= 0] *= _alpha(alpha)\n    return x",
            )
        ],
        {"3"},
        "leaky_relu modified its input array x in place",
    ),
    _mutant(
        "relu-integer-result",
        "activations",
        [
            (
                '    x = _as_float_array(x, "x")\n'
                "    return np.maximum(x, 0.0, out=np.empty_like(x))",
                "    return np.maximum(np.asarray(x), 0)",
            )
        ],
        {"3"},
        "returned an integer array (int64): return floating-point values",
        unwanted="truncated",
    ),
    _mutant(
        "clip-in-place",
        "rnn",
        [
            (
                "        return [np.multiply(a, factor, out=np.empty_like(a)) for a in arrays]",
                "        for a in arrays:\n            a *= factor\n        return arrays",
            )
        ],
        {"grad-clip"},
        "clip_grad_norm modified its input grads in place",
    ),
    _mutant(
        "clip-returns-the-callers-arrays",
        "rnn",
        [("    return [a.copy() for a in arrays]\n", "    return list(arrays)\n")],
        {"grad-clip"},
        "clip_grad_norm returned arrays that share memory with its input grads",
    ),
    _mutant(
        "integer-tokens",
        "rnn",
        [
            (
                'image = np.array(_as_float_array(image, "image"))',
                "image = np.array(image)",
            )
        ],
        {"4d"},
        "returned an integer array (uint8): return floating-point values",
        unwanted="truncated",
    ),
    _mutant(
        "conv2d-always-raises",
        "conv",
        [
            (
                '    image = _as_float_array(image, "image")\n'
                '    kernel = _as_float_array(kernel, "kernel")',
                '    raise ValueError("not a valid image")',
            )
        ],
        {"1a"},
        "conv2d raised ValueError",
    ),
    _mutant(
        "softmax-global-max",
        "activations",
        [
            (
                "e = np.exp(z - z.max(axis=axis, keepdims=True))",
                "e = np.exp(z - z.max())",
            )
        ],
        {"softmax"},
        "subtract each row's own maximum",
    ),
    # One mutant per misconception hint of the cases (test_every_hint_has_a_mutant).
    _mutant(
        "relu-keeps-negatives",
        "activations",
        [("return np.maximum(x, 0.0, out=np.empty_like(x))", "return x.copy()")],
        {"3"},
        "negatives were kept",
    ),
    _mutant(
        "leaky-alpha-ignored",
        "activations",
        [("np.where(x > 0, x, _alpha(alpha) * x)", "np.where(x > 0, x, 0.01 * x)")],
        {"3"},
        "alpha was ignored",
    ),
    _mutant(
        "leaky-zeroes-negatives",
        "activations",
        [("np.where(x > 0, x, _alpha(alpha) * x)", "np.where(x > 0, x, 0.0)")],
        {"3"},
        "negative inputs were zeroed as in ReLU",
    ),
    _mutant(
        "dead-zero-alive",
        "activations",
        [("np.all(z <= 0, axis=0)", "np.all(z < 0, axis=0)")],
        {"3"},
        "exactly 0 was counted as alive",
    ),
    _mutant(
        "dead-wrong-axis",
        "activations",
        [("np.all(z <= 0, axis=0)", "np.all(z <= 0, axis=1)")],
        {"3"},
        "the fraction of samples was computed",
    ),
    _mutant(
        "dead-any-sample",
        "activations",
        [("np.all(z <= 0, axis=0)", "np.any(z <= 0, axis=0)")],
        {"3"},
        "for any sample, not every sample",
    ),
    _mutant(
        "softmax-axis-0-default",
        "activations",
        [("def softmax(z: ArrayLike, axis: int = -1)", "def softmax(z: ArrayLike, axis: int = 0)")],
        {"softmax"},
        "normalised along axis 0",
    ),
    _mutant(
        "softmax-whole-array",
        "activations",
        [
            (
                "e = np.exp(z - z.max(axis=axis, keepdims=True))\n"
                "    return e / e.sum(axis=axis, keepdims=True)",
                "e = np.exp(z - z.max())\n    return e / e.sum()",
            )
        ],
        {"softmax"},
        "the whole array was normalised at once",
    ),
    _mutant(
        "conv-pair-swapped",
        "conv",
        [("(sh, sw), (ph, pw) = stride, padding", "(sw, sh), (pw, ph) = stride, padding")],
        {"1a", "1c"},
        "the pair was read as (horizontal, vertical)",
    ),
    _mutant(
        "conv2d-truncates-integers",
        "conv",
        [
            (
                '    image = _as_float_array(image, "image")\n    kernel',
                "    dtype = np.asarray(image).dtype\n"
                '    image = _as_float_array(image, "image")\n'
                "    kernel",
            ),
            ("return out[0, :, :, 0]", "return out[0, :, :, 0].astype(dtype)"),
        ],
        {"1a"},
        "the values were truncated",
    ),
    _mutant(
        "pool-keeps-partial-windows",
        "conv",
        [
            (
                "windows = np.lib.stride_tricks.sliding_window_view(array, (kh, kw), axis=axes)",
                'if reduce == "max":\n'
                "        extra = [(0, 0)] * array.ndim\n"
                "        extra[axes[0]] = (0, -(height - kh) % sh)\n"
                "        extra[axes[1]] = (0, -(width - kw) % sw)\n"
                "        array = np.pad(array, extra, constant_values=-np.inf)\n"
                "    windows = np.lib.stride_tricks.sliding_window_view("
                "array, (kh, kw), axis=axes)",
            )
        ],
        {"pool"},
        "the windows that do not fit were kept",
    ),
    _mutant(
        "tokens-reshaped-directly",
        "rnn",
        [
            (
                "    return patches.reshape(-1, p * p * channels)",
                "    return image.reshape(-1, p * p * channels)",
            )
        ],
        {"4d"},
        "the image was reshaped directly",
    ),
    _mutant(
        "column-channel-row-order",
        "rnn",
        [
            (
                "image.transpose(1, 0, 2).reshape(width, height * channels)",
                "image.transpose(1, 2, 0).reshape(width, height * channels)",
            )
        ],
        {"4d"},
        "(channel, row) order",
    ),
    _mutant(
        "row-channel-column-order",
        "rnn",
        [
            (
                "return image.reshape(height, width * channels)",
                "return image.transpose(0, 2, 1).reshape(height, width * channels)",
            )
        ],
        {"4d"},
        "(channel, column) order",
    ),
    _mutant(
        "patches-column-major",
        "rnn",
        [(".transpose(0, 2, 1, 3, 4)", ".transpose(2, 0, 1, 3, 4)")],
        {"4d"},
        "the patches are in column-major order",
    ),
    _mutant(
        "patch-channel-first",
        "rnn",
        [(".transpose(0, 2, 1, 3, 4)", ".transpose(0, 2, 4, 1, 3)")],
        {"4d"},
        "each patch was flattened channel-first",
    ),
    _mutant(
        "w-hh-on-the-left",
        "rnn",
        [("h = np.tanh(inputs[t] + h @ W_hh)", "h = np.tanh(inputs[t] + W_hh @ h)")],
        {"rnn-forward"},
        "W_hh was applied as W_hh @ h",
    ),
    _mutant(
        "h0-ignored",
        "rnn",
        [('h = _as_float_array(h0, "h0")', 'h = np.zeros_like(_as_float_array(h0, "h0"))')],
        {"rnn-forward"},
        "the first step ignored h0",
    ),
    _mutant(
        "last-state-only",
        "rnn",
        [("    return hs\n", "    return hs[-1]\n")],
        {"rnn-forward"},
        "only the last hidden state was returned",
    ),
    _mutant(
        "first-state-only",
        "rnn",
        [("    return hs\n", "    return hs[0]\n")],
        {"rnn-forward"},
        "a (H,) vector was returned",
    ),
    _mutant(
        "states-one-step-early",
        "rnn",
        [
            (
                "        h = np.tanh(inputs[t] + h @ W_hh)\n        hs[t] = h\n",
                "        hs[t] = h\n        h = np.tanh(inputs[t] + h @ W_hh)\n",
            )
        ],
        {"rnn-forward"},
        "the states stop one step early",
    ),
    _mutant(
        "weights-swapped",
        "rnn",
        [
            ("inputs = xs @ W_xh + b", "inputs = xs @ W_hh + b"),
            ("h = np.tanh(inputs[t] + h @ W_hh)", "h = np.tanh(inputs[t] + h @ W_xh)"),
        ],
        {"rnn-forward"},
        "W_xh and W_hh were swapped",
    ),
    _mutant(
        "norms-added",
        "rnn",
        [
            (
                "    norm = _global_norm(arrays)\n",
                "    norm = sum(_global_norm([a]) for a in arrays)\n",
            )
        ],
        {"grad-clip"},
        "the norms of the arrays were added",
    ),
    _mutant(
        "clip-by-value",
        "rnn",
        [
            (
                "    norm = _global_norm(arrays)\n",
                "    return [np.clip(a, -max_norm, max_norm) for a in arrays]\n"
                "    norm = _global_norm(arrays)\n",
            )
        ],
        {"grad-clip"},
        "clipping by value",
    ),
    _mutant(
        "clip-scales-up",
        "rnn",
        [("    if norm > max_norm:\n", "    if norm > 0:\n")],
        {"grad-clip"},
        "the gradients were scaled up to max_norm",
    ),
    _mutant(
        "music-many-inputs",
        "rnn_types",
        [('"music_generation": ONE_TO_MANY,', '"music_generation": MANY_TO_MANY,')],
        {"2"},
        "music generated from one seed note",
    ),
    _mutant(
        "image-classification-sequence",
        "rnn_types",
        [('"image_classification": ONE_TO_ONE,', '"image_classification": MANY_TO_ONE,')],
        {"2"},
        "image classification was treated as a sequence task",
    ),
    _mutant(
        "sentiment-swapped",
        "rnn_types",
        [('"sentiment_analysis": MANY_TO_ONE,', '"sentiment_analysis": ONE_TO_MANY,')],
        {"4a"},
        "the input and output were swapped",
    ),
    _mutant(
        "sentiment-one-step",
        "rnn_types",
        [('"sentiment_analysis": MANY_TO_ONE,', '"sentiment_analysis": ONE_TO_ONE,')],
        {"4a"},
        "a single input step was assumed",
    ),
    _mutant(
        "batch-axis-dropped",
        "shapes",
        [("return (*dims[:-3], h1, w1, c1)", "return (h1, w1, c1)")],
        {"1b"},
        "the batch axis was dropped",
    ),
    _mutant(
        "input-channels-kept",
        "shapes",
        [("return (*dims[:-3], h1, w1, c1)", "return (*dims[:-3], h1, w1, dims[-1])")],
        {"1b"},
        "the input channels were kept",
    ),
    _mutant(
        "shape-pair-swapped",
        "shapes",
        [
            (
                "return _int(value[0], name, minimum), _int(value[1], name, minimum)",
                "return _int(value[1], name, minimum), _int(value[0], name, minimum)",
            )
        ],
        {"1b"},
        "a pair was read as (horizontal, vertical)",
    ),
    _mutant(
        "bias-counted-anyway",
        "shapes",
        [("(c1 if bias else 0)", "c1")],
        {"1b"},
        "the biases were counted although bias=False",
    ),
    _mutant(
        "biases-left-out",
        "shapes",
        [("(c1 if bias else 0)", "0")],
        {"1b"},
        "the biases were left out",
    ),
    _mutant(
        "bias-per-input-channel",
        "shapes",
        [("(c1 if bias else 0)", "(c if bias else 0)")],
        {"1b"},
        "one bias per input channel",
    ),
    _mutant(
        "input-channels-left-out",
        "shapes",
        [("c1 * kh * kw * c +", "c1 * kh * kw +")],
        {"1b"},
        "the input channels were left out",
    ),
]


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


def _failures(results: Results) -> dict[str, list[str]]:
    """problem id -> messages of its failed cases."""
    failed: dict[str, list[str]] = {}
    for test in results.tests:
        if not test.outcome.passed:
            failed.setdefault(test.outcome.problem, []).append(test.outcome.message)
    return failed


@pytest.mark.slow
@pytest.mark.parametrize("mutant", MUTANTS)
def test_mutant_is_caught_where_it_belongs(mutant: Mutant, tmp_path: Path) -> None:
    _apply(mutant, tmp_path)
    results = grade(tmp_path)
    assert not results.grader_errors, results.grader_errors
    failed = _failures(results)
    unrelated = {p: m for p, m in failed.items() if p not in mutant.problems}
    assert not unrelated, f"cases of unrelated problems failed: {unrelated}"
    for problem in results.problems:
        if problem.problem.id in mutant.problems:
            assert problem.score < problem.max_score, f"{problem.problem.id} kept full marks"
            messages = failed[problem.problem.id]
            assert any(mutant.hint in m for m in messages), (problem.problem.id, messages)
            if mutant.unwanted:
                assert not any(mutant.unwanted in m for m in messages), messages
        else:
            assert problem.score == problem.max_score, problem.problem.id
    assert results.score < results.max_score


@pytest.mark.slow
def test_a_submission_that_always_raises_scores_zero(tmp_path: Path) -> None:
    """Refusing every call (ValueError everywhere) earns nothing from the raises-cases."""
    for path in STUBS.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        (tmp_path / path.name).write_text(
            source.replace("raise NotImplementedError(", "raise ValueError("), encoding="utf-8"
        )
    results = grade(tmp_path)
    assert not results.grader_errors, results.grader_errors
    assert [p.score for p in results.problems] == [0.0] * len(results.problems)
    assert results.score == 0.0


_RECORD_HINTS = """
import json, sys
import pytest
from grader.checking import expect

labels = set()
for name in ("array", "array_list", "integer", "number", "text", "shape_tuple", "mapping"):
    def record(self, *args, _method=getattr(expect.Expect, name), **kwargs):
        labels.update(kwargs.get("misconceptions") or {})
        return _method(self, *args, **kwargs)
    setattr(expect.Expect, name, record)
code = pytest.main(["grader/cases", "-q", "-p", "no:cacheprovider"])
print(json.dumps({"code": int(code), "labels": sorted(labels)}))
"""


def test_every_hint_has_a_mutant() -> None:
    """Is every misconception hint of the cases checked by a mutant above?"""
    # In a subprocess: the in-process fixtures import the reference modules as `conv`, ...
    env = dict(os.environ, TUTORIAL9_SUBMISSION=str(SOLUTIONS))
    env.pop("PYTEST_ADDOPTS", None)
    run = subprocess.run(
        [sys.executable, "-c", _RECORD_HINTS],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, run.stdout[-2000:]
    labels = report["labels"]
    hints = [param.values[0].hint for param in MUTANTS]
    assert len(labels) > 50
    assert [label for label in labels if not any(hint in label for hint in hints)] == []
