"""Written answers: collected from a submission, for grading by hand.

Where a student's answer to a written problem (problems.yaml `kind: written`) can be:

- in a notebook, in the Markdown (or raw) cell whose metadata says which problem it answers,
  `{"grader": {"answer": "4b"}}`, as the generated notebook's answer cells do (notebooks
  generated before the key was renamed say `"tutorial9"`, read just the same); a cell that
  lost its metadata is still found by its cell id, `4b-answer`. The answer cell's
  placeholder, left as it is, counts as no answer;
- in `answers.md`, one section per written problem under a heading naming it: `## 4b`,
  `## Problem 4(b)`, `### 1c-why`, `## 1(c) why` or the problem's title. A section runs to the
  next heading naming a written problem, or of its level or above; headings inside code
  fences do not count.

A folder or .zip submission may hold both; its files are read in order of depth, then name
(answers.md before notebooks), and the first non-empty answer to a problem wins. Nothing is
executed: notebooks are read as JSON, files only up to the intake limits.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from grader.intake import nbjson
from grader.intake.submission import IntakeLimits
from grader.problems import Problem

METADATA_KEY = "grader"  # cell.metadata["grader"]["answer"] = problem id
# Keys read as well: notebooks handed out before the key was renamed carry these.
LEGACY_METADATA_KEYS = ("tutorial9",)
ANSWERS_FILE = "answers.md"
PLACEHOLDER = "**Your answer:** _write it here._"
_SKIPPED_DIRS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".git"}
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Answer:
    """One student's answer to one written problem."""

    problem: str  # problems.yaml id
    text: str  # Markdown, as the student wrote it
    origin: str  # where it was found: "answers.md", "hw/set.ipynb, cell 7"


@dataclass(frozen=True)
class Answers:
    """What a submission holds for the written problems."""

    found: dict[str, Answer] = field(default_factory=dict)  # problem id -> answer
    notes: tuple[str, ...] = ()  # files that could not be read, and why


def collect(path: Path, written: Sequence[Problem], limits: IntakeLimits | None = None) -> Answers:
    """The answers in a submission: a folder, a .zip, an .ipynb or a .md file."""
    limits = limits or IntakeLimits()
    path = Path(path)
    notes: list[str] = []
    files: Iterable[tuple[str, bytes | None]]
    if path.is_dir():
        files = _folder_files(path, limits, notes)
    elif path.suffix.lower() == ".zip":
        files = _zip_files(path, limits, notes)
    elif _wanted(path.name):
        files = [(path.name, _read(path, limits, notes, path.name))]
    else:
        files = []
    found: dict[str, Answer] = {}
    for name, data in files:
        if data is None:
            continue
        try:
            answers = _from_file(name, data, written)
        except ValueError as exc:
            notes.append(f"{name}: {exc}")
            continue
        for answer in answers:
            found.setdefault(answer.problem, answer)
    return Answers(found, tuple(notes))


def from_notebook(raw: bytes, written: Sequence[Problem], origin: str) -> list[Answer]:
    """The answers in a notebook's cells marked with their problem (or with its answer id)."""
    try:
        notebook = json.loads(raw)
    except (ValueError, RecursionError):
        raise ValueError("not a readable notebook (invalid JSON)") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise ValueError("not a notebook (no cells)")
    ids = {p.id for p in written}
    by_problem: dict[str, list[tuple[int, str]]] = {}
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("markdown", "raw"):
            continue
        problem = _cell_problem(cell, ids)
        if problem is None:
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if isinstance(source, str):
            by_problem.setdefault(problem, []).append((number, source))
    answers = []
    for problem in (p.id for p in written):
        parts = [(n, _unplaceheld(t)) for n, t in by_problem.get(problem, [])]
        parts = [(n, t) for n, t in parts if t]
        if parts:
            where = ", ".join(str(n) for n, _ in parts)
            text = "\n\n".join(t for _, t in parts)
            cells_word = "cell" if len(parts) == 1 else "cells"
            answers.append(Answer(problem, text, f"{origin}, {cells_word} {where}"))
    return answers


def sections(text: str, written: Sequence[Problem]) -> dict[str, str]:
    """Problem id -> the text of its section in a Markdown file (see the module docstring)."""
    keys = _heading_keys(written)
    result: dict[str, list[str]] = {}
    current: str | None = None
    level = 0
    fence = ""
    for line in text.splitlines():
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
        elif opened:
            fence = opened.group(1)
        else:
            heading = _HEADING.match(line)
            problem = keys.get(_key(heading.group(2))) if heading else None
            if heading and (problem or current is None or len(heading.group(1)) <= level):
                current, level = (problem, len(heading.group(1))) if problem else (None, 0)
                if problem:
                    result.setdefault(problem, [])
                continue
        if current is not None:
            result[current].append(line)
    return {p: "\n".join(lines).strip() for p, lines in result.items() if "\n".join(lines).strip()}


def _from_file(name: str, data: bytes, written: Sequence[Problem]) -> list[Answer]:
    if name.lower().endswith(".ipynb"):
        return from_notebook(data, written, name)
    text = data.decode("utf-8", errors="replace")
    found = sections(text, written)
    return [Answer(p.id, found[p.id], name) for p in written if p.id in found]


