"""grader/sandbox/resources.py: what a worker may use, bounded by the container it runs in."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.sandbox import isolation, resources


@pytest.mark.parametrize(
    ("lines", "files", "limit"),
    [
        ("0::/job\n", {"job/memory.max": "805306368\n", "memory.max": "max\n"}, 805306368),
        ("0::/\n", {"memory.max": "max\n"}, None),
        (
            "4:memory:/a/b\n2:cpu:/a\n",
            {
                "memory/a/b/memory.limit_in_bytes": "9223372036854771712\n",
                "memory/a/memory.limit_in_bytes": "536870912\n",
            },
            536870912,
        ),  # fmt: skip
    ],
    ids=["v2", "v2-unlimited", "v1-parent"],
)
def test_the_cgroup_memory_limit_is_read(tmp_path: Path, lines, files, limit) -> None:
    """Is the smallest memory limit from the grader's cgroup up to the root found?"""
    (tmp_path / "cgroup").write_text(lines)
    for relative, text in files.items():
        (tmp_path / "sys" / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "sys" / relative).write_text(text)
    assert resources._cgroup_memory_limit(tmp_path / "cgroup", tmp_path / "sys") == limit


def test_the_memory_cap_stays_inside_the_container(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a 768 MB container (Gradescope), does a worker get less than the container has?"""
    monkeypatch.setattr(resources, "_cgroup_memory_limit", lambda *a: 768 * 2**20)
    limits = resources.rlimits(1 << 30, 10, uid=None, level=isolation.probe().level)
    soft, hard = limits["AS"]
    assert hard == soft <= 768 * 2**20 - resources.GRADER_RESERVE
