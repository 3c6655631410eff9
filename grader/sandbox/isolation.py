"""Isolation levels: what keeps student code in its place on this machine, the probe, and
what a worker at a level sees (`confinement`, which grader/runtime/confine.py builds).

Levels, strongest first (LEVELS says the same in one line each; measured against attacks by
tests/test_hostile.py):

- `full`: root with CAP_SYS_ADMIN. The worker runs as a user of its own, in new pid, mount,
  IPC and network namespaces, inside a file system built for it (grader/runtime/confine.py).
- `user`: root without CAP_SYS_ADMIN (Docker, Gradescope). A user of its own, kept from the
  references by file permissions; a subreaper guard and a kill by uid end its processes.
- `namespaces`: not root, unprivileged user namespaces allowed. The grading user's uid, but
  the same namespaces and view as `full`.
- `landlock`: not root, no user namespaces. The grading user's uid, fenced by Landlock (read
  only the system and the interpreter, write only the workspace), a subreaper guard and a
  process cap.
- `unsafe`: none of these. Resource limits only; `require` refuses it unless the code is
  trusted.
At every level the worker holds no capability and sets NO_NEW_PRIVS; it applies Landlock and
grader/runtime/seccomp.py's filter wherever the probe found them (never at `unsafe`).

How `probe` decides: it runs `unshare ... true` with the namespaces a worker gets (through an
unprivileged user namespace when not root); if that works the level is `full` as root and
`namespaces` otherwise. Without namespaces, root gets `user` only if every directory of the
interpreter and its packages is readable by other users (else the sandbox user could not
import numpy), and a non-root grader gets `landlock` only if the kernel has both Landlock and
seccomp. Anything else is `unsafe`, with notes saying what was missing.
"""

from __future__ import annotations

import os
import pwd
import shutil
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.runtime import landlock, seccomp

SANDBOX_USER = "tutorial9-sandbox"
FALLBACK_UID = 64999  # used when the dedicated user does not exist: unassigned on Debian/Ubuntu
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")

LEVELS = {  # level -> what keeps student code in its place (measured: tests/test_hostile.py)
    "full": "a user of its own, in its own pid, mount, IPC and network namespaces",
    "user": "a user of its own (root without CAP_SYS_ADMIN, as in Docker and Gradescope)",
    "namespaces": "an unprivileged user namespace: own pid, mount, IPC and network namespaces",
    "landlock": "Landlock and seccomp only: the grading user's own uid, no namespaces",
    "unsafe": "nothing but resource limits: only for code you trust",
}
UNSAFE_ADVICE = (
    "This machine cannot keep student code away from the references, the hidden cases, the "
    "grader and its results: {why}. Run the grader as root or in a container (as on "
    "Gradescope), enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone"
    "=1, or on Ubuntu kernel.apparmor_restrict_unprivileged_userns=0), use a kernel with "
    "Landlock (Linux 5.13+), or pass --unsafe-trust-submissions for code you trust."
)


class SandboxUnavailable(Exception):
    """No isolation this machine offers is safe; `str()` says why and what to do."""


@dataclass(frozen=True)
class Isolation:
    """What isolation is available on this machine, as measured by `probe`."""

    level: str  # a key of LEVELS
    uid: int | None  # the sandbox user, when running as root
    namespaces: bool  # pid, mount, IPC and network namespaces
    unshare: tuple[str, ...]  # the unshare command prefix, empty without namespaces
    notes: tuple[str, ...] = ()
    landlock: int = 0  # the Landlock ABI applied in the worker; 0 without Landlock
    seccomp: bool = False  # whether the worker installs grader/runtime/seccomp.py's filter

    @property
    def safe(self) -> bool:
        """Whether student code is kept from the references, the cases and the grader."""
        return self.level != "unsafe"

    def describe(self) -> dict[str, Any]:
        """The record that goes into results.json's extra_data."""
        return {
            "level": self.level,
            "protects": LEVELS.get(self.level, ""),
            "separate_user": self.uid is not None,
            "pid_mount_network_namespaces": self.namespaces,
            "landlock_abi": self.landlock,
            "seccomp": self.seccomp,
            "notes": list(self.notes),
        }


_probed: Isolation | None = None


def probe() -> Isolation:
    """Find the strongest isolation this machine allows (measured once per process)."""
    global _probed
    if _probed is None:
        _probed = _probe()
    return _probed


