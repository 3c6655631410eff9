"""grader/sandbox/supervisor.py: the contract written at the top of the module, checked from
outside."""

from __future__ import annotations

import os
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import isolation, processes, resources, workspace
from grader.sandbox import supervisor as S

ROOT = Path(__file__).resolve().parents[2]
ISOLATION = isolation.probe()
needs_namespaces = pytest.mark.skipif(
    not ISOLATION.namespaces, reason=f"no namespaces here ({'; '.join(ISOLATION.notes)})"
)
needs_root = pytest.mark.skipif(ISOLATION.uid is None, reason="needs root for the sandbox user")


@pytest.fixture
def make(tmp_path: Path) -> Iterator:
    boxes: list[S.Sandbox] = []

    def _make(source: str, hide: tuple[str, ...] = ()) -> S.Sandbox:
        box = S.Sandbox(
            {"conv": textwrap.dedent(source).encode()},
            memory=1 << 30,
            cpu_seconds=60,
            hide=hide,
        )
        boxes.append(box)
        return box

    yield _make
    for box in boxes:
        box.close()
        assert box.leftover_processes() == []


def call(box: S.Sandbox, name: str, *args: object, limit: float = 10) -> dict:
    return box.request(
        {"op": "call", "module": "conv", "name": name}, {"args": list(args), "kwargs": {}}, limit
    )


def test_calls_return_plain_data(make) -> None:
    """Does a call come back as plain decoded data?"""
    box = make("import numpy as np\ndef f(x):\n    return np.asarray(x) * 2, 'ok'\n")
    reply = call(box, "f", np.arange(3.0))
    value, text = reply["value"]
    assert text == "ok"
    np.testing.assert_array_equal(value, [0.0, 2.0, 4.0])


def test_an_import_names_which_of_the_asked_names_are_functions(make) -> None:
    """Does the import reply list the asked names that are callable, and nothing else?"""
    box = make(
        "TASKS = {'a': 1}\ndef f():\n    return 1\nclass K:\n    pass\ndef hidden():\n    pass\n"
    )
    reply = box.request(
        {"op": "import", "module": "conv", "names": ["f", "K", "TASKS", "g"]}, None, 10
    )
    assert reply["ok"] is True and reply["callables"] == ["f", "K"]


def test_student_exceptions_come_back_as_data(make) -> None:
    """Is a student exception a reply, with type, message and the student's frames only?"""
    box = make("def f():\n    raise ValueError('stride must be >= 1')\n")
    reply = call(box, "f")
    assert reply["ok"] is False
    error = reply["error"]
    assert (error["type"], error["builtin"], error["message"]) == (
        "ValueError", True, "stride must be >= 1")  # fmt: skip
    assert "worker.py" not in error["traceback"] and "conv.py" in error["traceback"]


def test_timeout_kills_the_tree_and_the_next_request_restarts(make) -> None:
    """Does a loop cost exactly its own call, with a fresh worker afterwards?"""
    box = make("import time\ndef spin():\n    while True: pass\ndef ok():\n    return 1\n")
    started = time.monotonic()
    with pytest.raises(S.SandboxTimeout):
        call(box, "spin", limit=0.5)
    assert time.monotonic() - started < 5  # 0.5 s of CPU plus the kill, on a loaded machine
    assert call(box, "ok")["value"] == 1
    assert box.starts == 2


# CPU time, as the sandbox measures it: `spend` burns that much of its own process's CPU.
SPENDERS = """\
import os, time

def spend(seconds):
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
    return seconds

def spin():
    while True:
        pass

def nap(seconds):
    time.sleep(seconds)
    return seconds

def fork_and_wait():
    child = os.fork()
    if child == 0:
        spend(60)
        os._exit(0)
    os.waitpid(child, 0)

def fork_and_nap():
    if os.fork() == 0:
        spend(60)
        os._exit(0)
    time.sleep(60)
"""


def test_a_busy_loop_is_stopped_by_its_cpu_time(make) -> None:
    """Is a loop stopped once it has used its limit of CPU time, and reported as computing?"""
    box = make(SPENDERS)
    with pytest.raises(S.SandboxTimeout) as caught:
        call(box, "spin", limit=0.3)
    assert not caught.value.waited and caught.value.cpu >= 0.3
    assert caught.value.reason == "used more than 0.3 s of CPU time"


