"""A hostile class: attackers batch-graded beside honest students (security.md sections 7 and 8).

Each attacker is the reference solutions with one module turned against its classmates and the
grader: it reads classmates' code, kills or stops or slows their workers, rewrites grades.csv,
the results and the report, changes the metadata of files its user owns (the virtual
environment), and fills the disk (many files, big files, fallocate, sparse files, hard links,
directories, floods of output), at import and inside every call of `relu`, knowing every path
(the class folder, the output folder). They are graded with `python -m grader batch --jobs 2`
beside two honest students (the reference solutions and a correct corpus submission), at the
level the machine offers, and again without CAP_SYS_ADMIN (the `user` level) when root can drop
it. Asserted:

- every honest student's scores, case by case, equal their scores when graded alone;
- grades.csv, results/ and report.md are the grader's own, and name no classmate's code;
- the file system holding the temporary folder (and /var/tmp and /dev/shm, where they are
  others) grew, at any moment of the batch, by less than the workspace's stated bound
  (64 MiB and 4096 inodes; sampled while it ran, so a file made and removed within a call
  counts); nothing the attackers made is left; the virtual environment's metadata is unchanged.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import grader
from grader.problems import load
from grader.sandbox import isolation, workspace

pytestmark = pytest.mark.slow

ROOT = Path(grader.__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
CORPUS = ROOT / "tests" / "corpus" / "correct" / "a_listcomp"
MODULES = load().modules
MAX_SCORE = sum(p.points for p in load().problems if p.graded)
ISOLATION = isolation.probe()
BOUND_BYTES, BOUND_INODES = workspace.WORKSPACE_BYTES, workspace.WORKSPACE_FILES
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")  # world-writable places an attacker tries too

# --- the attacks: appended to activations.py; `_attack()` runs at import and in every relu ---

WRAP = """

_honest_relu = relu


def relu(x):
    try:
        _attack()
    except Exception:
        pass
    return _honest_relu(x)


_attack()
"""

SNOOP = """
def _attack():
    import glob, os
    stolen = []
    patterns = [
        "{klass}/*/*.py", "{klass}/*/*/*.py", "{out}/*", "{out}/results/*",
        "/tmp/tutorial9-sandbox-*/work/*", "{tmp}/tutorial9-sandbox-*/work/*",
        "/proc/*/cwd/*.py", "/proc/*/root/tmp/sandbox/work/*.py",
    ]
    for pattern in patterns:
        for path in glob.glob(pattern):
            try:
                with open(path, errors="replace") as handle:
                    stolen.append(handle.read())
            except OSError:
                pass
    text = "".join(stolen)
    print(text[:100000])
    for place in ("/tmp", "/var/tmp", "/dev/shm", os.getcwd()):
        try:
            with open(place + "/stolen-{token}", "w") as handle:
                handle.write(text)
        except OSError:
            pass
    raise ValueError("stolen: " + text[:3000])
"""

KILLER = """
def _attack():
    import os, signal
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        try:
            os.kill(-1, sig)
        except OSError:
            pass
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            for sig in (signal.SIGSTOP, signal.SIGKILL):
                try:
                    os.kill(int(entry), sig)
                except OSError:
                    pass
"""

SLOWER = """
def _attack():
    import os
    for who in (os.PRIO_USER, os.PRIO_PGRP, os.PRIO_PROCESS):
        for target in (0, 1, os.getppid()):
            try:
                os.setpriority(who, target, 19)
            except OSError:
                pass
    for _ in range(4):  # daemons that spin for ever, out of the call's process group
        try:
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    while True:
                        pass
                os._exit(0)
        except OSError:
            pass
"""

FORGER = """
def _attack():
    import glob, json, os, time
    forged = json.dumps({{"score": 1000, "tests": [{{"name": "forged", "score": 1000}}]}})
    print(forged)
    targets = ["{out}/grades.csv", "{out}/report.md", "{out}/manifest.jsonl"]
    targets += glob.glob("{out}/results/*.json") + ["{out}/results/honest_solutions.json"]
    targets += glob.glob("{klass}/honest*/*.py")
    def forge():
        for path in targets:
            for mode in ("w", "a"):
                try:
                    with open(path, mode) as handle:
                        handle.write("honest_solutions,0\\n" if path.endswith(".csv") else forged)
                except OSError:
                    pass
            try:
                os.unlink(path)
            except OSError:
                pass
    forge()
    try:
        if os.fork() == 0:  # and once more after grading, from a daemon
            os.setsid()
            time.sleep(5)
            forge()
            os._exit(0)
    except OSError:
        pass