def _probe() -> Isolation:
    root = os.geteuid() == 0
    unshare = shutil.which("unshare")
    base = [unshare, "--pid", "--fork", "--kill-child", "--mount", "--mount-proc", "--net", "--ipc"]
    fences = {"landlock": landlock.abi(), "seccomp": seccomp.supported()}
    notes = []
    if not fences["landlock"]:
        notes.append("no Landlock on this kernel")
    if unshare:
        prefix = tuple(base if root else [unshare, "--user", "--map-root-user", *base[1:]])
        probe_run = subprocess.run(
            [*prefix, "true"], stdin=subprocess.DEVNULL, capture_output=True, timeout=10
        )
        if probe_run.returncode == 0:
            if root:
                return Isolation("full", _sandbox_uid(), True, prefix, tuple(notes), **fences)
            notes.append("not root: student code runs as the grading user, in a user namespace")
            return Isolation("namespaces", None, True, prefix, tuple(notes), **fences)
        why = probe_run.stderr.decode(errors="replace").strip()[:200]
        notes.append(f"namespaces unavailable: {why}")
    else:
        notes.append("namespaces unavailable: no unshare command")
    if root:
        hidden = [d for d in interpreter_dirs() if not _reachable_by_others(Path(d))]
        if not hidden:
            return Isolation("user", _sandbox_uid(), False, (), tuple(notes), **fences)
        notes.append(
            f"the interpreter's directories are not readable by other users ({hidden[0]}): "
            "put the virtual environment where every user can read it, as setup.sh does"
        )
    elif fences["landlock"] and fences["seccomp"]:
        notes.append("not root: student code runs as the grading user, fenced by Landlock")
        return Isolation("landlock", None, False, (), tuple(notes), **fences)
    return Isolation("unsafe", None, False, (), tuple(notes))


def require(isolation: Isolation, trust: bool = False) -> None:
    """Stop before any student code runs, unless `isolation` is safe or the code is trusted.

    Raises:
        SandboxUnavailable: with a message naming the options.
    """
    if not isolation.safe and not trust:
        raise SandboxUnavailable(UNSAFE_ADVICE.format(why="; ".join(isolation.notes)))


def interpreter_dirs() -> list[str]:
    """Directories the worker's interpreter and its packages live in."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.add(str(Path(sys.executable).resolve().parent))
    paths.update(site.getsitepackages())
    return sorted(p for p in paths if os.path.isdir(p))


def confinement(
    isolation: Isolation, work: str, hide: tuple[str, ...], uid: int | None
) -> dict[str, Any]:
    """What grader/runtime/confine.py makes of a worker at this level (its "confine" config, less
    the
    rlimits of grader/sandbox/resources.py): `work` its working directory, `hide` the directories it
    must not see, `uid` the user it runs as (None: the grader's own)."""
    hidden = [str(Path(p).resolve()) for p in hide]
    # /proc, where what it shows is the sandbox's own (a pid namespace) or guarded by
    # permissions (a user of its own); never where the worker shares the grader's uid.
    proc = ["/proc"] if isolation.namespaces or uid is not None else []
    return {
        "work": work,
        "mounts": isolation.namespaces,
        "hide": hidden,
        "reach": interpreter_dirs(),
        "read": readable([*SYSTEM_DIRS, *interpreter_dirs()], hidden, isolation) + proc,
        "landlock": isolation.landlock > 0,
        "seccomp": isolation.seccomp,
        "uid": uid,
        "gid": uid,
    }


def readable(paths: list[str], hidden: list[str], isolation: Isolation) -> list[str]:
    """What Landlock lets the worker read: `paths`, less every hidden directory inside them.

    Landlock only ever grants, so a folder that holds a hidden one (site-packages with the
    grader installed in it) is granted entry by entry, around the hidden one.
    """
    if not isolation.landlock:
        return []
    found: list[str] = []
    for path in dict.fromkeys(os.path.realpath(p) for p in paths):
        if os.path.isdir(path):
            found += _around(path, hidden)
    return found


def _around(path: str, hidden: list[str]) -> list[str]:
    if path in hidden:
        return []
    inner = [h for h in hidden if h.startswith(path.rstrip("/") + "/")]
    if not inner:
        return [path]
    found: list[str] = []
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_symlink():
                continue  # a link is followed to its target, which is granted or not itself
            found += _around(entry.path, inner) if entry.is_dir() else [entry.path]
    return found


def _sandbox_uid() -> int:
    try:
        return pwd.getpwnam(SANDBOX_USER).pw_uid
    except KeyError:
        return FALLBACK_UID


def _reachable_by_others(directory: Path) -> bool:
    """Whether any user can list `directory` and pass through every directory above it."""
    directory = directory.resolve()
    readable = directory.stat().st_mode & 0o005 == 0o005
    return readable and all(p.stat().st_mode & 0o001 for p in directory.parents)