def test_sleeping_is_stopped_by_the_wall_clock_backstop(make) -> None:
    """Is code that sleeps (no CPU) stopped by the backstop of 3 x limit + 2 s, as waiting?"""
    box = make(SPENDERS)
    with pytest.raises(S.SandboxTimeout) as caught:
        call(box, "nap", 60, limit=0.1)
    assert caught.value.waited and caught.value.cpu < 0.1
    assert caught.value.reason == (
        "did not return within 2.3 s (it was waiting or sleeping, not computing)"
    )


@pytest.mark.parametrize("name", ["fork_and_wait", "fork_and_nap"])
def test_a_forked_child_is_charged_to_the_call(make, name: str) -> None:
    """Does a child process's CPU time count, whether the call waits for it or sleeps?"""
    box = make(SPENDERS)
    with pytest.raises(S.SandboxTimeout) as caught:
        call(box, name, limit=0.3)
    assert not caught.value.waited  # stopped for computing, long before the 2.9 s backstop


def test_start_up_is_not_charged(make) -> None:
    """Is the worker's start-up (interpreter, numpy) left out of the first call's CPU time?

    The call waits longer than the first look at the CPU time, so a charged start-up (well
    over 0.05 s) would time it out."""
    box = make(SPENDERS)
    assert call(box, "nap", 0.5, limit=0.05)["value"] == 0.5
    assert box.starts == 1


def test_only_this_calls_cpu_time_counts(make) -> None:
    """Does each call start from zero, however much CPU time earlier calls used?"""
    box = make(SPENDERS)
    for _ in range(3):
        assert call(box, "spend", 0.3, limit=0.6)["value"] == 0.3
    assert box.starts == 1 and box.cpu_time() >= 0.9


def test_slow_but_inside_the_limit_passes_on_a_loaded_machine(make, cpu_hogs) -> None:
    """With two processes spinning on this machine's cores, does a call that computes for
    most of its limit still pass (its CPU time, not the wall clock, is what counts)?"""
    box = make(SPENDERS)
    for _ in range(3):
        assert call(box, "spend", 0.6, limit=1.0)["value"] == 0.6


def test_exit_is_a_crash_not_a_result(make) -> None:
    """Is os._exit(0) during a call reported as a crash?"""
    box = make("import os\ndef f():\n    os._exit(0)\n")
    with pytest.raises(S.SandboxCrash, match="exit status 0"):
        call(box, "f")


def test_garbage_on_the_reply_pipe_is_a_crash(make) -> None:
    """Does a forged reply written straight to the pipe fail as unreadable?"""
    box = make(
        """\
        import os
        def f():
            for fd in range(3, 20):
                try:
                    os.write(fd, b"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x08NaN!NaN!")
                except OSError:
                    pass
            return 1
        """
    )
    with pytest.raises(S.SandboxCrash):
        call(box, "f")


def test_prints_are_captured_not_replies(make) -> None:
    """Does student output go to the capped log, never to the reply?"""
    box = make("def f():\n    print('{\"score\": 100}')\n    return 2\n")
    assert call(box, "f")["value"] == 2
    assert '{"score": 100}' in box.output()


def test_memory_cap_turns_bombs_into_memory_error(make) -> None:
    """Does allocating far past the cap raise MemoryError in the student's code?"""
    box = make("import numpy as np\ndef f():\n    return np.ones((1 << 31,)).sum()\n")
    reply = call(box, "f")
    assert reply["error"]["type"] == "MemoryError"


@needs_root
def test_runs_as_the_sandbox_user(make) -> None:
    """Does student code run as an unprivileged user that cannot regain root?"""
    box = make("import os\ndef f():\n    return os.getuid(), os.getgid(), os.getgroups()\n")
    assert call(box, "f")["value"] == (box.uid, box.uid, [])
    assert box.uid not in (None, 0)


@needs_namespaces
def test_hidden_directories_are_empty_inside(make) -> None:
    """Are the reference solutions and hidden cases invisible from the sandbox?"""
    hide = (str(ROOT),)  # the whole checkout, as grading hides it
    source = (
        "import os\ndef f(paths):\n"
        "    out = []\n"
        "    for p in paths:\n"
        "        try:\n"
        "            out.append(sorted(os.listdir(p)) if os.path.isdir(p) else [])\n"
        "        except PermissionError:  # Landlock: not even listed\n"
        "            out.append([])\n"
        "    return out\n"
    )
    box = make(source, hide)  # absent (a clone under /tmp), empty or unreadable: hidden
    # Only an interpreter inside the checkout (a contributor's .venv) is bound back into it.
    inside = sorted(
        {Path(d).relative_to(ROOT.resolve()).parts[0] for d in _interpreter_under(ROOT)}
    )
    listed = call(box, "f", [*hide, str(ROOT / ".git"), str(ROOT / "solutions")])["value"]
    assert set(listed[0]) <= set(inside) and listed[1:] == [[], []]
    assert os.listdir(ROOT / "grader")  # untouched outside


