"""How close straightforward loop implementations come to the time limits.

    python bench/timing.py [--repeats N] [--hogs K]

Grades tests/corpus/loops (every function written with Python loops: conv_layer over batch,
kernel, output row and column; relu and softmax over lists; ...) with the real grader, every
public and hidden case, and reads the CPU time of each call the way the sandbox charges it
(the worker's process tree, from /proc). With `--hogs K`, K processes spin on the CPU
meanwhile. Prints the slowest call per function as a fraction of its problem's limit, then
`slowest loop call CPU / limit: F` as the last line (target: F <= 0.25).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import sandbox  # noqa: E402  (after the path is set)
from grader.grading.pipeline import grade  # noqa: E402

LOOPS = ROOT / "tests" / "corpus" / "loops"


def measure(repeats: int) -> dict[str, tuple[float, float]]:
    """target -> (largest CPU seconds of one call, its limit), over `repeats` gradings."""
    slowest: dict[str, tuple[float, float]] = {}
    request = sandbox.Sandbox.request

    def timed(box, header, values, limit, wall=None):  # noqa: ANN001, ANN202
        if header.get("op") != "call" or not box._ready:
            return request(box, header, values, limit, wall)
        before = box.cpu_time()
        reply = request(box, header, values, limit, wall)
        used = box.cpu_time() - before
        target = f"{header['module']}.{header['name']}"
        if used >= slowest.get(target, (0.0, limit))[0]:
            slowest[target] = (used, limit)
        return reply

    sandbox.Sandbox.request = timed  # type: ignore[method-assign]
    try:
        for _ in range(repeats):
            results = grade(LOOPS)
            failed = [t.number for t in results.tests if not t.outcome.passed]
            if failed:
                raise SystemExit(f"the loop corpus failed {failed}: fix it first")
    finally:
        sandbox.Sandbox.request = request  # type: ignore[method-assign]
    return slowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--hogs", type=int, default=0)
    options = parser.parse_args()
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"])
        for _ in range(options.hogs)
    ]
    try:
        slowest = measure(options.repeats)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    print(f"{'function':32} {'CPU s':>7} {'limit s':>7} {'fraction':>8}")
    for target, (used, limit) in sorted(slowest.items(), key=lambda kv: -kv[1][0] / kv[1][1]):
        print(f"{target:32} {used:7.3f} {limit:7g} {used / limit:8.3f}")
    worst = max(used / limit for used, limit in slowest.values())
    print(f"slowest loop call CPU / limit: {worst:.3f}")


if __name__ == "__main__":
    main()
