"""A folder of submissions, one entry per student: which entries are submissions, who submitted
them (from a Gradescope export's metadata), and a hash of each one's content.

SUBMISSIONS holds one entry per student: a folder, a .py, an .ipynb or a .zip; other files and
names starting with "." are skipped. Gradescope's "Export Submissions" layout (folders
`submission_<id>/` next to `submission_metadata.yml`) is the same thing, and the submitters'
names are read from the metadata. Batch grading (grader/instructor/batch.py) and the written
answers' review (grader/instructor/review.py) both start here. Nothing is read beyond names,
the metadata and, for the hash, bytes.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SUBMISSION_SUFFIXES = (".py", ".ipynb", ".zip")
GRADESCOPE_METADATA = "submission_metadata.yml"


@dataclass(frozen=True)
class Entry:
    """One student's submission."""

    name: str  # its file or folder name: the submission's id in every output
    path: Path
    students: str = ""  # from Gradescope's metadata, "; "-separated


def discover(folder: Path) -> tuple[list[Entry], list[str]]:
    """The submissions in `folder`, sorted by name, and notes about what was skipped."""
    folder = Path(folder)
    students = _gradescope_students(folder)
    entries, notes = [], []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        name = path.name
        if name.startswith(".") or name in ("__MACOSX", GRADESCOPE_METADATA):
            continue
        if path.is_symlink():
            notes.append(f"skipped {name}: a symbolic link")
        elif path.is_dir() or (path.is_file() and path.suffix.lower() in SUBMISSION_SUFFIXES):
            entries.append(Entry(name, path, students.get(name, "")))
        else:
            notes.append(f"skipped {name}: not a folder, .py, .ipynb or .zip")
    return entries, notes


def _gradescope_students(folder: Path) -> dict[str, str]:
    """Folder name -> submitter names, from an export's submission_metadata.yml."""
    path = folder / GRADESCOPE_METADATA
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    names = {}
    for key, value in (data or {}).items() if isinstance(data, dict) else ():
        submitters = value.get(":submitters") if isinstance(value, dict) else None
        if isinstance(submitters, list):
            found = [
                str(s.get(":name") or s.get(":email") or s.get(":sid") or "")
                for s in submitters
                if isinstance(s, dict)
            ]
            names[str(key)] = "; ".join(n for n in found if n)
    return names


def content_hash(path: Path) -> str:
    """sha256 of a submission: the file's bytes, or a folder's relative paths and bytes."""
    digest = hashlib.sha256()
    path = Path(path)
    if path.is_dir():
        for directory, folders, files in os.walk(path, followlinks=False):
            folders.sort()
            for name in sorted(files):
                file = Path(directory, name)
                digest.update(file.relative_to(path).as_posix().encode("utf-8", "surrogateescape"))
                digest.update(b"\0")
                if file.is_symlink():
                    digest.update(b"link:" + os.readlink(file).encode("utf-8", "surrogateescape"))
                else:
                    _hash_file(digest, file)
                digest.update(b"\0")
    else:
        _hash_file(digest, path)
    return digest.hexdigest()


def _hash_file(digest: Any, path: Path) -> None:
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
