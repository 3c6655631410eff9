"""Intake of a student submission: find, read and compile-check the module files, never run them.

The trusted grader calls `read_submission` before any student code runs. Everything here only
parses: student code is later written into a sandbox as `<module>.py` and imported by an untrusted
worker. A problem caused by the submission never raises; it becomes a message for the student.

Policy:
- A submission is a folder, a single .py file, a single .ipynb notebook or a .zip archive. Zip
  members are read in memory, never extracted. Symbolic links are never followed: the path itself,
  entries of a folder and symlink members of a zip are refused with a message.
- `__MACOSX`, `__pycache__`, directories and any name starting with "." are ignored.
- A module `m` comes from the file named exactly `m.py` anywhere in the tree. When there are
  several, the shallowest wins, then the first in component-wise code-point order (so "a/conv.py"
  before "a-b/conv.py"); messages say which was used and which ignored. Near-miss names
  (`Conv.py`, `conv (1).py`, `conv.py.txt`) are not used; the module's error says how to rename.
- A module without its own file comes from the notebook when the submission holds exactly one,
  else from the only .py file when that file has no module name (e.g. `submission.py`).
- Every chosen source becomes a program of top-level statements (grader/statements.py), which
  the sandbox worker runs one by one, going on after a failure. A .py file keeps every
  statement; a statement that does not compile is skipped and reported, the rest kept. From
  a notebook only imports, def, class, assignments, `if` and `try` statements are kept
  (grader/cells.py); IPython syntax is skipped and reported. Statements skipped at intake are
  reported once per file in `messages`.
- Every chosen source is compiled (Python's own decoding: BOM, coding cookie), never
  executed; size caps bound every read. An empty file, a notebook saved as .py, a file that
  cannot be decoded, or code of which no statement compiles is an error for its module, with
  the file and line.
"""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import tokenize
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from grader import cells, statements

MiB = 1 << 20

# Tiny members cannot be bombs; text legitimately compresses 5-20x, so apply the ratio cap
# only to members that expand past this size.
_RATIO_FLOOR = MiB
# A central-directory entry is 46 bytes plus its name and extras; 1 KiB each is generous.
_MAX_DIRECTORY_BYTES_PER_ENTRY = 1024
_IGNORED_DIRS = frozenset({"__MACOSX", "__pycache__"})
_NEAR_MISS_EXTENSIONS = frozenset({"", "py", "txt", "py.txt", "py.py"})
_COPY_SUFFIX = re.compile(r"(\s*\(\d+\)|\s*-\s*copy(\s*\(\d+\))?|\s+copy(\s+\d+)?|[\s_-]+\d+)$")
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
_SUBMIT_HINT = "submit these .py files, or one .ipynb notebook with your code"


@dataclass(frozen=True, slots=True)
class IntakeLimits:
    """Caps on what intake reads, all in bytes or counts."""

    max_source_bytes: int = MiB  # one .py file, and the code extracted from a notebook
    max_notebook_bytes: int = 20 * MiB  # one .ipynb file, outputs included
    max_total_bytes: int = 50 * MiB  # all files (uncompressed), and a .zip file itself
    max_files: int = 5000  # files and folders in a folder submission
    max_zip_members: int = 5000  # entries of a zip archive
    max_zip_ratio: float = 100.0  # uncompressed / compressed size of one zip member

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            if not getattr(self, name) > 0:
                raise ValueError(f"IntakeLimits.{name} must be > 0")


@dataclass(frozen=True, slots=True)
class Source:
    """Student code for one module."""

    module: str  # e.g. "conv"
    code: bytes  # the text written as <module>.py in the sandbox (its __file__)
    origin: str  # where it came from, for messages: "conv.py", "hw/conv.py", "tutorial9.ipynb"
    program: statements.Program = ()  # what the sandbox runs, statement by statement

    @property
    def notebook(self) -> bool:
        return self.origin.lower().endswith(".ipynb")


@dataclass(frozen=True, slots=True)
class Submission:
    """What intake found. Every requested module is in exactly one of `sources` and `errors`."""

    sources: Mapping[str, Source]  # usable modules (compile-clean), by module name
    errors: Mapping[str, str]  # module -> student-facing reason it is unusable
    messages: tuple[str, ...]  # submission-level notes: files used, ignored, magics neutralised

    def unavailable(self, module: str) -> str | None:
        """Why `module` cannot be imported (error, or "no conv.py found ..."), or None."""
        if module in self.sources:
            return None
        return self.errors.get(module, f"no {module}.py found")


class _Unusable(Exception):
    """A student-facing reason why a file cannot be used."""


