"""The sandbox worker: imports student modules and calls their functions on request.

Runs inside the sandbox (the contract is in grader/sandbox/supervisor.py) as
``python -I <runtime>/worker.py CONFIG_JSON``, next to copies of wire.py and confine.py.
Everything here is untrusted once student code has run: the trusted side believes nothing
this process says beyond the plain data it can decode, and it enforces every limit from
outside. Requests come on one pipe, replies go on another; student prints go to the
captured stdout/stderr files, never to the reply pipe.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import resource
import signal
import sys
import traceback
from typing import Any

if __package__:  # imported as grader.runtime.worker (tests); in the sandbox it runs as a script
    from grader.runtime import runner
else:  # `python -I` leaves the script's folder, the runtime, off the path: put it first
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import runner


def main(argv: list[str]) -> None:
    """`worker.py CONFIG_JSON` runs one worker, `worker.py --guard CONFIG_JSON` one worker under
    a guard (no pid namespace: see `_guard`), `worker.py --template FD` serves a template."""
    runtime = os.path.dirname(os.path.abspath(__file__))
    if runtime not in sys.path:
        sys.path.insert(0, runtime)
    if argv[1] == "--template":
        _serve_template(int(argv[2]), runtime)
    elif argv[1] == "--guard":
        _guard(json.loads(argv[2]), None, runtime)
    else:
        run(json.loads(argv[1]), runtime)


def run(config: dict[str, Any], runtime: str) -> None:
    """Confine this process, then answer requests until the request pipe closes."""
    import confine  # noqa: E402  (found only once the runtime dir is on the path)
    import wire

    work = confine.apply(config["confine"])
    if runtime in sys.path:
        sys.path.remove(runtime)
    sys.path.insert(0, work)
    programs = runner.Programs(lambda name: _program(work, name))
    sys.meta_path.insert(0, programs)
    sys.stdin = None  # input() raises at once instead of waiting
    room = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if room != resource.RLIM_INFINITY:  # one flood must not make every later print fail
        sys.stdout, sys.stderr = _Capped(1, room - 65536), _Capped(2, room - 65536)
    requests, replies = config["requests"], config["replies"]
    memory_hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    wire.write_frame(replies, wire.encode({"ok": True, "ready": True, "uid": os.getuid()}))
    while True:
        try:
            request = wire.decode(wire.read_frame(requests), ("args", "kwargs"))
        except EOFError:
            return
        # Taken, before any student code runs for it (see Sandbox.request).
        wire.write_frame(replies, wire.encode({"ack": request.get("nonce")}))
        wire.write_frame(replies, _serve(request, wire, memory_hard, programs))


def _serve_template(channel: int, runtime: str) -> None:
    """Fork a fresh worker per request on `channel`, numpy already imported (trusted code only).

    A request is a JSON config plus four file descriptors (requests, replies, stdout, stderr);
    the reply is the pid of a guard process whose death takes the worker down with it.
    """
    import socket

    import confine  # noqa: F401  (preloaded, like numpy, so that forks start warm)
    import wire  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # guards are reaped automatically
    link = socket.socket(fileno=channel)
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(link, 1 << 20, 4)
        except OSError:
            return
        if not message:
            return
        guard = os.fork()
        if guard == 0:
            link.close()
            _guard(json.loads(message), fds, runtime)
        for fd in fds:
            os.close(fd)
        link.sendall(guard.to_bytes(8, "big"))


def _guard(config: dict[str, Any], fds: list[int] | None, runtime: str) -> None:
    """The worker's parent: new namespaces, or without them a subreaper that outlives it.

    With namespaces the worker is pid 1 of its pid namespace, and everything it starts dies
    with it. Without, the guard adopts every orphan (PR_SET_CHILD_SUBREAPER) and, once the
    worker has exited, kills and reaps all that is left before exiting itself; the grader
    kills the guard's whole tree the same way (grader/sandbox/supervisor.py). `fds` are the
    requests,
    replies, stdout and stderr descriptors from a template; None when started directly.
    """
    import confine

    if fds is not None:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update(config.get("env", {}))
    mounts = config["confine"].get("mounts")
    if mounts:
        confine.unshare_namespaces()
    else:
        confine.become_subreaper()
    worker = os.fork()
    if worker == 0:
        confine.die_with_parent()
        if mounts:
            confine.mount_proc()
        if fds is not None:
            stdin = os.open(os.devnull, os.O_RDONLY)
            for target, fd in ((0, stdin), (1, fds[2]), (2, fds[3])):
                os.dup2(fd, target)
            config["requests"], config["replies"] = fds[0], fds[1]
        try:
            run(config, runtime)
        except BaseException:  # noqa: BLE001  (confinement failed: say why, in the log)
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    for fd in fds or (config["requests"], config["replies"]):
        os.close(fd)
    _, status = os.waitpid(worker, 0)
    _reap_all()
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _reap_all() -> None:
    """Kill every child (the worker's orphans, adopted) until there are none."""
    me = str(os.getpid())
    while True:
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    if stat.read().rsplit(b")", 1)[1].split()[1].decode() == me:
                        os.kill(int(entry), signal.SIGKILL)
            except (OSError, IndexError, ValueError):
                continue
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _serve(
    request: dict[str, Any], wire: Any, memory_hard: int, programs: runner.Programs
) -> bytes:
    try:
        if request["op"] == "import" and isinstance(request.get("alias_of"), str):
            # Another module name for code already run (one notebook backs several modules).
            sys.modules[request["module"]] = importlib.import_module(request["alias_of"])
        module = importlib.import_module(request["module"])
        if request["op"] == "import":
            failures = programs.take_failures()  # this module's, and those it imported
            for failure in (f for found in failures.values() for f in found):
                if failure["message"].startswith(_REFUSED):
                    failure["message"] = (failure["message"] + _NO_WRITES)[:300]
            asked = request.get("names")
            names = [n for n in asked if isinstance(n, str)] if isinstance(asked, list) else []
            callables = [n for n in names if callable(getattr(module, n, None))]
            return wire.encode({"ok": True, "failures": failures, "callables": callables})
        value = getattr(module, request["name"], _MISSING)
        if value is _MISSING:
            return wire.encode({"ok": False, "missing": True})
        if request["op"] == "get":
            if callable(value):
                return wire.encode({"ok": True, "callable": True})
            return wire.encode({"ok": True}, {"value": value})
        memory = request.get("memory")
        if memory and memory_hard != resource.RLIM_INFINITY:
            resource.setrlimit(resource.RLIMIT_AS, (min(memory, memory_hard), memory_hard))
        args, kwargs = request["args"], request["kwargs"]
        kept = runner.snapshot([args, kwargs])  # before the call: the API forbids changing inputs
        result = value(*args, **kwargs)
        contract = runner.contract(kept, [args, kwargs], result)
        return wire.encode({"ok": True, **contract}, {"value": result})
    except wire.Unsupported as exc:
        return wire.encode({"ok": False, "error": _error(exc, unsupported=True)})
    except BaseException as exc:  # noqa: BLE001  (student code may raise anything)
        return wire.encode({"ok": False, "error": _error(exc)})


_PROGRAM = "{}.program.json"  # in the workspace, next to <module>.py (grader/intake/statements.py)


def _program(work: str, name: str) -> tuple[str, runner.Statements] | None:
    """(location, program) of a submission module in the workspace, or None."""
    program = os.path.join(work, _PROGRAM.format(name))
    if not os.path.isfile(program):
        return None
    with open(program, "rb") as handle:
        statements = json.loads(handle.read())["statements"]
    return os.path.join(work, f"{name}.py"), statements


class _Capped(io.TextIOBase):
    """Student prints: written to the captured file until it is nearly full, then dropped."""

    def __init__(self, fd: int, limit: int) -> None:
        self._fd, self._limit = fd, limit

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def write(self, text: str) -> int:
        data = str(text).encode("utf-8", "replace")
        try:
            room = self._limit - os.fstat(self._fd).st_size
            if room > 0:
                os.write(self._fd, data[:room])
        except OSError:
            pass
        return len(text)


# An OSError's text when the sandbox refused a write or a change of metadata (EPERM, EACCES,
# EROFS), and what the student is told then.
_REFUSED = ("[Errno 1] ", "[Errno 13] ", "[Errno 30] ")
_NO_WRITES = (
    " (the grader's sandbox lets student code write no files, except in a private temporary"
    " folder where it has one, and change no file's mode, owner, times or attributes)"
)


class _Missing:
    pass


_MISSING = _Missing()


def _error(exc: BaseException, unsupported: bool = False) -> dict[str, Any]:
    """runner.error, with a refused write told why (the sandbox's rule, not the student's bug)."""
    described = runner.error(exc, unsupported=unsupported)
    if isinstance(exc, OSError) and described["message"].startswith(_REFUSED):
        described["message"] += _NO_WRITES
    return described


if __name__ == "__main__":
    main(sys.argv)
