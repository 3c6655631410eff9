"""Intake of a student submission: find, read and compile-check the module files, never run them.

The trusted grader calls `read_submission` before any student code runs. Everything here only
parses: student code is later written into a sandbox as `<module>.py` and imported by an untrusted
worker. A problem caused by the submission never raises; it becomes a message for the student.

Policy:
- A submission is a folder, a single .py file, a single .ipynb notebook or a .zip archive. Zip
  members are read in memory, never extracted (grader/intake/tree.py lists and reads the files).
  Symbolic
  links are never followed: the path itself,
  entries of a folder and symlink members of a zip are refused with a message.
- `__MACOSX`, `__pycache__`, directories and any name starting with "." are ignored.
- A module `m` comes from the file named exactly `m.py` anywhere in the tree. When there are
  several, the shallowest wins, then the first in component-wise code-point order (so "a/m.py"
  before "a-b/m.py"); messages say which was used and which ignored. Near-miss names
  (`M.py`, `m (1).py`, `m.py.txt`) are not used; the module's error says how to rename.
- A module without its own file comes from the notebook when the submission holds exactly one,
  else from the only .py file when that file has no module name (e.g. `submission.py`).
- Every chosen source becomes a program of top-level statements (grader/intake/statements.py), which
  the sandbox worker runs one by one, going on after a failure. A .py file keeps every
  statement; a statement that does not compile is skipped and reported, the rest kept. From
  a notebook only imports, def, class, assignments, `if` and `try` statements are kept
  (grader/intake/cells.py); IPython syntax is skipped and reported. Statements skipped at intake are
  reported once per file in `messages`.
- Every chosen source is compiled (Python's own decoding, grader/intake/encoding.py), never
  executed; size caps bound every read. An empty file, a notebook saved as .py, a file that
  cannot be decoded, or code of which no statement compiles is an error for its module, with
  the file and line.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from grader.intake import cells, encoding, statements, tree, writefile
from grader.intake.tree import IntakeLimits

_NEAR_MISS_EXTENSIONS = frozenset({"", "py", "txt", "py.txt", "py.py"})
_COPY_SUFFIX = re.compile(r"(\s*\(\d+\)|\s*-\s*copy(\s*\(\d+\))?|\s+copy(\s+\d+)?|[\s_-]+\d+)$")
_SUBMIT_HINT = "submit these .py files, or one .ipynb notebook with your code"


@dataclass(frozen=True, slots=True)
class Source:
    """Student code for one module."""

    module: str  # e.g. "layers"
    code: bytes  # the text written as <module>.py in the sandbox (its __file__)
    origin: str  # where it came from, for messages: "layers.py", "hw/layers.py", "set.ipynb"
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
        """Why `module` cannot be imported (error, or "no <module>.py found ..."), or None."""
        if module in self.sources:
            return None
        return self.errors.get(module, f"no {module}.py found")


def read_submission(
    path: Path, modules: Sequence[str], limits: IntakeLimits | None = None
) -> Submission:
    """Find, read and compile-check the student's modules without running any student code.

    Args:
        path: The submission: a folder, a .py file, a .ipynb notebook or a .zip archive.
        modules: Module names to look for, e.g. ("layers", "model").
        limits: Size and count caps.

    Returns:
        The usable sources, a reason for every other module, and submission-level messages.

    Raises:
        FileNotFoundError: `path` does not exist (a usage error, not the student's).
        ValueError: A module name is not a Python identifier.
    """
    path, limits = Path(path), limits or IntakeLimits()
    modules = tuple(dict.fromkeys(modules))
    for module in modules:
        if not module.isidentifier():
            raise ValueError(f"module name {module!r} is not a Python identifier")
    with tree.listing(path, limits) as scan:
        expanded = writefile.expand(scan, modules, limits)
        submission = _select(expanded, modules, limits)
    if expanded is scan:
        return submission
    # The notebook was read for its %%writefile cells, even if no module comes from it whole.
    notebook = next(f.path for f in scan.files if f.name.lower().endswith(".ipynb"))
    ignored = f"ignored {notebook}: every module has its .py file"
    messages = tuple(m for m in submission.messages if m != ignored)
    return Submission(submission.sources, submission.errors, messages)


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


def _select(scan: tree.Scan, modules: tuple[str, ...], limits: IntakeLimits) -> Submission:
    """Choose, read and assign a source for every module; each phase is a function below."""
    if scan.refusal:
        return _refused(modules, scan.refusal)
    files = _partition(scan)
    choice = _choose(files, modules)
    reads = {file.parts: _read(file, file is choice.notebook, limits) for file in choice.files}
    assigned = _assign(modules, files, choice, reads)
    notes = (
        *files.notes,
        *choice.notes,
        *(note for read in reads.values() for note in read.notes),
        *_closing_notes(modules, files, choice, reads, assigned.sources),
    )
    return Submission(MappingProxyType(assigned.sources), MappingProxyType(assigned.errors), notes)


@dataclass(frozen=True, slots=True)
class _Files:
    """The scanned files sorted by what they may be used for."""

    listed: tuple[tree.File, ...]  # every file, refused ones too (they explain a missing module)
    usable: tuple[tree.File, ...]  # the files that may be read
    py_files: tuple[tree.File, ...]  # the usable .py files
    notebooks: tuple[tree.File, ...]  # the usable .ipynb files
    notes: tuple[str, ...]  # the scan's notes, then the files refused or ignored


def _partition(scan: tree.Scan) -> _Files:
    """Set refused files and nested archives aside, and sort the rest into .py and notebooks."""
    usable = tuple(f for f in scan.files if not f.problem)
    notes = (
        *scan.notes,
        *(f"ignored {f.path}: it {f.problem}" for f in scan.files if f.problem),
        *(
            f"ignored {f.path}: archives inside the submission are not opened"
            for f in usable
            if f.name.lower().endswith(".zip")
        ),
    )
    return _Files(
        listed=tuple(scan.files),
        usable=usable,
        py_files=tuple(f for f in usable if f.name.endswith(".py")),
        notebooks=tuple(f for f in usable if f.name.lower().endswith(".ipynb")),
        notes=notes,
    )


@dataclass(frozen=True, slots=True)
class _Choice:
    """Which file each module comes from, before any file is read."""

    own: Mapping[str, tree.File]  # module -> the file named <module>.py chosen for it
    notebook: tree.File | None  # the submission's only notebook
    fallback: tree.File | None  # the notebook or lone .py for modules without their own file
    missing: tuple[str, ...]  # modules without their own file
    notes: tuple[str, ...]  # duplicates and notebooks ignored

    def file_for(self, module: str) -> tree.File | None:
        return self.own.get(module) or self.fallback

    @property
    def files(self) -> tuple[tree.File, ...]:
        """Every chosen file once, in the order read: modules' own files, then the fallback."""
        unique: dict[tuple[str, ...], tree.File] = {}
        for file in (*self.own.values(), self.fallback):
            if file is not None:
                unique.setdefault(file.parts, file)
        return tuple(unique.values())


def _choose(files: _Files, modules: tuple[str, ...]) -> _Choice:
    """Each module's own file (the shallowest, then first of its name), else the fallback."""
    notes: list[str] = []
    own: dict[str, tree.File] = {}
    for module in modules:
        found = sorted(
            (f for f in files.py_files if f.name == f"{module}.py"), key=lambda f: f.order
        )
        if found:
            own[module] = found[0]
        if len(found) > 1:
            notes.append(
                f"found {len(found)} files named {module}.py: using {found[0].path}, "
                f"ignoring {_listing([f.path for f in found[1:]])} (the shallowest is "
                "used, then the alphabetically first)"
            )
    missing = tuple(m for m in modules if m not in own)
    notebooks, py_files = files.notebooks, files.py_files
    notebook = notebooks[0] if len(notebooks) == 1 else None
    lone_name = len(py_files) == 1 and py_files[0].name not in _wanted(modules)
    lone = py_files[0] if lone_name else None
    if notebooks and not missing:
        notes.append(
            f"ignored {_listing([f.path for f in notebooks])}: every module has its .py file"
        )
    if len(notebooks) > 1 and missing:
        notes.append(
            f"found {len(notebooks)} notebooks ({_listing([f.path for f in notebooks])})"
            ": a notebook is used only when it is the only one; submit one notebook"
        )
    fallback = (notebook or lone) if missing else None
    return _Choice(MappingProxyType(own), notebook, fallback, missing, tuple(notes))


def _wanted(modules: Sequence[str]) -> tuple[str, ...]:
    """The file names modules come from: ("layers.py", "losses.py", ...)."""
    return tuple(f"{m}.py" for m in modules)


@dataclass(frozen=True, slots=True)
class _Assignment:
    """Every module's source, or why it has none."""

    sources: Mapping[str, Source]
    errors: Mapping[str, str]


def _assign(
    modules: tuple[str, ...],
    files: _Files,
    choice: _Choice,
    reads: Mapping[tuple[str, ...], _Read],
) -> _Assignment:
    """Give each module the source of its chosen file, or a reason it has none."""
    sources: dict[str, Source] = {}
    errors: dict[str, str] = {}
    for module in modules:
        file = choice.file_for(module)
        if file is None:
            errors[module] = _not_found(module, files.usable, files.notebooks, files.listed)
            continue
        read = reads[file.parts]
        if read.fault is not None:
            from_notebook = file is choice.notebook
            errors[module] = (
                f"no {module}.py found, and {read.error}" if from_notebook else read.error
            )
        else:
            sources[module] = Source(module, read.code, file.path, read.program)
    return _Assignment(sources, errors)


def _closing_notes(
    modules: tuple[str, ...],
    files: _Files,
    choice: _Choice,
    reads: Mapping[tuple[str, ...], _Read],
    sources: Mapping[str, Source],
) -> list[str]:
    """Which file each module came from, the .py files not used, and when nothing was found."""
    notes = []
    for origin in dict.fromkeys(s.origin for s in sources.values()):
        users = [m for m, s in sources.items() if s.origin == origin]
        notes.append(f"using {origin} for {', '.join(users)}")
    used = {f.parts for f in choice.files}
    wanted = _wanted(modules)
    others = [
        f.path
        for f in files.py_files
        if f.parts not in used
        and f.name not in wanted
        and not any(_near_miss(m, f.name) for m in choice.missing)
    ]
    if others:
        notes.append(f"ignored {_listing(others)}: only files named {', '.join(wanted)} are used")
    notebook = choice.notebook
    empty_notebook = (
        notebook is not None
        and choice.fallback is notebook
        and reads[notebook.parts].fault is _Fault.EMPTY
    )
    if modules and not choice.own and (choice.fallback is None or empty_notebook):
        notes.append(_nothing_found(modules, files.usable, files.notebooks, empty_notebook))
    return notes


def _not_found(
    module: str,
    usable: Sequence[tree.File],
    notebooks: Sequence[tree.File],
    files: Sequence[tree.File],
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


def _no_code(notebook: tree.File) -> str:
    return f"{notebook.path} has no code"


def _nothing_found(
    modules: Sequence[str], usable: Sequence[tree.File], notebooks: Sequence[tree.File], empty: bool
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


class _Fault(enum.Enum):
    """Why nothing of a chosen file can be used."""

    UNREADABLE = enum.auto()  # over a size cap, not decodable, or not a readable notebook
    EMPTY = enum.auto()  # no code at all: a blank .py file, a notebook whose code cells are blank
    NOT_PYTHON = enum.auto()  # a notebook saved as .py
    NOTHING_RUNS = enum.auto()  # code, but no statement of it can run


@dataclass(frozen=True, slots=True)
class _Read:
    """A chosen file, read and compile-checked: its code, or why none of it can be used."""

    code: bytes = b""  # what is written as <module>.py (a notebook's listing of its program)
    program: statements.Program = ()
    fault: _Fault | None = None  # None: the file is usable
    error: str = ""  # for the student, when there is a fault
    notes: tuple[str, ...] = ()  # for the student: problems and statements skipped at intake


def _read(file: tree.File, notebook: bool, limits: IntakeLimits) -> _Read:
    """Read a chosen file as a notebook or as a .py file."""
    return _notebook_module(file, limits) if notebook else _python_module(file, limits)


def _skipped(program: statements.Program) -> tuple[str, ...]:
    """Why each statement skipped at intake was skipped."""
    return tuple(s.failure for s in program if not s.runs)


def _python_module(file: tree.File, limits: IntakeLimits) -> _Read:
    """A .py file; its skipped statements are reported only when some of its code can run."""
    try:
        code = tree.read_capped(file, limits.max_source_bytes, "a .py file")
    except tree.Unusable as exc:
        return _Read(fault=_Fault.UNREADABLE, error=str(exc))
    if not code.strip():
        return _Read(code, fault=_Fault.EMPTY, error=f"{file.path} is empty")
    if code.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") and b'"nbformat"' in code:
        error = (
            f"{file.path} holds a Jupyter notebook, not Python code: submit it "
            "as a .ipynb file, or save your code as plain Python"
        )
        return _Read(code, fault=_Fault.NOT_PYTHON, error=error)
    error = cells.compile_error(code, file.path)
    decoded = encoding.decode(code, file.path)
    text = decoded.text
    if text is None or "\0" in text:  # undecodable: nothing of it can run
        error = decoded.error or error or f"{file.path} cannot be decoded"
        return _Read(code, fault=_Fault.UNREADABLE, error=error)
    found, _ = statements.program(text, file.path, compiles=not error)
    program = tuple(found)
    undecodable, notes = encoding.undecodable(decoded, found, file.path)
    if undecodable:  # CPython refuses the whole file
        return _Read(code, fault=_Fault.UNREADABLE, error=undecodable)
    if not any(s.runs for s in program):
        error = error or f"{file.path} has no code that can run"
        return _Read(code, program, _Fault.NOTHING_RUNS, error, notes=tuple(notes))
    return _Read(code, program, notes=(*notes, *_skipped(program)))


# ---------------------------------------------------------------------------------------------
# Notebooks


def _notebook_module(file: tree.File, limits: IntakeLimits) -> _Read:
    """A notebook: its code is the listing of its program; skipped statements always reported."""
    try:
        sources = cells.notebook_cells(file, limits)
    except tree.Unusable as exc:
        return _Read(fault=_Fault.UNREADABLE, error=str(exc), notes=(str(exc),))
    except cells.NotebookError as exc:
        reason = f"could not read {file.path}: {exc}"
        return _Read(fault=_Fault.UNREADABLE, error=reason, notes=(reason,))
    if not any(text.strip() for _, text in sources):
        return _Read(fault=_Fault.EMPTY, error=_no_code(file))
    size = sum(len(text.encode("utf-8", "surrogatepass")) for _, text in sources)
    if size > limits.max_source_bytes:
        reason = (
            f"could not read {file.path}: its code cells hold more than "
            f"{tree.size_text(limits.max_source_bytes)} of code"
        )
        return _Read(fault=_Fault.UNREADABLE, error=reason, notes=(reason,))
    program, error, notes = cells.notebook_program(sources, file.path)
    return _Read(
        statements.listing(program, file.path),
        program,
        _Fault.NOTHING_RUNS if error else None,
        error,
        (*notes, *_skipped(program)),
    )
