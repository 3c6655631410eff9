"""The submitted tree: the files of a folder, a single file or a zip archive, listed and read
with caps, never extracted, never followed through a symbolic link, never run.

`listing(path, limits)` yields a `Scan`: every file below the submission (ignoring
`__MACOSX`, `__pycache__` and names starting with "."), each with a reader that returns at
most `cap + 1` bytes, or a refusal of the whole submission. Files that cannot be used (links,
zip bombs, devices) are listed with the `problem` that says why. grader/intake/submission.py chooses
and reads the modules from it.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

MiB = 1 << 20

# Tiny members cannot be bombs; text legitimately compresses 5-20x, so apply the ratio cap
# only to members that expand past this size.
_RATIO_FLOOR = MiB
# A central-directory entry is 46 bytes plus its name and extras; 1 KiB each is generous.
_MAX_DIRECTORY_BYTES_PER_ENTRY = 1024
_IGNORED_DIRS = frozenset({"__MACOSX", "__pycache__"})
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    struct.error,
    OverflowError,
)
_EOCD = struct.Struct("<4s4H2LH")  # zip end-of-central-directory record


@dataclass(frozen=True, slots=True)
class IntakeLimits:
    """Caps on what intake reads, all in bytes or counts."""

    max_source_bytes: int = MiB  # one .py file, and the code extracted from a notebook
    # One .ipynb file, outputs included (Gradescope takes uploads of 100 MB): it is streamed,
    # its outputs skipped unread (grader/intake/nbjson.py), so this bounds time, not memory.
    max_notebook_bytes: int = 110 * MiB
    max_notebook_text_bytes: int = 16 * MiB  # a notebook without outputs, attachments, metadata
    max_total_bytes: int = 120 * MiB  # all files (uncompressed), and a .zip file itself
    max_files: int = 5000  # files and folders in a folder submission
    max_zip_members: int = 5000  # entries of a zip archive
    max_zip_ratio: float = 100.0  # uncompressed / compressed size of one zip member

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            if not getattr(self, name) > 0:
                raise ValueError(f"IntakeLimits.{name} must be > 0")


class Unusable(Exception):
    """A student-facing reason why a file cannot be used."""


@dataclass(frozen=True)
class File:
    parts: tuple[str, ...]  # path components below the submission root, as stored
    size: int  # declared size in bytes
    read: Callable[[int], bytes] = field(repr=False)  # read(cap) -> at most cap + 1 bytes
    problem: str | None = None  # why it is refused (symbolic link, zip bomb, ...)
    # open() -> a binary stream of its bytes, for files read in chunks; raises Unusable
    open: Callable[[], BinaryIO] | None = field(default=None, repr=False)
    label: str | None = None  # its `path` in messages when it is not a file of the tree

    @property
    def name(self) -> str:
        return self.parts[-1]

    @property
    def path(self) -> str:
        if self.label is not None:
            return self.label
        return "/".join(printable(part) for part in self.parts)

    @property
    def order(self) -> tuple[int, tuple[str, ...]]:
        return len(self.parts), self.parts


@dataclass(frozen=True)
class Scan:
    files: tuple[File, ...]
    notes: tuple[str, ...]
    refusal: str | None = None  # the whole submission is refused


@contextlib.contextmanager
def listing(path: Path, limits: IntakeLimits) -> Iterator[Scan]:
    """The files of the submission at `path`; a zip archive stays open while the scan is used.

    Raises:
        FileNotFoundError: `path` does not exist (a usage error, not the student's).
    """
    info = os.lstat(path)
    name = printable(path.name)
    if stat.S_ISLNK(info.st_mode):
        yield Scan((), (), f"{name} is a symbolic link, which the grader does not follow; "
                   "submit the files themselves")  # fmt: skip
    elif stat.S_ISDIR(info.st_mode):
        yield _scan_folder(path, limits)
    elif not stat.S_ISREG(info.st_mode):
        yield Scan((), (), f"{name} is not a regular file or folder")
    elif path.suffix.lower() != ".zip":
        yield Scan((_disk_file((path.name,), info.st_size, path, name),), ())
    elif info.st_size > limits.max_total_bytes:
        too_big = f"over the {size_text(limits.max_total_bytes)} limit"
        yield Scan((), (), f"{name} is {size_text(info.st_size)}, {too_big}")
    else:
        with _zip(path, info.st_size, name, limits) as scan:
            yield scan


@contextlib.contextmanager
def _zip(path: Path, size: int, name: str, limits: IntakeLimits) -> Iterator[Scan]:
    try:
        handle = _open_regular(path)
    except OSError as exc:
        yield Scan((), (), f"could not read {name}: {exc.strerror}")
        return
    with handle:
        refusal = _zip_directory_problem(handle, size, limits, name)
        if refusal:
            yield Scan((), (), refusal)
            return
        try:
            archive = zipfile.ZipFile(handle)
        except _ZIP_ERRORS as exc:
            yield Scan((), (), f"could not open {name} as a zip archive: {exc}")
            return
        with archive:
            yield _scan_zip(archive, name, limits)


# ---------------------------------------------------------------------------------------------
# Listing the submission


def _ignored(name: str) -> bool:
    return name.startswith(".") or name in _IGNORED_DIRS


def printable(name: str) -> str:
    # Names reach student-facing text: escape newlines and the like instead of printing them.
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in name)


def size_text(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < MiB:
        return f"{n / 1024:.1f} KiB"
    return f"{n / MiB:.1f} MiB"


def _open_regular(path: Path) -> io.BufferedReader:
    # O_NOFOLLOW: never through a symlink; O_NONBLOCK: a FIFO swapped in cannot hang us.
    flags = os.O_RDONLY
    for flag in ("O_NOFOLLOW", "O_NONBLOCK", "O_CLOEXEC"):
        flags |= getattr(os, flag, 0)
    fd = os.open(path, flags)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(0, "not a regular file")
    return os.fdopen(fd, "rb")


def _read_disk(path: Path, shown: str, cap: int) -> bytes:
    try:
        with _open_regular(path) as handle:
            return handle.read(cap + 1)
    except OSError as exc:
        raise Unusable(f"could not read {shown}: {exc.strerror}") from None


def _scan_folder(root: Path, limits: IntakeLimits) -> Scan:
    files: list[File] = []
    notes: list[str] = []
    count = total = 0
    pending: list[tuple[str, ...]] = [()]
    while pending:
        below = pending.pop()
        try:
            with os.scandir(root.joinpath(*below)) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            notes.append(f"could not list {'/'.join(below) or root.name}: {exc.strerror}")
            continue
        for entry in entries:
            if _ignored(entry.name):
                continue
            count += 1
            if count > limits.max_files:
                return Scan(
                    (),
                    (),
                    f"the submission holds more than {limits.max_files} files "
                    "and folders; submit only your .py files or notebook",
                )
            parts = (*below, entry.name)
            shown = "/".join(printable(part) for part in parts)
            if entry.is_symlink():
                files.append(
                    File(
                        parts,
                        0,
                        _refuse,
                        "is a symbolic link, which the grader "
                        "does not follow; submit the file itself",
                    )
                )
            elif entry.is_dir(follow_symlinks=False):
                pending.append(parts)
            elif entry.is_file(follow_symlinks=False):
                try:
                    size = entry.stat(follow_symlinks=False).st_size
                except OSError as exc:
                    notes.append(f"could not read {shown}: {exc.strerror}")
                    continue
                total += size
                if total > limits.max_total_bytes:
                    return Scan(
                        (),
                        (),
                        f"the submission holds more than "
                        f"{size_text(limits.max_total_bytes)} of files; submit "
                        "only your .py files or notebook",
                    )
                files.append(_disk_file(parts, size, Path(entry.path), shown))
            else:
                files.append(File(parts, 0, _refuse, "is not a regular file"))
    return Scan(tuple(sorted(files, key=lambda f: f.parts)), tuple(notes))


def _disk_file(parts: tuple[str, ...], size: int, path: Path, shown: str) -> File:
    def open_() -> BinaryIO:
        try:
            return _open_regular(path)
        except OSError as exc:
            raise Unusable(f"could not read {shown}: {exc.strerror}") from None

    return File(parts, size, lambda cap: _read_disk(path, shown, cap), open=open_)


def _refuse(cap: int) -> bytes:
    # Files with a `problem` are filtered out before any read.
    raise AssertionError("a refused file was read")


def _zip_directory_problem(
    handle: io.BufferedReader, size: int, limits: IntakeLimits, name: str
) -> str | None:
    # Check the entry count before zipfile builds an object per entry of the central directory.
    tail_size = min(size, _EOCD.size + 0xFFFF)
    try:
        handle.seek(size - tail_size)
        tail = handle.read(tail_size)
    except OSError as exc:
        return f"could not read {name}: {exc.strerror}"
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        return None  # damaged: zipfile says so
    _, _, _, _, entries, directory_size, _, _ = _EOCD.unpack_from(tail, at)
    cap = limits.max_zip_members
    if entries > cap or directory_size > cap * _MAX_DIRECTORY_BYTES_PER_ENTRY:
        return f"{name} holds more than {cap} entries; submit only your .py files or notebook"
    return None


def _scan_zip(archive: zipfile.ZipFile, name: str, limits: IntakeLimits) -> Scan:
    files: list[File] = []
    total = 0
    for info in archive.infolist():
        parts = tuple(p for p in re.split(r"[/\\]", info.filename) if p not in ("", "."))
        kind = stat.S_IFMT(info.external_attr >> 16)
        if not parts or any(_ignored(p) for p in parts) or info.is_dir() or kind == stat.S_IFDIR:
            continue
        if kind == stat.S_IFLNK:
            files.append(
                File(
                    parts,
                    0,
                    _refuse,
                    "is a symbolic link, which the grader does not follow; submit the file itself",
                )
            )
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > limits.max_zip_ratio:
            files.append(
                File(
                    parts,
                    0,
                    _refuse,
                    f"expands {ratio:.0f} times when unzipped, "
                    "so it was refused as a possible zip bomb",
                )
            )
            continue
        total += info.file_size
        if total > limits.max_total_bytes:
            return Scan(
                (),
                (),
                f"{name} holds more than {size_text(limits.max_total_bytes)} "
                "uncompressed; submit only your .py files or notebook",
            )
        read, open_ = _member_reader(archive, info, name)
        files.append(File(parts, info.file_size, read, open=open_))
    return Scan(tuple(sorted(files, key=lambda f: f.parts)), ())


def _member_reader(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str
) -> tuple[Callable[[int], bytes], Callable[[], BinaryIO]]:
    shown = printable(info.filename)

    def open_() -> BinaryIO:
        if info.flag_bits & 0x1:
            raise Unusable(f"{shown} in {name} is encrypted: zip it again without a password")
        try:
            return _Unzipping(archive.open(info), f"could not read {shown} from {name}")
        except _ZIP_ERRORS as exc:
            raise Unusable(f"could not read {shown} from {name}: {exc}") from None

    def read(cap: int) -> bytes:
        with open_() as member:
            return member.read(cap + 1)

    return read, open_


class _Unzipping(io.RawIOBase):
    """A zip member's stream whose read errors (a bad CRC, damaged data) are `Unusable`."""

    def __init__(self, member: io.BufferedIOBase, what: str) -> None:
        self._member, self._what = member, what

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            return self._member.read(size)
        except _ZIP_ERRORS as exc:
            raise Unusable(f"{self._what}: {exc}") from None

    def close(self) -> None:
        self._member.close()
        super().close()


def chunks(file: File, cap: int, what: str, size: int = MiB) -> Iterator[bytes]:
    """The bytes of `file` in chunks of at most `size`, for a caller that streams them.

    Raises:
        Unusable: it cannot be read, or holds more than `cap` bytes (declared or read).
    """
    if file.size > cap:
        raise Unusable(
            f"{file.path} is {size_text(file.size)}, over the {size_text(cap)} limit for {what}"
        )
    if file.open is None:
        yield read_capped(file, cap, what)
        return
    total = 0
    with file.open() as stream:
        while True:
            try:
                chunk = stream.read(size)
            except OSError as exc:
                raise Unusable(f"could not read {file.path}: {exc.strerror}") from None
            if not chunk:
                return
            total += len(chunk)
            if total > cap:
                raise Unusable(f"{file.path} is over the {size_text(cap)} limit for {what}")
            yield chunk


def read_capped(file: File, cap: int, what: str) -> bytes:
    if file.size > cap:
        raise Unusable(
            f"{file.path} is {size_text(file.size)}, over the {size_text(cap)} limit for {what}"
        )
    data = file.read(cap)
    if len(data) > cap:
        raise Unusable(f"{file.path} is over the {size_text(cap)} limit for {what}")
    return data
