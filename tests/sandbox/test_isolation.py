"""grader/sandbox/isolation.py: which level the probe picks, the refusal where none is safe, and
what
a worker at a level may read."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from grader.sandbox import isolation

ISOLATION = isolation.probe()


def test_the_user_level_is_chosen_only_when_the_interpreter_is_reachable(tmp_path: Path) -> None:
    """Without namespaces, is code run as the sandbox user only if it can load its packages?"""
    inner = tmp_path / "private" / "site-packages"
    inner.mkdir(parents=True)
    inner.chmod(0o755)
    (tmp_path / "private").chmod(0o700)
    assert not isolation._reachable_by_others(inner)  # a parent the sandbox user cannot pass
    (tmp_path / "private").chmod(0o755)
    inner.chmod(0o700)
    assert not isolation._reachable_by_others(inner)  # a directory it cannot list
    if ISOLATION.level == "user":
        assert all(isolation._reachable_by_others(Path(d)) for d in isolation.interpreter_dirs())


@pytest.mark.parametrize(
    ("root", "namespaces", "reachable", "abi", "filter_", "level"),
    [
        (True, True, False, 0, False, "full"),
        (False, True, False, 0, False, "namespaces"),
        (True, False, True, 0, False, "user"),
        (True, False, False, 6, True, "unsafe"),  # the sandbox user could not import numpy
        (False, False, True, 6, True, "landlock"),
        (False, False, True, 0, True, "unsafe"),
        (False, False, True, 6, False, "unsafe"),
    ],
)
def test_the_probe_picks_the_strongest_level_the_machine_allows(
    monkeypatch: pytest.MonkeyPatch,
    root: bool,
    namespaces: bool,
    reachable: bool,
    abi: int,
    filter_: bool,
    level: str,
) -> None:
    """Given root or not, working namespaces or not, a reachable interpreter or not, and the
    kernel's fences, is the level the one the module docstring describes?"""
    runs: list[list[str]] = []

    def run(command: list[str], **_: object) -> subprocess.CompletedProcess[bytes]:
        runs.append(command)
        return subprocess.CompletedProcess(command, 0 if namespaces else 1, b"", b"denied")

    monkeypatch.setattr(isolation.os, "geteuid", lambda: 0 if root else 1000)
    monkeypatch.setattr(isolation.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(isolation.subprocess, "run", run)
    monkeypatch.setattr(isolation.landlock, "abi", lambda: abi)
    monkeypatch.setattr(isolation.seccomp, "supported", lambda: filter_)
    monkeypatch.setattr(isolation, "_reachable_by_others", lambda _: reachable)
    found = isolation._probe()
    assert found.level == level and found.safe == (level != "unsafe")
    assert (found.uid is not None) == (level in ("full", "user"))
    assert found.namespaces == (level in ("full", "namespaces"))
    assert ("--user" in runs[0]) == (not root)  # without root, through a user namespace
    if level == "unsafe":
        assert found.notes and found.landlock == 0 and not found.seccomp


def test_no_safe_level_is_refused_with_the_options() -> None:
    """Where nothing contains student code, does the grader refuse, naming what to do?"""
    unsafe = isolation.Isolation("unsafe", None, False, (), ("no Landlock on this kernel",))
    with pytest.raises(isolation.SandboxUnavailable) as refused:
        isolation.require(unsafe)
    for option in ("root", "container", "user namespaces", "--unsafe-trust-submissions"):
        assert option in str(refused.value)
    isolation.require(unsafe, trust=True)
    isolation.require(ISOLATION) if ISOLATION.safe else None


def test_folders_holding_a_hidden_one_are_granted_around_it(tmp_path: Path) -> None:
    """Does Landlock's read list leave out a hidden folder inside a granted one (the grader
    installed in site-packages), and keep a venv inside a hidden project?"""
    site = tmp_path / "site-packages"
    for name in ("numpy", "grader", "solutions"):
        (site / name).mkdir(parents=True)
    (site / "six.py").write_text("")
    (site / "link").symlink_to(site / "grader")
    hidden = [str(site / "grader"), str(site / "solutions")]
    fenced = isolation.Isolation("landlock", None, False, (), landlock=1, seccomp=True)
    assert sorted(isolation.readable([str(site)], hidden, fenced)) == [
        str(site / "numpy"), str(site / "six.py")]  # fmt: skip
    project = tmp_path / "project"
    (project / ".venv").mkdir(parents=True)
    assert isolation.readable([str(project / ".venv")], [str(project)], fenced) == [
        str(project / ".venv")]  # fmt: skip
