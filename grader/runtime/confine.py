"""Confinement applied inside the sandbox process before any student code runs.

The worker calls `apply` first thing. When the process starts in fresh mount, pid, IPC and
network namespaces (made by `unshare`, see grader/sandbox/isolation.py) it is still root there,
and it
builds the whole file system the student's code will see, then moves into it (pivot_root):

- /usr, /bin, /lib*, /sbin and /etc, read-only (the system libraries and configuration);
- the directories of the interpreter and its packages, read-only, at their own paths (also
  when they lie inside a hidden directory, such as a .venv in the project);
- a copy of the student's modules at /tmp/sandbox/work, on a small private tmpfs that also
  holds /tmp (so disk and inode use are bounded), a small /dev/shm;
- a minimal /dev (null, zero, full, random, urandom) and a /proc of the new pid namespace.

Nothing else exists in there: not the grader, its runtime files, the references, the hidden
cases, /autograder, other checkouts, home directories. Directories listed as hidden that lie
inside what is bound are covered by empty read-only mounts. Then, at every level:

1. every capability goes: the bounding set is emptied and the securebits locked while the
   process may still do so, the uid drops to the sandbox user where there is one (groups
   cleared, gid before uid), and the permitted, effective, inheritable and ambient sets are
   emptied; in a user namespace the process stays uid 0 there but holds nothing, so it can
   neither remount a read-only bind nor unmount what hides the project;
2. PR_SET_NO_NEW_PRIVS, then the rlimits;
3. Landlock (grader/runtime/landlock.py), where the kernel has it: read only `read`, write only the
   workspace and the private /tmp on their tmpfs, and nothing at all without one (the workspace
   is then only read), no TCP, signals and abstract sockets scoped;
4. a seccomp filter (grader/runtime/seccomp.py): no ptrace, namespaces, mounts, sockets, SysV
   IPC, fallocate, or change of any file's mode, owner, times or extended attributes; without a
   tmpfs or Landlock, no new file, directory or link either.

So the disk that holds the temporary folder grows only by the two captured output files
(RLIMIT_FSIZE each) whatever student code does, also within one call.

Like the worker this file is copied into the sandbox's runtime directory: standard library
and its sibling runtime modules only.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import stat
from typing import Any

import landlock  # siblings in the runtime directory, imported before any view hides it
import seccomp

INSIDE = "/tmp/sandbox"  # where the workspace appears inside the mount namespace
TMP_SIZE, SHM_SIZE, INODES = "64m", "16m", 4096  # the private /tmp (workspace) and /dev/shm
MODULE_BYTES = 16 * 2**20  # the most of one module copied into the view

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
_PR_SET_NO_NEW_PRIVS, _PR_SET_PDEATHSIG, _PR_SET_CHILD_SUBREAPER = 38, 1, 36
_PR_CAPBSET_DROP, _PR_SET_SECUREBITS, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 24, 28, 47, 4
# SECBIT_NOROOT, _NOROOT_LOCKED, _NO_SETUID_FIXUP_LOCKED, _KEEP_CAPS_LOCKED,
# _NO_CAP_AMBIENT_RAISE and its lock: uid 0 gains nothing from exec, and that cannot change.
_SECUREBITS = 0x01 | 0x02 | 0x08 | 0x20 | 0x40 | 0x80
_CAPABILITY_VERSION_3 = 0x20080522
_CLONE_NEWNS, _CLONE_NEWPID, _CLONE_NEWNET = 0x00020000, 0x20000000, 0x40000000
_CLONE_NEWIPC = 0x08000000
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
    """Confine this process as `config` says; returns the directory to work in.

    Raises (before any student code runs) if a step that `config` asks for fails.
    """
    work = config["work"]
    if config.get("mounts"):
        work = _build_view(config)
    os.chdir(work)
    _drop_privileges(config.get("uid"), config.get("gid"))
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise RuntimeError("PR_SET_NO_NEW_PRIVS failed")
    for name, (soft, hard) in config.get("rlimits", {}).items():
        resource.setrlimit(_RLIMITS[name], (soft, hard))
    fenced = 0
    mounts = bool(config.get("mounts"))
    if config.get("landlock"):
        # Only a private tmpfs bounds what is written; without one (the workspace lies on the
        # host's disk) nothing is writable, the workspace included: it is only read.
        writable = [work, "/tmp", "/dev/shm"] if mounts else []
        read = config.get("read", []) + ([] if mounts else [work])
        devices = [f"/dev/{d}" for d in _DEVICES]
        fenced = landlock.restrict(read, writable, devices)
    if config.get("seccomp"):
        # Without a pid namespace or a user of its own, only Landlock (ABI 6) keeps signals
        # from the grader and the user's other processes; where it cannot, seccomp does.
        alone = mounts or config.get("uid") is not None or fenced >= 6
        seccomp.install(
            None if alone else os.getpid(),
            truncate=fenced >= 3 or not fenced,
            create=mounts or fenced > 0,  # neither a tmpfs nor Landlock: make no file at all
        )
    return work


def unshare_namespaces() -> None:
    """New mount, pid, IPC and network namespaces for this process's next child (as `unshare`)."""
    if _libc.unshare(_CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWNET | _CLONE_NEWIPC) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"unshare: {os.strerror(err)}")
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing propagates back to the host


def mount_proc() -> None:
    """A /proc that shows only this pid namespace (call as its first process)."""
    _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)