@dataclass(frozen=True)
class _File:
    parts: tuple[str, ...]  # path components below the submission root, as stored
    size: int  # declared size in bytes
    read: Callable[[int], bytes] = field(repr=False)  # read(cap) -> at most cap + 1 bytes
    problem: str | None = None  # why it is refused (symbolic link, zip bomb, ...)

    @property
    def name(self) -> str:
        return self.parts[-1]

    @property
    def path(self) -> str:
        return "/".join(_printable(part) for part in self.parts)

    @property
    def order(self) -> tuple[int, tuple[str, ...]]:
        return len(self.parts), self.parts


@dataclass(frozen=True)
class _Scan:
    files: tuple[_File, ...]
    notes: tuple[str, ...]
    refusal: str | None = None  # the whole submission is refused


def read_submission(
    path: Path, modules: Sequence[str], limits: IntakeLimits = IntakeLimits()
) -> Submission:
    """Find, read and compile-check the student's modules without running any student code.

    Args:
        path: The submission: a folder, a .py file, a .ipynb notebook or a .zip archive.
        modules: Module names to look for, e.g. ("conv", "shapes").
        limits: Size and count caps.

    Returns:
        The usable sources, a reason for every other module, and submission-level messages.

    Raises:
        FileNotFoundError: `path` does not exist (a usage error, not the student's).
        ValueError: A module name is not a Python identifier.
    """
    path = Path(path)
    modules = tuple(dict.fromkeys(modules))
    for module in modules:
        if not module.isidentifier():
            raise ValueError(f"module name {module!r} is not a Python identifier")
    info = os.lstat(path)
    name = _printable(path.name)
    if stat.S_ISLNK(info.st_mode):
        return _refused(
            modules,
            f"{name} is a symbolic link, which the grader does not follow; "
            "submit the files themselves",
        )
    if stat.S_ISDIR(info.st_mode):
        return _select(_scan_folder(path, limits), modules, limits)
    if not stat.S_ISREG(info.st_mode):
        return _refused(modules, f"{name} is not a regular file or folder")
    if path.suffix.lower() != ".zip":
        single = _File((path.name,), info.st_size, lambda cap: _read_disk(path, name, cap))
        return _select(_Scan((single,), ()), modules, limits)
    if info.st_size > limits.max_total_bytes:
        return _refused(
            modules,
            f"{name} is {_size(info.st_size)}, over the {_size(limits.max_total_bytes)} limit",
        )
    try:
        handle = _open_regular(path)
    except OSError as exc:
        return _refused(modules, f"could not read {name}: {exc.strerror}")
    with handle:
        refusal = _zip_directory_problem(handle, info.st_size, limits, name)
        if refusal:
            return _refused(modules, refusal)
        try:
            archive = zipfile.ZipFile(handle)
        except _ZIP_ERRORS as exc:
            return _refused(modules, f"could not open {name} as a zip archive: {exc}")
        with archive:
            return _select(_scan_zip(archive, name, limits), modules, limits)


# ---------------------------------------------------------------------------------------------
# Listing the submission


def _ignored(name: str) -> bool:
    return name.startswith(".") or name in _IGNORED_DIRS


def _printable(name: str) -> str:
    # Names reach student-facing text: escape newlines and the like instead of printing them.
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in name)


def _size(n: int) -> str:
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
        raise _Unusable(f"could not read {shown}: {exc.strerror}") from None


