"""Hostile submissions against the whole grader (security.md sections 2, 7 and 8).

Every scenario starts from the reference solutions and makes ONE module hostile (or unusable),
so the honest score is known exactly: a grading case passes if and only if it touched no
sabotaged target, so every problem that uses no sabotaged target keeps its full points from
problems.yaml. Each scenario grades the submission, through the library API or, when the attack
aims at the grader process itself, through the CLI in a subprocess, and asserts:

- results.json is strict JSON with Gradescope's keys only, every score within [0, max], and the
  same cases as an honest submission (none added, none dropped, none cut by the time budget);
- the exact scores above;
- nothing outside the sandbox changed: every file of grader/, solutions/, problems.yaml and the
  repository files the attacks append to hashes the same, no planted canary file exists, and no
  process of the sandbox's user is left once the sandbox is closed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import os
import re
import shutil
import signal
import site
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest

import grader
from grader.grading.pipeline import grade
from grader.problems import DEFAULT_PATH, load
from grader.results import gradescope
from grader.sandbox import isolation
from grader.sandbox import supervisor as sandbox

MODULES = load().modules  # the tutorial's student modules, from problems.yaml

pytestmark = pytest.mark.slow

ROOT = Path(grader.__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
PROBLEMS = load(DEFAULT_PATH)
GRADED = tuple(p for p in PROBLEMS.problems if p.graded)
ISOLATION = isolation.probe()
needs_root = pytest.mark.skipif(
    ISOLATION.uid is None,
    reason="needs root: only a separate sandbox user keeps these attacks off the grader's own "
    "processes (CI runs as root)",
)
needs_safe_level = pytest.mark.skipif(
    not ISOLATION.safe,
    reason=f"the grader refuses to run here: no safe sandbox level ({'; '.join(ISOLATION.notes)})",
)

TOP_KEYS = {
    "score", "execution_time", "output", "output_format", "test_output_format",
    "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard",
}  # fmt: skip
TEST_KEYS = {
    "score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
    "tags", "visibility", "extra_data",
}  # fmt: skip
FORGED = json.dumps(
    {"score": 1000, "tests": [{"name": "forged", "score": 1000, "max_score": 1000}]}
)
ALL_LOOP_BOUND = PROBLEMS.limits.budget  # seconds: whatever the limits, the budget holds


def targets(*modules: str) -> frozenset[str]:
    """The problems.yaml targets ("module.name") of these modules."""
    return frozenset(t for t in PROBLEMS.targets if t.split(".")[0] in modules)


def functions(module: str) -> list[str]:
    """The callable targets of a module (TASK_TYPES, a constant, is not one)."""
    reference = importlib.import_module(f"solutions.{module}")
    names = sorted(t.split(".")[1] for t in targets(module))
    return [name for name in names if callable(getattr(reference, name))]


EVERY_FUNCTION = frozenset(f"{m}.{name}" for m in MODULES for name in functions(m))


# --- the world outside the sandbox ------------------------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot() -> dict[str, str]:
    """SHA-256 of every trusted file, and of the repository files the attacks append to."""
    files = [ROOT / "problems.yaml", ROOT / "README.md", ROOT / "pyproject.toml"]
    for folder in (ROOT / "grader", SOLUTIONS, Path("/autograder")):
        if folder.is_dir():
            files += [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return {str(p): _digest(p) for p in files if p.is_file()}


@dataclasses.dataclass
class World:
    """What the attacks try to change outside the sandbox, and how it looked before."""

    token: str  # the name of the canary file the attacks plant
    dirs: tuple[str, ...]  # where they plant it
    appends: tuple[str, ...]  # repository files they append to
    outs: tuple[str, ...]  # where they write a forged results.json
    hashes: dict[str, str]
    autograder: bool  # whether /autograder existed
    elsewhere: dict[str, str | None]  # forged-results targets other than --out: digest or None

    def config(self, **more: Any) -> str:
        """The `_HOSTILE` settings line that goes at the top of hostile code."""
        settings = {
            "token": self.token,
            "dirs": list(self.dirs),
            "appends": list(self.appends),
            "outs": list(self.outs),
            "forged": FORGED,
            **more,
        }
        return f"_HOSTILE = {settings!r}\n"

    def assert_untouched(self) -> None:
        now = snapshot()
        changed = sorted(
            p for p in now.keys() | self.hashes.keys() if now.get(p) != self.hashes.get(p)
        )
        assert changed == [], "files outside the sandbox changed"
        planted = [d for d in self.dirs if os.path.lexists(os.path.join(d, self.token))]
        assert planted == [], f"canary planted outside the sandbox in {planted}"
        assert Path("/autograder").exists() == self.autograder
        assert _digests(self.elsewhere) == self.elsewhere, "a results file was forged"


def _digests(paths: Iterable[str]) -> dict[str, str | None]:
    return {p: _digest(Path(p)) if os.path.isfile(p) else None for p in paths}


@pytest.fixture
def world(tmp_path: Path) -> World:
    out = tmp_path / "results.json"
    dirs = [
        "/", "/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/root", str(Path.home()),
        str(ROOT), str(ROOT / "grader"), str(ROOT / "grader" / "cases" / "hidden"),
        str(SOLUTIONS), str(tmp_path),
    ]  # fmt: skip
    appends = [
        ROOT / "problems.yaml", ROOT / "README.md", ROOT / "grader" / "grading" / "pipeline.py",
        ROOT / "grader" / "cases" / "hidden" / "test_conv.py", SOLUTIONS / "conv.py",
    ]  # fmt: skip
    elsewhere = (
        "/autograder/results/results.json",
        "/tmp/results.json",
        str(ROOT / "results.json"),
    )
    return World(
        token=f"hostile-canary-{uuid.uuid4().hex}",
        dirs=tuple(dict.fromkeys(d for d in dirs if os.path.isdir(d))),
        appends=tuple(str(p) for p in appends),
        outs=(str(out), "results.json", *elsewhere),
        hashes=snapshot(),
        autograder=Path("/autograder").exists(),
        elsewhere=_digests(elsewhere),
    )


# --- hostile code shared by several scenarios -------------------------------------------------

# Needs `_HOSTILE` (World.config) above it. Tries every write outside the sandbox a student
# could want; each is expected to fail (or to land inside the sandbox's own workspace).
PLANT = r"""
def _plant():
    import os
    for folder in _HOSTILE["dirs"]:
        try:
            with open(os.path.join(folder, _HOSTILE["token"]), "w") as handle:
                handle.write("planted by a submission")
        except BaseException:
            pass
    for path in _HOSTILE["appends"]:
        try:
            with open(path, "a") as handle:
                handle.write("\n# " + _HOSTILE["token"] + "\n")
        except BaseException:
            pass
    for path in _HOSTILE["outs"]:
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            with open(path, "w") as handle:
                handle.write(_HOSTILE["forged"])
        except BaseException:
            pass
"""


def relu_doing(body: str, *, before: str = "") -> str:
    """Module code that replaces activations.relu with a function running `body`."""
    body = textwrap.indent(textwrap.dedent(body), "    ")
    return f"{textwrap.dedent(before)}\ndef relu(x):\n{body}"


def every_function_looping() -> dict[str, str]:
    """Per module, code that redefines every exercise function as an endless loop."""
    return {
        module: "".join(
            f"\ndef {name}(*args, **kwargs):\n    while True:\n        pass\n"
            for name in functions(module)
        )
        for module in MODULES
    }


# --- submissions and grading --------------------------------------------------------------------


def submission(
    folder: Path,
    module: str | None = None,
    code: str = "",
    *,
    drop: tuple[str, ...] = (),
    files: dict[str, str | bytes] | None = None,
) -> Path:
    """The reference solutions with `code` appended to `module`, modules in `drop` left out, and
    extra `files` (relative path -> content)."""
    folder.mkdir(parents=True)
    for name in MODULES:
        if name not in drop:
            shutil.copyfile(SOLUTIONS / f"{name}.py", folder / f"{name}.py")
    if module is not None:
        path = folder / f"{module}.py"
        path.write_text(path.read_text(encoding="utf-8") + "\n\n" + code, encoding="utf-8")
    for relative, content in (files or {}).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@dataclasses.dataclass
class Graded:
    """One grading run, seen from outside."""

    document: dict[str, Any]  # results.json, as read back from disk
    closed: list[tuple[int | None, list[int]]]  # per sandbox: its uid, processes left at close
    elapsed: float
    stdout: str = ""
    peak_rss: int = 0  # bytes: the grader process's high-water mark (CLI runs only)


def _uid_of(box: sandbox.Sandbox) -> int | None:
    return getattr(box, "uid", box.isolation.uid)


@pytest.fixture
def closed_sandboxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int | None, list[int]]]:
    """Every sandbox closed during the test, with the processes of its user right after."""
    closed: list[tuple[int | None, list[int]]] = []
    original = sandbox.Sandbox.close

    def close(self: sandbox.Sandbox) -> None:
        original(self)
        closed.append((_uid_of(self), self.leftover_processes()))

    monkeypatch.setattr(sandbox.Sandbox, "close", close)
    return closed


@pytest.fixture
def grade_api(tmp_path: Path, closed_sandboxes: list) -> Callable[[Path], Graded]:
    """Grade with the library API and write results.json as the CLI does."""

    def run(path: Path) -> Graded:
        started = time.monotonic()
        results = grade(path)
        elapsed = time.monotonic() - started
        out = tmp_path / "results.json"
        gradescope.write(gradescope.render(results), out)
        return Graded(read_results(out), list(closed_sandboxes), elapsed)

    return run


# The CLI, observed: the same spy on Sandbox.close, reported in a file when the grader ends.
CLI = r"""
import json, resource, sys
from grader.sandbox import supervisor as sandbox
closed = []
original = sandbox.Sandbox.close
def close(self):
    original(self)
    closed.append([getattr(self, "uid", self.isolation.uid), self.leftover_processes()])