def die_with_parent() -> None:
    """SIGKILL this process when its parent dies, so killing the guard kills the worker."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def become_subreaper() -> None:
    """Adopt every orphaned descendant, so that none escapes the kill
    (grader/sandbox/processes.py)."""
    _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _drop_privileges(uid: int | None, gid: int | None) -> None:
    """Leave no capability in any set, as the sandbox user if there is one (see the top)."""
    if _capabilities()["CapEff"]:  # root here (maybe only in a user namespace)
        _libc.prctl(_PR_SET_SECUREBITS, _SECUREBITS, 0, 0, 0)
        for cap in range(_last_capability() + 1):
            if _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise RuntimeError(f"cannot drop capability {cap} from the bounding set")
    if uid is not None:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        if os.getuid() != uid or _can_regain_root():
            raise RuntimeError("privilege drop failed")
    header = (ctypes.c_uint32 * 2)(_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: twice 32 bits, all 0
    if _libc.capset(header, data) != 0:
        raise RuntimeError("capset failed")
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    held = {k: v for k, v in _capabilities().items() if v and k != "CapBnd"}
    if held or (_capabilities()["CapBnd"] and os.getuid() == 0):
        raise RuntimeError(f"capabilities left after dropping them: {held}")


def _capabilities() -> dict[str, int]:
    """The capability sets of this process, from /proc/self/status (read before any view)."""
    sets = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Cap"):
                name, value = line.split(":")
                sets[name] = int(value, 16)
    return sets


def _last_capability() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as handle:
            return int(handle.read())
    except OSError:
        return 63


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
    hide = [os.path.realpath(p) for p in config.get("hide", [])]
    reach = sorted({os.path.realpath(p) for p in config.get("reach", []) if os.path.isdir(p)})
    sources = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in reach}
    modules = _read_modules(config["work"])
    quiet = _MS_NOSUID | _MS_NODEV

    # The new root is a tmpfs on a private /tmp: both vanish with the namespace.
    _mount("tmpfs", "/tmp", "tmpfs", quiet, "size=1m,mode=700")
    root = "/tmp/root"
    os.mkdir(root, 0o755)
    _mount("tmpfs", root, "tmpfs", quiet, "size=1m,mode=755")
    for path, size in (("/tmp", TMP_SIZE), ("/dev/shm", SHM_SIZE)):
        os.makedirs(root + path, 0o755)
        _mount("tmpfs", root + path, "tmpfs", quiet, f"size={size},nr_inodes={INODES},mode=1777")
    for path in _SYSTEM:
        if os.path.islink(path):
            os.symlink(os.readlink(path), root + path)  # merged /usr: /bin -> usr/bin
        elif os.path.isdir(path):
            _bind(path, root + path, read_only=True)
    inside_hidden = {p for p in reach if any(_within(p, h) for h in hide)}
    for path in reach:
        if path not in inside_hidden and not os.path.isdir(root + path):
            _bind(f"/proc/self/fd/{sources[path]}", root + path, read_only=True)
    covers = [root + p for p in hide if os.path.isdir(root + p)]
    for cover in covers:
        _mount("tmpfs", cover, "tmpfs", quiet, "size=64k,mode=755")
    for path in sorted(inside_hidden):  # a .venv inside the project: shown again, alone
        _bind(f"/proc/self/fd/{sources[path]}", root + path, read_only=True)
    for cover in covers:
        _mount(None, cover, None, _MS_REMOUNT | _MS_RDONLY | quiet)
    for handle in sources.values():
        os.close(handle)
    for name in _DEVICES:
        open(f"{root}/dev/{name}", "w").close()  # noqa: SIM115  (a mount point, not a file)
        _bind(f"/dev/{name}", f"{root}/dev/{name}", read_only=False)
    os.symlink("/proc/self/fd", f"{root}/dev/fd")
    os.makedirs(root + "/proc", 0o755)
    _mount("proc", root + "/proc", "proc", quiet | _MS_NOEXEC)
    work = os.path.join(INSIDE, "work")
    _write_modules(root + work, modules, config.get("uid"))

    os.chdir(root)
    if _libc.syscall(_SYS_PIVOT_ROOT, b".", b".") != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"pivot_root: {os.strerror(err)}")
    if _libc.umount2(b".", _MNT_DETACH) != 0:  # the old root, now stacked on top
        err = ctypes.get_errno()
        raise OSError(err, f"umount old root: {os.strerror(err)}")
    os.chdir("/")
    _mount(None, "/", None, _MS_REMOUNT | _MS_RDONLY | quiet)
    return work


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _read_modules(folder: str) -> dict[str, bytes]:
    """The regular files directly in `folder` (the student's modules), never following links."""
    modules = {}
    for name in os.listdir(folder):
        try:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        with os.fdopen(fd, "rb") as handle:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                modules[name] = handle.read(MODULE_BYTES)
    return modules


def _write_modules(folder: str, modules: dict[str, bytes], uid: int | None) -> None:
    """The workspace on the private tmpfs, owned by the user who runs the student's code."""
    os.makedirs(folder, 0o700)
    for name, data in modules.items():
        with open(os.path.join(folder, name), "xb") as handle:
            handle.write(data)
        if uid is not None:
            os.chown(os.path.join(folder, name), uid, uid)
    for path in (folder, os.path.dirname(folder)):
        if uid is not None:
            os.chown(path, uid, uid)


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
