"""grader/sandbox/workspace.py: the sandbox's directory, its logs, and the check that bounds it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.sandbox import workspace
from grader.sandbox.workspace import Workspace


def test_logs_are_opened_as_regular_files_only(tmp_path: Path) -> None:
    """Would the grader follow a log swapped for a link, or hang on a FIFO?"""
    target = tmp_path / "target"
    target.write_text("secret")
    (tmp_path / "link").symlink_to(target)
    os.mkfifo(tmp_path / "fifo")
    for name in ("link", "fifo"):
        with pytest.raises((OSError, workspace.NotAFile)):
            workspace.open_log(tmp_path / name, os.O_RDONLY)
    fd = workspace.open_log(tmp_path / "plain")
    os.close(fd)
    assert (tmp_path / "plain").is_file() and target.read_text() == "secret"


@pytest.mark.parametrize("runtime", [True, False], ids=["started", "forked"])
def test_a_workspace_holds_the_modules_and_the_runtime_only_when_started(runtime: bool) -> None:
    """Is the worker's code copied in only for a worker started afresh (a forked one has the
    template's), and are the student's modules in root/work?"""
    made = Workspace.make({"conv": b"X = 1\n"}, {"conv": b"{}"}, None, runtime=runtime)
    try:
        assert sorted(p.name for p in made.work.iterdir()) == ["conv.program.json", "conv.py"]
        assert made.worker.is_file() == runtime
        if runtime:
            names = sorted(p.name for p in made.worker.parent.iterdir())
            assert names == sorted(workspace.RUNTIME_FILES)
            assert all(p.stat().st_mode & 0o222 == 0o200 for p in made.worker.parent.iterdir())
    finally:
        made.remove()
    assert not made.root.exists()


def test_an_overfull_workspace_is_found_and_refilled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Are too many files (also in a subfolder) found, and does `refill` restore the modules?"""
    monkeypatch.setattr(workspace, "WORKSPACE_FILES", 5)
    made = Workspace.make({"conv": b"X = 1\n"}, {}, None, runtime=False)
    try:
        assert not made.overfull()
        (made.work / "deep").mkdir()
        for i in range(5):
            (made.work / "deep" / f"junk{i}").write_text("")
        assert made.overfull()
        (made.work / "conv.py").write_text("changed")
        made.refill()
        assert not made.overfull()
        assert [p.name for p in made.work.iterdir()] == ["conv.py"]
        assert (made.work / "conv.py").read_bytes() == b"X = 1\n"
    finally:
        made.remove()


def test_the_output_is_stdout_then_stderr_cut_at_the_limit() -> None:
    """Does `output` read what was printed, stdout first, no more than asked?"""
    made = Workspace.make({}, {}, None, runtime=False)
    try:
        out, err = made.open_logs()
        os.write(out, b"printed\n")
        os.write(err, b"warned\n")
        os.close(out)
        os.close(err)
        assert made.output() == "printed\nwarned\n"
        assert made.output(limit=4) == "prin"
    finally:
        made.remove()
