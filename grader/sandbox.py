"""The sandbox: one supervised worker process that runs a submission's code.

Contract
--------
What crosses: requests (module, function name, arguments) go in and replies come out as
    frames of grader/wire.py: strict JSON plus .npy blobs loaded with allow_pickle=False, size
    capped. Expected values, reference solutions and test cases never enter the worker; every
    comparison happens in the trusted process after the reply has been decoded.
What is hidden: the worker runs `python -I` with a clean environment (single-threaded BLAS,
    MPLBACKEND=Agg, HOME and TMPDIR in its own directory), stdin closed, stdout and stderr
    captured to capped files. As root it runs as an unprivileged user of its own (concurrent
    sandboxes never share one) and, where the kernel allows it, in new pid, mount and network
    namespaces, inside a file system built for it: system directories and the interpreter
    read-only, its workspace, a private /tmp and /dev, nothing else (see grader/confine.py).
    Without root it uses an unprivileged user namespace for the same view where it can.
What is limited: address space (problems.yaml `memory`), CPU time (the budget), file size
    (so output: a flood is dropped past the cap), open files, and as the sandbox user the
    number of processes.
How a request is timed: by the CPU time (user + system, reaped children included) that the
    worker's whole process tree uses after acknowledging it, read from /proc by this process
    (nothing the worker says about time is believed); wall-clock time is only a backstop
    (grader.problems.backstop) for code that sleeps or blocks. Start-up (interpreter and
    numpy, before the worker's first frame) is not charged: it has its own deadline,
    STARTUP_SECONDS.
On timeout or crash: the whole process tree is killed with SIGKILL (the process group, the
    pid namespace, and every process of the sandbox user), then a fresh worker is started on
    the next request. Each request is acknowledged with its nonce before student code runs,
    so a worker that died after an earlier reply is replaced without blaming this call.
    `close` kills everything and verifies that no sandbox process is left.
The level actually reached is reported by `probe()` and recorded in results.json.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import select
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import wire
from grader.problems import backstop

SANDBOX_USER = "tutorial9-sandbox"
FALLBACK_UID = 64999  # used when the dedicated user does not exist: unassigned on Debian/Ubuntu
SLOT_UIDS = 64900  # concurrent sandboxes beyond the first run as 64901, 64902, ...
MAX_SLOTS = 64
RUNTIME_FILES = ("worker.py", "runner.py", "wire.py", "confine.py")
STARTUP_SECONDS = 60.0  # wall-clock seconds for a worker to start: beyond it, a grader fault
POLL_FLOOR = 0.05  # seconds: the shortest wait between two CPU-time readings of a request
PIPE_BYTES = 4 * 2**20  # buffer of each request and reply pipe
OUTPUT_CAP = 16 * 2**20  # bytes a sandbox process may write to one file
_HERE = Path(__file__).resolve().parent


class SandboxError(Exception):
    """The worker did not answer properly; `reason` is a student-facing sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SandboxTimeout(SandboxError):
    """The worker did not answer in time and was killed.

    `waited` is True when the wall-clock backstop ended the request (the code slept or
    blocked) and False when it used `limit` CPU seconds; `cpu` is the CPU time measured.
    """

    def __init__(self, limit: float, wall: float, cpu: float, waited: bool) -> None:
        if waited:
            reason = f"did not return within {wall:g} s (it was waiting or sleeping, not computing)"
        else:
            reason = f"used more than {limit:g} s of CPU time"
        super().__init__(reason)
        self.limit, self.wall, self.cpu, self.waited = limit, wall, cpu, waited


class SandboxCrash(SandboxError):
    """The worker exited, or sent something that is not a valid reply, and was killed."""


class SandboxBroken(Exception):
    """The worker could not start, before any student code ran: the grader's fault."""


@dataclass(frozen=True)
class Isolation:
    """What isolation is available on this machine, as measured by `probe`."""

    level: str  # "full", "user", "namespaces" or "process"
    uid: int | None  # the sandbox user, when running as root
    namespaces: bool  # pid, mount and network namespaces
    unshare: tuple[str, ...]  # the unshare command prefix, empty without namespaces
    notes: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        """The record that goes into results.json's extra_data."""
        return {
            "level": self.level,
            "separate_user": self.uid is not None,
            "pid_mount_network_namespaces": self.namespaces,
            "notes": list(self.notes),
        }