@needs_namespaces
def test_file_system_is_read_only_and_tmp_private(make, tmp_path: Path) -> None:
    """Can student code change anything outside its workspace?"""
    box = make(
        """\
        import os
        def f(outside):
            results = []
            for path in (outside, "/etc/forged", "/root/forged"):
                try:
                    open(path, "w").write("x")
                    results.append("wrote")
                except OSError as exc:
                    results.append(type(exc).__name__)
            open("/tmp/private", "w").write("x")
            open("here.txt", "w").write("x")
            return results
        """
    )
    outside = tmp_path / "forged"
    written = call(box, "f", str(outside))["value"]
    assert "wrote" not in written
    assert not outside.exists() and not Path("/etc/forged").exists()
    assert not Path("/tmp/private").exists()


@needs_namespaces
def test_no_network(make) -> None:
    """Is the network unreachable, even loopback services of the host?"""
    box = make(
        """\
        import socket
        def f():
            try:
                socket.create_connection(("127.0.0.1", 22), timeout=1)
            except OSError as exc:
                return type(exc).__name__
            return "connected"
        """
    )
    assert call(box, "f")["value"] != "connected"


@needs_root
def test_concurrent_sandboxes_get_their_own_users(make) -> None:
    """Can one sandbox's cleanup kill another's worker (both kill by uid)?"""
    source = "import os\ndef f():\n    return os.getuid()\n"
    first, second = make(source), make(source)
    assert call(first, "f")["value"] != call(second, "f")["value"]
    first.close()
    assert call(second, "f")["value"] == second.uid


@needs_root
def test_detached_daemons_do_not_survive_close(make) -> None:
    """Is a double-forked, setsid, SIGTERM-ignoring daemon killed by close()?"""
    box = make(
        """\
        import os, signal, time
        def f():
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    signal.signal(signal.SIGTERM, signal.SIG_IGN)
                    time.sleep(60)
                os._exit(0)
            return 1
        """
    )
    assert call(box, "f")["value"] == 1
    box.close()
    assert box.leftover_processes() == []


def test_a_worker_that_cannot_start_is_the_graders_fault() -> None:
    """Is a worker dying before student code runs reported as a grader fault, not a crash?"""
    broken = isolation.Isolation("process", None, False, ("false",))
    box = S.Sandbox({"conv": b"def f():\n    return 1\n"}, 1 << 30, 60, isolation=broken)
    try:
        with pytest.raises(S.SandboxBroken, match="did not start"):
            call(box, "f")
    finally:
        box.close()


def test_a_worker_that_dies_after_replying_is_replaced_without_blame(make) -> None:
    """If a worker replies and then exits, does the next call still get a fresh worker?"""
    box = make(
        "import os, threading\n"
        "def f():\n"
        "    threading.Timer(0.05, os._exit, (0,)).start()\n"
        "    return 1\n"
        "def g():\n"
        "    return 2\n"
    )
    assert call(box, "f")["value"] == 1
    time.sleep(0.5)
    assert call(box, "g")["value"] == 2 and box.starts == 2


def test_one_output_flood_does_not_break_later_prints(make) -> None:
    """After one function fills the output cap, can another still print and return?"""
    box = make(
        "def flood():\n"
        "    line = 'x' * (1 << 20)\n"
        "    for _ in range(40):\n"
        "        print(line)\n"
        "    return 1\n"
        "def chatty():\n"
        "    print('debugging')\n"
        "    return 2\n"
    )
    assert call(box, "flood")["value"] == 1
    assert call(box, "chatty")["value"] == 2
    assert len(box.output(limit=resources.OUTPUT_CAP * 2)) <= resources.OUTPUT_CAP


USERNS = (
    ISOLATION.unshare[:1] + ("--user", "--map-root-user") + ISOLATION.unshare[1:]
    if ISOLATION.unshare and "--user" not in ISOLATION.unshare
    else ISOLATION.unshare
)