def _scan_folder(root: Path, limits: IntakeLimits) -> _Scan:
    files: list[_File] = []
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
                return _Scan(
                    (),
                    (),
                    f"the submission holds more than {limits.max_files} files "
                    "and folders; submit only your .py files or notebook",
                )
            parts = (*below, entry.name)
            shown = "/".join(_printable(part) for part in parts)
            if entry.is_symlink():
                files.append(
                    _File(
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
                    return _Scan(
                        (),
                        (),
                        f"the submission holds more than "
                        f"{_size(limits.max_total_bytes)} of files; submit "
                        "only your .py files or notebook",
                    )
                files.append(_File(parts, size, _disk_reader(Path(entry.path), shown)))
            else:
                files.append(_File(parts, 0, _refuse, "is not a regular file"))
    return _Scan(tuple(sorted(files, key=lambda f: f.parts)), tuple(notes))


def _disk_reader(path: Path, shown: str) -> Callable[[int], bytes]:
    return lambda cap: _read_disk(path, shown, cap)


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


def _scan_zip(archive: zipfile.ZipFile, name: str, limits: IntakeLimits) -> _Scan:
    files: list[_File] = []
    total = 0
    for info in archive.infolist():
        parts = tuple(p for p in re.split(r"[/\\]", info.filename) if p not in ("", "."))
        kind = stat.S_IFMT(info.external_attr >> 16)
        if not parts or any(_ignored(p) for p in parts) or info.is_dir() or kind == stat.S_IFDIR:
            continue
        if kind == stat.S_IFLNK:
            files.append(
                _File(
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
                _File(
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
            return _Scan(
                (),
                (),
                f"{name} holds more than {_size(limits.max_total_bytes)} "
                "uncompressed; submit only your .py files or notebook",
            )
        files.append(_File(parts, info.file_size, _member_reader(archive, info, name)))
    return _Scan(tuple(sorted(files, key=lambda f: f.parts)), ())


def _member_reader(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str
) -> Callable[[int], bytes]:
    def read(cap: int) -> bytes:
        shown = _printable(info.filename)
        if info.flag_bits & 0x1:
            raise _Unusable(f"{shown} in {name} is encrypted: zip it again without a password")
        try:
            with archive.open(info) as member:
                return member.read(cap + 1)
        except _ZIP_ERRORS as exc:
            raise _Unusable(f"could not read {shown} from {name}: {exc}") from None

    return read


# ---------------------------------------------------------------------------------------------
# Choosing a source per module


def _refused(modules: Sequence[str], reason: str) -> Submission:
    return Submission(
        MappingProxyType({}), MappingProxyType(dict.fromkeys(modules, reason)), (reason,)
    )


def _listing(paths: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(paths[:limit])
    return shown if len(paths) <= limit else f"{shown} and {len(paths) - limit} more"


def _near_miss(module: str, name: str) -> bool:
    lowered = name.strip().lower()
    stem, _, extension = lowered.partition(".")
    stem = _COPY_SUFFIX.sub("", stem.strip()).strip()
    return stem == module and extension.strip() in _NEAR_MISS_EXTENSIONS


def _select(scan: _Scan, modules: tuple[str, ...], limits: IntakeLimits) -> Submission:
    if scan.refusal:
        return _refused(modules, scan.refusal)
    notes = list(scan.notes)
    notes += [f"ignored {f.path}: it {f.problem}" for f in scan.files if f.problem]
    usable = [f for f in scan.files if not f.problem]
    notes += [
        f"ignored {f.path}: archives inside the submission are not opened"
        for f in usable
        if f.name.lower().endswith(".zip")
    ]
    wanted = {f"{m}.py": m for m in modules}
    py_files = [f for f in usable if f.name.endswith(".py")]
    notebooks = [f for f in usable if f.name.lower().endswith(".ipynb")]

    chosen: dict[str, _File] = {}
    for module in modules:
        found = sorted((f for f in py_files if f.name == f"{module}.py"), key=lambda f: f.order)
        if found:
            chosen[module] = found[0]
        if len(found) > 1:
            notes.append(
                f"found {len(found)} files named {module}.py: using {found[0].path}, "
                f"ignoring {_listing([f.path for f in found[1:]])} (the shallowest is "
                "used, then the alphabetically first)"
            )
    missing = [m for m in modules if m not in chosen]
    notebook = notebooks[0] if len(notebooks) == 1 else None
    lone = py_files[0] if len(py_files) == 1 and py_files[0].name not in wanted else None
    fallback = (notebook or lone) if missing else None
    if notebooks and not missing:
        notes.append(
            f"ignored {_listing([f.path for f in notebooks])}: every module has its .py file"
        )
    if len(notebooks) > 1 and missing:
        notes.append(
            f"found {len(notebooks)} notebooks ({_listing([f.path for f in notebooks])})"
            ": a notebook is used only when it is the only one; submit one notebook"
        )

    results: dict[tuple[str, ...], tuple[bytes, statements.Program, str]] = {}
    for file in (*chosen.values(), fallback):
        if file is None or file.parts in results:
            continue
        if file is notebook:
            code, program, error, file_notes = _notebook_module(file, limits)
        else:
            code, program, error, file_notes = _python_module(file, limits)
        notes += file_notes
        if not error or file is notebook:  # skipped at intake: reported once per file
            notes += [s.failure for s in program if not s.runs]
        results[file.parts] = code, program, error

    sources: dict[str, Source] = {}
    errors: dict[str, str] = {}
    for module in modules:
        file = chosen.get(module) or fallback
        if file is None:
            errors[module] = _not_found(module, usable, notebooks, scan.files)
            continue
        code, program, error = results[file.parts]
        if error:
            errors[module] = f"no {module}.py found, and {error}" if file is notebook else error
        else:
            sources[module] = Source(module, code, file.path, program)

    for origin in dict.fromkeys(s.origin for s in sources.values()):
        users = [m for m, s in sources.items() if s.origin == origin]
        notes.append(f"using {origin} for {', '.join(users)}")
    used = {f.parts for f in (*chosen.values(), fallback) if f}
    others = [
        f.path
        for f in py_files
        if f.parts not in used
        and f.name not in wanted
        and not any(_near_miss(m, f.name) for m in missing)
    ]
    if others:
        notes.append(f"ignored {_listing(others)}: only files named {', '.join(wanted)} are used")
    empty_notebook = (
        fallback is notebook
        and notebook is not None
        and (results[notebook.parts][2] == _no_code(notebook))
    )
    if modules and not chosen and (fallback is None or empty_notebook):
        notes.append(_nothing_found(modules, usable, notebooks, empty_notebook))
    return Submission(MappingProxyType(sources), MappingProxyType(errors), tuple(notes))


def _not_found(
    module: str, usable: Sequence[_File], notebooks: Sequence[_File], files: Sequence[_File]
) -> str:
    refused = [f for f in files if f.problem and f.name == f"{module}.py"]
    if refused:
        return f"{refused[0].path} {refused[0].problem}"
    hints = [
        f"found {f.path}: rename it to {module}.py"
        for f in usable
        if f.name != f"{module}.py" and _near_miss(module, f.name)
    ]
    if len(notebooks) > 1:
        hints.append(f"found {len(notebooks)} notebooks: submit only one")
    return "; ".join([f"no {module}.py found", *hints])


def _no_code(notebook: _File) -> str:
    return f"{notebook.path} has no code"


def _nothing_found(
    modules: Sequence[str], usable: Sequence[_File], notebooks: Sequence[_File], empty: bool
) -> str:
    names = [f"{m}.py" for m in modules]
    wanted = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]
    if empty:
        notebook = _no_code(notebooks[0])
    elif notebooks:
        notebook = f"{len(notebooks)} notebooks, so none was used"
    else:
        notebook = "no notebook"
    text = f"no {wanted} found, and {notebook}; {_SUBMIT_HINT}"
    if not usable:
        return f"{text} (the submission is empty)"
    return f"{text} (found only {_listing([f.path for f in usable])})"


def _read_capped(file: _File, cap: int, what: str) -> bytes:
    if file.size > cap:
        raise _Unusable(
            f"{file.path} is {_size(file.size)}, over the {_size(cap)} limit for {what}"
        )
    data = file.read(cap)
    if len(data) > cap:
        raise _Unusable(f"{file.path} is over the {_size(cap)} limit for {what}")
    return data


def _python_module(
    file: _File, limits: IntakeLimits
) -> tuple[bytes, statements.Program, str, list[str]]:
    """(code, program, error, notes) for a .py file; error is "" when some code can run."""
    try:
        code = _read_capped(file, limits.max_source_bytes, "a .py file")
    except _Unusable as exc:
        return b"", (), str(exc), []
    if not code.strip():
        return code, (), f"{file.path} is empty", []
    if code.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") and b'"nbformat"' in code:
        return (
            code,
            (),
            (
                f"{file.path} holds a Jupyter notebook, not Python code: submit it "
                "as a .ipynb file, or save your code as plain Python"
            ),
            [],
        )
    error = cells.compile_error(code, file.path)
    text = _decoded(code)
    if text is None or "\0" in text:  # undecodable: nothing of it can run
        return code, (), error, []
    found, _ = statements.program(text, file.path)
    if not any(s.runs for s in found):
        return code, tuple(found), error or f"{file.path} has no code that can run", []
    return code, tuple(found), "", []


def _decoded(code: bytes) -> str | None:
    """The text of a .py file decoded as Python does (BOM, coding cookie), or None."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(code).readline)
        return code.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return None


# ---------------------------------------------------------------------------------------------
# Notebooks


def _notebook_module(
    file: _File, limits: IntakeLimits
) -> tuple[bytes, statements.Program, str, list[str]]:
    """(listing, program, error, notes) for a notebook."""
    try:
        raw = _read_capped(file, limits.max_notebook_bytes, "a notebook; clear its outputs")
    except _Unusable as exc:
        return b"", (), str(exc), [str(exc)]
    try:
        sources = cells.code_cells(raw)
    except cells.NotebookError as exc:
        reason = f"could not read {file.path}: {exc}"
        return b"", (), reason, [reason]
    if not any(text.strip() for _, text in sources):
        return b"", (), _no_code(file), []
    size = sum(len(text.encode("utf-8", "surrogatepass")) for _, text in sources)
    if size > limits.max_source_bytes:
        reason = (
            f"could not read {file.path}: its code cells hold more than "
            f"{_size(limits.max_source_bytes)} of code"
        )
        return b"", (), reason, [reason]
    program, error, notes = cells.notebook_program(sources, file.path)
    return statements.listing(program, file.path), program, error, notes