sandbox.Sandbox.close = close
from grader.cli import main
try:
    status = main(sys.argv[2:])
finally:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with open(sys.argv[1], "w") as handle:
        json.dump({"closed": closed, "peak_rss": peak}, handle)
sys.exit(status)
"""


def grade_cli(
    path: Path, out: Path, *, limit: float = 150.0, env: dict[str, str] | None = None
) -> Graded:
    """`python -m grader grade PATH --out OUT` in a subprocess; fails if it takes over `limit`."""
    spy = out.with_name("closed.json")
    command = [sys.executable, "-c", CLI, str(spy), "grade", str(path), "--out", str(out)]
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)  # the grader still closes its sandbox
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
        pytest.fail(f"grading took more than {limit:g} s")
    elapsed = time.monotonic() - started
    assert process.returncode == 0, f"exit status {process.returncode}\n{stderr[-3000:]}"
    spied = json.loads(spy.read_text(encoding="utf-8"))
    closed = [(uid, pids) for uid, pids in spied["closed"]]
    return Graded(read_results(out), closed, elapsed, stdout, spied["peak_rss"])


def _no_constants(name: str) -> None:
    raise ValueError(f"results.json holds {name}, which is not JSON")


def read_results(path: Path) -> dict[str, Any]:
    """results.json parsed as strict JSON and checked against the Gradescope keys and ranges."""
    document = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constants)
    assert isinstance(document, dict)
    assert set(document) <= TOP_KEYS, set(document) - TOP_KEYS
    assert isinstance(document["output"], str)
    assert isinstance(document["execution_time"], (int, float))
    maximum = sum(p.points for p in GRADED)
    assert 0 <= document["score"] <= maximum
    total = 0.0
    for test in document["tests"]:
        assert set(test) <= TEST_KEYS, set(test) - TEST_KEYS
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert isinstance(test["number"], str) and test["status"] in ("passed", "failed")
        assert isinstance(test["tags"], list) and all(isinstance(t, str) for t in test["tags"])
        assert 0 <= test["score"] <= test["max_score"]
        total += test["score"]
    # Each case's share is rounded to 4 decimals; the total is not (scoring.py).
    assert document["score"] == pytest.approx(total, abs=_rounding(document["tests"]))
    return document


def _rounding(tests: list) -> float:
    return 5e-5 * len(tests) + 1e-9


@pytest.fixture(scope="module")
def honest_cases(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    """(number, name) of every case when grading the reference solutions: full marks."""
    folder = submission(tmp_path_factory.mktemp("honest") / "sub")
    results = grade(folder)
    document = gradescope.render(results)
    assert document["score"] == sum(p.points for p in GRADED)
    return [(t["number"], t["name"]) for t in document["tests"]]


def _reported(document: dict[str, Any], pattern: str) -> list[int]:
    """Numbers an attack reported through public cases' messages (proof that it ran)."""
    return [int(n) for t in document["tests"] for n in re.findall(pattern, t["output"])] or [0]


def assert_graded(
    graded: Graded, broken: frozenset[str], world: World, honest_cases: list[tuple[str, str]]
) -> None:
    """Exact scores (a case passes iff it touched no broken target), and nothing outside."""
    document = graded.document
    assert [(t["number"], t["name"]) for t in document["tests"]] == honest_cases
    by_problem = defaultdict(list)
    for test in document["tests"]:
        by_problem[test["number"].rsplit(".", 1)[0]].append(test)
        assert "time budget" not in test["output"]
        assert "could not run this case" not in test["output"], test["output"]
        expected = "failed" if set(test["tags"]) & broken else "passed"
        assert test["status"] == expected, (
            f"{test['number']} {test['name']} {test['tags']}: {test['output'][:500]}"
        )
    expected_total = 0.0
    for problem in GRADED:
        tests = by_problem[problem.id]
        passed = sum(t["status"] == "passed" for t in tests)
        expected = problem.points * passed / len(tests)
        if not set(problem.targets) & broken:
            expected = problem.points
        elif set(problem.targets) <= broken:
            expected = 0.0
        got = sum(t["score"] for t in tests)
        assert got == pytest.approx(expected, abs=_rounding(tests)), problem.id
        expected_total += expected
    assert document["score"] == pytest.approx(expected_total, abs=1e-3)
    assert "leftover_processes" not in document["extra_data"]
    assert document["extra_data"].get("collection_errors") == []
    assert graded.closed, "no sandbox was closed"
    for uid, left in graded.closed:
        assert left == [], f"processes of the sandbox user {uid} survived: {left}"
    world.assert_untouched()