_probed: Isolation | None = None


def probe() -> Isolation:
    """Find the strongest isolation this machine allows (measured once per process)."""
    global _probed
    if _probed is None:
        _probed = _probe()
    return _probed


def _probe() -> Isolation:
    root = os.geteuid() == 0
    unshare = shutil.which("unshare")
    base = [unshare, "--pid", "--fork", "--kill-child", "--mount", "--mount-proc", "--net"]
    notes = []
    if unshare:
        prefix = tuple(base if root else [unshare, "--user", "--map-root-user", *base[1:]])
        probe_run = subprocess.run(
            [*prefix, "true"], stdin=subprocess.DEVNULL, capture_output=True, timeout=10
        )
        if probe_run.returncode == 0:
            if root:
                return Isolation("full", _sandbox_uid(), True, prefix)
            notes.append("not root: student code runs as the grading user")
            return Isolation("namespaces", None, True, prefix, tuple(notes))
        notes.append("namespaces unavailable: " + probe_run.stderr.decode(errors="replace")[:200])
    else:
        notes.append("namespaces unavailable: no unshare command")
    if root and all(_reachable_by_others(Path(d)) for d in _interpreter_dirs()):
        notes.append("no private view of the file system or network")
        return Isolation("user", _sandbox_uid(), False, (), tuple(notes))
    if root:
        notes.append("the interpreter's directories are not readable by other users")
    notes.append("student code runs as the grading user with resource limits only")
    return Isolation("process", None, False, (), tuple(notes))


def _sandbox_uid() -> int:
    try:
        return pwd.getpwnam(SANDBOX_USER).pw_uid
    except KeyError:
        return FALLBACK_UID


