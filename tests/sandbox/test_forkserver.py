"""grader/sandbox/forkserver.py: workers forked from the template keep the whole sandbox
contract."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.grading.pipeline import grade
from grader.sandbox import isolation
from grader.sandbox import supervisor as S
from grader.sandbox.forkserver import ForkServer

ROOT = Path(__file__).resolve().parents[2]
ISOLATION = isolation.probe()
pytestmark = pytest.mark.skipif(
    not ForkServer(ISOLATION).usable, reason="templates need root or no namespaces at all"
)


@pytest.fixture(scope="module")
def template() -> Iterator[ForkServer]:
    with ForkServer() as started:
        yield started


def _box(template: ForkServer, source: str) -> S.Sandbox:
    hide = (str(ROOT / "solutions"),)
    return S.Sandbox({"conv": source.encode()}, 1 << 30, 60, hide=hide, template=template)


def _call(box: S.Sandbox, name: str, limit: float = 10) -> dict:
    header = {"op": "call", "module": "conv", "name": name}
    return box.request(header, {"args": [], "kwargs": {}}, limit)


def test_forked_workers_are_confined_like_started_ones(template: ForkServer) -> None:
    """Same user, own pid namespace, hidden references, clean environment?"""
    hidden = str(ROOT / "solutions")
    box = _box(
        template,
        "import os\ndef f():\n"
        "    try:  # absent (a view), or unreadable (Landlock): hidden either way\n"
        f"        seen = os.listdir({hidden!r}) if os.path.isdir({hidden!r}) else []\n"
        "    except PermissionError:\n"
        "        seen = []\n"
        "    return os.getuid(), os.getpid(), seen, sorted(os.environ)\n",
    )
    try:
        uid, pid, seen, environment = _call(box, "f")["value"]
        assert seen == [] and "HOME" in environment and "PYTHONPATH" not in environment
        if ISOLATION.uid is not None:
            assert uid == box.uid != 0
        if ISOLATION.namespaces:
            assert pid == 1
    finally:
        box.close()
    assert box.leftover_processes() == []


def test_timeouts_kill_and_restart_from_the_template(template: ForkServer) -> None:
    """Does a loop cost one timeout, with a fresh forked worker afterwards?"""
    box = _box(template, "def spin():\n    while True: pass\ndef ok():\n    return 7\n")
    try:
        with pytest.raises(S.SandboxTimeout):
            _call(box, "spin", limit=0.5)
        assert _call(box, "ok")["value"] == 7 and box.starts == 2
    finally:
        box.close()
    assert box.leftover_processes() == []


def test_cpu_time_counts_the_forked_workers_tree_not_its_start(template: ForkServer) -> None:
    """Under a guard, is a sleeping call's busy child charged, and the start-up not?"""
    box = _box(
        template,
        "import os, time\n"
        "def nap():\n    time.sleep(0.5)\n    return 1\n"
        "def fork_and_nap():\n    if os.fork() == 0:\n        while True: pass\n"
        "    time.sleep(60)\n",
    )
    try:
        assert _call(box, "nap", limit=0.05)["value"] == 1
        with pytest.raises(S.SandboxTimeout) as caught:
            _call(box, "fork_and_nap", limit=0.3)
        assert not caught.value.waited
    finally:
        box.close()
    assert box.leftover_processes() == []


def test_detached_daemons_die_with_the_sandbox(template: ForkServer) -> None:
    """Is a setsid double-forked daemon killed when the sandbox closes?"""
    box = _box(
        template,
        "import os, time\ndef f():\n    if os.fork() == 0:\n        os.setsid()\n"
        "        if os.fork() == 0:\n            time.sleep(60)\n        os._exit(0)\n"
        "    return 1\n",
    )
    assert _call(box, "f")["value"] == 1
    box.close()
    assert box.leftover_processes() == []


@pytest.mark.slow
def test_grading_with_a_template_gives_the_same_results(template: ForkServer) -> None:
    """Is a submission graded identically with and without the template?"""
    sample = ROOT / "examples" / "sample-submission"
    direct, forked = grade(sample), grade(sample, template=template)
    assert [(t.number, t.score) for t in direct.tests] == [
        (t.number, t.score) for t in forked.tests
    ]
