"""grader/runtime/seccomp.py: each system call family the filter denies, called directly (not
through a C library wrapper that may use another call) on a file this process's user owns, in a
child that installed the filter; and the same call without the filter, which must not fail with
EPERM, so that it is the filter that stops it."""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import stat
from pathlib import Path

import pytest

from grader.runtime import seccomp

pytestmark = pytest.mark.skipif(
    platform.machine() != "x86_64", reason="the call numbers below are x86_64's"
)

AT_FDCWD = -100
O_WRONLY, O_RDWR, O_CREAT, O_DIRECTORY, O_TMPFILE = 0o1, 0o2, 0o100, 0o200000, 0o20200000
FALLOC_FL_KEEP_SIZE = 1
OWNED, NEW, FD = "owned", "new", "fd"  # the owned file's path, a path not there, an fd of it

METADATA = {  # family -> {call: (x86_64 number, arguments)}
    "mode": {
        "chmod": (90, (OWNED, 0o640)),
        "fchmod": (91, (FD, 0o640)),
        "fchmodat": (268, (AT_FDCWD, OWNED, 0o640)),
        "fchmodat2": (452, (AT_FDCWD, OWNED, 0o640, 0)),
    },
    "owner": {
        "chown": (92, (OWNED, -1, -1)),
        "fchown": (93, (FD, -1, -1)),
        "lchown": (94, (OWNED, -1, -1)),
        "fchownat": (260, (AT_FDCWD, OWNED, -1, -1, 0)),
    },
    "times": {
        "utime": (132, (OWNED, None)),
        "utimes": (235, (OWNED, None)),
        "futimesat": (261, (AT_FDCWD, OWNED, None)),
        "utimensat": (280, (AT_FDCWD, OWNED, None, 0)),
    },
    "xattr": {
        "setxattr": (188, (OWNED, b"user.t", b"v", 1, 0)),
        "lsetxattr": (189, (OWNED, b"user.t", b"v", 1, 0)),
        "fsetxattr": (190, (FD, b"user.t", b"v", 1, 0)),
        "setxattrat": (463, (AT_FDCWD, OWNED, 0, b"user.t", None, 0)),
        "removexattr": (197, (OWNED, b"user.t")),
        "lremovexattr": (198, (OWNED, b"user.t")),
        "fremovexattr": (199, (FD, b"user.t")),
        "removexattrat": (466, (AT_FDCWD, OWNED, 0, b"user.t")),
    },
    "fallocate": {"fallocate": (285, (FD, FALLOC_FL_KEEP_SIZE, 0, 1 << 20))},
}
MAKING = {  # denied only with create=False: call -> (x86_64 number, arguments)
    "open O_CREAT": (2, (NEW, O_WRONLY | O_CREAT, 0o600)),
    "openat O_CREAT": (257, (AT_FDCWD, NEW, O_WRONLY | O_CREAT, 0o600)),
    "openat O_TMPFILE": (257, (AT_FDCWD, "dir", O_RDWR | O_TMPFILE, 0o600)),
    "creat": (85, (NEW, 0o600)),
    "mkdir": (83, (NEW, 0o700)),
    "mkdirat": (258, (AT_FDCWD, NEW, 0o700)),
    "mknod": (133, (NEW, stat.S_IFIFO | 0o600, 0)),
    "mknodat": (259, (AT_FDCWD, NEW, stat.S_IFIFO | 0o600, 0)),
    "link": (86, (OWNED, NEW)),
    "linkat": (265, (AT_FDCWD, OWNED, AT_FDCWD, NEW, 0)),
    "symlink": (88, (OWNED, NEW)),
    "symlinkat": (266, (OWNED, AT_FDCWD, NEW)),
}


def _errno_of(number: int, arguments: tuple, folder: Path, **filter_args) -> int:
    """The errno of one raw system call in a forked child (0: it succeeded), made under the
    filter built with `filter_args`, or without any filter when `filter_args` is None."""
    owned = folder / "owned"
    owned.write_bytes(b"x")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no pytest machinery from here on, only os._exit
        try:
            os.close(read)
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            fd = os.open(owned, os.O_RDWR)
            names = {OWNED: str(owned).encode(), NEW: str(folder / "new").encode()}
            names["dir"] = str(folder).encode()
            values = [
                fd if a == FD else ctypes.c_char_p(names[a]) if a in names else a for a in arguments
            ]
            values = [ctypes.c_long(v) if isinstance(v, int) else v for v in values]
            if filter_args.pop("filtered"):
                if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
                    os._exit(2)
                seccomp.install(**filter_args)
            result = libc.syscall(ctypes.c_long(number), *values)
            os.write(write, str(0 if result >= 0 else ctypes.get_errno()).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    return int(text)


def _calls(table: dict) -> list:
    return [pytest.param(number, args, id=name) for name, (number, args) in table.items()]


@pytest.mark.parametrize(
    ("number", "arguments"),
    [
        pytest.param(number, args, id=f"{family}-{name}")
        for family, calls in METADATA.items()
        for name, (number, args) in calls.items()
    ],
)
def test_metadata_changes_and_fallocate_are_denied(
    number: int, arguments: tuple, tmp_path: Path
) -> None:
    """Is each call that changes a file's mode, owner, times or extended attributes, or
    reserves its blocks, refused with EPERM on a file this user owns, under every filter?"""
    unfiltered = _errno_of(number, arguments, tmp_path, filtered=False)
    if unfiltered == errno.ENOSYS:
        pytest.skip("this kernel has no such call")
    assert unfiltered != errno.EPERM  # the owner may, without the filter
    for create in (True, False):
        assert _errno_of(number, arguments, tmp_path, filtered=True, create=create) == errno.EPERM


@pytest.mark.parametrize(("number", "arguments"), _calls(MAKING))
def test_making_files_is_denied_only_where_asked(
    number: int, arguments: tuple, tmp_path: Path
) -> None:
    """With create=False, is every way of making a file, directory or link refused with EPERM,
    while the default filter (a tmpfs or Landlock bounds the writes) lets it happen?"""
    allowed = _errno_of(number, arguments, tmp_path, filtered=True, create=True)
    if allowed == errno.EOPNOTSUPP:  # O_TMPFILE on a file system without it
        pytest.skip("the temporary folder's file system has no O_TMPFILE")
    assert allowed == 0
    for made in tmp_path.iterdir():
        if made.name != "owned":
            made.unlink() if not made.is_dir() or made.is_symlink() else made.rmdir()
    assert _errno_of(number, arguments, tmp_path, filtered=True, create=False) == errno.EPERM
    assert sorted(p.name for p in tmp_path.iterdir()) == ["owned"]


def test_without_making_files_existing_ones_still_open(tmp_path: Path) -> None:
    """Does create=False leave opening an existing file (no O_CREAT) alone, and openat2 (whose
    flags a filter cannot read) answer ENOSYS?"""
    flags = (AT_FDCWD, OWNED, O_RDWR, 0)
    assert _errno_of(257, flags, tmp_path, filtered=True, create=False) == 0
    assert _errno_of(437, (AT_FDCWD, OWNED, None, 24), tmp_path, filtered=True, create=False) == (
        errno.ENOSYS
    )