"""

META = """
def _attack():
    import glob, os, sys, sysconfig
    paths = [sys.prefix, sysconfig.get_paths()["purelib"], os.getcwd(), "/tmp", "{out}"]
    paths += glob.glob(sysconfig.get_paths()["purelib"] + "/numpy/__init__.py")
    paths += glob.glob("{klass}/*/*.py") + glob.glob("{out}/*") + glob.glob(os.getcwd() + "/*")
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue
        for change in (
            lambda: os.chmod(path, st.st_mode & 0o7777),  # the same mode: only ctime moves
            lambda: os.chown(path, -1, -1),
            lambda: os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns)),
            lambda: os.setxattr(path, "user.tutorial9", b"x"),
            lambda: os.removexattr(path, "user.tutorial9"),
        ):
            try:
                change()
            except OSError:
                pass
"""

FILLER = """
def _attack():
    import ctypes, os, time
    libc = ctypes.CDLL(None, use_errno=True)
    libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
    for fd in (1, 2):  # blocks reserved past the file size limit, on the captured output
        libc.fallocate(fd, 1, 0, 256 << 20)
    try:
        os.write(1, b"x" * (64 << 20))
    except OSError:
        pass
    places = [os.getcwd(), os.environ.get("TMPDIR", "/tmp"), os.path.expanduser("~"),
              "/tmp", "/var/tmp", "/dev/shm"]
    def free(place):
        try:
            st = os.statvfs(place)
            return st.f_bavail * st.f_frsize
        except OSError:
            return 0
    start = {{place: free(place) for place in places}}
    def enough():  # shown: past four times the bound, stop (a regression must not fill the disk)
        return any(start[place] - free(place) > 256 << 20 for place in places)
    end = time.monotonic() + 0.3
    i = 0
    while time.monotonic() < end and not enough():
        for place in places:
            name = "%s/fill-{token}-%d-%d" % (place, os.getpid(), i)
            try:
                fd = os.open(name, os.O_CREAT | os.O_WRONLY, 0o600)
            except OSError:
                try:
                    fd = os.open(place, os.O_TMPFILE | os.O_WRONLY, 0o600)
                except OSError:
                    fd = -1
            if fd >= 0:
                libc.fallocate(fd, 0, 0, 16 << 20)
                libc.fallocate(fd, 1, 0, 128 << 20)
                for step in (
                    lambda: os.write(fd, b"y" * (1 << 20)),
                    lambda: os.ftruncate(fd, 1 << 40),
                    lambda: os.pwrite(fd, b"z", (15 << 20)),
                ):
                    try:
                        step()
                    except OSError:
                        pass
                os.close(fd)
            for make in (
                lambda: os.link(name, name + ".link"),
                lambda: os.symlink(name, name + ".sym"),
                lambda: os.mkdir(name + ".dir"),
                lambda: os.mkfifo(name + ".fifo"),
            ):
                try:
                    make()
                except OSError:
                    pass
        i += 1
"""

ATTACKS = {
    "snoop": SNOOP,
    "killer": KILLER,
    "slower": SLOWER,
    "forger": FORGER,
    "meta": META,
    "filler": FILLER,
}


# --- the class ------------------------------------------------------------------------------


def _honest(klass: Path, token: str) -> None:
    """The two honest students, each file marked with `token` (a comment: no score changes)."""
    for name, source in (("honest_solutions", SOLUTIONS), ("honest_corpus", CORPUS)):
        folder = klass / name
        folder.mkdir(parents=True)
        for module in MODULES:
            text = (source / f"{module}.py").read_text(encoding="utf-8")
            (folder / f"{module}.py").write_text(f"# {token}\n{text}", encoding="utf-8")


def _attackers(klass: Path, out: Path, token: str, names: list[str]) -> None:
    for name in names:
        folder = klass / f"attacker_{name}"
        folder.mkdir(parents=True)
        for module in MODULES:
            shutil.copyfile(SOLUTIONS / f"{module}.py", folder / f"{module}.py")
        code = ATTACKS[name].format(klass=klass, out=out, tmp=tempfile.gettempdir(), token=token)
        with (folder / "activations.py").open("a", encoding="utf-8") as handle:
            handle.write("\n" + textwrap.dedent(code) + WRAP)


def _batch(klass: Path, out: Path, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "grader", "batch", str(klass), "--out", str(out)]
    command += ["--jobs", "2", "--no-progress"]
    if prefix:
        command = [*prefix, " ".join(_quote(c) for c in command)]
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
    )


def _quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


def _scores(out: Path, name: str) -> dict[str, float]:
    """Case name -> score of one submission's results.json."""
    document = json.loads((out / "results" / f"{name}.json").read_text(encoding="utf-8"))
    return {t["name"]: t["score"] for t in document["tests"]}


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "grades.csv").open(encoding="utf-8") as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


# --- the disk ---------------------------------------------------------------------------------


