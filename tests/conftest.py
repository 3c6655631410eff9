"""Fixtures shared by several test modules."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest


@pytest.fixture
def cpu_hogs() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Two processes that spin on a CPU each for as long as the test runs (a loaded machine);
    the test may check that they really ran throughout."""
    hogs: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(2):
            hogs.append(
                subprocess.Popen(
                    [sys.executable, "-c", "while True:\n    pass\n"], stdin=subprocess.DEVNULL
                )
            )
        yield hogs
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
