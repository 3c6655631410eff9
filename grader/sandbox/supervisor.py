"""The sandbox: one supervised worker process that runs a submission's code.

Contract
--------
What crosses: requests (module, function name, arguments) go in and replies come out as
    frames of grader/runtime/wire.py: strict JSON plus arrays of plain number types as raw bytes,
    checked against their dtype and shape, size capped. Expected values, reference solutions
    and test cases never enter the worker; every comparison happens in the trusted process
    after the reply has been decoded.
What is hidden: the worker runs `python -I` with a clean environment (single-threaded BLAS,
    MPLBACKEND=Agg, HOME and TMPDIR in its own directory), stdin closed, stdout and stderr
    captured to capped files. As root it runs as an unprivileged user of its own (concurrent
    sandboxes never share one) and, where the kernel allows it, in new pid, mount, IPC and
    network namespaces, inside a file system built for it: system directories and the
    interpreter read-only, a copy of its modules on a small tmpfs, a private /tmp and /dev,
    nothing else (see grader/runtime/confine.py). Without root it uses an unprivileged user
    namespace
    for the same view where it can. At every level it holds no capability, cannot gain any
    (NO_NEW_PRIVS), is fenced by Landlock where the kernel has it, and runs under a seccomp
    filter. Which of these the machine allows is its level (grader/sandbox/isolation.py); where
    nothing keeps student code from the references, `require` there refuses.
What is limited: address space (problems.yaml `memory`, below the cgroup's memory limit), CPU
    time (the budget), file size (so output: a flood is dropped past the cap), open files,
    the number of processes (grader/sandbox/resources.py), and the workspace's size and inodes
    (grader/sandbox/workspace.py: a tmpfs with namespaces; without, nothing on the host's disk
    is writable to it), and at every level it may neither fallocate nor change any file's
    metadata (grader/runtime/confine.py).
How a request is timed: by the CPU time (user + system, reaped children included) that the
    worker's whole process tree uses after acknowledging it, read from /proc by this process
    (grader/sandbox/processes.py; nothing the worker says about time is believed); wall-clock time
    is only a backstop (grader.problems.backstop) for code that sleeps or blocks. Start-up
    (interpreter and numpy, before the worker's first frame) is not charged: it has its own
    deadline, STARTUP_SECONDS.
On timeout or crash: the whole process tree is killed with SIGKILL (the process group, the
    pid namespace or, without one, every descendant of the guard that adopts orphans, and
    every process of the sandbox user), then a fresh worker is started on the next request.
    Each request is acknowledged with its nonce before student code runs, so a worker that
    died after an earlier reply is replaced without blaming this call. The worker's code
    lives where no sandbox process can write (grader/sandbox/workspace.py), so a new worker runs
    only the grader's code. `close` kills everything and verifies that no sandbox process
    is left.
The level actually reached is reported by `isolation.probe()` and recorded in results.json.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.problems import backstop
from grader.runtime import wire
from grader.sandbox import processes
from grader.sandbox.isolation import Isolation, confinement, probe
from grader.sandbox.resources import rlimits, worker_environment
from grader.sandbox.workspace import NotAFile, Workspace

SLOT_UIDS = 64900  # concurrent sandboxes beyond the first run as 64901, 64902, ...
MAX_SLOTS = 64
STARTUP_SECONDS = 60.0  # wall-clock seconds for a worker to start: beyond it, a grader fault
ENDED_GRACE = 0.5  # seconds for a worker's guard to report the exit status of a worker that ended
POLL_FLOOR = 0.05  # seconds: the shortest wait between two CPU-time readings of a request
PIPE_BYTES = 4 * 2**20  # buffer of each request and reply pipe
_CORES = os.cpu_count() or 1


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


@dataclass(frozen=True)
class _WorkerEnds:
    """The descriptors a new worker inherits; ours to close once it has them."""

    requests: int  # the request pipe's read end
    replies: int  # the reply pipe's write end
    stdout: int  # its log files, opened for appending
    stderr: int

    @property
    def fds(self) -> tuple[int, int, int, int]:
        return self.requests, self.replies, self.stdout, self.stderr

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)


@dataclass
class Sandbox:
    """A workspace holding the student modules, and the worker that imports them.

    Args:
        sources: module name -> file content, written as <module>.py into the workspace.
        programs: module name -> program file (grader/intake/statements.py `encode`), written as
            <module>.program.json: the worker imports such a module statement by statement.
        memory: address-space cap in bytes (the hard limit; calls may ask for less).
        cpu_seconds: CPU-time cap of one worker process.
        hide: directories that must not be visible inside the sandbox.
        isolation: the level to run at (default: the best this machine allows, `probe()`).
        template: a fork server to fork workers from, when it is usable.
    """

    sources: Mapping[str, bytes]
    memory: int
    cpu_seconds: int
    hide: tuple[str, ...] = ()
    programs: Mapping[str, bytes] = field(default_factory=dict)
    isolation: Isolation = field(default_factory=probe)
    template: Any = None  # a grader.sandbox.forkserver.ForkServer to fork workers from, if usable
    # What the running worker is made of: set by `start`, `kill` and `close`, never passed in.
    uid: int | None = field(default=None, init=False)  # whom its code runs as (None: the grader)
    starts: int = field(default=0, init=False)  # workers started so far
    _workspace: Workspace | None = field(default=None, init=False)
    _slot: int = field(default=-1, init=False)  # a lock file descriptor: the claim on `uid`
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _guard: int = field(default=0, init=False)  # pid of a template-forked guard (-1: not told yet)
    _guard_fd: int = field(default=-1, init=False)  # a pidfd of the guard: readable once it ends
    _requests: int = field(default=-1, init=False)  # our end of the request pipe
    _replies: int = field(default=-1, init=False)  # our end of the reply pipe
    _ready: bool = field(default=False, init=False)  # the worker has sent its first frame
    _tree: dict[int, int] = field(default_factory=dict, init=False)  # pid -> start time, last seen
    _seen: set[tuple[int, int]] = field(default_factory=set, init=False)  # (pid, start time) killed
    # The sandbox user's processes alive at `close`, counted before its uid is released: once
    # released, another sandbox (a batch's other worker, another grader) may run as that uid.
    _left: tuple[int, ...] | None = field(default=None, init=False)

    def start(self) -> None:
        """Start a worker in the background (returns at once), unless one is alive already.

        A worker that died between requests (it replied, then exited) is replaced here, so
        its death is not blamed on the next function called.
        """
        self._bound_workspace()
        if self._proc is not None or self._guard:
            if self._alive():
                return
            self.kill()
        workspace = self._workspace if self._workspace is not None else self._make_workspace()
        ends = self._open_channels(workspace)
        try:
            self._launch(workspace, ends)
        finally:
            ends.close()
        os.set_blocking(self._requests, False)
        os.set_blocking(self._replies, False)  # frames already there are read without a select
        self._ready = False
        self._tree = {}
        self.starts += 1

    def _bound_workspace(self) -> None:
        """Without namespaces no tmpfs bounds the workspace: refill it when it has grown over
        its caps (checked before every request), killing the worker that filled it."""
        workspace = self._workspace
        if workspace is not None and not self.isolation.namespaces and workspace.overfull():
            self.kill()
            workspace.refill()

    def _make_workspace(self) -> Workspace:
        """The workspace, made once, owned by a sandbox user of this sandbox's own."""
        if self.isolation.uid is not None:
            self.uid, self._slot = _claim_uid(self.isolation.uid)
        self._workspace = Workspace.make(self.sources, self.programs, self.uid, not self._forked)
        return self._workspace

    def _open_channels(self, workspace: Workspace) -> _WorkerEnds:
        """New request and reply pipes (our ends kept in `_requests`, `_replies`) and the logs:
        the descriptors a new worker inherits.

        Raises:
            SandboxBroken: a log is not a regular file.
        """
        request_read, self._requests = os.pipe()
        self._replies, reply_write = os.pipe()
        for fd in (self._requests, self._replies):
            _widen_pipe(fd)
        try:
            out, err = workspace.open_logs()
        except NotAFile as exc:
            for fd in (request_read, reply_write):
                os.close(fd)
            raise SandboxBroken(str(exc)) from None
        return _WorkerEnds(request_read, reply_write, out, err)

    def _launch(self, workspace: Workspace, ends: _WorkerEnds) -> None:
        """Fork the worker from the template, or start it as a new interpreter."""
        isolation = self.isolation
        confine = confinement(isolation, str(workspace.work), self.hide, self.uid)
        confine["rlimits"] = rlimits(self.memory, self.cpu_seconds, self.uid, isolation.level)
        config = {"requests": ends.requests, "replies": ends.replies, "confine": confine}
        home = "/tmp/sandbox/work" if isolation.namespaces else str(workspace.work)
        if self._forked:
            config["env"] = worker_environment(home)
            self.template.spawn(config, list(ends.fds))
            self._guard = -1  # the guard's pid is read when needed
            return
        # Without a pid namespace a guard adopts (PR_SET_CHILD_SUBREAPER) and kills everything
        # the worker starts; with one, its first process does.
        mode = [] if isolation.namespaces else ["--guard"]
        command = [
            *isolation.unshare,
            sys.executable,
            "-I",
            "-u",  # unbuffered: prints reach the log even if the worker is killed
            str(workspace.worker),
            *mode,
            json.dumps(config),
        ]
        self._proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=ends.stdout,
            stderr=ends.stderr,
            pass_fds=(ends.requests, ends.replies),
            cwd=workspace.work,
            env=worker_environment(home),
            start_new_session=True,
        )

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
            code = self.kill(ended=True)
            if attempt == 2:
                raise SandboxCrash(_exit_reason(code))
        try:
            return self._reply_within(limit, wall, deadline)
        except TimeoutError:  # the reply began but did not end by the deadline
            self.kill()
            raise SandboxTimeout(limit, wall, 0.0, waited=True) from None
        except (EOFError, BrokenPipeError):
            code = self.kill(ended=True)
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
        used = 0.0
        while True:
            left = deadline - time.monotonic()
            if used >= limit or left <= 0:
                self.kill()
                raise SandboxTimeout(limit, wall, used, waited=used < limit)
            wait = min(max((limit - used) / _CORES, POLL_FLOOR), left)
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
            ticks, self._tree = processes.tree_ticks(root)
            return ticks / processes.CLOCK_TICKS
        ticks = 0
        for pid, started in self._tree.items():
            read = processes.stat(pid)
            if read is not None and read[1] == started:  # not a reused pid
                ticks += read[2]
        return ticks / processes.CLOCK_TICKS

    def _acknowledged(self, nonce: str, deadline: float) -> bool:
        """Whether the worker took the request: it echoes the request's nonce before the
        student's code runs, so an earlier call's forged frames cannot pass for it."""
        ack = wire.decode(wire.read_frame(self._replies, deadline))
        if ack.get("ack") != nonce:
            raise wire.WireError("the worker acknowledged another request")
        return True

    @property
    def _forked(self) -> bool:
        """Whether workers are forked from the template rather than started afresh."""
        return self.template is not None and self.template.usable

    def _guard_pid(self) -> int:
        if self._guard == -1:
            self._guard = self.template.next_pid()
        return self._guard

    def _alive(self) -> bool:
        """Whether the worker's guard runs (asked before every request: one poll of a pidfd)."""
        if self._proc is not None:
            return self._proc.poll() is None
        if self._guard_fd < 0:
            try:
                self._guard_fd = os.pidfd_open(self._guard_pid())
            except ProcessLookupError:
                return False
            except (OSError, AttributeError):  # no pidfds here: read /proc
                return processes.start_time(self._guard_pid()) is not None  # not gone or a zombie
        return not select.select([self._guard_fd], [], [], 0)[0]

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

    def kill(self, ended: bool = False) -> int | None:
        """Kill the worker and everything it started; returns its exit status if known.

        `ended`: the worker closed its pipes itself (it exited or crashed). The process we
        started (the guard, or unshare) then exits with the worker's status on its own: wait
        briefly for that, so the student is told "exit status 0" rather than our SIGKILL.
        """
        if self._proc is None and not self._guard:
            return None
        if ended and self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=ENDED_GRACE)
        code = None
        guard = self._proc.pid if self._proc is not None else self._guard_pid()
        if not self.isolation.namespaces:  # no pid namespace: the guard's subtree, first
            self._seen |= processes.kill_tree(guard)
        for fd in (self._requests, self._replies):
            os.close(fd)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(guard, signal.SIGKILL)  # the guard leads its own session
        if self._proc is not None:
            proc, self._proc = self._proc, None
            code = proc.wait()
        else:
            self._guard = 0
            if self._guard_fd >= 0:  # not our child: wait until it has ended (2 s at most)
                select.select([self._guard_fd], [], [], 2.0)
                os.close(self._guard_fd)
                self._guard_fd = -1
            else:
                for _ in range(2000):  # no pidfd: wait for the template to reap it
                    if not os.path.exists(f"/proc/{guard}"):
                        break
                    time.sleep(0.001)
        self._kill_sandbox_user()
        return code

    def close(self) -> None:
        """Kill everything and delete the workspace; again, nothing (the uid may be another
        sandbox's by then)."""
        if self._proc is not None or self._guard:
            self.kill()  # which sweeps the sandbox user's processes too
        else:
            self._kill_sandbox_user()
        if self._workspace is not None:
            self._workspace.remove()
            self._workspace = None
        if self._slot >= 0:
            self._left = tuple(processes.of_user(self.uid)) if self.uid is not None else ()
            os.close(self._slot)  # releases the uid for the next sandbox
            self._slot = -1

    def leftover_processes(self) -> list[int]:
        """Sandbox processes still alive (should be none after `close`): those of the sandbox
        user (as counted at `close`, once closed), or without one, those ever seen in the
        worker's process tree."""
        if self.uid is not None:
            if self._slot < 0 and self._left is not None:
                return list(self._left)
            return processes.of_user(self.uid)
        return sorted(pid for pid, started in self._seen if processes.start_time(pid) == started)

    def output(self, limit: int = 2000) -> str:
        """The head of what the student's code printed (stdout then stderr)."""
        if self._workspace is None:
            return ""
        try:
            return self._workspace.output(limit)
        except NotAFile as exc:
            raise SandboxBroken(str(exc)) from None

    def _kill_sandbox_user(self) -> None:
        # Only while the uid is ours: once `close` released it, another sandbox may run as it.
        if self.uid is not None and self._slot >= 0:
            processes.kill_user(self.uid)


def _widen_pipe(fd: int) -> None:
    """Grow a pipe's buffer from 64 KiB, so a megabyte array crosses in few context switches."""
    with contextlib.suppress(OSError):  # over /proc/sys/fs/pipe-max-size without root
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


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
