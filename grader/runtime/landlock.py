"""Landlock: an unprivileged, irrevocable file-system, network and signal fence for a process.

A small ctypes layer over the three Landlock system calls (Linux 5.13+; the numbers 444-446
are the same on every architecture). `restrict` fences the calling process and every process
it starts later: reading and executing only beneath `read`, everything beneath `write`, reading
and writing the device files in `devices`, and nothing anywhere else. With ABI 4 (Linux 6.7) it
also denies every TCP bind and connect; with ABI 6 (Linux 6.12) signals and abstract unix
sockets cannot reach processes outside the fence. A fenced process can never ptrace one outside
it (so not read the grader's memory or environment). Copied into the sandbox's runtime
directory with the worker: standard library only.
"""

from __future__ import annotations

import ctypes
import os
import stat
from collections.abc import Iterable

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_VERSION = 1  # LANDLOCK_CREATE_RULESET_VERSION
_RULE_PATH_BENEATH = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_ABI_FS = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_TRUNCATE, _IOCTL_DEV = 1 << 14, 1 << 15
_NET_TCP = 0b11  # LANDLOCK_ACCESS_NET_BIND_TCP | CONNECT_TCP (ABI 4)
_SCOPES = 0b11  # LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | SIGNAL (ABI 6)
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | _TRUNCATE | _IOCTL_DEV  # valid on a non-dir

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _RulesetAttr(ctypes.Structure):
    _fields_ = [  # noqa: RUF012  (ctypes layout)
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]  # noqa: RUF012


def abi() -> int:
    """The Landlock ABI version this kernel offers; 0 when Landlock is absent or disabled."""
    version = _libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_VERSION))
    return max(int(version), 0)


def handled_fs(version: int) -> int:
    """Every file-system right the ABI `version` knows (all of them are denied unless granted)."""
    return _ABI_FS[max(v for v in _ABI_FS if v <= version)]


def restrict(read: Iterable[str], write: Iterable[str], devices: Iterable[str] = ()) -> int:
    """Fence this process (and its future children) for good; returns the ABI applied.

    Paths that do not exist, or that this process cannot open, are skipped. Needs
    PR_SET_NO_NEW_PRIVS (or CAP_SYS_ADMIN). Raises OSError when Landlock is unavailable or a
    call fails.
    """
    version = abi()
    if version < 1:
        raise OSError("Landlock is not available on this kernel")
    handled = handled_fs(version)
    attr = _RulesetAttr(handled, _NET_TCP if version >= 4 else 0, _SCOPES if version >= 6 else 0)
    ruleset = _libc.syscall(
        _CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), 0
    )
    if ruleset < 0:
        _fail("landlock_create_ruleset")
    try:
        reading = EXECUTE | READ_FILE | READ_DIR
        for paths, rights in ((read, reading), (write, handled), (devices, handled)):
            for path in paths:
                _allow(int(ruleset), path, rights & handled)
        if _libc.syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), 0) != 0:
            _fail("landlock_restrict_self")
    finally:
        os.close(ruleset)
    return version


def _allow(ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except (FileNotFoundError, PermissionError):  # nothing there this process could use
        return
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= _FILE_RIGHTS
        rule = _PathBeneath(rights, fd)
        if _libc.syscall(
            _ADD_RULE, ctypes.c_int(ruleset), _RULE_PATH_BENEATH, ctypes.byref(rule), 0
        ):
            _fail(f"landlock_add_rule {path}")
    finally:
        os.close(fd)


def _fail(what: str) -> None:
    err = ctypes.get_errno()
    raise OSError(err, f"{what}: {os.strerror(err)}")