def _file_systems() -> dict[int, str]:
    """Device -> a path on it: the temporary folder's file system, and the scratch places'."""
    found: dict[int, str] = {}
    for path in (tempfile.gettempdir(), *SCRATCH):
        if os.path.isdir(path):
            found.setdefault(os.stat(path).st_dev, path)
    return found


def _used(path: str) -> tuple[int, int]:
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize, st.f_files - st.f_ffree


@contextmanager
def disk_growth() -> Iterator[dict[str, tuple[int, int]]]:
    """Sample every 10 ms the bytes and inodes in use on each file system of `_file_systems`;
    yields a dict filled on exit with path -> (most bytes, most inodes) above the start."""
    places = _file_systems()
    start = {path: _used(path) for path in places.values()}
    peak = dict(start)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            for path in places.values():
                used = _used(path)
                peak[path] = (max(peak[path][0], used[0]), max(peak[path][1], used[1]))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    growth: dict[str, tuple[int, int]] = {}
    try:
        yield growth
    finally:
        done.set()
        thread.join()
        for path in places.values():
            growth[path] = (peak[path][0] - start[path][0], peak[path][1] - start[path][1])


def assert_bounded(growth: dict[str, tuple[int, int]]) -> None:
    for path, (grown, inodes) in growth.items():
        print(f"{path}: grew by at most {grown} bytes and {inodes} inodes")
        assert grown < BOUND_BYTES, f"{path} grew by {grown} bytes"
        assert inodes < BOUND_INODES, f"{path} grew by {inodes} inodes"


def _metadata() -> dict[str, tuple[int, int, int, int]]:
    """(mode, uid, gid, ctime) of the virtual environment's top folders and numpy's entry."""
    purelib = sysconfig.get_paths()["purelib"]
    paths = [sys.prefix, purelib, os.path.join(purelib, "numpy", "__init__.py")]
    found = {}
    for path in paths:
        if os.path.exists(path):
            st = os.stat(path)
            found[path] = (st.st_mode, st.st_uid, st.st_gid, st.st_ctime_ns)
    return found


def _leftovers(token: str) -> list[str]:
    return [
        str(p)
        for place in (*SCRATCH, tempfile.gettempdir(), os.path.expanduser("~"))
        if os.path.isdir(place)
        for p in Path(place).glob(f"*{token}*")
    ]


def _remove(paths: list[str]) -> None:
    for path in paths:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)


# --- the levels -------------------------------------------------------------------------------


def _levels() -> list:
    """The level the suite runs at, and `user` (no CAP_SYS_ADMIN) when root can drop it."""
    levels = [pytest.param((), id=ISOLATION.level)]
    drop = ("capsh", "--drop=cap_sys_admin", "--", "-c")
    if ISOLATION.level == "full" and shutil.which("capsh"):
        levels.append(pytest.param(drop, id="user"))
    return levels


