"""A seccomp filter: the system calls student code never needs and an escape would.

Denied with EPERM (the process lives on; the call just fails): ptrace and reading other
processes' memory; new namespaces (unshare, setns, clone with a CLONE_NEW* flag), so no user
namespace and no mount can ever be made; mounting of any kind; creating sockets (socketpair is
left: it reaches nothing); SysV shared memory, semaphores and message queues, which outlive
processes and are not confined by the file system; keyrings, bpf, userfaultfd,
perf_event_open and io_uring; fallocate, which reserves disk blocks past RLIMIT_FSIZE
(FALLOC_FL_KEEP_SIZE), also on the captured stdout and stderr files; and every change of a
file's metadata (mode, owner, timestamps, extended attributes: Landlock governs none of them, so
code with the grading user's uid could chmod that user's virtual environment). clone3 answers
ENOSYS, so that the C library falls back to clone,
whose flags a filter can read. A call from a foreign ABI (x32, 32-bit) kills the process.
Where Landlock cannot scope signals (ABI < 6) or truncation (ABI < 3), `install` can also
allow signals only to the process itself and deny truncate(2) by path; where neither a private
tmpfs nor Landlock keeps files from being made on the host's disk, it denies making them
(`create`): open with O_CREAT or O_TMPFILE, mkdir, mknod, link and symlink.
Copied into the sandbox's runtime directory with the worker: standard library only.
"""

from __future__ import annotations

import ctypes
import errno
import os

_ARCH = os.uname().machine
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_DENIED = {  # name -> (x86_64, aarch64)
    "ptrace": (101, 117),
    "process_vm_readv": (310, 270),
    "process_vm_writev": (311, 271),
    "pidfd_getfd": (438, 438),
    "unshare": (272, 97),
    "setns": (308, 268),
    "mount": (165, 40),
    "umount2": (166, 39),
    "pivot_root": (155, 41),
    "open_tree": (428, 428),
    "move_mount": (429, 429),
    "fsopen": (430, 430),
    "fsconfig": (431, 431),
    "fsmount": (432, 432),
    "fspick": (433, 433),
    "mount_setattr": (442, 442),
    "socket": (41, 198),
    "shmget": (29, 194),
    "semget": (64, 190),
    "msgget": (68, 186),
    "add_key": (248, 217),
    "request_key": (249, 218),
    "keyctl": (250, 219),
    "bpf": (321, 280),
    "userfaultfd": (323, 282),
    "perf_event_open": (298, 241),
    "io_uring_setup": (425, 425),
    "fallocate": (285, 47),
}
_METADATA = {  # name -> (x86_64, aarch64); None: the architecture has no such call
    "chmod": (90, None),
    "fchmod": (91, 52),
    "fchmodat": (268, 53),
    "fchmodat2": (452, 452),
    "chown": (92, None),
    "fchown": (93, 55),
    "lchown": (94, None),
    "fchownat": (260, 54),
    "utime": (132, None),
    "utimes": (235, None),
    "futimesat": (261, None),
    "utimensat": (280, 88),
    "setxattr": (188, 5),
    "lsetxattr": (189, 6),
    "fsetxattr": (190, 7),
    "setxattrat": (463, 463),
    "removexattr": (197, 14),
    "lremovexattr": (198, 15),
    "fremovexattr": (199, 16),
    "removexattrat": (466, 466),
}
_MAKING = {  # calls that make a file system entry (name -> (x86_64, aarch64))
    "creat": (85, None),
    "mkdir": (83, None),
    "mkdirat": (258, 34),
    "mknod": (133, None),
    "mknodat": (259, 33),
    "link": (86, None),
    "linkat": (265, 37),
    "symlink": (88, None),
    "symlinkat": (266, 36),
}
_OPENS = {"open": ((2, None), 1), "openat": ((257, 56), 2)}  # name -> numbers, flags argument
_OPENAT2 = 437  # its flags are in a struct a filter cannot read: ENOSYS
_O_CREAT, _O_TMPFILE = 0o100, 0o20000000
_SIGNALS = {  # the first argument is the target process (or thread group)
    "kill": (62, 129),
    "tkill": (200, 130),
    "tgkill": (234, 131),
    "rt_sigqueueinfo": (129, 138),
    "rt_tgsigqueueinfo": (297, 240),
}
_PIDFD_SEND_SIGNAL, _TRUNCATE = 424, {"x86_64": 76, "aarch64": 45}
_CLONE, _CLONE3 = {"x86_64": 56, "aarch64": 220}, 435
_NEW_NAMESPACES = 0x7E020080  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME
_X32 = 0x40000000

