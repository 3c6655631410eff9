"""Confinement applied inside the sandbox process before any student code runs.

The worker calls `apply` first thing. When the process starts in fresh mount, pid and network
namespaces (made by `unshare`, see grader/sandbox.py) it is still root there, and it:

1. keeps an O_PATH handle on the workspace and on every directory the interpreter needs;
2. remounts / read-only (inside the namespace only);
3. covers /tmp, /var/tmp and /dev/shm with small private tmpfs, and every directory the sandbox
   user could not traverse on the way to the interpreter (e.g. /root, mode 700) with an empty
   tmpfs into which only the needed directories are bound back, read-only;
4. covers every hidden directory (the checkout or package holding the reference solutions
   and hidden cases, /autograder) with an empty read-only tmpfs, binding back only what the
   interpreter needs, and binds the workspace at /tmp/sandbox;
5. drops to the sandbox user (supplementary groups cleared, gid before uid), forbids new
   privileges, and sets the rlimits.

Without namespaces only step 5 applies. Like the worker this file is copied into the sandbox's
runtime directory and depends on the standard library only.
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


def _build_view(config: dict[str, Any]) -> str:
    workspace = config["workspace"]
    reach = sorted({os.path.realpath(p) for p in config.get("reach", []) if os.path.isdir(p)})
    handles = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in reach}
    handles[INSIDE] = os.open(workspace, os.O_PATH | os.O_DIRECTORY)

    blocked_ancestors = _blocked_ancestors(reach, config.get("uid"))  # before anything is covered
    _mount(None, "/", None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _kept_flags("/"))
    covers = [p for p in ("/tmp", "/var/tmp", "/dev/shm") if os.path.isdir(p)]
    for path in covers:
        _mount("tmpfs", path, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=64m,mode=1777")
    # Hidden directories first: a directory the interpreter needs (a venv inside the hidden
    # checkout, say) is bound back into the empty mount just below.
    hidden = [path for path in config.get("hide", []) if os.path.isdir(path)]
    quiet = _MS_NOSUID | _MS_NODEV
    for path in hidden:
        _mount("tmpfs", path, "tmpfs", quiet, "size=1m,mode=755")
    for blocked in blocked_ancestors:
        if not any(blocked.startswith(c + "/") or blocked == c for c in covers):
            _mount("tmpfs", blocked, "tmpfs", quiet, "size=1m,mode=755")
    for path, handle in sorted(handles.items()):
        if _same_dir(path, handle):
            continue  # still visible as it was
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(f"/proc/self/fd/{handle}", path, None, _MS_BIND | _MS_REC)
        # A bind copies the source mount's flags (the root is read-only by now): set them.
        writable = 0 if path == INSIDE else _MS_RDONLY
        _mount(None, path, None, _MS_REMOUNT | _MS_BIND | writable | _kept_flags(path))
    for path in hidden:
        _mount(None, path, None, _MS_REMOUNT | _MS_RDONLY | quiet)
    for handle in handles.values():
        os.close(handle)
    return os.path.join(INSIDE, "work")


def _blocked_ancestors(paths: list[str], uid: int | None) -> list[str]:
    """Directories on the way to `paths` that the sandbox user could not traverse."""
    blocked = set()
    for path in paths:
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts)):
            ancestor = "/" + "/".join(parts[:depth])
            info = os.stat(ancestor)
            if uid is not None and info.st_uid != uid and not info.st_mode & 0o001:
                blocked.add(ancestor)
                break
    return sorted(blocked)


def _same_dir(path: str, handle: int) -> bool:
    try:
        now, then = os.stat(path), os.fstat(handle)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (then.st_dev, then.st_ino)


def _kept_flags(path: str) -> int:
    flags = os.statvfs(path).f_flag
    return sum(mount for bit, mount in _ST_FLAGS.items() if flags & bit and mount != _MS_RDONLY)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    args = [s.encode() if s is not None else None for s in (source, target, fstype, data)]
    if _libc.mount(args[0], args[1], args[2], flags, args[3] or None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")