def _level_of(prefix: tuple[str, ...]) -> str:
    """The level a grader started with `prefix` reaches (the probe, run the same way)."""
    code = "from grader.sandbox.isolation import probe; print(probe().level)"
    command = [sys.executable, "-c", code]
    if prefix:
        command = [*prefix, " ".join(_quote(c) for c in command)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    return run.stdout.strip() or run.stderr.strip()[-300:]


@pytest.mark.skipif(not ISOLATION.safe, reason="no safe sandbox level here: the grader refuses")
@pytest.mark.parametrize("prefix", _levels())
def test_a_hostile_class_leaves_honest_scores_alone(prefix: tuple[str, ...], tmp_path: Path):
    level = _level_of(prefix)
    if level not in isolation.LEVELS or level == "unsafe":
        pytest.skip(f"no safe level without CAP_SYS_ADMIN here: {level}")
    token = f"tutorial9-secret-{uuid.uuid4().hex}"
    alone, together = tmp_path / "alone", tmp_path / "together"
    _honest(alone / "class", token)
    ran = _batch(alone / "class", alone / "out", prefix)
    assert ran.returncode == 0, ran.stderr[-3000:]
    _honest(together / "class", token)
    out = together / "out"
    _attackers(together / "class", out, token, list(ATTACKS))
    venv = _metadata()
    try:
        with disk_growth() as growth:
            ran = _batch(together / "class", out, prefix)
        time.sleep(6)  # the forger's daemon would strike after 5 s
        left = _leftovers(token)
    finally:
        _remove(_leftovers(token))
    print(f"level {level}: {ran.stdout.strip()}")
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert_bounded(growth)
    assert left == []
    assert _metadata() == venv
    for honest in ("honest_solutions", "honest_corpus"):
        assert _scores(out, honest) == _scores(alone / "out", honest)
        assert _rows(out)[honest] == _rows(alone / "out")[honest]
    rows = _rows(out)
    assert set(rows) == {"honest_solutions", "honest_corpus"} | {f"attacker_{n}" for n in ATTACKS}
    for name, row in rows.items():
        document = json.loads((out / "results" / f"{name}.json").read_text(encoding="utf-8"))
        assert document["extra_data"]["sandbox"]["level"] == level
        assert float(row["total"]) == document["score"] <= MAX_SCORE + 1e-9
    for path in out.rglob("*"):  # nothing of a classmate's code, even in an attacker's output
        if path.is_file():
            assert token not in path.read_text(encoding="utf-8", errors="replace"), path
    for path in (out / "grades.csv", out / "report.md", *out.glob("results/honest*")):
        assert "forged" not in path.read_text(encoding="utf-8"), path
    assert f"{len(rows)} submissions" in (out / "report.md").read_text(encoding="utf-8")


@pytest.mark.skipif(not ISOLATION.safe, reason="no safe sandbox level here: the grader refuses")
def test_one_disk_filler_grows_the_temporary_file_system_by_less_than_the_workspace(
    tmp_path: Path,
) -> None:
    """Graded alone, does a submission that fills the disk in every call (and at import) grow
    the temporary folder's file system by less than the workspace bound, at every moment?"""
    from grader.grading.pipeline import grade

    token = f"tutorial9-fill-{uuid.uuid4().hex}"
    klass = tmp_path / "class"
    _attackers(klass, tmp_path / "out", token, ["filler"])
    try:
        with disk_growth() as growth:
            results = grade(klass / "attacker_filler")
        left = _leftovers(token)
    finally:
        _remove(_leftovers(token))
    assert_bounded(growth)
    assert left == []
    assert results.tests  # graded: the attack costs at most its own cases


@pytest.mark.skipif(not ISOLATION.safe, reason="no safe sandbox level here: the grader refuses")
def test_a_demo_that_writes_a_file_fails_only_that_statement(tmp_path: Path) -> None:
    """An honest submission whose module writes a file at import (a demo) keeps full marks;
    where nothing is writable (no tmpfs), that statement fails with a message saying why."""
    from grader.grading.pipeline import grade
    from grader.results import gradescope

    folder = tmp_path / "demo"
    folder.mkdir()
    for module in MODULES:
        shutil.copyfile(SOLUTIONS / f"{module}.py", folder / f"{module}.py")
    with (folder / "conv.py").open("a", encoding="utf-8") as handle:
        handle.write("\nwith open('demo-output.txt', 'w') as demo:\n    demo.write('42')\n")
    document = gradescope.render(grade(folder))
    assert document["score"] == MAX_SCORE
    text = json.dumps(document)
    if not ISOLATION.namespaces:
        assert "sandbox lets student code write no files" in text


@pytest.mark.skipif(ISOLATION.uid is None, reason="needs root: a sandbox user of its own")
def test_without_landlock_the_filter_alone_lets_nothing_be_made(tmp_path: Path) -> None:
    """At `user` on a kernel without Landlock, only the sandbox user's permissions and the
    seccomp filter stand between student code and the world-writable folders: is nothing
    made there (files, temporary files, directories, FIFOs, links)?"""
    from grader.sandbox import supervisor

    level = isolation.Isolation("user", ISOLATION.uid, False, (), landlock=0, seccomp=True)
    token = f"tutorial9-make-{uuid.uuid4().hex}"
    source = textwrap.dedent(
        f"""\
        import os
        def f():
            made = []
            for place in (os.getcwd(), os.environ["TMPDIR"], "/tmp", "/var/tmp", "/dev/shm"):
                name = place + "/{token}"
                for what, make in (
                    ("file", lambda: os.close(os.open(name, os.O_CREAT | os.O_WRONLY, 0o600))),
                    ("tmpfile", lambda: os.close(os.open(place, os.O_TMPFILE | os.O_WRONLY))),
                    ("dir", lambda: os.mkdir(name + ".dir")),
                    ("fifo", lambda: os.mkfifo(name + ".fifo")),
                    ("link", lambda: os.link(__file__, name + ".link")),
                    ("symlink", lambda: os.symlink(__file__, name + ".sym")),
                ):
                    try:
                        make()
                        made.append(what + " in " + place)
                    except OSError:
                        pass
            return made
        """
    )
    box = supervisor.Sandbox({"conv": source.encode()}, 1 << 30, 60, isolation=level)
    try:
        with disk_growth() as growth:
            reply = box.request(
                {"op": "call", "module": "conv", "name": "f"}, {"args": [], "kwargs": {}}, 30
            )
        left = _leftovers(token)
    finally:
        box.close()
        _remove(_leftovers(token))
    assert reply["value"] == []
    assert left == []
    assert_bounded(growth)
