"""The sandbox worker: imports student modules and calls their functions on request.

Runs inside the sandbox (the contract is in grader/sandbox.py) as
``python -I <runtime>/worker.py CONFIG_JSON``, next to copies of wire.py and confine.py.
Everything here is untrusted once student code has run: the trusted side believes nothing
this process says beyond the plain data it can decode, and it enforces every limit from
outside. Requests come on one pipe, replies go on another; student prints go to the
captured stdout/stderr files, never to the reply pipe.
"""

from __future__ import annotations

import builtins
import importlib
import io
import json
import os
import resource
import signal
import sys
import traceback
from typing import Any

import numpy as np

_MAX_TEXT = 4000  # characters of an exception message or traceback sent back


def main(argv: list[str]) -> None:
    """`worker.py CONFIG_JSON` runs one worker, `worker.py --guard CONFIG_JSON` one worker under
    a guard (no pid namespace: see `_guard`), `worker.py --template FD` serves a template."""
    runtime = os.path.dirname(os.path.abspath(__file__))
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
    sys.meta_path.insert(0, _Programs(work))
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
        wire.write_frame(replies, _serve(request, wire, memory_hard))


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
    kills the guard's whole tree the same way (grader/sandbox.py). `fds` are the requests,
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


def _serve(request: dict[str, Any], wire: Any, memory_hard: int) -> bytes:
    try:
        module = importlib.import_module(request["module"])
        if request["op"] == "import":
            failures = dict(_FAILURES)  # this module's, and those of modules it imported
            _FAILURES.clear()
            return wire.encode({"ok": True, "failures": failures})
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
        kept = _snapshot([args, kwargs])  # before the call: the API forbids changing inputs
        result = value(*args, **kwargs)
        contract = _contract(kept, [args, kwargs], result)
        return wire.encode({"ok": True, **contract}, {"value": result})
    except wire.Unsupported as exc:
        return wire.encode({"ok": False, "error": _describe(exc, unsupported=True)})
    except BaseException as exc:  # noqa: BLE001  (student code may raise anything)
        return wire.encode({"ok": False, "error": _describe(exc)})


# ------------------------------------------------------------------ the call contract
# Paths name a place in the call's arguments or result: [0] is the first positional argument,
# ["alpha"] the keyword argument alpha, [0, 1] the second item of the first argument. Only
# trusted types are inspected here (the decoded arguments, and ndarray/list/tuple/dict of the
# result by exact type), with ndarray's own methods, which student code cannot replace.

_MAX_PATHS = 16  # reported places of each kind


def _snapshot(value: Any) -> Any:
    """A deep copy of decoded arguments: arrays copied, containers rebuilt."""
    kind = type(value)
    if kind is np.ndarray:
        return value.copy()
    if kind is list or kind is tuple:
        return kind(_snapshot(item) for item in value)
    if kind is dict:
        return {key: _snapshot(item) for key, item in value.items()}
    return value  # None, bool, int, float, str: immutable


def _contract(kept: Any, live: Any, result: Any) -> dict[str, Any]:
    """{"mutated": argument paths changed by the call, "shared": [result path, argument path]
    of returned arrays that share memory with an argument}; empty lists are left out."""
    mutated: list[list[Any]] = []
    try:
        _changes(kept, live, [], mutated)
    except Exception:  # noqa: BLE001  (a changed argument may hold anything by now)
        mutated.append([])
    shared: list[list[list[Any]]] = []
    try:
        inputs = list(_arrays(live, [], 0))
        if inputs:
            for where, array in _arrays(result, [], 0):
                for source, other in inputs:
                    if len(shared) < _MAX_PATHS and _overlap(array, other):
                        shared.append([where, source])
                        break
    except Exception:  # noqa: BLE001  (a student object's containers may misbehave)
        pass
    report: dict[str, Any] = {}
    if mutated:
        report["mutated"] = [path[1:] for path in mutated[:_MAX_PATHS]]  # drop [args, kwargs]
    if shared:
        report["shared"] = [[where, source[1:]] for where, source in shared]
    return report


def _changes(kept: Any, live: Any, path: list[Any], found: list[list[Any]]) -> None:
    """Append the path of every place where `live` no longer equals the snapshot `kept`."""
    kind = type(kept)
    if type(live) is not kind:
        found.append(path)
    elif kind is np.ndarray:
        if not _same_array(kept, live):
            found.append(path)
    elif kind is list or kind is tuple:
        if len(live) != len(kept):
            found.append(path)
        else:
            for index, (old, new) in enumerate(zip(kept, live, strict=True)):
                _changes(old, new, [*path, index], found)
    elif kind is dict:
        if list(live) != list(kept):
            found.append(path)
        else:
            for key, old in kept.items():
                _changes(old, dict.__getitem__(live, key), [*path, key], found)
    elif not (live == kept or (live != live and kept != kept)):  # NaN stays NaN
        found.append(path)


