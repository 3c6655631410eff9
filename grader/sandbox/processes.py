"""Process accounting and killing, read from /proc by the trusted grader process.

A request's CPU time is what the worker's process tree has used according to the kernel,
read here: nothing the worker says about time is believed, and a process it forks is charged
too (by its own times while it lives, in its parent's once reaped). The same reads find what
to kill: a guard's descendants (without a pid namespace) or every process of a sandbox user.

These reads run for every request, a scan on every process of the machine, so each
/proc/<pid>/stat is read with os.open and one os.read, not through a Python file object.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")  # /proc's unit of time, per second
_CHILDREN_LISTS = os.path.exists(f"/proc/self/task/{os.getpid()}/children")  # CONFIG_PROC_CHILDREN


def stat(pid: int) -> tuple[int, int, int] | None:
    """(parent pid, start time, CPU ticks used: own and reaped children's) of `pid`."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    # After the command: state, ppid (1), ..., utime, stime, cutime, cstime (11-14), ...,
    # starttime (19). Zombies keep their times until reaped, then their parent has them.
    return int(fields[1]), int(fields[19]), sum(int(f) for f in fields[11:15])


def start_time(pid: int) -> int | None:
    """When `pid` started (clock ticks after boot), None if it is gone or a zombie."""
    fields = _stat_fields(pid)
    if fields is None or fields[0] in (b"Z", b"X"):
        return None
    return int(fields[19])


def tree_ticks(root: int) -> tuple[int, dict[int, int]]:
    """CPU ticks of `root` and all its live descendants, and those processes' start times.

    Walks the tree down from `root` through each thread's /proc children list; where the
    kernel has no such lists, scans every process of the machine instead.
    """
    if not _CHILDREN_LISTS:
        return _scanned_tree_ticks(root)
    tree, ticks, queue = {}, 0, [root]
    while queue:
        pid = queue.pop()
        read = stat(pid)
        if read is None or pid in tree:
            continue  # it ended: its parent has its times once it is reaped
        tree[pid] = read[1]
        ticks += read[2]
        with contextlib.suppress(OSError):  # it may end while it is read
            for thread in os.listdir(f"/proc/{pid}/task"):
                with (
                    contextlib.suppress(OSError),
                    open(f"/proc/{pid}/task/{thread}/children", "rb") as children,
                ):
                    queue += [int(child) for child in children.read().split()]
    return ticks, tree


def _scanned_tree_ticks(root: int) -> tuple[int, dict[int, int]]:
    """`tree_ticks`, from a scan of every process of the machine."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (read := stat(int(entry))) is not None:
            stats[int(entry)] = read
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    tree, queue = {}, [root] if root in stats else []
    while queue:
        pid = queue.pop()
        tree[pid] = stats[pid][1]
        queue += children.get(pid, [])
    return sum(stats[pid][2] for pid in tree), tree


def descendants(root: int) -> list[tuple[int, int]]:
    """Live descendants of `root`, as (pid, start time)."""
    children: dict[int, list[tuple[int, int]]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(int(entry))
        if fields is not None and fields[0] not in (b"Z", b"X"):
            children.setdefault(int(fields[1]), []).append((int(entry), int(fields[19])))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


def of_user(uid: int) -> list[int]:
    """Live processes of `uid` (zombies are dead already and can do nothing)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid != uid:
                continue
        except OSError:
            continue
        fields = _stat_fields(int(entry))
        if fields is not None and fields[0] not in (b"Z", b"X"):
            pids.append(int(entry))
    return pids


def kill_tree(root: int) -> set[tuple[int, int]]:
    """SIGKILL every live descendant of `root` (not `root`), until none is left.

    `root` is a guard that adopts orphans, so a process that forks while this runs is found
    on the next round. Returns (pid, start time) of each process killed.
    """
    killed: set[tuple[int, int]] = set()
    for _ in range(200):
        tree = descendants(root)
        if not tree:
            break
        for pid, started in tree:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            killed.add((pid, started))
        time.sleep(0.001)
    return killed


def kill_user(uid: int) -> None:
    """SIGKILL every process of `uid`, until none is left (or after about a second)."""
    pause = 0.001  # killed processes are usually gone within a millisecond or two
    for _ in range(110):  # processes may fork while we kill; bounded retries
        pids = of_user(uid)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(pause)
        pause = min(2 * pause, 0.01)


def _stat_fields(pid: int) -> list[bytes] | None:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, ...), None if it is
    gone. Read with os.open: this runs for every request, on every process of the machine."""
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
        try:
            return os.read(fd, 4096).rsplit(b")", 1)[1].split()
        finally:
            os.close(fd)
    except (OSError, IndexError):
        return None
