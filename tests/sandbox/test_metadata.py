"""No change of any file's metadata from the sandbox, at the level this machine offers: mode,
owner, timestamps and extended attributes of a file the worker's own user owns (Landlock governs
none of them; grader/runtime/seccomp.py denies them all). Without namespaces the file lies on the
host, where a grading user's virtual environment would; with them, on the worker's own tmpfs.
The suite runs as root and as an ordinary user (.ci/run), so both cases are met."""

from __future__ import annotations

import os
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.sandbox import isolation
from grader.sandbox import supervisor as S

ISOLATION = isolation.probe()
pytestmark = pytest.mark.skipif(
    not ISOLATION.seccomp, reason=f"no seccomp filter at this level ({ISOLATION.level})"
)

CHANGES = {  # family -> a statement that would change it, leaving the values as they were
    "mode": "os.chmod(path, os.stat(path).st_mode & 0o7777)",
    "owner": "os.chown(path, -1, -1)",
    "times": "os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns))",
    "xattr": "os.setxattr(path, 'user.tutorial9', b'x')",
}


@pytest.fixture
def owned() -> Iterator[Path | None]:
    """Without namespaces: a file on the host owned by the user the worker runs as, in a
    folder it may pass through. With them: None (the worker makes one on its tmpfs)."""
    if ISOLATION.namespaces:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="tutorial9-metadata-"))
    folder.chmod(0o711)
    path = folder / "owned"
    path.write_bytes(b"x")
    path.chmod(0o644)
    try:
        yield path
    finally:
        path.unlink()
        folder.rmdir()


@pytest.mark.parametrize("family", sorted(CHANGES))
def test_no_metadata_change_on_a_file_the_workers_user_owns(family: str, owned) -> None:
    source = textwrap.dedent(
        f"""\
        import os
        def f(path):
            if path is None:
                path = "/tmp/owned"
                open(path, "w").close()
            before = os.stat(path)
            try:
                {CHANGES[family]}
                error = None
            except OSError as exc:
                error = exc.errno
            after = os.stat(path)
            return error, before.st_uid == os.getuid(), before.st_ctime_ns == after.st_ctime_ns
        """
    )
    box = S.Sandbox({"conv": source.encode()}, memory=1 << 30, cpu_seconds=60)
    try:
        if owned is not None:
            box.start()
            if box.uid is not None:
                os.chown(owned, box.uid, box.uid)
            before = owned.stat()
        reply = box.request(
            {"op": "call", "module": "conv", "name": "f"},
            {"args": [None if owned is None else str(owned)], "kwargs": {}},
            limit=30,
        )
    finally:
        box.close()
    assert reply["ok"], reply
    error, own, unchanged = reply["value"]
    assert own  # the worker's user owns it: only the filter stands in the way
    assert error == 1  # EPERM
    assert unchanged
    if owned is not None:
        after = owned.stat()
        assert (after.st_mode, after.st_ctime_ns) == (before.st_mode, before.st_ctime_ns)
        assert "user.tutorial9" not in os.listxattr(owned)
