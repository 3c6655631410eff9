"""A sandbox's directory on disk: what lives where, and who may write it.

    root/runtime  the worker's code (RUNTIME_FILES), copied from the grader, unless workers
                  are forked from a template (grader/sandbox/forkserver.py), which has its own copy
    root/logs     what the student's code prints: stdout and stderr, capped files
    root/work     the student's modules (<module>.py, <module>.program.json), the worker's
                  working directory, HOME and TMPDIR

Student code writes none of it: with namespaces it works on a copy of root/work on a private
tmpfs; without, root/work is only read (Landlock grants no write, and the sandbox user, where
there is one, is in its group but does not own it; grader/runtime/confine.py), so no file
system on the host's disk is writable to it. The worker's code and the logs are out of its
reach, so a restarted worker never runs a file an earlier one could change. `overfull`, checked
before every request without namespaces, is a backstop that refills root/work.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# The worker's own code, grader/runtime/: it imports nothing else of the grader's.
RUNTIME = Path(__file__).resolve().parents[1] / "runtime"
RUNTIME_FILES = ("worker.py", "runner.py", "wire.py", "confine.py", "landlock.py", "seccomp.py")
WORKSPACE_BYTES, WORKSPACE_FILES = 64 * 2**20, 4096  # without namespaces, checked per request


class NotAFile(Exception):
    """A log is not a regular file (a link or a FIFO put in its place)."""


@dataclass(frozen=True)
class Workspace:
    """The directory of one sandbox, filled with the student's modules.

    Args:
        root: the directory (root/runtime, root/logs and root/work below it).
        sources: module name -> file content, written as <module>.py into root/work.
        programs: module name -> program file (grader/intake/statements.py `encode`), written as
            <module>.program.json.
        uid: the user the sandbox's code runs as, who owns root/work (None: the grader's own).
    """

    root: Path
    sources: Mapping[str, bytes]
    programs: Mapping[str, bytes]
    uid: int | None

    @classmethod
    def make(
        cls,
        sources: Mapping[str, bytes],
        programs: Mapping[str, bytes],
        uid: int | None,
        runtime: bool = True,
    ) -> Workspace:
        """A new workspace; `runtime`: copy the worker's code in (not when forked)."""
        root = Path(tempfile.mkdtemp(prefix="tutorial9-sandbox-"))
        root.chmod(0o711)
        if runtime:
            (root / "runtime").mkdir(mode=0o755)
            for name in RUNTIME_FILES:
                shutil.copyfile(RUNTIME / name, root / "runtime" / name)
                (root / "runtime" / name).chmod(0o644)
        (root / "logs").mkdir(mode=0o700)
        workspace = cls(root, sources, programs, uid)
        workspace.refill()
        return workspace

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def worker(self) -> Path:
        """The worker's script (only in a workspace made with `runtime`)."""
        return self.root / "runtime" / "worker.py"

    def refill(self) -> None:
        """root/work as it was before any student code ran."""
        work = self.work
        shutil.rmtree(work, ignore_errors=True)  # never follows a link
        work.mkdir(mode=0o700)
        for module, code in self.sources.items():
            (work / f"{module}.py").write_bytes(code)
        for module, program in self.programs.items():
            (work / f"{module}.program.json").write_bytes(program)
        if self.uid is not None:  # its group may read, nobody else; it owns none of them
            os.chown(work, os.geteuid(), self.uid)
            work.chmod(0o750)
            for path in work.iterdir():
                os.chown(path, os.geteuid(), self.uid)
                path.chmod(0o640)

    def overfull(self) -> bool:
        """Whether root/work holds more than WORKSPACE_BYTES or WORKSPACE_FILES."""
        size = files = 0
        todo = [str(self.work)]
        while todo:
            try:
                entries = list(os.scandir(todo.pop()))
            except OSError:
                continue
            for entry in entries:
                files += 1
                with contextlib.suppress(OSError):
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(entry.path)
                    else:
                        size += entry.stat(follow_symlinks=False).st_blocks * 512
                if files > WORKSPACE_FILES or size > WORKSPACE_BYTES:
                    return True
        return False

    def open_logs(self) -> tuple[int, int]:
        """stdout and stderr for a new worker, opened for appending.

        Raises:
            NotAFile: a log is not a regular file.
        """
        return open_log(self.root / "logs" / "stdout"), open_log(self.root / "logs" / "stderr")

    def output(self, limit: int = 2000) -> str:
        """The head of what the student's code printed (stdout then stderr).

        Raises:
            NotAFile: a log is not a regular file.
        """
        parts = []
        for name in ("stdout", "stderr"):
            fd = open_log(self.root / "logs" / name, os.O_RDONLY)
            with os.fdopen(fd, "rb") as handle:
                parts.append(handle.read(limit).decode("utf-8", errors="replace"))
        return "".join(parts)[:limit]

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)  # never follows a link


def open_log(path: Path, flags: int = os.O_WRONLY | os.O_APPEND | os.O_CREAT) -> int:
    """A log file, opened without following a link or blocking on a FIFO: a regular file."""
    fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotAFile(f"{path} is not a regular file")
    return fd
