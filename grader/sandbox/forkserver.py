"""A pre-loaded template process that forks sandbox workers, for grading many submissions.

Starting a worker costs an interpreter and a numpy import (about 0.2 s). A `ForkServer` pays
that once: it is a trusted process (it never runs student code) that has imported numpy and
the worker's code, and forks a guard per sandbox; the guard makes the namespaces and forks the
worker, which confines itself exactly as a directly started one does (grader/runtime/confine.py).
The sandbox contract is unchanged (grader/sandbox/supervisor.py); only the way the process
comes to exist
differs. Killing the guard kills the worker (PR_SET_PDEATHSIG), and with it its pid namespace;
without one the guard adopts the worker's orphans and the sandbox kills its whole tree.

Used with root's full isolation, or without namespaces at all; an unprivileged user
namespace needs `unshare --user`, so those sandboxes start directly instead.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from grader.sandbox.isolation import Isolation, probe
from grader.sandbox.resources import worker_environment
from grader.sandbox.workspace import RUNTIME, RUNTIME_FILES


class ForkServer:
    """The template process; use as a context manager around a batch of sandboxes."""

    def __init__(self, isolation: Isolation | None = None) -> None:
        self.isolation = isolation or probe()
        self._root: Path | None = None
        self._link: socket.socket | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def usable(self) -> bool:
        """Whether sandboxes with this isolation can be forked from a template."""
        return not self.isolation.unshare or self.isolation.uid is not None

    def __enter__(self) -> ForkServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the template process (it loads numpy in the background)."""
        if self._proc is not None:
            return
        self._root = Path(tempfile.mkdtemp(prefix="tutorial9-template-"))
        self._root.chmod(0o755)
        for name in RUNTIME_FILES:
            shutil.copyfile(RUNTIME / name, self._root / name)
            (self._root / name).chmod(0o644)
        self._link, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-u",
                str(self._root / "worker.py"),
                "--template",
                str(theirs.fileno()),
            ],  # fmt: skip
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            env=worker_environment(home="/tmp"),
            start_new_session=True,
        )
        theirs.close()

    def spawn(self, config: dict[str, Any], fds: list[int]) -> None:
        """Ask for a worker with `config` and the four descriptors; returns at once.

        The template may still be importing numpy: the guard's pid is read with `next_pid`,
        in the same order, when it is needed.
        """
        self.start()
        assert self._link is not None
        socket.send_fds(self._link, [json.dumps(config).encode()], fds)

    def next_pid(self) -> int:
        """The pid of the guard of the oldest spawn whose pid has not been read yet."""
        assert self._link is not None
        answer = b""
        while len(answer) < 8:
            chunk = self._link.recv(8 - len(answer))
            if not chunk:
                raise RuntimeError("the worker template exited")
            answer += chunk
        return int.from_bytes(answer, "big")

    def close(self) -> None:
        """Stop the template; workers it forked are the sandboxes' to kill."""
        if self._link is not None:
            self._link.close()
            self._link = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
