"""grader/intake/discovery.py: the entries of a folder of submissions, Gradescope's export
layout, and the content hash that lets a batch skip unchanged submissions."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from grader.intake import discovery


def make_class(folder: Path, names: list[str]) -> Path:
    """A folder of submissions: a .py, .ipynb or .zip file, or a folder, per name."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = folder / name
        if name.endswith(".py") or name.endswith(".ipynb"):
            path.write_text(f"# {name}\n")
        elif name.endswith(".zip"):
            with zipfile.ZipFile(path, "w") as archive:
                archive.writestr("conv.py", f"# {name}\n")
        else:
            path.mkdir()
            (path / "conv.py").write_text(f"# {name}\n")
    return folder


def test_discover_plain_layout(tmp_path: Path) -> None:
    """Are folders, .py, .ipynb and .zip entries found, and everything else skipped?"""
    folder = make_class(tmp_path / "class", ["alice", "bob.py", "carol.ipynb", "dave.zip"])
    (folder / "notes.txt").write_text("x")
    (folder / ".DS_Store").write_text("x")
    (folder / "link").symlink_to(folder / "alice")
    entries, notes = discovery.discover(folder)
    assert [e.name for e in entries] == ["alice", "bob.py", "carol.ipynb", "dave.zip"]
    assert any("notes.txt" in n for n in notes) and any("link" in n for n in notes)
    assert not any("DS_Store" in n for n in notes)


def test_discover_gradescope_export(tmp_path: Path) -> None:
    """Does Gradescope's export layout give one entry per submission, with names?"""
    folder = make_class(tmp_path / "export", ["submission_101", "submission_102"])
    (folder / discovery.GRADESCOPE_METADATA).write_text(
        "submission_101:\n  :submitters:\n  - :name: Ada Lovelace\n    :sid: '1'\n"
        "  - :name: Alan Turing\n  :created_at: 2025-03-01 10:00:00 -0800\n"
        "submission_102:\n  :submitters:\n  - :email: grace@example.edu\n"
    )
    entries, notes = discovery.discover(folder)
    assert [(e.name, e.students) for e in entries] == [
        ("submission_101", "Ada Lovelace; Alan Turing"),
        ("submission_102", "grace@example.edu"),
    ]
    assert notes == []


def test_content_hash(tmp_path: Path) -> None:
    """Does the hash follow file contents and names, and nothing else?"""
    folder = make_class(tmp_path / "c", ["alice"])
    first = discovery.content_hash(folder / "alice")
    os.utime(folder / "alice" / "conv.py", (1, 1))
    assert discovery.content_hash(folder / "alice") == first
    (folder / "alice" / "conv.py").write_text("changed\n")
    assert discovery.content_hash(folder / "alice") != first
    (folder / "alice" / "conv.py").rename(folder / "alice" / "rnn.py")
    assert discovery.content_hash(folder / "alice") != first