_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW, _KILL_PROCESS, _ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
_NR, _ARCH_FIELD, _ARG0 = 0, 4, 16  # offsets in struct seccomp_data (little-endian arg0)
_ARG_BYTES = 8  # each argument: 64 bits, the low half first
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2


class _Instruction(ctypes.Structure):
    _fields_ = [  # noqa: RUF012  (ctypes layout of struct sock_filter)
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]  # noqa: RUF012


def supported() -> bool:
    """Whether this machine's architecture has a filter here."""
    return _ARCH in _AUDIT_ARCH


def program(
    signals_to: int | None = None, truncate: bool = True, create: bool = True
) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions, for this machine's architecture.

    signals_to: when given, signals may be sent to this process id only.
    truncate: whether truncate(2) by path stays allowed.
    create: whether files, directories and links may be made (where a private tmpfs or
        Landlock bounds where they go).
    """
    column = 0 if _ARCH == "x86_64" else 1
    deny = _ERRNO | errno.EPERM
    code = [
        (_LD_ABS, 0, 0, _ARCH_FIELD),
        (_JEQ, 1, 0, _AUDIT_ARCH[_ARCH]),
        (_RET, 0, 0, _KILL_PROCESS),
        (_LD_ABS, 0, 0, _NR),
    ]
    if _ARCH == "x86_64":
        code += [(_JGE, 0, 1, _X32), (_RET, 0, 0, _KILL_PROCESS)]
    code += [(_JEQ, 0, 1, _CLONE3), (_RET, 0, 0, _ERRNO | errno.ENOSYS)]
    code += [
        (_JEQ, 0, 4, _CLONE[_ARCH]),
        (_LD_ABS, 0, 0, _ARG0),
        (_JSET, 0, 1, _NEW_NAMESPACES),
        (_RET, 0, 0, deny),
        (_RET, 0, 0, _ALLOW),
    ]
    tables = [_DENIED, _METADATA] if create else [_DENIED, _METADATA, _MAKING]
    denied = [n[column] for table in tables for n in table.values() if n[column] is not None]
    if not create:
        code += [(_JEQ, 0, 1, _OPENAT2), (_RET, 0, 0, _ERRNO | errno.ENOSYS)]
        for numbers, argument in _OPENS.values():
            if numbers[column] is None:
                continue
            code += [
                (_JEQ, 0, 4, numbers[column]),
                (_LD_ABS, 0, 0, _ARG0 + argument * _ARG_BYTES),
                (_JSET, 0, 1, _O_CREAT | _O_TMPFILE),
                (_RET, 0, 0, deny),
                (_LD_ABS, 0, 0, _NR),
            ]
    if not truncate:
        denied.append(_TRUNCATE[_ARCH])
    if signals_to is not None:
        denied.append(_PIDFD_SEND_SIGNAL)
    for number in denied:
        code += [(_JEQ, 0, 1, number), (_RET, 0, 0, deny)]
    if signals_to is not None:
        for numbers in _SIGNALS.values():
            code += [
                (_LD_ABS, 0, 0, _NR),
                (_JEQ, 0, 4, numbers[column]),
                (_LD_ABS, 0, 0, _ARG0),
                (_JEQ, 0, 1, signals_to),
                (_RET, 0, 0, _ALLOW),
                (_RET, 0, 0, deny),
            ]
    return [*code, (_RET, 0, 0, _ALLOW)]


def install(signals_to: int | None = None, truncate: bool = True, create: bool = True) -> None:
    """Filter this thread's system calls, and those of every process it starts, for good
    (arguments as in `program`).

    Needs PR_SET_NO_NEW_PRIVS. Raises OSError when the kernel refuses.
    """
    if not supported():
        raise OSError(f"no seccomp filter for {_ARCH}")
    instructions = program(signals_to, truncate, create)
    array = (_Instruction * len(instructions))(*(_Instruction(*i) for i in instructions))
    prog = _Program(len(instructions), array)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp: {os.strerror(err)}")
