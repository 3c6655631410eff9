"""Confinement applied inside the sandbox process before any student code runs.

The worker calls `apply` first thing. When the process starts in fresh mount, pid and network
namespaces (made by `unshare`, see grader/sandbox.py) it is still root there, and it builds
the whole file system the student's code will see, then moves into it (pivot_root):

- /usr, /bin, /lib*, /sbin and /etc, read-only (the system libraries and configuration);
- the directories of the interpreter and its packages, read-only, at their own paths;
- the workspace at /tmp/sandbox, writable, and a private /tmp, /dev/shm (small tmpfs);
- a minimal /dev (null, zero, full, random, urandom) and a /proc of the new pid namespace.

Nothing else exists in there: not the grader, the references, the hidden cases, /autograder,
other checkouts, home directories. Directories listed as hidden that lie inside what is bound
(the grader and references installed in site-packages) are covered by empty mounts. Then the
process drops to the sandbox user (supplementary groups cleared, gid before uid), forbids new
privileges and sets the rlimits; without namespaces only that last step applies. Like the
worker this file is copied into the sandbox's runtime directory: standard library only.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
from typing import Any

INSIDE = "/tmp/sandbox"  # where the workspace appears inside the mount namespace

_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC = 32, 4096, 16384
_ST_FLAGS = {  # statvfs f_flag bit -> mount flag that an unprivileged remount must keep
    1: _MS_RDONLY,
    2: _MS_NOSUID,
    4: _MS_NODEV,
    8: _MS_NOEXEC,
    1024: 1024,
    2048: 2048,
    4096: 4096,
}
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_PDEATHSIG = 1
_CLONE_NEWNS, _CLONE_NEWPID, _CLONE_NEWNET = 0x00020000, 0x20000000, 0x40000000
_MS_PRIVATE = 1 << 18
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(os.uname().machine, 155)
_RLIMITS = {
    "AS": resource.RLIMIT_AS,
    "CPU": resource.RLIMIT_CPU,
    "FSIZE": resource.RLIMIT_FSIZE,
    "NOFILE": resource.RLIMIT_NOFILE,
    "NPROC": resource.RLIMIT_NPROC,
    "CORE": resource.RLIMIT_CORE,
}
_libc = ctypes.CDLL(None, use_errno=True)


def apply(config: dict[str, Any]) -> str:
    """Confine this process as `config` says; returns the directory to work in."""
    work = config["work"]
    if config.get("mounts"):
        work = _build_view(config)
    os.chdir(work)
    if config.get("uid") is not None:
        os.setgroups([])
        os.setgid(config["gid"])
        os.setuid(config["uid"])
        if os.getuid() != config["uid"] or _can_regain_root():
            raise RuntimeError("privilege drop failed")
    _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    for name, (soft, hard) in config.get("rlimits", {}).items():
        resource.setrlimit(_RLIMITS[name], (soft, hard))
    return work


def unshare_namespaces() -> None:
    """New mount, pid and network namespaces for this process's next child (as `unshare`)."""
    if _libc.unshare(_CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"unshare: {os.strerror(err)}")
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing propagates back to the host


def mount_proc() -> None:
    """A /proc that shows only this pid namespace (call as its first process)."""
    _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)


def die_with_parent() -> None:
    """SIGKILL this process when its parent dies, so killing the guard kills the worker."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _can_regain_root() -> bool:
    try:
        os.setuid(0)
    except PermissionError:
        return False
    return True


_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
_DEVICES = ("null", "zero", "full", "random", "urandom")
_MNT_DETACH = 2


def _build_view(config: dict[str, Any]) -> str:
    """Build the sandbox's root file system and pivot into it; returns the work directory."""
    reach = sorted({os.path.realpath(p) for p in config.get("reach", []) if os.path.isdir(p)})
    sources = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in reach}
    sources[INSIDE] = os.open(config["workspace"], os.O_PATH | os.O_DIRECTORY)
    quiet = _MS_NOSUID | _MS_NODEV

    # The new root is a tmpfs on a private /tmp: both vanish with the namespace.
    _mount("tmpfs", "/tmp", "tmpfs", quiet, "size=1m,mode=700")
    root = "/tmp/root"
    os.mkdir(root, 0o755)
    _mount("tmpfs", root, "tmpfs", quiet, "size=1m,mode=755")
    for path in ("/tmp", "/dev/shm"):
        os.makedirs(root + path, 0o755)
        _mount("tmpfs", root + path, "tmpfs", quiet, "size=64m,mode=1777")
    for path in _SYSTEM:
        if os.path.islink(path):
            os.symlink(os.readlink(path), root + path)  # merged /usr: /bin -> usr/bin
        elif os.path.isdir(path):
            _bind(path, root + path, read_only=True)
    for path, handle in sorted(sources.items()):
        if not os.path.isdir(root + path) or path == INSIDE:
            _bind(f"/proc/self/fd/{handle}", root + path, read_only=path != INSIDE)
        os.close(handle)
    for name in _DEVICES:
        open(f"{root}/dev/{name}", "w").close()  # noqa: SIM115  (a mount point, not a file)
        _bind(f"/dev/{name}", f"{root}/dev/{name}", read_only=False)
    os.symlink("/proc/self/fd", f"{root}/dev/fd")
    os.makedirs(root + "/proc", 0o755)
    _mount("proc", root + "/proc", "proc", quiet | _MS_NOEXEC)
    for path in config.get("hide", []):
        if os.path.isdir(root + path):
            _mount("tmpfs", root + path, "tmpfs", quiet | _MS_RDONLY, "size=4k,mode=755")

    os.chdir(root)
    if _libc.syscall(_SYS_PIVOT_ROOT, b".", b".") != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"pivot_root: {os.strerror(err)}")
    if _libc.umount2(b".", _MNT_DETACH) != 0:  # the old root, now stacked on top
        err = ctypes.get_errno()
        raise OSError(err, f"umount old root: {os.strerror(err)}")
    os.chdir("/")
    _mount(None, "/", None, _MS_REMOUNT | _MS_RDONLY | quiet)
    return os.path.join(INSIDE, "work")


def _bind(source: str, target: str, read_only: bool) -> None:
    if not os.path.exists(target):
        os.makedirs(target, 0o755)
    _mount(source, target, None, _MS_BIND | _MS_REC)
    # A bind keeps the source mount's flags unless remounted with the ones wanted.
    flags = _MS_REMOUNT | _MS_BIND | (_MS_RDONLY if read_only else 0) | _kept_flags(target)
    _mount(None, target, None, flags)


def _kept_flags(path: str) -> int:
    flags = os.statvfs(path).f_flag
    return sum(mount for bit, mount in _ST_FLAGS.items() if flags & bit and mount != _MS_RDONLY)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    args = [s.encode() if s is not None else None for s in (source, target, fstype, data)]
    if _libc.mount(args[0], args[1], args[2], flags, args[3] or None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")