def _same_array(kept: np.ndarray, live: np.ndarray) -> bool:
    """Same shape, dtype and values (exactly; NaN equals NaN)."""
    if live.shape != kept.shape or live.dtype != kept.dtype:
        return False
    if live.tobytes() == kept.tobytes():
        return True
    with np.errstate(invalid="ignore"):
        equal = (live == kept) | ((live != live) & (kept != kept))
    return bool(equal.all())


def _arrays(value: Any, path: list[Any], depth: int) -> Any:
    """(path, array) of every ndarray in a nest of lists, tuples and dicts."""
    kind = type(value)
    if isinstance(value, np.ndarray):
        yield path, value
    elif depth < 8 and (kind is list or kind is tuple):
        for index, item in enumerate(value):
            yield from _arrays(item, [*path, index], depth + 1)
    elif depth < 8 and kind is dict:
        for key, item in value.items():
            if type(key) is str:
                yield from _arrays(item, [*path, key], depth + 1)


def _overlap(result: np.ndarray, argument: np.ndarray) -> bool:
    if not np.may_share_memory(result, argument):
        return False
    try:
        return bool(np.shares_memory(result, argument, max_work=100_000))
    except Exception:  # noqa: BLE001  (too hard to decide exactly: the bounds overlap)
        return True


_FAILURES: dict[str, list[dict[str, Any]]] = {}  # module -> its failed statements, until sent
_PROGRAM = "{}.program.json"  # in the workspace, next to <module>.py (see grader/statements.py)


class _Programs:
    """Imports a submission module from its program file: statement by statement, each on its
    own, going on after a failure (recorded in _FAILURES for the import reply).

    Installed first on sys.meta_path, so `import conv` from another student module runs the
    program too. Modules without a program file import as usual.
    """

    def __init__(self, work: str) -> None:
        self._work = work

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        import importlib.util

        program = os.path.join(self._work, _PROGRAM.format(name))
        if path is not None or "." in name or not os.path.isfile(program):
            return None
        location = os.path.join(self._work, f"{name}.py")
        return importlib.util.spec_from_file_location(name, location, loader=self)

    def create_module(self, spec: Any) -> None:
        return None  # the default module

    def exec_module(self, module: Any) -> None:
        with open(os.path.join(self._work, _PROGRAM.format(module.__name__)), "rb") as handle:
            statements = json.loads(handle.read())["statements"]
        _FAILURES[module.__name__] = run_program(statements, module.__dict__)


def run_program(statements: list[dict[str, Any]], namespace: dict[str, Any]) -> list[dict]:
    """Run each statement in `namespace`; return what failed: index, type, message, missing.

    Each statement compiles with its own file name and line numbers (tracebacks show the
    student's lines, also put in linecache); `from __future__` imports carry to later ones.
    """
    import __future__

    import ast
    import linecache

    files: dict[str, list[str]] = {}
    for statement in statements:
        lines = files.setdefault(statement["filename"], [])
        first = statement["line"] - 1
        for offset, text in enumerate(statement["text"].splitlines(True)):
            lines += [""] * (first + offset + 1 - len(lines))
            lines[first + offset] = text if text.endswith("\n") else text + "\n"
    for name, lines in files.items():
        linecache.cache[name] = (sum(map(len, lines)), None, lines, name)
    failures = []
    flags = 0
    for statement in statements:
        try:
            tree = ast.parse(statement["text"], statement["filename"])
            ast.increment_lineno(tree, statement["line"] - 1)
            code = compile(tree, statement["filename"], "exec", flags=flags, dont_inherit=True)
            exec(code, namespace)
            for node in tree.body:
                if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                    for alias in node.names:
                        flags |= getattr(__future__, alias.name).compiler_flag
        except BaseException as exc:  # noqa: BLE001  (student code may raise anything)
            failures.append(
                {
                    "index": statement["index"],
                    "type": type(exc).__name__[:100],
                    "message": _text(exc)[:300],
                    "missing": str(getattr(exc, "name", "") or "")[:100]
                    if isinstance(exc, ImportError)
                    else "",
                }
            )
    return failures


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except BaseException:  # noqa: BLE001  (a student __str__ may raise)
        return "<unprintable>"


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


class _Missing:
    pass


_MISSING = _Missing()


def _describe(exc: BaseException, unsupported: bool = False) -> dict[str, Any]:
    kind = type(exc)
    try:
        message = str(exc)[:_MAX_TEXT]
    except BaseException:  # noqa: BLE001  (a student __str__ may raise)
        message = "<unprintable>"
    try:
        frames = traceback.extract_tb(exc.__traceback__)[1:]  # drop this module's frame
        trace = "".join(traceback.format_list(frames))[-_MAX_TEXT:]
    except BaseException:  # noqa: BLE001
        trace = ""
    builtin = kind.__module__ == "builtins" and getattr(builtins, kind.__name__, None) is kind
    return {
        "type": "UnsupportedReturn" if unsupported else kind.__name__[:100],
        "builtin": builtin and not unsupported,
        "message": message,
        "traceback": trace,
    }


if __name__ == "__main__":
    main(sys.argv)