@needs_namespaces
def test_the_unprivileged_user_namespace_level_builds_the_same_view() -> None:
    """Does the level used without root (a user namespace) give the same minimal view?"""
    level = isolation.Isolation("namespaces", None, True, USERNS)
    source = (
        b"import os\ndef f(path):\n"
        b"    tops = {t: sorted(os.listdir('/' + t))\n"
        b"            for t in ('work', 'home') if os.path.isdir('/' + t)}\n"
        b"    return sorted(os.listdir('/')), tops, os.path.exists(path)\n"
    )
    box = S.Sandbox({"conv": source}, 1 << 30, 60, isolation=level)
    try:
        listing, tops, solutions_visible = call(box, "f", str(ROOT / "solutions"))["value"]
    finally:
        box.close()
    assert not solutions_visible
    # /work and /home appear only on the way to the interpreter (a venv in a home directory),
    # and then hold only that way: no other checkout or home directory.
    for top in ("work", "home"):
        ways = {Path(d).parts[2] for d in _interpreter_under(Path("/" + top))}
        assert (top in listing) == bool(ways)
        assert set(tops.get(top, [])) <= ways


def _interpreter_under(folder: Path) -> list[str]:
    """The interpreter's directories below `folder` (they are bound into the sandbox's view)."""
    resolved = (Path(d).resolve() for d in isolation.interpreter_dirs())
    return [str(d) for d in resolved if d.is_relative_to(folder.resolve())]


needs_safe_level = pytest.mark.skipif(
    not ISOLATION.safe, reason=f"no safe sandbox level here ({'; '.join(ISOLATION.notes)})"
)
needs_fences = pytest.mark.skipif(
    not (ISOLATION.landlock and ISOLATION.seccomp), reason="no Landlock or seccomp here"
)


@needs_safe_level
def test_no_capability_no_new_privileges_and_the_filter_inside(make) -> None:
    """Does student code hold no capability in any set, with NO_NEW_PRIVS and seccomp on?"""
    box = make(
        """\
        import ctypes
        def f():
            libc = ctypes.CDLL(None, use_errno=True)
            header = (ctypes.c_uint32 * 2)(0x20080522, 0)
            data = (ctypes.c_uint32 * 6)()
            libc.capget(header, data)
            bounding = [c for c in range(41) if libc.prctl(23, c, 0, 0, 0) == 1]
            ambient = [c for c in range(41) if libc.prctl(47, 1, c, 0, 0) == 1]
            flags = libc.prctl(39, 0, 0, 0, 0), libc.prctl(21, 0, 0, 0, 0)
            return list(data), bounding, ambient, *flags
        """
    )
    sets, bounding, ambient, no_new_privs, seccomp_mode = call(box, "f")["value"]
    assert sets == [0] * 6
    assert ambient == []
    assert no_new_privs == 1
    if ISOLATION.uid is not None or ISOLATION.namespaces:  # root somewhere: bounding emptied
        assert bounding == []
    if ISOLATION.seccomp:
        assert seccomp_mode == 2


@needs_fences
def test_the_filter_denies_namespaces_sockets_ptrace_and_sysv_ipc(make) -> None:
    """Are user namespaces, sockets, ptrace and SysV IPC refused inside, while fork works?"""
    box = make(
        """\
        import ctypes, os, socket
        def f():
            libc = ctypes.CDLL(None, use_errno=True)
            results = {
                "unshare": libc.unshare(0x10000000),
                "ptrace": libc.ptrace(16, os.getppid() or 1, 0, 0),
                "shmget": libc.shmget(0, 4096, 0o1600),
                "msgget": libc.msgget(0, 0o1600),
            }
            try:
                socket.socket(socket.AF_UNIX).close()
                results["socket"] = 0
            except OSError:
                results["socket"] = -1
            pid = os.fork()
            if pid == 0:
                os._exit(7)
            results["fork"] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            return results
        """
    )
    results = call(box, "f")["value"]
    assert results.pop("fork") == 7
    assert results == {"unshare": -1, "ptrace": -1, "shmget": -1, "msgget": -1, "socket": -1}


def test_a_log_that_is_not_a_file_breaks_the_sandbox() -> None:
    """Is a log swapped for a FIFO reported as the grader's fault, not read?"""
    box = S.Sandbox({}, memory=1 << 30, cpu_seconds=10)
    box._workspace = workspace.Workspace.make({}, {}, None, runtime=False)
    try:
        os.mkfifo(box._workspace.root / "logs" / "stdout")
        with pytest.raises(S.SandboxBroken, match="not a regular file"):
            box.output()
    finally:
        box.close()
    assert box._workspace is None