def _claim_uid(first: int) -> tuple[int, int]:
    """A uid no other sandbox on this machine is using, and the lock that holds it.

    Sandboxes that run at the same time (batch grading, parallel tests) each need their own
    uid, since cleanup kills every process of the sandbox's uid.
    """
    locks = Path("/run/tutorial9-sandbox")
    if not os.access("/run", os.W_OK):
        locks = Path(tempfile.gettempdir()) / "tutorial9-sandbox-locks"
    locks.mkdir(mode=0o700, exist_ok=True)
    for slot in range(MAX_SLOTS):
        handle = os.open(locks / f"{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            continue
        return (first if slot == 0 else SLOT_UIDS + slot), handle
    raise RuntimeError(f"more than {MAX_SLOTS} sandboxes at once")


def _reachable_by_others(directory: Path) -> bool:
    """Whether any user can list `directory` and pass through every directory above it."""
    directory = directory.resolve()
    readable = directory.stat().st_mode & 0o005 == 0o005
    return readable and all(p.stat().st_mode & 0o001 for p in directory.parents)


@dataclass
class Sandbox:
    """A workspace holding the student modules, and the worker that imports them.

    Args:
        sources: module name -> file content, written as <module>.py into the workspace.
        programs: module name -> program file (grader/statements.py `encode`), written as
            <module>.program.json: the worker imports such a module statement by statement.
        memory: address-space cap in bytes (the hard limit; calls may ask for less).
        cpu_seconds: CPU-time cap of one worker process.
        hide: directories that must not be visible inside the sandbox.
    """

    sources: Mapping[str, bytes]
    memory: int
    cpu_seconds: int
    hide: tuple[str, ...] = ()
    programs: Mapping[str, bytes] = field(default_factory=dict)
    isolation: Isolation = field(default_factory=probe)
    _root: Path | None = None
    template: Any = None  # a grader.template.Template to fork workers from, if usable
    _proc: subprocess.Popen[bytes] | None = None
    _guard: int = 0  # pid of the template-forked guard of the running worker (-1: not told yet)
    _requests: int = -1
    _replies: int = -1
    _ready: bool = False
    _slot: int = -1  # a lock file descriptor: this sandbox's claim on its uid
    uid: int | None = None  # the user this sandbox's code runs as (None: the grader's own)
    starts: int = 0
    _tree: dict[int, int] = field(default_factory=dict)  # pid -> start time, last seen

    def start(self) -> None:
        """Start a worker in the background (returns at once), unless one is alive already.

        A worker that died between requests (it replied, then exited) is replaced here, so
        its death is not blamed on the next function called.
        """
        if self._proc is not None or self._guard:
            if self._alive():
                return
            self.kill()
        if self._root is None:
            if self.isolation.uid is not None:
                self.uid, self._slot = _claim_uid(self.isolation.uid)
            self._root = self._make_workspace()
        request_read, self._requests = os.pipe()
        self._replies, reply_write = os.pipe()
        for fd in (self._requests, self._replies):
            _widen_pipe(fd)
        uid = self.uid
        confine = {
            "work": str(self._root / "work"),
            "workspace": str(self._root),
            "mounts": self.isolation.namespaces,
            "hide": [str(Path(p).resolve()) for p in self.hide],
            "reach": _interpreter_dirs(),
            "uid": uid,
            "gid": uid,
            "rlimits": self._rlimits(),
        }
        config = {"requests": request_read, "replies": reply_write, "confine": confine}
        command = [
            *self.isolation.unshare,
            sys.executable,
            "-I",
            "-u",  # unbuffered: prints reach the log even if the worker is killed
            str(self._root / "runtime" / "worker.py"),
            json.dumps(config),
        ]
        logs = self._root / "logs"
        home = "/tmp/sandbox/work" if self.isolation.namespaces else str(self._root / "work")
        with open(logs / "stdout", "ab") as out, open(logs / "stderr", "ab") as err:
            if self.template is not None and self.template.usable:
                config["env"] = worker_environment(home)
                fds = [request_read, reply_write, out.fileno(), err.fileno()]
                self.template.spawn(config, fds)  # the guard's pid is read when needed
                self._guard = -1
            else:
                self._proc = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    pass_fds=(request_read, reply_write),
                    cwd=self._root / "work",
                    env=worker_environment(home),
                    start_new_session=True,
                )
        os.close(request_read)
        os.close(reply_write)
        os.set_blocking(self._requests, False)
        self._ready = False
        self._tree = {}
        self.starts += 1

    def request(
        self,
        header: dict[str, Any],
        values: dict[str, Any] | None,
        limit: float,
        wall: float | None = None,
    ) -> dict[str, Any]:
        """Send one request and return the decoded reply (its "value" decoded as plain data).

        Args:
            limit: CPU seconds the worker's process tree may use on this request.
            wall: wall-clock seconds it may take, start-up excluded (default `backstop`).

        Raises:
            SandboxTimeout: the request used `limit` CPU seconds or took `wall` seconds.
            SandboxCrash: the worker died or replied with something malformed.
            SandboxBroken: the worker did not start within STARTUP_SECONDS.
        """
        wall = backstop(limit) if wall is None else wall
        nonce = os.urandom(8).hex()
        frame = wire.encode({**header, "nonce": nonce}, values)
        for attempt in (1, 2):
            self.start()
            if not self._ready:
                self._wait_ready(time.monotonic() + STARTUP_SECONDS)
            deadline = time.monotonic() + wall
            try:
                self._send(frame, deadline)
                acknowledged = self._acknowledged(nonce, deadline)
            except (EOFError, BrokenPipeError):
                acknowledged = False
            except TimeoutError:
                self.kill()
                raise SandboxTimeout(limit, wall, 0.0, waited=True) from None
            except wire.WireError as exc:
                self.kill()
                raise SandboxCrash(f"sent a reply the grader cannot read ({exc})") from None
            if acknowledged:
                break
            # The worker died before it took this request: an earlier call's doing (it
            # replied, then exited). Not this call's fault: start afresh, once.
            code = self.kill()
            if attempt == 2:
                raise SandboxCrash(_exit_reason(code))
        try:
            return self._reply_within(limit, wall, deadline)
        except TimeoutError:  # the reply began but did not end by the deadline
            self.kill()
            raise SandboxTimeout(limit, wall, 0.0, waited=True) from None
        except (EOFError, BrokenPipeError):
            code = self.kill()
            raise SandboxCrash(_exit_reason(code)) from None
        except wire.WireError as exc:
            self.kill()
            raise SandboxCrash(f"sent a reply the grader cannot read ({exc})") from None

    def _reply_within(self, limit: float, wall: float, deadline: float) -> dict[str, Any]:
        """The reply, once it comes within `limit` CPU seconds (from now) and `deadline`.

        CPU time cannot grow faster than wall time times the number of cores, so the reply
        pipe is watched for (CPU time left) / cores before the tree's CPU time is read again:
        a call that returns in time costs one reading, the baseline.
        """
        baseline = self.cpu_time(scan=False)
        cores = os.cpu_count() or 1
        used = 0.0
        while True:
            left = deadline - time.monotonic()
            if used >= limit or left <= 0:
                self.kill()
                raise SandboxTimeout(limit, wall, used, waited=used < limit)
            wait = min(max((limit - used) / cores, POLL_FLOOR), left)
            if select.select([self._replies], [], [], wait)[0]:
                return self._reply(deadline)
            used = self.cpu_time(scan=True) - baseline

    def cpu_time(self, scan: bool = True) -> float:
        """CPU seconds used so far by the worker's process tree: every live process under the
        process this sandbox started, user and system time, plus what each has reaped.

        With `scan`, /proc is searched for the tree (processes the code started since the
        last scan included); without, only the processes found last time are read again.
        """
        root = self._proc.pid if self._proc is not None else self._guard_pid()
        if scan or not self._tree:
            ticks, self._tree = _tree_ticks(root)
            return ticks / _CLOCK_TICKS
        ticks = 0
        for pid, started in self._tree.items():
            stat = _stat(pid)
            if stat is not None and stat[1] == started:  # not a reused pid
                ticks += stat[2]
        return ticks / _CLOCK_TICKS

    def _acknowledged(self, nonce: str, deadline: float) -> bool:
        """Whether the worker took the request: it echoes the request's nonce before the
        student's code runs, so an earlier call's forged frames cannot pass for it."""
        ack = wire.decode(wire.read_frame(self._replies, deadline))
        if ack.get("ack") != nonce:
            raise wire.WireError("the worker acknowledged another request")
        return True

    def _guard_pid(self) -> int:
        if self._guard == -1:
            self._guard = self.template.next_pid()
        return self._guard

    def _alive(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        try:
            with open(f"/proc/{self._guard_pid()}/stat", "rb") as stat:
                return stat.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
        except (OSError, IndexError):
            return False

    def _wait_ready(self, deadline: float) -> None:
        """Wait for the worker's first frame, sent after confinement, before student code."""
        try:
            self._reply(deadline)
        except TimeoutError:
            self.kill()
            raise SandboxBroken(
                f"the sandbox worker did not start within {STARTUP_SECONDS:g} s"
            ) from None
        except (EOFError, wire.WireError):
            lines = self.output(8000).strip().splitlines()
            self.kill()
            raise SandboxBroken(
                f"the sandbox worker did not start: {lines[-1] if lines else 'no output'}"
            ) from None
        self._ready = True

    def _send(self, frame: bytes, deadline: float) -> None:
        view = memoryview(frame)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            if not select.select([], [self._requests], [], left)[1]:
                raise TimeoutError
            try:
                view = view[os.write(self._requests, view) :]
            except BlockingIOError:
                continue

    def _reply(self, deadline: float) -> dict[str, Any]:
        reply = wire.decode(wire.read_frame(self._replies, deadline), ("value",))
        if reply.get("ok") not in (True, False):
            raise wire.WireError("reply without status")
        return reply

    def kill(self) -> int | None:
        """Kill the worker and everything it started; returns its exit status if known."""
        if self._proc is None and not self._guard:
            return None
        for fd in (self._requests, self._replies):
            os.close(fd)
        code = None
        if self._proc is not None:
            proc, self._proc = self._proc, None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            code = proc.wait()
        else:
            guard, self._guard = self._guard_pid(), 0
            with contextlib.suppress(ProcessLookupError):
                os.killpg(guard, signal.SIGKILL)  # the guard leads its own session
            for _ in range(2000):  # not our child: wait for the template to reap it
                if not os.path.exists(f"/proc/{guard}"):
                    break
                time.sleep(0.001)
        self._kill_sandbox_user()
        return code

    def close(self) -> None:
        """Kill everything and delete the workspace."""
        self.kill()
        self._kill_sandbox_user()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
        if self._slot >= 0:
            os.close(self._slot)  # releases the uid for the next sandbox
            self._slot = -1

    def leftover_processes(self) -> list[int]:
        """Processes of the sandbox user still alive (should be none after `close`)."""
        return [] if self.uid is None else _processes_of(self.uid)

    def output(self, limit: int = 2000) -> str:
        """The head of what the student's code printed (stdout then stderr)."""
        if self._root is None:
            return ""
        parts = []
        for name in ("stdout", "stderr"):
            with open(self._root / "logs" / name, "rb") as handle:
                parts.append(handle.read(limit).decode("utf-8", errors="replace"))
        return "".join(parts)[:limit]

    def _kill_sandbox_user(self) -> None:
        uid = self.uid
        if uid is None:
            return
        for _ in range(100):  # processes may fork while we kill; bounded retries
            pids = _processes_of(uid)
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def _make_workspace(self) -> Path:
        root = Path(tempfile.mkdtemp(prefix="tutorial9-sandbox-"))
        root.chmod(0o711)
        (root / "runtime").mkdir(mode=0o755)
        for name in RUNTIME_FILES:
            shutil.copyfile(_HERE / name, root / "runtime" / name)
            (root / "runtime" / name).chmod(0o644)
        (root / "logs").mkdir(mode=0o700)
        work = root / "work"
        work.mkdir(mode=0o700)
        for module, code in self.sources.items():
            (work / f"{module}.py").write_bytes(code)
        for module, program in self.programs.items():
            (work / f"{module}.program.json").write_bytes(program)
        uid = self.uid
        if uid is not None:
            for path in [work, *work.iterdir()]:
                os.chown(path, uid, uid)
        return root

    def _rlimits(self) -> dict[str, tuple[int, int]]:
        limits = {
            "AS": (self.memory, self.memory),
            "CPU": (self.cpu_seconds, self.cpu_seconds + 5),
            "FSIZE": (OUTPUT_CAP, OUTPUT_CAP),
            "NOFILE": (256, 256),
            "CORE": (0, 0),
        }
        if self.uid is not None:  # root is exempt, and other users' counts differ
            limits["NPROC"] = (64, 64)
        return limits


def worker_environment(home: str) -> dict[str, str]:
    """The whole environment of a worker: nothing of the grader's own leaks in."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # machine workarounds
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _widen_pipe(fd: int) -> None:
    """Grow a pipe's buffer from 64 KiB, so a megabyte array crosses in few context switches."""
    with contextlib.suppress(OSError):  # over /proc/sys/fs/pipe-max-size without root
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _interpreter_dirs() -> list[str]:
    """Directories the worker's interpreter and its packages live in."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.add(str(Path(sys.executable).resolve().parent))
    paths.update(site.getsitepackages())
    return sorted(p for p in paths if os.path.isdir(p))


def _processes_of(uid: int) -> list[int]:
    """Live processes of `uid` (zombies are dead already and can do nothing)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid != uid:
                continue
            with open(f"/proc/{entry}/stat", "rb") as stat:
                state = stat.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in (b"Z", b"X"):
            pids.append(int(entry))
    return pids


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(parent pid, start time, CPU ticks used: own and reaped children's) of `pid`."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the command: state, ppid (1), ..., utime, stime, cutime, cstime (11-14), ...,
    # starttime (19). Zombies keep their times until reaped, then their parent has them.
    return int(fields[1]), int(fields[19]), sum(int(f) for f in fields[11:15])


def _tree_ticks(root: int) -> tuple[int, dict[int, int]]:
    """CPU ticks of `root` and all its live descendants, and those processes' start times."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            stats[int(entry)] = stat
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    tree, queue = {}, [root] if root in stats else []
    while queue:
        pid = queue.pop()
        tree[pid] = stats[pid][1]
        queue += children.get(pid, [])
    return sum(stats[pid][2] for pid in tree), tree


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "the process ended before replying"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hints = {"SIGXCPU": " (CPU time limit)", "SIGSEGV": " (a crash)", "SIGXFSZ": " (file size)"}
        return f"the process was killed by {name}{hints.get(name, '')}"
    return f"the process ended (exit status {code}) before replying"