def test_the_reference_solutions_score_full_marks(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """The control: no sabotage, full marks, same checks as every hostile scenario."""
    graded = grade_api(submission(tmp_path / "sub"))
    assert_graded(graded, frozenset(), world, honest_cases)


# --- B. control-flow escapes: crashes and exits -------------------------------------------------

IMPORT_CRASHES = {
    "raise": "raise RuntimeError('broken at import')",
    "sys-exit": "import sys\nsys.exit(0)",
    "os-exit": "import os\nos._exit(0)",
    "keyboard-interrupt": "raise KeyboardInterrupt",
    "base-exception": "class Escape(BaseException):\n    pass\n\n\nraise Escape()",
    "segfault": "import ctypes\nctypes.string_at(0)",
    "stdin": "input('answer? ')",
    "pytest-exit": "import pytest\npytest.exit('all done', returncode=0)",
}

CALL_CRASHES = {
    "raise": relu_doing("raise RuntimeError('broken')"),
    "sys-exit": relu_doing("import sys\nsys.exit(0)"),
    "os-exit": relu_doing("import os\nos._exit(0)"),
    "keyboard-interrupt": relu_doing("raise KeyboardInterrupt"),
    "base-exception": relu_doing(
        "raise Escape()", before="class Escape(BaseException):\n    pass\n"
    ),
    "generator-exit": relu_doing("raise GeneratorExit"),
    "segfault": relu_doing("import ctypes\nctypes.string_at(0)"),
    "sigkill-self": relu_doing(
        "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\nraise RuntimeError('alive')"
    ),
    "pytest-skip": relu_doing("import pytest\npytest.skip('not today')"),
    "pytest-xfail": relu_doing("import pytest\npytest.xfail('expected')"),
    "pytest-exit": relu_doing("import pytest\npytest.exit('stop', returncode=0)"),
    "unittest-skip": relu_doing("import unittest\nraise unittest.SkipTest('skip')"),
    "assertion-error": relu_doing("raise AssertionError('looks right to me')"),
    "unprintable": relu_doing(
        "raise Unprintable()",
        before="class Unprintable(Exception):\n"
        "    def __str__(self):\n        raise RuntimeError('no')\n"
        "    __repr__ = __str__\n",
    ),
}


_KILL_THE_WORKER = ("os-exit", "segfault")  # the others raise: one statement fails, not the module


@pytest.mark.parametrize("code", IMPORT_CRASHES.values(), ids=IMPORT_CRASHES.keys())
def test_import_time_crash_costs_its_module_only(
    code: str, grade_api, world: World, honest_cases, tmp_path: Path, request
) -> None:
    """A module whose top-level code raises or exits at import loses only that statement (it
    is reported once); one that kills its process fails its own problems, no other."""
    graded = grade_api(submission(tmp_path / "sub", "activations", code))
    if request.node.callspec.id in _KILL_THE_WORKER:
        assert_graded(graded, targets("activations"), world, honest_cases)
        return
    assert_graded(graded, frozenset(), world, honest_cases)
    output = graded.document["output"]
    failed = code.strip().splitlines()[-1]
    assert output.count(f"`{failed}` failed: ") == 1, output
    assert "the rest of activations.py was graded" in output


@pytest.mark.parametrize("code", CALL_CRASHES.values(), ids=CALL_CRASHES.keys())
def test_call_time_crash_costs_its_function_only(
    code: str, grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """A function that crashes, exits or escapes fails the cases that call it, no other."""
    graded = grade_api(submission(tmp_path / "sub", "activations", code))
    assert_graded(graded, frozenset({"activations.relu"}), world, honest_cases)


# --- B/F. loops, hangs and ignored signals ------------------------------------------------------

HANGS = r"""
import signal
import time

# The grader must not rely on the student's process honouring a polite signal.
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGALRM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)


def conv2d(image, kernel, stride=1, padding=0):
    signal.alarm(0)
    while True:
        pass


def max_pool2d(x, size, stride=None):
    time.sleep(10**6)  # blocks without using CPU
"""


def test_import_time_loop_costs_one_timeout_and_its_module_only(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """A module that loops at import is tried once; its problems fail, the rest run in full."""
    graded = grade_api(submission(tmp_path / "sub", "rnn_types", "while True:\n    pass\n"))
    assert_graded(graded, targets("rnn_types"), world, honest_cases)
    outputs = [t["output"] for t in graded.document["tests"] if t["status"] == "failed"]
    assert all("importing rnn_types.py used more than 1 s of CPU time" in o for o in outputs), (
        outputs
    )


def test_hanging_functions_cost_one_timeout_each(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """A spinning function that ignores SIGTERM times out on its CPU time, one that sleeps on
    the wall-clock backstop, each exactly once, then fail at once; every other case runs."""
    graded = grade_api(submission(tmp_path / "sub", "conv", HANGS))
    broken = {
        "conv.conv2d": "conv2d used more than 1 s of CPU time (the limit for problem 1a)",
        "conv.max_pool2d": "max_pool2d did not return within 5 s (it was waiting or sleeping",
    }
    assert_graded(graded, frozenset(broken), world, honest_cases)
    for target, message in broken.items():
        name = target.split(".")[1]
        outputs = [t["output"] for t in graded.document["tests"] if t["tags"] == [target]]
        timed_out = [o for o in outputs if message in o]
        assert len(timed_out) == 1, outputs
        rest = [o for o in outputs if o not in timed_out]
        assert rest and all(o.endswith(f"not run: {name} already timed out") for o in rest), outputs


def test_every_function_looping_finishes_inside_the_budget(
    tmp_path: Path, world: World, honest_cases
) -> None:
    """Every function of every module loops forever: the grade still ends inside the budget,
    with one timeout per function and no case cut by the budget."""
    folder = tmp_path / "sub"
    folder.mkdir()
    for module, code in every_function_looping().items():
        source = (SOLUTIONS / f"{module}.py").read_text(encoding="utf-8")
        (folder / f"{module}.py").write_text(source + code, encoding="utf-8")
    graded = grade_cli(folder, tmp_path / "results.json", limit=ALL_LOOP_BOUND)
    assert graded.elapsed < ALL_LOOP_BOUND
    assert_graded(graded, EVERY_FUNCTION, world, honest_cases)


# --- A. attacks on the grader process and on results.json --------------------------------------

KILLERS = r"""
import os
import signal


def _kill_everyone():
    # Inside the sandbox the parent is out of sight (getppid() is 0) or another user's.
    for pid in (os.getppid(), 0, -1, 1):
        try:
            os.kill(pid, signal.SIGKILL)
        except BaseException:
            pass
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                os.kill(int(entry), signal.SIGKILL)
            except BaseException:
                pass


_kill_everyone()


def relu(x):
    _kill_everyone()
    raise RuntimeError("still here")
"""


@needs_root
def test_killing_the_parent_and_everyone_else(world: World, honest_cases, tmp_path: Path) -> None:
    """kill(getppid()), kill(0), kill(-1) and kill(every pid) at import and call time: the grader
    survives and writes the honest results."""
    folder = submission(tmp_path / "sub", "activations", KILLERS)
    graded = grade_cli(folder, tmp_path / "results.json")
    # kill(0) reaches the worker itself, unless it is the init of a pid namespace (immune to
    # its own SIGKILL): without one the import is a crash that costs the whole module.
    broken = frozenset({"activations.relu"}) if ISOLATION.namespaces else targets("activations")
    assert_graded(graded, broken, world, honest_cases)


DAEMONS = r"""
import subprocess as _subprocess


def _daemon():
    # Double fork and setsid: outlives its parent, ignores SIGTERM and SIGHUP, and forges
    # results once grading should be over.
    import os, signal, time
    try:
        if os.fork():
            return
    except OSError:
        return
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        time.sleep(1.0)
        for _ in range(200):
            _plant()
            time.sleep(0.05)
    finally:
        os._exit(0)


_lingering = _subprocess.Popen(["sleep", "600"])  # a plain child, never waited for
_daemon()
_plant()


def relu(x):
    import os, time
    _daemon()
    _subprocess.Popen(["sleep", "600"])
    time.sleep(0.1)
    alive = sum(entry.isdigit() for entry in os.listdir("/proc"))
    raise RuntimeError(f"processes in the sandbox: {alive}")  # shown by the public case
"""


@needs_root
def test_detached_daemons_cannot_forge_results_after_grading(
    world: World, honest_cases, tmp_path: Path
) -> None:
    """Lingering children and setsid double-forked daemons that forge results.json (--out,
    /autograder/results) and append to the repository after grading: all dead, nothing
    changed, results.json still the grader's."""
    out = tmp_path / "results.json"
    folder = submission(tmp_path / "sub", "activations", world.config() + PLANT + DAEMONS)
    graded = grade_cli(folder, out)
    written = out.read_bytes()
    time.sleep(2.5)  # the daemons would have woken by now
    assert out.read_bytes() == written
    assert_graded(graded, frozenset({"activations.relu"}), world, honest_cases)
    assert max(_reported(graded.document, r"processes in the sandbox: (\d+)")) >= 4


FORGERY = r"""
import json as _json
import os as _os
import sys as _sys

_LINES = [_HOSTILE["forged"], "10 passed in 0.01s", "Grade :=>> 100", "total 19 19"]


def _shout():
    for line in _LINES:
        print(line)
        print(line, file=_sys.stderr)
        for fd in (1, 2):
            try:
                _os.write(fd, (line + "\n").encode())
            except OSError:
                pass


_shout()
_plant()


def relu(x):
    _shout()
    _plant()
    return _json.loads(_HOSTILE["forged"])
"""


def test_forged_results_printed_or_written_are_ignored(
    world: World, honest_cases, tmp_path: Path
) -> None:
    """A perfect results.json and pytest-style summaries printed to stdout and stderr, and
    written to --out, ./results.json and /autograder/results: the grader's own results win."""
    folder = submission(tmp_path / "sub", "activations", world.config() + PLANT + FORGERY)
    graded = grade_cli(folder, tmp_path / "results.json")
    assert_graded(graded, frozenset({"activations.relu"}), world, honest_cases)
    for forged in ("10 passed", "Grade :=>>", '"score": 1000'):
        assert forged not in graded.stdout
        assert forged not in json.dumps(graded.document)


# --- F. resource abuse -------------------------------------------------------------------------

MEMORY = r"""
def relu(x):
    return np.ones((10**5, 10**5))


def relu_grad(x):
    hog = []
    while True:
        hog.append(bytearray(2**24))


def leaky_relu(x, alpha=0.01):
    return b"x" * 2**40
"""

OUTPUT_FLOOD = r"""
import os as _os
import sys as _sys


def relu(x):
    while True:
        print("y" * 10**6)


def relu_grad(x):
    noise = b"\x1b[2J\x00\xff\xfe\xc3(" * 2**17
    while True:
        _os.write(2, noise)
"""

FORK_BOMB = r"""
import os as _os
import time as _time


def relu(x):
    for _ in range(10_000):
        try:
            pid = _os.fork()
        except OSError:
            break
        if pid == 0:
            try:
                while True:
                    try:
                        _os.fork()
                    except OSError:
                        _time.sleep(0.05)
            finally:
                _os._exit(0)
    alive = sum(entry.isdigit() for entry in _os.listdir("/proc"))
    raise RuntimeError(f"processes in the sandbox: {alive}")  # shown by the public case
"""


def test_memory_bombs_fail_alone(grade_api, world: World, honest_cases, tmp_path: Path) -> None:
    """80 GB arrays, a list grown until the cap, a 1 TB bytes: MemoryError for those calls only."""
    graded = grade_api(submission(tmp_path / "sub", "activations", MEMORY))
    broken = frozenset({"activations.relu", "activations.relu_grad", "activations.leaky_relu"})
    assert_graded(graded, broken, world, honest_cases)


def test_output_floods_fail_alone(grade_api, world: World, honest_cases, tmp_path: Path) -> None:
    """Endless prints, and binary garbage with ANSI escapes on stderr, hit the output cap."""
    graded = grade_api(submission(tmp_path / "sub", "activations", OUTPUT_FLOOD))
    broken = frozenset({"activations.relu", "activations.relu_grad"})
    assert_graded(graded, broken, world, honest_cases)


def test_output_flood_at_import_costs_its_module_only(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """GBs printed at import: that module fails, the others are untouched."""
    code = "while True:\n    print('z' * 10**6)\n"
    graded = grade_api(submission(tmp_path / "sub", "rnn", code))
    assert_graded(graded, targets("rnn"), world, honest_cases)


def test_a_flood_does_not_break_prints_in_other_functions(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """conv2d floods stdout; max_pool2d is correct but prints a debug line: pooling keeps its
    points."""
    code = (
        "_reference_max_pool2d = max_pool2d\n\n\n"
        "def conv2d(image, kernel, stride=1, padding=0):\n"
        "    while True:\n        print('y' * 10**6)\n\n\n"
        "def max_pool2d(x, size, stride=None):\n"
        "    print('debug: pooling with', size)\n"
        "    return _reference_max_pool2d(x, size, stride)\n"
    )
    graded = grade_api(submission(tmp_path / "sub", "conv", code))
    assert_graded(graded, frozenset({"conv.conv2d"}), world, honest_cases)


@needs_root
def test_fork_bomb_is_contained_and_killed(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """A fork bomb hits the process cap, costs its own function's cases, and leaves nothing."""
    graded = grade_api(submission(tmp_path / "sub", "activations", FORK_BOMB))
    assert_graded(graded, frozenset({"activations.relu"}), world, honest_cases)
    assert max(_reported(graded.document, r"processes in the sandbox: (\d+)")) >= 32


# --- A/D. replies forged on the worker's pipe ---------------------------------------------------

# The worker's command line gives away the reply pipe; student code in the worker can write its
# own frames there, or swap the worker's encoder so its one reply is whatever the student wants.
RAW_REPLY = r"""
import json as _json
import os as _os
import struct as _struct
import sys as _sys


def _frame(header, blobs=()):
    payload = _struct.pack(">I", len(header)) + header
    for blob in blobs:
        payload += _struct.pack(">Q", len(blob)) + blob
    return _struct.pack(">Q", len(payload)) + payload


def _write_reply(frame):
    fd = _json.loads(_sys.argv[1])["replies"]
    view = memoryview(frame)
    while view:
        view = view[_os.write(fd, view) :]


def _reply_with(frame):
    # The worker's next reply is `frame`, sent by the worker itself: no extra frame on the pipe.
    wire = _sys.modules["wire"]
    original = wire.encode

    def encode(header, values=None):
        wire.encode = original
        return frame

    wire.encode = encode
"""

HUGE_ARRAY_SHAPE = r"""
def relu(x):  # an array that announces 8 TiB of float64 and holds 64 bytes
    tag = b'{"$array":[0,"<f8",[1099511627776]]}'
    _reply_with(_frame(b'{"ok":true,"value":' + tag + b'}', [bytes(64)]))
    return 0.0
"""

HUGE_JSON_TREE = r"""
def relu(x):  # 16 MB of JSON that decodes to four million lists
    count = 4_000_000
    _reply_with(_frame(b'{"ok":true,"value":[' + b"[0]," * (count - 1) + b"[0]]}"))
    return 0.0
"""

REPLY_THEN_EXIT = r"""
def relu(x):  # answers for itself, then leaves: the worker is dead before the next request
    _write_reply(_frame(b'{"ok":true,"value":[7.25]}'))
    _os._exit(0)
"""


def test_an_array_announcing_a_huge_shape_is_the_students_failure(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """A reply whose array announces terabytes fails relu's cases as a student error."""
    graded = grade_api(submission(tmp_path / "sub", "activations", RAW_REPLY + HUGE_ARRAY_SHAPE))
    assert_graded(graded, frozenset({"activations.relu"}), world, honest_cases)


def test_reply_with_a_huge_json_tree_cannot_exhaust_the_grader(
    world: World, honest_cases, tmp_path: Path
) -> None:
    """A 16 MB reply of nested JSON lists fails relu's cases without the grader process growing
    by more than a few times the frame's size."""
    folder = submission(tmp_path / "sub", "activations", RAW_REPLY + HUGE_JSON_TREE)
    graded = grade_cli(folder, tmp_path / "results.json")
    assert graded.peak_rss < 400 * 2**20, f"grader peak RSS {graded.peak_rss / 2**20:.0f} MiB"
    assert_graded(graded, frozenset({"activations.relu"}), world, honest_cases)


def test_a_worker_that_dies_after_replying_costs_only_that_function(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """relu writes its own (wrong) reply and exits: the next function called is not blamed."""
    graded = grade_api(submission(tmp_path / "sub", "activations", RAW_REPLY + REPLY_THEN_EXIT))
    assert_graded(graded, frozenset({"activations.relu"}), world, honest_cases)


# --- C. in-process tampering -------------------------------------------------------------------

INSPECTION = r"""
import gc as _gc
import sys as _sys


def _arrays_in(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, dict):
        for item in list(value.values()):
            if isinstance(item, np.ndarray):
                yield item
    elif isinstance(value, (list, tuple)):
        for item in value:
            if isinstance(item, np.ndarray):
                yield item


def relu(x):
    # Whatever array of the right shape the callers or the heap hold: the expected answer?
    x = np.asarray(x)
    frame = _sys._getframe(1)
    seen = []
    while frame is not None:
        seen += list(frame.f_locals.values())
        frame = frame.f_back
    seen += _gc.get_objects()
    for value in seen:
        for array in _arrays_in(value):
            if array.shape == x.shape and array is not x and not np.array_equal(array, x):
                return array.copy()
    return np.full(x.shape, 7.25)


def leaky_relu(x, alpha=0.01):
    caller = _sys._getframe(1).f_locals
    for name in ("expected", "want", "exp", "reference", "answer", "ref"):
        if name in caller:
            return caller[name]
    raise LookupError("no expected value in the caller's frame")
"""

MONKEYPATCH = r"""
import builtins as _builtins
import unittest as _unittest

import numpy.testing as _npt
import pytest as _pytest


class _Liar:
    # Equal to everything, and an ndarray as far as isinstance is concerned.
    shape = ()

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


def _true(*args, **kwargs):
    return True


def _nothing(*args, **kwargs):
    return None


np.allclose = np.array_equal = np.array_equiv = np.isclose = _true
for _name in dir(_npt):
    if _name.startswith("assert_"):
        setattr(_npt, _name, _nothing)
_unittest.TestCase.assertEqual = _unittest.TestCase.assertTrue = _nothing
_pytest.fail = _pytest.skip = _pytest.xfail = _pytest.exit = _nothing
_pytest.approx = lambda *args, **kwargs: _Liar()
_real_isinstance = _builtins.isinstance
_builtins.isinstance = lambda obj, cls: type(obj) is _Liar or _real_isinstance(obj, cls)


def relu(x):
    return _Liar()


def relu_grad(x):
    return np.full(np.shape(x), 7.25)
"""


def test_stack_and_heap_inspection_find_nothing(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """sys._getframe and gc.get_objects look for the expected arrays: they are not there."""
    graded = grade_api(submission(tmp_path / "sub", "activations", INSPECTION))
    broken = frozenset({"activations.relu", "activations.leaky_relu"})
    assert_graded(graded, broken, world, honest_cases)


def test_monkeypatching_numpy_pytest_and_builtins_changes_nothing(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """np.allclose, np.testing, unittest, pytest.fail/skip/exit/approx and isinstance patched at
    import, with always-equal results: the comparisons are not in the student's process."""
    graded = grade_api(submission(tmp_path / "sub", "activations", MONKEYPATCH))
    broken = frozenset({"activations.relu", "activations.relu_grad"})
    assert_graded(graded, broken, world, honest_cases)


# --- D. lying values and type confusion --------------------------------------------------------

LIES = {
    "activations": r"""
_reference_leaky_relu = leaky_relu
_reference_leaky_relu_grad = leaky_relu_grad


class _AlwaysEqual(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, bool)

    __hash__ = None


class _LyingFloat(np.float64):
    def __eq__(self, other):
        return True

    __hash__ = np.float64.__hash__


def relu(x):  # an ndarray subclass that equals anything, holding garbage
    return np.full(np.shape(x), 7.25).view(_AlwaysEqual)


def relu_grad(x):  # a masked array hides every entry
    return np.ma.masked_all(np.shape(x))


def leaky_relu(x, alpha=0.01):  # the right values in an object array
    return np.array(_reference_leaky_relu(x, alpha).tolist(), dtype=object)


def leaky_relu_grad(x, alpha=0.01):  # the right values, as complex numbers
    return _reference_leaky_relu_grad(x, alpha).astype(complex)


def dead_unit_fraction(pre_activations):  # a float64 subclass that equals anything
    return _LyingFloat(0.123456)


def softmax(z, axis=-1):  # NaN everywhere: NaN == NaN must not help
    return np.full(np.shape(z), np.nan)
""",
    "shapes": r"""
class _LyingTuple(tuple):
    def __eq__(self, other):
        return True

    __hash__ = tuple.__hash__


class _LyingInt(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


def conv_output_size(n, kernel_size, stride=1, padding=0):  # True == 1
    return True


def conv_output_shape(input_shape, num_kernels, kernel_size, stride=1, padding=0):
    return _LyingTuple((-1, -1, -1))


def conv_num_parameters(in_channels, num_kernels, kernel_size, bias=True):
    return _LyingInt(-7)
""",
    "rnn_types": r"""
class _LyingStr(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


class _LyingDict(dict):
    def __getitem__(self, key):
        return _LyingStr("wrong")

    def get(self, key, default=None):
        return _LyingStr("wrong")

    def __eq__(self, other):
        return True

    def __contains__(self, key):
        return True

    __hash__ = None


def rnn_type(input_steps, output_steps):
    return _LyingStr("not-a-type")


TASK_TYPES = _LyingDict({key: "wrong" for key in TASK_TYPES})
""",
    "rnn": r"""
_reference_image_to_tokens = image_to_tokens
_reference_rnn_forward = rnn_forward


def image_to_tokens(image, mode="patches", patch_size=None):  # a generator of the right rows
    yield from _reference_image_to_tokens(image, mode, patch_size)


def rnn_forward(xs, h0, W_xh, W_hh, b):  # the right values in an object array
    return np.array(_reference_rnn_forward(xs, h0, W_xh, W_hh, b).tolist(), dtype=object)


def clip_grad_norm(grads, max_norm):  # a list that contains itself
    looped = []
    looped.append(looped)
    return looped
""",
    "conv": r"""
def conv2d(image, kernel, stride=1, padding=0):  # an 80 GB view of one number
    return np.broadcast_to(np.float64(1.6), (10**5, 10**5))


def conv_layer(images, kernels, bias=None, stride=1, padding=0):  # 40 MB of zeros
    return np.zeros(5_000_000)


class _EqualToEverything:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def max_pool2d(x, size, stride=None):  # a plain object that equals anything
    return _EqualToEverything()


def avg_pool2d(x, size, stride=None):  # inf, or numbers as text
    if np.ndim(x) == 2:
        return np.full((1, 1), np.inf)
    return [["1.0", "2.0"], ["3.0", "4.0"]]
""",
}


@pytest.mark.parametrize("module", LIES.keys())
def test_lying_return_values_score_nothing(
    module: str, grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """Always-equal subclasses, masked, object, complex, NaN, huge, self-referencing and
    generator returns: each arrives as plain data (or not at all) and fails honestly."""
    graded = grade_api(submission(tmp_path / "sub", module, LIES[module]))
    assert_graded(graded, targets(module), world, honest_cases)


# --- E. secrets, leaks and exfiltration --------------------------------------------------------

EXFILTRATE_TEXT = r"""
def _encode(value):
    data = np.asarray(value, dtype=float).ravel()[:8]
    return "EXFIL" + "_".join(format(v, ".4g").replace("-", "m").replace(".", "p") for v in data)


def relu(x):  # the inputs in an exception message
    raise RuntimeError(_encode(x))


def relu_grad(x):  # the inputs in a builtin exception's message
    raise ValueError(_encode(x))


def leaky_relu(x, alpha=0.01):  # the inputs as the returned string
    return _encode(x)


def leaky_relu_grad(x, alpha=0.01):  # the inputs in a returned shape (31337 marks it)
    data = np.asarray(x, dtype=float).ravel()[:4]
    return np.zeros((0, 31337, *(int(abs(v) * 1000) + 1 for v in data)))


def dead_unit_fraction(pre_activations):  # the inputs printed
    print(_encode(pre_activations))
    return -1.0


def softmax(z, axis=-1):  # the inputs in a returned list of strings
    return [_encode(z)]
"""

EXFILTRATE_NAMES = r"""
def _encode(value):
    data = np.asarray(value, dtype=float).ravel()[:8]
    return "EXFIL" + "_".join(format(v, ".4g").replace("-", "m").replace(".", "p") for v in data)


def relu(x):  # the inputs as the name of a type that cannot be sent
    return type(_encode(x), (), {})()


def relu_grad(x):  # the inputs as the name of an exception class
    raise type(_encode(x), (Exception,), {})()
"""


def _hidden_outputs(document: dict[str, Any]) -> list[str]:
    return [t["output"] for t in document["tests"] if t["output"].startswith("(hidden case)")]


EXFILTRATE_LATER = r"""
import os

_SEEN = []  # every input this process was given, oldest first
_STASH = "/tmp/stash.txt"  # and every input any earlier process wrote down, where it may write


def _encode(value):
    data = np.asarray(value, dtype=float).ravel()[:8]
    return "EXFIL" + "_".join(format(v, ".4g").replace("-", "m").replace(".", "p") for v in data)


def _oldest(value):
    _SEEN.append(_encode(value))
    try:
        with open(_STASH, "a") as stash:
            stash.write(_SEEN[-1] + "\n")
        with open(_STASH) as stash:
            return stash.readline().strip()
    except OSError:
        return _SEEN[0]


def relu(x):  # the oldest input remembered, as the message of a builtin exception
    raise ValueError(_oldest(x))


def leaky_relu(x, alpha=0.01):  # as the returned string
    return _oldest(x)
"""


def test_counterexamples_carry_no_input_kept_from_a_hidden_case(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """A function that answers every call with the oldest input it remembers (in a global, in a
    file) shows, on a public example, only what the fresh sandbox of the counterexamples gave
    it: the examples themselves, never an input of the cases graded before."""
    graded = grade_api(submission(tmp_path / "sub", "activations", EXFILTRATE_LATER))
    broken = frozenset({"activations.relu", "activations.leaky_relu"})
    assert_graded(graded, broken, world, honest_cases)
    hidden = _hidden_outputs(graded.document)
    assert any(line.startswith("Try: ") for o in hidden for line in o.splitlines())
    assert _leaks(hidden, ("EXFIL",)) == []


def _example_payloads() -> set[str]:
    """What EXFILTRATE_TEXT's functions make of the public examples' own inputs: the only
    student-chosen text a hidden case's `Try:` line may carry (computed in a fresh sandbox)."""
    found = set()
    for problem in PROBLEMS.problems:
        for _, example in problem.examples:
            args, _ = example.arguments()
            try:
                data = np.asarray(args[0], dtype=float).ravel()
            except (IndexError, TypeError, ValueError):  # no argument, or not one array
                continue
            found.add(
                "EXFIL"
                + "_".join(format(v, ".4g").replace("-", "m").replace(".", "p") for v in data[:8])
            )
            found.add("31337, " + ", ".join(str(int(abs(v) * 1000) + 1) for v in data[:4]))
    return found


def _leaks(outputs: list[str], marks: tuple[str, ...] = ("EXFIL", "31337")) -> list[str]:
    """Lines of hidden cases' outputs that carry a mark of the student's text, except a
    `Try:` line's own answer to a public example."""
    allowed = sorted(_example_payloads(), key=len, reverse=True)
    found = []
    for output in outputs:
        for line in output.splitlines():
            if line.startswith("Try: "):
                line = line.split("  -> expected ", 1)[1]
                for payload in allowed:
                    line = line.replace(payload, "")
            if any(mark in line for mark in marks):
                found.append(line)
    return found


def test_hidden_cases_do_not_echo_student_text(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """Hidden inputs encoded into messages, returned strings, shapes and prints never reach a
    hidden case's output (public cases may show their own inputs)."""
    graded = grade_api(submission(tmp_path / "sub", "activations", EXFILTRATE_TEXT))
    assert_graded(graded, targets("activations"), world, honest_cases)
    hidden = _hidden_outputs(graded.document)
    assert hidden
    assert _leaks(hidden) == []


def test_hidden_cases_do_not_echo_student_type_names(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """Hidden inputs encoded into the name of an unsendable type or of an exception class never
    reach a hidden case's output."""
    graded = grade_api(submission(tmp_path / "sub", "activations", EXFILTRATE_NAMES))
    broken = frozenset({"activations.relu", "activations.relu_grad"})
    assert_graded(graded, broken, world, honest_cases)
    assert _leaks(_hidden_outputs(graded.document), ("EXFIL",)) == []


def _needles(**more: str) -> dict[str, str]:
    """Lines that occur only in the reference solution and in the hidden cases, hex-encoded so
    that the hostile module, which the sandbox can read, does not hold them itself."""
    source = (SOLUTIONS / "conv.py").read_text(encoding="utf-8").splitlines()
    inside, solution_lines = False, []
    for line in source:
        if "# BEGIN SOLUTION" in line:
            inside = True
        elif "# END SOLUTION" in line:
            inside = False
        elif inside and not line.strip().startswith("#"):
            solution_lines.append(line.strip())
    hidden = (ROOT / "grader" / "cases" / "hidden" / "test_conv.py").read_text(encoding="utf-8")
    public = (ROOT / "grader" / "cases" / "public" / "test_conv.py").read_text(encoding="utf-8")
    hidden_lines = [
        s.strip()
        for s in hidden.splitlines()
        if s.strip() not in public and not s.strip().startswith(("#", '"""'))
    ]
    found = {"solution": max(solution_lines, key=len), "hidden case": max(hidden_lines, key=len)}
    return {kind: text.encode().hex() for kind, text in {**found, **more}.items()}


# Looks for the reference by every route a student could think of; raises with what it found
# (a public case then shows it) or behaves like the reference.
SNOOP = r"""
import glob as _glob
import importlib as _importlib
import os as _os
import sys as _sys
import time as _time


def _snoop():
    found = []

    def check(label, data):
        if isinstance(data, bytes):
            data = data.decode("utf-8", "replace")
        for kind, needle in _HOSTILE["needles"].items():
            if bytes.fromhex(needle).decode() in data:
                found.append(f"{kind} in {label}")

    own = _os.path.realpath(_os.getcwd())  # the submission itself holds the reference

    def read(path):
        if _os.path.realpath(path).startswith(own):
            return
        try:
            with open(path, "rb") as handle:
                check(path, handle.read(4_000_000))
        except BaseException:
            pass

    for path in _HOSTILE["paths"]:
        read(path)
    for pattern in ("/proc/*/cmdline", "/proc/*/environ", "/autograder/**"):
        for path in _glob.glob(pattern, recursive=True):
            read(path)
    # Directories named like the reference's, anywhere (bounded: the call has a timeout).
    stop = _time.monotonic() + 1.5
    for top, dirs, files in _os.walk("/"):
        if _time.monotonic() > stop:
            break
        dirs[:] = [d for d in dirs if _os.path.join(top, d) not in ("/proc", "/sys", "/dev")]
        if _os.path.basename(top) in ("solutions", "cases", "hidden", "source"):
            for name in files:
                if name.endswith(".py"):
                    read(_os.path.join(top, name))
    # Redirection: import the reference or the cases.
    _sys.path.insert(0, _HOSTILE["root"])
    for name in ("solutions.conv", "grader.cases.hidden.test_conv", "grader.grading.plugin"):
        try:
            module = _importlib.import_module(name)
            found.append(f"imported {name} from {getattr(module, '__file__', None)}")
        except BaseException:
            pass
    _sys.path.remove(_HOSTILE["root"])
    return found


_found_at_import = _snoop()
_reference_conv2d = conv2d


def conv2d(image, kernel, stride=1, padding=0):
    leaks = _found_at_import + _snoop()
    if leaks:
        raise RuntimeError("LEAKED " + "; ".join(leaks)[:800])
    return _reference_conv2d(image, kernel, stride, padding)
"""


@needs_safe_level
def test_reference_cases_and_grader_secrets_are_out_of_reach(
    world: World, honest_cases, tmp_path: Path
) -> None:
    """Opening solutions/ and the hidden cases by path, importing them, reading /proc/*/environ
    and cmdline (the grader holds a secret in its environment), and walking the file system for
    solutions/ and cases/ directories all come back empty: full marks, nothing leaked."""
    secret = f"grader-secret-{uuid.uuid4().hex}"
    needles = _needles(**{"grader secret": secret})
    paths = [
        str(SOLUTIONS / "conv.py"),
        str(ROOT / "grader" / "cases" / "hidden" / "test_conv.py"),
        str(ROOT / "grader" / "grading" / "plugin.py"),
        "/autograder/submission_metadata.json",
        "/proc/1/environ",
        "/proc/self/environ",
    ]
    config = world.config(needles=needles, paths=paths, root=str(ROOT))
    folder = submission(tmp_path / "sub", "conv", config + SNOOP)
    graded = grade_cli(folder, tmp_path / "results.json", env={"TUTORIAL9_SECRET": secret})
    assert "LEAKED" not in json.dumps(graded.document)
    assert_graded(graded, frozenset(), world, honest_cases)


# Reads the checkout around the hidden directories: its files, its git objects, `git grep`.
CHECKOUT = r"""
import os as _os
import subprocess as _subprocess
import zlib as _zlib


def _snoop_checkout():
    found = []
    root = _HOSTILE["root"]

    def check(label, data):
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        for kind, needle in _HOSTILE["needles"].items():
            if bytes.fromhex(needle).decode() in text:
                found.append(f"{kind} in {label}")

    for top, dirs, files in _os.walk(root):
        for name in files:
            path = _os.path.join(top, name)
            try:
                with open(path, "rb") as handle:
                    data = handle.read(4_000_000)
            except BaseException:
                continue
            if "/.git/objects/" in path:
                try:
                    data = _zlib.decompress(data)
                except BaseException:
                    continue
            check(path[len(root):], data)
    for needle in (bytes.fromhex(n).decode() for n in _HOSTILE["needles"].values()):
        for options, revisions in ((["--cached"], []), ([], ["HEAD"])):
            command = ["git", "-c", "safe.directory=*", "-C", root, "grep", *options]
            command += ["-l", "-F", "-e", needle, *revisions]
            try:
                grep = _subprocess.run(
                    command, capture_output=True, timeout=2, env={"PATH": "/usr/bin:/bin"}
                )
            except BaseException:
                continue
            if grep.stdout.strip():
                found.append(f"git grep {options or revisions}: {grep.stdout.decode()[:200]}")
    return found


_checkout_leaks = _snoop_checkout()
_reference_conv2d = conv2d


def conv2d(image, kernel, stride=1, padding=0):
    if _checkout_leaks:
        raise RuntimeError("LEAKED " + "; ".join(_checkout_leaks)[:800])
    return _reference_conv2d(image, kernel, stride, padding)
"""


@needs_safe_level
def test_the_checkout_around_the_reference_does_not_leak_it(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """Every file of the repository checkout, its git objects and `git grep` hold no line of the
    reference solution or of the hidden cases that the sandbox can read."""
    config = world.config(needles=_needles(), root=str(ROOT))
    graded = grade_api(submission(tmp_path / "sub", "conv", config + CHECKOUT))
    assert "LEAKED" not in json.dumps(graded.document)
    assert_graded(graded, frozenset(), world, honest_cases)


# --- H46 and H20: symbolic links and injected files in the submission -------------------------


def test_symbolic_links_are_refused(grade_api, world: World, honest_cases, tmp_path: Path) -> None:
    """conv.py linked to the reference, activations.py to /etc/passwd, a folder linked to
    solutions/: none is followed, so those modules are missing."""
    folder = submission(tmp_path / "sub", drop=("conv", "activations"))
    (folder / "conv.py").symlink_to(SOLUTIONS / "conv.py")
    (folder / "activations.py").symlink_to("/etc/passwd")
    (folder / "more").symlink_to(SOLUTIONS, target_is_directory=True)
    graded = grade_api(folder)
    assert_graded(graded, targets("conv", "activations"), world, honest_cases)
    assert "symbolic link" in graded.document["output"]


def test_symbolic_link_in_a_zip_is_refused(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """A zip whose conv.py member is a symlink to the reference: conv is missing."""
    archive = tmp_path / "submission.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for name in MODULES:
            if name != "conv":
                zipped.write(SOLUTIONS / f"{name}.py", f"work/{name}.py")
        link = zipfile.ZipInfo("work/conv.py")
        link.external_attr = 0o120777 << 16  # a symbolic link
        zipped.writestr(link, str(SOLUTIONS / "conv.py"))
    graded = grade_api(archive)
    assert_graded(graded, targets("conv"), world, honest_cases)


def test_submission_path_that_is_a_symbolic_link_is_refused(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """The submission itself is a link to a folder holding the reference: everything fails."""
    link = tmp_path / "link"
    link.symlink_to(submission(tmp_path / "sub"), target_is_directory=True)
    graded = grade_api(link)
    assert_graded(graded, frozenset(PROBLEMS.targets), world, honest_cases)


INJECTED_CONFTEST = r"""
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    outcome.get_result().outcome = "passed"


def pytest_collection_modifyitems(items):
    items.clear()


_plant()
"""


def test_conftest_sitecustomize_and_shadow_modules_change_nothing(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """conftest.py that flips every report to passed, sitecustomize/usercustomize, a shadow
    numpy.py and pytest.py, pytest.ini/tox.ini/setup.cfg/pyproject.toml options, a .pth file
    and a test file: none is loaded anywhere, and a wrong relu still fails."""
    plant = world.config() + PLANT
    files: dict[str, str | bytes] = {
        "conftest.py": plant + INJECTED_CONFTEST,
        "nested/conftest.py": plant + INJECTED_CONFTEST,
        "sitecustomize.py": plant + "_plant()\n",
        "usercustomize.py": plant + "_plant()\n",
        "numpy.py": plant + "_plant()\nraise ImportError('shadow numpy')\n",
        "pytest.py": plant + "_plant()\nraise SystemExit(0)\n",
        "__init__.py": plant + "_plant()\n",
        "test_forged.py": plant + "_plant()\n\n\ndef test_free_points():\n    assert True\n",
        "pytest.ini": "[pytest]\naddopts = --collect-only -p no:grader\n",
        "tox.ini": "[pytest]\naddopts = --co\n",
        "setup.cfg": "[tool:pytest]\naddopts = --co\n",
        "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--co"\n',
        "hostile.pth": f"import os; open(os.path.join('/tmp', {world.token!r}), 'w')\n",
    }
    wrong_relu = "def relu(x):\n    return np.full(np.shape(x), 7.25)\n"
    graded = grade_api(submission(tmp_path / "sub", "activations", wrong_relu, files=files))
    assert_graded(graded, frozenset({"activations.relu"}), world, honest_cases)


# --- H47, H53, H55, H56: broken files and notebooks ---------------------------------------------


def notebook(*cells: str) -> str:
    """A notebook (nbformat 4) with these code cells."""
    code = [nbformat.v4.new_code_cell(cell) for cell in cells]
    return nbformat.writes(nbformat.v4.new_notebook(cells=code))


def test_notebook_magics_and_top_level_loops_are_not_run(
    grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """activations from a notebook with magics, shell lines, a %%bash cell, and cells that loop
    forever or block at top level: only definitions are kept, so everything passes quickly."""
    reference = (SOLUTIONS / "activations.py").read_text(encoding="utf-8")
    cells = (
        "%matplotlib inline\n!pip install torch\nimport numpy as np",
        "%%bash\nrm -rf /\n",
        reference,
        "while True:\n    pass",
        "relu(np.ones(3))\nimport time\ntime.sleep(10**6)",
        "for _ in iter(int, 1):\n    pass",
        "input('press enter')",
    )
    files = {"tutorial9.ipynb": notebook(*cells)}
    graded = grade_api(submission(tmp_path / "sub", drop=("activations",), files=files))
    assert_graded(graded, frozenset(), world, honest_cases)
    assert graded.elapsed < 30


BROKEN_FILES: dict[str, dict[str, str | bytes]] = {
    "notebook-truncated-json": {"tutorial9.ipynb": notebook("def relu(x):\n    return x")[:60]},
    "notebook-format-3": {"tutorial9.ipynb": '{"nbformat": 3, "worksheets": [{"cells": []}]}'},
    "notebook-binary": {"tutorial9.ipynb": bytes(range(256)) * 4},
    "notebook-is-python": {"tutorial9.ipynb": "import numpy as np\n\ndef relu(x):\n    pass\n"},
    "syntax-error": {"activations.py": "import numpy as np\n\ndef relu(x)\n    return x\n"},
    "python-2": {"activations.py": "def relu(x):\n    print x\n"},
    "latin-1": {"activations.py": b"def relu(x):\n    return 'caf\xe9'\n"},
    "nul-byte": {"activations.py": b"def relu(x):\n    return x\x00\n"},
    "empty": {"activations.py": b""},
}


@pytest.mark.parametrize("files", BROKEN_FILES.values(), ids=BROKEN_FILES.keys())
def test_broken_files_cost_their_module_only(
    files: dict[str, str | bytes], grade_api, world: World, honest_cases, tmp_path: Path
) -> None:
    """Unreadable notebooks, syntax errors, non-UTF-8 and NUL bytes: that module's problems fail
    with an intake message, the others are graded in full."""
    graded = grade_api(submission(tmp_path / "sub", drop=("activations",), files=files))
    assert_graded(graded, targets("activations"), world, honest_cases)
    failed = [t["output"] for t in graded.document["tests"] if t["status"] == "failed"]
    assert all("activations" in o or "tutorial9.ipynb" in o for o in failed), failed[:3]


# --- concurrency: a hostile submission next to an honest one ------------------------------------


@needs_root
def test_a_crashing_submission_spares_a_concurrent_one() -> None:
    """Two sandboxes on one machine (two graders, or a batch): cleaning up after one that
    crashes must not kill the other's worker in the middle of a call."""
    honest = sandbox.Sandbox(
        {"conv": b"import time\n\ndef slow():\n    time.sleep(1.5)\n    return 1\n"},
        memory=2**30,
        cpu_seconds=60,
    )
    hostile = sandbox.Sandbox(
        {"conv": b"import os\n\ndef die():\n    os._exit(0)\n"}, memory=2**30, cpu_seconds=60
    )
    reply: dict[str, Any] = {}

    def call_slow() -> None:
        try:
            reply["value"] = honest.request(
                {"op": "call", "module": "conv", "name": "slow"}, {"args": [], "kwargs": {}}, 10
            )["value"]
        except sandbox.SandboxError as exc:
            reply["value"] = exc.reason

    try:
        honest.start()
        hostile.start()
        caller = threading.Thread(target=call_slow)
        caller.start()
        time.sleep(0.8)  # the honest call is under way
        with pytest.raises(sandbox.SandboxCrash):
            hostile.request(
                {"op": "call", "module": "conv", "name": "die"}, {"args": [], "kwargs": {}}, 10
            )
        caller.join(timeout=15)
    finally:
        hostile.close()
        honest.close()
    assert reply == {"value": 1}


# --- escapes from the sandbox itself: its code, its mounts, its neighbours ----------------------

# Every route out a student could try from inside the worker; each success is reported through
# relu's public case ("ESCAPED ..."), and the ones with effects outside are checked there too.
ESCAPES = r"""
import ctypes as _ctypes
import os as _os
import socket as _socket
import sys as _sys

_reference_relu = relu


def _escapes():
    libc = _ctypes.CDLL(None, use_errno=True)
    got = []
    payload = "open(%r, 'w').write('escaped')\n" % _HOSTILE["escaped"]
    import site
    # A read-only bind made writable again, then a .pth that runs in every later interpreter.
    for folder in [*site.getsitepackages(), _sys.prefix, _sys.base_prefix]:
        libc.mount(None, folder.encode(), None, 32 | 4096, None)  # MS_REMOUNT | MS_BIND
        try:
            with open(_os.path.join(folder, _HOSTILE["token"] + ".pth"), "w") as handle:
                handle.write("import os; " + payload)
            got.append(f"planted a .pth in {folder}")
        except BaseException:
            pass
    # The worker's own code, for the next worker to run.
    runtime = {_os.path.dirname(_os.path.abspath(_sys.argv[0]))} if _sys.argv[0] else set()
    for name in ("confine", "worker", "wire", "landlock", "seccomp"):
        module = _sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            runtime.add(_os.path.dirname(_os.path.abspath(module.__file__)))
    for folder in runtime:
        for name in ("confine.py", "worker.py", "wire.py"):
            try:
                with open(_os.path.join(folder, name), "a") as handle:
                    handle.write("\n" + payload)
                got.append(f"rewrote {folder}/{name}")
            except BaseException:
                pass
    # The grader and its ancestors: their cwd, root, environment, memory; ptrace.
    pids, pid = [], _os.getppid()
    for _ in range(12):
        if pid <= 1:
            break
        pids.append(pid)
        try:
            with open(f"/proc/{pid}/stat") as handle:
                pid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except BaseException:
            break
    pids += range(_HOSTILE["near"], _HOSTILE["near"] + 400)  # guessed: the grader is nearby
    for pid in dict.fromkeys(pids):
        for path in (f"/proc/{pid}/cwd/solutions/conv.py",
                     f"/proc/{pid}/root{_HOSTILE['root']}/solutions/conv.py",
                     f"/proc/{pid}/environ"):  # fmt: skip
            try:
                with open(path, "rb") as handle:
                    data = handle.read(1 << 20)
                if b"def conv2d" in data or _HOSTILE["secret"].encode() in data:
                    got.append(f"read {path}")
            except BaseException:
                pass
        if libc.ptrace(16, pid, None, None) == 0:  # PTRACE_ATTACH
            got.append(f"attached to {pid}")
            libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
    # Local services: TCP, UDP and abstract unix sockets of the host.
    for family, kind, address in (
        (_socket.AF_INET, _socket.SOCK_STREAM, ("127.0.0.1", _HOSTILE["tcp"])),
        (_socket.AF_INET, _socket.SOCK_DGRAM, ("127.0.0.1", _HOSTILE["udp"])),
        (_socket.AF_UNIX, _socket.SOCK_STREAM, "\0" + _HOSTILE["abstract"]),
    ):
        try:
            with _socket.socket(family, kind) as connection:
                connection.settimeout(1)
                connection.connect(address)
                connection.send(b"escaped")
            got.append(f"connected to {address!r}")
        except BaseException:
            pass
    # SysV shared memory, semaphores and queues outlive every process of the sandbox.
    for name, args in (("shmget", (4096, 0o1666)), ("semget", (1, 0o1666)),
                       ("msgget", (0o1666,))):  # fmt: skip
        if getattr(libc, name)(_HOSTILE["ipc_key"], *args) >= 0:
            got.append(f"{name} made a SysV object")
    return got


_escaped_at_import = _escapes()


def relu(x):
    found = _escaped_at_import + _escapes()
    if found:
        raise RuntimeError("ESCAPED " + "; ".join(found)[:1500])
    return _reference_relu(x)


def relu_grad(x):
    _os._exit(0)  # the next call needs a new worker: it must not run anything planted here
"""


class Listeners:
    """TCP, UDP and abstract unix listeners on this machine, polled for anything that came."""

    def __init__(self) -> None:
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(8)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.abstract_name = f"tutorial9-hostile-{uuid.uuid4().hex}"
        self.abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.abstract.bind("\0" + self.abstract_name)
        self.abstract.listen(8)
        for listener in (self.tcp, self.udp, self.abstract):
            listener.setblocking(False)

    def config(self) -> dict[str, Any]:
        return {
            "tcp": self.tcp.getsockname()[1],
            "udp": self.udp.getsockname()[1],
            "abstract": self.abstract_name,
        }

    def reached(self) -> list[str]:
        reached = []
        for name, listener in (("tcp", self.tcp), ("abstract", self.abstract)):
            try:
                listener.accept()[0].close()
                reached.append(name)
            except BlockingIOError:
                pass
        try:
            self.udp.recv(64)
            reached.append("udp")
        except BlockingIOError:
            pass
        return reached

    def close(self) -> None:
        for listener in (self.tcp, self.udp, self.abstract):
            listener.close()


def _sysv_objects(key: int) -> list[str]:
    """SysV IPC objects with `key` in this IPC namespace (/proc/sysvipc lists them)."""
    found = []
    for kind in ("shm", "sem", "msg"):
        try:
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        except OSError:
            continue
        found += [kind for line in lines if line.split() and int(line.split()[0]) == key]
    return found


@needs_safe_level
def test_no_route_out_of_the_sandbox(world: World, honest_cases, tmp_path: Path) -> None:
    """Remounting read-only binds writable and planting a .pth; rewriting the worker's own code
    and crashing so that a new worker runs it; the grader's cwd, root, environment and ptrace
    through /proc/<pid> of every ancestor and of guessed pids; TCP, UDP and abstract sockets
    of local listeners; SysV IPC: nothing works, nothing is left, the scores are honest."""
    escaped = tmp_path / "escaped"
    secret = f"grader-secret-{uuid.uuid4().hex}"
    key = int.from_bytes(os.urandom(3), "big") + 1
    listeners = Listeners()
    site_dirs = [*site.getsitepackages(), sys.prefix, sys.base_prefix]
    config = world.config(
        escaped=str(escaped), secret=secret, near=os.getpid(), root=str(ROOT), ipc_key=key,
        **listeners.config(),
    )  # fmt: skip
    folder = submission(tmp_path / "sub", "activations", config + ESCAPES)
    try:
        graded = grade_cli(folder, tmp_path / "results.json", env={"TUTORIAL9_SECRET": secret})
        reached = listeners.reached()
    finally:
        listeners.close()
    assert "ESCAPED" not in json.dumps(graded.document)
    assert_graded(graded, frozenset({"activations.relu_grad"}), world, honest_cases)
    assert not escaped.exists() and reached == [] and _sysv_objects(key) == []
    planted = [d for d in site_dirs if Path(d, world.token + ".pth").exists()]
    assert planted == []
    # The next honest grade runs nothing the hostile one could have planted.
    again = grade_cli(submission(tmp_path / "honest"), tmp_path / "again.json")
    assert_graded(again, frozenset(), world, honest_cases)
    assert not escaped.exists()


LINGERING = r"""
import os as _os
import signal as _signal
import time as _time


def _linger():
    # A double-forked, setsid daemon that ignores SIGTERM and SIGHUP and keeps forging.
    if _os.fork():
        _time.sleep(0.2)
        return
    _os.setsid()
    if _os.fork():
        _os._exit(0)
    _signal.signal(_signal.SIGTERM, _signal.SIG_IGN)
    _signal.signal(_signal.SIGHUP, _signal.SIG_IGN)
    while True:
        _plant()
        _time.sleep(0.05)


_linger()


def relu(x):
    _linger()
    raise RuntimeError("a daemon is running")
"""


@needs_safe_level
def test_daemons_are_killed_and_reported_at_every_level(
    world: World, honest_cases, tmp_path: Path
) -> None:
    """Daemons started at import and at call time (setsid, double fork, SIGTERM ignored) are
    found and killed at every level, a user of their own or not, and none outlives grading."""
    out = tmp_path / "results.json"
    folder = submission(tmp_path / "sub", "activations", world.config() + PLANT + LINGERING)
    graded = grade_cli(folder, out)
    written = out.read_bytes()
    time.sleep(1.0)
    assert out.read_bytes() == written
    assert_graded(graded, frozenset({"activations.relu"}), world, honest_cases)