@pytest.fixture
def project_with_venv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with a secret and a .venv inside it holding a module."""
    project = tmp_path / "project"
    (project / ".venv" / "lib").mkdir(parents=True)
    (project / ".venv" / "lib" / "venvmodule.py").write_text("ANSWER = 42\n")
    (project / "secret.txt").write_text("the reference")
    for path in (tmp_path, project, project / ".venv", project / ".venv" / "lib"):
        path.chmod(0o755)
    (project / ".venv" / "lib" / "venvmodule.py").chmod(0o644)
    reach = isolation.interpreter_dirs()
    monkeypatch.setattr(
        isolation, "interpreter_dirs", lambda: [*reach, str(project / ".venv" / "lib")]
    )
    return project


@pytest.mark.skipif(
    ISOLATION.level not in ("full", "namespaces", "landlock"),
    reason="only a view or Landlock can show a folder inside a hidden one",
)
def test_a_venv_inside_the_hidden_project_stays_usable(project_with_venv: Path) -> None:
    """With the project hidden, is its .venv still there for the worker, and nothing else
    readable (Landlock lets `stat` see that a file exists, never read it)?"""
    project = project_with_venv
    source = (
        "import sys\n"
        "def f(lib, secret):\n"
        "    sys.path.insert(0, lib)\n"
        "    import venvmodule\n"
        "    try:\n"
        "        with open(secret) as handle:\n"
        "            return venvmodule.ANSWER, handle.read()\n"
        "    except OSError:\n"
        "        return venvmodule.ANSWER, None\n"
    )
    box = S.Sandbox({"conv": source.encode()}, 1 << 30, 60, hide=(str(project),))
    try:
        reply = call(box, "f", str(project / ".venv" / "lib"), str(project / "secret.txt"))
    finally:
        box.close()
    assert reply["value"] == (42, None)


def test_daemons_are_found_and_killed_without_a_user_of_their_own(tmp_path: Path) -> None:
    """Without a separate uid or a pid namespace, is a setsid double-forked daemon still
    killed by close() and reported while alive (the guard adopts orphans)?"""
    level = isolation.Isolation(
        "landlock", None, False, (), landlock=ISOLATION.landlock, seccomp=ISOLATION.seccomp
    )
    if os.geteuid() == 0 and not ISOLATION.landlock:
        pytest.skip("as root this would run student code as root without any fence")
    source = textwrap.dedent(
        """\
        import os, signal, time
        def f():
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    signal.signal(signal.SIGTERM, signal.SIG_IGN)
                    time.sleep(60)
                os._exit(0)
            time.sleep(0.2)
            return os.getpid()
        """
    ).encode()
    box = S.Sandbox({"conv": source}, 1 << 30, 60, isolation=level)
    try:
        assert call(box, "f")["value"] > 1
        guard = box._proc.pid if box._proc is not None else box._guard_pid()
        assert len(processes.descendants(guard)) == 2  # the worker and the adopted daemon
    finally:
        box.close()
    assert box._seen and box.leftover_processes() == []


def test_without_a_tmpfs_the_workspace_is_only_read(tmp_path: Path) -> None:
    """Without namespaces (no tmpfs bounds it), can student code write its workspace? It
    cannot, and is told why; the modules stay as they were."""
    level = isolation.Isolation(
        "landlock", None, False, (), landlock=ISOLATION.landlock, seccomp=True
    )
    if os.geteuid() == 0 and not ISOLATION.landlock:
        pytest.skip("as root this would run student code as root without any fence")
    source = (
        "import os\n"
        "def fill():\n"
        "    open('junk', 'w').close()\n"
        "def count():\n"
        "    return sorted(os.listdir('.'))\n"
    )
    box = S.Sandbox({"conv": source.encode()}, 1 << 30, 60, isolation=level)
    try:
        error = call(box, "fill")["error"]
        assert error["type"] == "PermissionError"
        assert "sandbox lets student code write no files" in error["message"]
        assert call(box, "count")["value"] == ["conv.py"]
        assert box.starts == 1
    finally:
        box.close()


@needs_root
def test_leftovers_are_counted_before_the_uid_is_released(
    make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a sandbox is closed its uid may go to the next sandbox (a batch's other worker,
    another grader): are the first one's leftovers what was alive at its close, not what the
    uid's next holder runs?"""
    first = make("def f():\n    return 1\n")
    assert call(first, "f")["value"] == 1
    first.close()
    monkeypatch.setattr(S.processes, "of_user", lambda uid: [4242])  # the uid's next holder
    assert first.leftover_processes() == []


@needs_root
def test_closing_again_kills_nothing_of_the_uids_next_holder(
    make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sandbox closed twice must not sweep its former uid the second time: another sandbox
    (a batch's other worker) may be running student code as that uid by then."""
    first = make("def f():\n    return 1\n")
    assert call(first, "f")["value"] == 1
    first.close()
    killed: list[int] = []
    monkeypatch.setattr(S.processes, "kill_user", killed.append)
    first.close()
    assert killed == []
