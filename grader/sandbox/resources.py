"""What a worker may use: its resource limits, the memory it may have, its environment.

The limits are set by the worker on itself (grader/runtime/confine.py, from the `rlimits` computed
here) before any student code runs; a limit lowered cannot be raised again. Not to be
confused with grader.problems.Limits (problems.yaml's time and memory per problem): the
`memory` and `cpu_seconds` passed in here come from those.
"""

from __future__ import annotations

import os
from pathlib import Path

from grader.sandbox import processes

OUTPUT_CAP = 16 * 2**20  # bytes a sandbox process may write to one file
GRADER_RESERVE = 256 * 2**20  # of a cgroup's memory limit, left to the grader
MIN_WORKER_MEMORY = 256 * 2**20  # numpy needs about 200 MB of address space
SPARE_PROCESSES = 128  # processes a sandbox without a user of its own may add to the user's


def rlimits(
    memory: int, cpu_seconds: int, uid: int | None, level: str
) -> dict[str, tuple[int, int]]:
    """The worker's resource limits (name -> soft, hard), as confine.py sets them.

    Args:
        memory: address-space cap in bytes, lowered to `memory_ceiling()`.
        cpu_seconds: CPU-time cap of one worker process.
        uid: the user the worker runs as (None: the grader's own).
        level: the isolation level (grader/sandbox/isolation.py).
    """
    memory = min(memory, memory_ceiling())
    limits = {
        "AS": (memory, memory),
        "CPU": (cpu_seconds, cpu_seconds + 5),
        "FSIZE": (OUTPUT_CAP, OUTPUT_CAP),
        "NOFILE": (256, 256),
        "CORE": (0, 0),
    }
    if uid is not None:  # root is exempt, and other users' counts differ
        limits["NPROC"] = (64, 64)
    elif level != "unsafe":
        # The count is the grading user's: room for this many more processes, no more.
        room = len(processes.of_user(os.getuid())) + SPARE_PROCESSES
        limits["NPROC"] = (room, room)
    return limits


def worker_environment(home: str) -> dict[str, str]:
    """The whole environment of a worker: nothing of the grader's own leaks in."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # machine workarounds
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def memory_ceiling() -> int:
    """The most address space a worker may have: the memory limit of the cgroup the grader
    runs in (Gradescope's container: 768 MB), less room for the grader itself."""
    limit = _cgroup_memory_limit()
    if limit is None:
        return 1 << 62
    return max(limit - GRADER_RESERVE, MIN_WORKER_MEMORY)


def _cgroup_memory_limit(
    own: Path = Path("/proc/self/cgroup"), mounted: Path = Path("/sys/fs/cgroup")
) -> int | None:
    """The smallest memory limit on the way from this process's cgroup up to the root."""
    try:
        lines = own.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    files = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # cgroup v2
            base, name = mounted, "memory.max"
        elif "memory" in controllers.split(","):
            base, name = mounted / "memory", "memory.limit_in_bytes"
        else:
            continue
        folder = base / path.lstrip("/")
        files += [d / name for d in (folder, *folder.parents) if d == base or base in d.parents]
    limits = []
    for file in files:
        try:
            text = file.read_text(encoding="ascii").strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:  # "max", or v1's "no limit" 2**63 - 4096
            limits.append(int(text))
    return min(limits, default=None)
