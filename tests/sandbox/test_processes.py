"""grader/sandbox/processes.py: process trees, CPU ticks and kills, as read from /proc."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from grader.sandbox import processes


@pytest.fixture
def shell_tree() -> Iterator[subprocess.Popen[bytes]]:
    """A shell with three descendants: a sleep, a subshell, and the subshell's sleep."""
    shell = subprocess.Popen(
        ["bash", "-c", "sleep 30 & (sleep 30 & wait) & wait"], start_new_session=True
    )
    try:
        deadline = time.monotonic() + 10
        while len(processes.descendants(shell.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        yield shell
    finally:
        with contextlib.suppress(ProcessLookupError):  # gone already if its tree was killed
            os.killpg(shell.pid, signal.SIGKILL)
        shell.wait()


def test_the_tree_walk_finds_what_a_scan_of_every_process_finds() -> None:
    """Does walking /proc's children lists find the same process tree, and the same CPU
    time, as scanning every process of the machine (the fallback)?"""
    script = (
        f"sleep 30 & (sleep 30 & wait) & {shlex.quote(sys.executable)} -c 'while True: pass' & wait"
    )
    tree = subprocess.Popen(["bash", "-c", script], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while len(processes._scanned_tree_ticks(tree.pid)[1]) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(tree.pid, signal.SIGSTOP)  # a still tree: both readings see the same
        for child, _ in processes.descendants(tree.pid):
            os.kill(child, signal.SIGSTOP)
        walked, scanned = processes.tree_ticks(tree.pid), processes._scanned_tree_ticks(tree.pid)
        assert len(walked[1]) == 5 and walked == scanned
    finally:
        os.killpg(tree.pid, signal.SIGKILL)
        tree.wait()


def test_kill_tree_kills_every_descendant_and_names_them(shell_tree) -> None:
    """Are all descendants killed and reported with their start times, and the root spared?"""
    before = set(processes.descendants(shell_tree.pid))
    assert len(before) == 3
    assert all(processes.start_time(pid) == started for pid, started in before)
    assert processes.kill_tree(shell_tree.pid) == before
    assert processes.descendants(shell_tree.pid) == []
    assert shell_tree.wait(timeout=10) == 0  # not killed: it ended when its children did


def test_a_zombie_is_not_alive_but_keeps_its_times_until_reaped() -> None:
    """Is an exited, unreaped child left out of the live processes, its stat still read?"""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while processes.start_time(child.pid) is not None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert processes.start_time(child.pid) is None
        assert child.pid not in processes.of_user(os.getuid())
        assert os.getpid() in processes.of_user(os.getuid())
        read = processes.stat(child.pid)
        assert read is not None and read[0] == os.getpid()
    finally:
        child.wait()
    assert processes.stat(child.pid) is None