def _cell_problem(cell: dict, ids: set[str]) -> str | None:
    metadata = cell.get("metadata")
    for key in (METADATA_KEY, *LEGACY_METADATA_KEYS):
        mark = metadata.get(key) if isinstance(metadata, dict) else None
        if isinstance(mark, dict) and mark.get("answer") in ids:
            return str(mark["answer"])
    cell_id = cell.get("id")
    if isinstance(cell_id, str) and cell_id.endswith("-answer"):
        problem = cell_id.removesuffix("-answer")
        return problem if problem in ids else None
    return None


def _unplaceheld(text: str) -> str:
    """The answer without the generated placeholder (kept as a prefix when written after)."""
    text = text.strip()
    if text == PLACEHOLDER:
        return ""
    if text.startswith(PLACEHOLDER):
        return text.removeprefix(PLACEHOLDER).strip()
    return text


def _heading_keys(written: Sequence[Problem]) -> dict[str, str]:
    """Heading key -> problem id, from each problem's id and full title."""
    keys = {_key(p.title): p.id for p in written}
    keys.update({_key(p.id): p.id for p in written})
    return keys


def _key(heading: str) -> str:
    """A heading reduced to compare: "Problem 4(b)" -> "4b", "1(c) why" -> "1c-why"."""
    text = heading.strip().lower()
    text = re.sub(r"^(problem|question|q)\s*", "", text)
    text = re.sub(r"\s*\(\s*([a-z0-9]+)\s*\)", r"\1", text)  # "4 (b)" -> "4b"
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text


def _wanted(name: str) -> bool:
    lower = name.lower()
    return lower == ANSWERS_FILE or lower.endswith(".ipynb")


def _cap(name: str, limits: IntakeLimits) -> int:
    return limits.max_notebook_bytes if name.lower().endswith(".ipynb") else limits.max_source_bytes


def _read(path: Path, limits: IntakeLimits, notes: list[str], shown: str) -> bytes | None:
    try:
        with open(path, "rb") as stream:
            return _take(stream, limits, notes, shown)
    except OSError as exc:
        notes.append(f"{shown}: could not be read ({exc.strerror or exc})")
        return None


class _TooLarge(Exception):
    pass


def _take(stream: BinaryIO, limits: IntakeLimits, notes: list[str], shown: str) -> bytes | None:
    """The bytes of answers.md, or of a notebook without its outputs (streamed: they are skipped
    unread, grader/intake/nbjson.py), or None with a note."""
    cap = _cap(shown, limits)
    if not shown.lower().endswith(".ipynb"):
        data = stream.read(cap + 1)
        if len(data) > cap:
            notes.append(f"{shown}: larger than {cap} bytes, not read")
            return None
        return data

    def chunks() -> Iterator[bytes]:
        total = 0
        while chunk := stream.read(1 << 20):
            total += len(chunk)
            if total > cap:
                raise _TooLarge
            yield chunk

    try:  # cells' metadata say which problem a cell answers: kept
        return nbjson.pruned(chunks(), limits.max_notebook_text_bytes, ("outputs", "attachments"))
    except _TooLarge:
        notes.append(f"{shown}: larger than {cap} bytes, not read")
    except nbjson.TooBig:
        notes.append(
            f"{shown}: more than {limits.max_notebook_text_bytes} bytes besides outputs, not read"
        )
    except nbjson.Malformed:
        notes.append(f"{shown}: not a readable notebook (invalid JSON)")
    return None


def _order(relative: str) -> tuple[int, bool, str]:
    parts = relative.split("/")
    return (len(parts), parts[-1].lower() != ANSWERS_FILE, relative)


def _folder_files(
    root: Path, limits: IntakeLimits, notes: list[str]
) -> Iterator[tuple[str, bytes | None]]:
    found: list[str] = []
    seen = 0
    for directory, folders, files in os.walk(root, followlinks=False):
        folders[:] = sorted(f for f in folders if not f.startswith(".") and f not in _SKIPPED_DIRS)
        seen += len(files) + len(folders)
        if seen > limits.max_files:
            notes.append(f"more than {limits.max_files} files: the rest was not read")
            break
        for name in files:
            full = Path(directory, name)
            if _wanted(name) and not name.startswith(".") and not full.is_symlink():
                found.append(full.relative_to(root).as_posix())
    for relative in sorted(found, key=_order):
        yield relative, _read(root / relative, limits, notes, relative)


def _zip_files(
    path: Path, limits: IntakeLimits, notes: list[str]
) -> Iterator[tuple[str, bytes | None]]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        notes.append(f"{path.name}: not a readable zip ({exc})")
        return
    with archive:
        infos = archive.infolist()[: limits.max_zip_members]
        wanted = []
        for info in infos:
            parts = info.filename.replace("\\", "/").split("/")
            hidden = any(p.startswith(".") or p in _SKIPPED_DIRS for p in parts[:-1])
            if not info.is_dir() and not hidden and _wanted(parts[-1]):
                wanted.append(("/".join(parts), info))
        for name, info in sorted(wanted, key=lambda item: _order(item[0])):
            cap = _cap(name, limits)
            if info.file_size > cap:
                notes.append(f"{name}: larger than {cap} bytes, not read")
                continue
            try:
                with archive.open(info) as stream:
                    data = _take(stream, limits, notes, name)
            except (OSError, zipfile.BadZipFile, RuntimeError, ValueError, zlib.error) as exc:
                notes.append(f"{name}: could not be read from the zip ({exc})")
                continue
            if data is not None:
                yield name, data
