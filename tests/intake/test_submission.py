"""Tests for grader/intake/submission.py: every fixture is built in tmp_path."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import traceback
import zipfile
from pathlib import Path

import pytest

from grader.intake import statements
from grader.intake.submission import IntakeLimits, Source, Submission, read_submission
from grader.runtime.runner import run_program

MODULES = ("conv", "shapes", "rnn_types", "activations", "rnn")
WANTED = "conv.py, shapes.py, rnn_types.py, activations.py or rnn.py"
SUBMIT = "submit these .py files, or one .ipynb notebook with your code"
SYMLINK = "is a symbolic link, which the grader does not follow; submit the file itself"
DEMO_DROPPED = (
    "tutorial9.ipynb: only imports, def, class, assignments, if and try blocks are taken from "
    "code cells; other top-level code (calls, prints, loops, with blocks) was not run in cells "
)
IPYTHON = "is IPython syntax, which works only inside Jupyter; it was skipped"
GET_IPYTHON = "calls get_ipython(), which exists only inside Jupyter; it was skipped"


def intake(path: Path, modules: tuple[str, ...] = MODULES, **limits: float) -> Submission:
    """read_submission, checking that every module is in exactly one of sources and errors."""
    submission = read_submission(path, modules, IntakeLimits(**limits))
    assert set(submission.sources).isdisjoint(submission.errors)
    assert set(submission.sources) | set(submission.errors) == set(modules)
    for module, source in submission.sources.items():
        assert source.module == module
        assert submission.unavailable(module) is None
    return submission


def write(root: Path, files: dict[str, bytes | str]) -> Path:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        target.write_bytes(data)
    return root


def make_zip(path: Path, members: dict[str, bytes | str], **options: int) -> Path:
    with zipfile.ZipFile(path, "w", **options) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def notebook(*cells: str | list[str] | tuple[str, str | list[str]], version: int = 4) -> str:
    """A notebook; a cell is code source, or (cell_type, source)."""
    built = []
    for cell in cells:
        kind, source = cell if isinstance(cell, tuple) else ("code", cell)
        extra = {"outputs": [], "execution_count": None} if kind == "code" else {}
        built.append({"cell_type": kind, "metadata": {}, "source": source, **extra})
    return json.dumps({"nbformat": version, "nbformat_minor": 5, "metadata": {}, "cells": built})


def run(source: Source, name: str = "conv") -> dict[str, object]:
    """Run a source's program as the sandbox worker does, in this process (trusted test data),
    and return its namespace."""
    namespace: dict[str, object] = {"__name__": name}
    run_program(json.loads(statements.encode(source.program))["statements"], namespace)
    return namespace


def nothing_found(found: str, notebook_part: str = "no notebook") -> str:
    return f"no {WANTED} found, and {notebook_part}; {SUBMIT} ({found})"


# ---------------------------------------------------------------------------------------------
# Folders and file names


def test_folder_with_every_module(tmp_path):
    files = {f"{m}.py": f"def {m}_answer():\n    return 1\n" for m in MODULES}
    submission = intake(write(tmp_path, files))
    assert submission.errors == {}
    assert {m: s.code for m, s in submission.sources.items()} == {
        m: files[f"{m}.py"].encode() for m in MODULES
    }
    assert {s.origin for s in submission.sources.values()} == set(files)
    assert submission.messages == tuple(f"using {m}.py for {m}" for m in MODULES)


def test_nested_folder_is_searched(tmp_path):
    submission = intake(write(tmp_path, {"hw/part1/conv.py": "x = 1\n"}), ("conv",))
    assert submission.sources["conv"].origin == "hw/part1/conv.py"
    assert submission.messages == ("using hw/part1/conv.py for conv",)


def test_macosx_dotfiles_pycache_and_directories_are_ignored(tmp_path):
    write(
        tmp_path,
        {
            "__MACOSX/conv.py": "x = 1\n",
            "._conv.py": b"\x00\x05\x16\x07",
            ".git/conv.py": "x = 1\n",
            "hw/.ipynb_checkpoints/conv.py": "x = 1\n",
            "hw/__pycache__/conv.py": "x = 1\n",
            "rnn.py/notes.txt": "a folder named rnn.py",
        },
    )
    submission = intake(tmp_path, ("conv", "rnn"))
    assert submission.sources == {}
    assert submission.errors == {"conv": "no conv.py found", "rnn": "no rnn.py found"}
    assert submission.messages == (
        f"no conv.py or rnn.py found, and no notebook; {SUBMIT} (found only rnn.py/notes.txt)",
    )


@pytest.mark.parametrize(
    ("paths", "used", "ignored"),
    [
        pytest.param(["a/conv.py", "conv.py"], "conv.py", "a/conv.py", id="shallowest"),
        pytest.param(
            ["b/conv.py", "a/x/conv.py", "a-b/conv.py", "a/conv.py"],
            "a/conv.py",
            "a-b/conv.py, b/conv.py, a/x/conv.py",
            id="then-component-order",
        ),
        pytest.param(["hw/conv.py", "Hw/conv.py"], "Hw/conv.py", "hw/conv.py", id="case"),
    ],
)
def test_several_candidates_tie_break(tmp_path, paths, used, ignored):
    submission = intake(write(tmp_path, {p: f"origin = {p!r}\n" for p in paths}), ("conv",))
    assert submission.sources["conv"].origin == used
    assert submission.sources["conv"].code == f"origin = {used!r}\n".encode()
    assert submission.messages == (
        f"found {len(paths)} files named conv.py: using {used}, ignoring {ignored} "
        "(the shallowest is used, then the alphabetically first)",
        f"using {used} for conv",
    )


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Conv.py", "Conv.py"),
        ("conv.PY", "conv.PY"),
        ("conv (1).py", "conv (1).py"),
        ("conv(2).py", "conv(2).py"),
        ("conv copy.py", "conv copy.py"),
        ("conv - Copy.py", "conv - Copy.py"),
        ("conv_1.py", "conv_1.py"),
        ("conv.py.txt", "conv.py.txt"),
        ("CONV.txt", "CONV.txt"),
        ("conv", "conv"),
        ("conv.py ", "conv.py "),
        ("conv\n.py", "conv\\n.py"),
    ],
)
def test_near_miss_names_get_a_rename_hint(tmp_path, name, shown):
    write(tmp_path, {name: "x = 1\n", "shapes.py": "y = 2\n"})
    submission = intake(tmp_path, ("conv", "shapes"))
    assert submission.errors == {"conv": f"no conv.py found; found {shown}: rename it to conv.py"}
    assert submission.unavailable("conv") == submission.errors["conv"]
    assert submission.messages == ("using shapes.py for shapes",)


@pytest.mark.parametrize("name", ["conv2d.py", "my_conv.py", "conv.pdf", "conv.pyc"])
def test_other_names_are_not_near_misses(tmp_path, name):
    write(tmp_path, {name: "x = 1\n", "shapes.py": "y = 2\n"})
    submission = intake(tmp_path, ("conv", "shapes"))
    assert submission.errors == {"conv": "no conv.py found"}
    ignored = (f"ignored {name}: only files named conv.py, shapes.py are used",)
    expected = ignored if name.endswith(".py") else ()
    assert submission.messages == ("using shapes.py for shapes", *expected)


@pytest.mark.parametrize("where", ["submission.py", "hw/answers.py", "Conv.py"])
def test_lone_py_file_without_a_module_name_serves_every_module(tmp_path, where):
    write(tmp_path, {where: "def conv2d():\n    pass\n", "README.md": "hi"})
    submission = intake(tmp_path)
    assert submission.errors == {}
    assert {s.origin for s in submission.sources.values()} == {where}
    assert {s.code for s in submission.sources.values()} == {b"def conv2d():\n    pass\n"}
    assert submission.messages == (f"using {where} for {', '.join(MODULES)}",)


def test_single_py_file_as_the_submission(tmp_path):
    path = write(tmp_path, {"answers.py": "x = 1\n"}) / "answers.py"
    submission = intake(path)
    assert submission.sources["rnn"].origin == "answers.py"
    assert submission.messages == (f"using answers.py for {', '.join(MODULES)}",)


def test_lone_file_with_a_module_name_serves_only_that_module(tmp_path):
    submission = intake(write(tmp_path, {"rnn.py": "x = 1\n"}))
    assert list(submission.sources) == ["rnn"]
    assert submission.errors == {m: f"no {m}.py found" for m in MODULES if m != "rnn"}
    assert submission.messages == ("using rnn.py for rnn",)


def test_several_unnamed_py_files_are_not_used(tmp_path):
    submission = intake(write(tmp_path, {"a.py": "x = 1\n", "b/b.py": "x = 2\n"}))
    assert submission.sources == {}
    assert submission.errors == {m: f"no {m}.py found" for m in MODULES}
    assert submission.messages == (
        "ignored a.py, b/b.py: only files named conv.py, shapes.py, rnn_types.py, "
        "activations.py, rnn.py are used",
        nothing_found("found only a.py, b/b.py"),
    )


@pytest.mark.parametrize(
    ("files", "found"),
    [
        pytest.param({}, "the submission is empty", id="empty-folder"),
        pytest.param({"README.md": "# hw"}, "found only README.md", id="readme-only"),
        pytest.param(
            {"report.pdf": b"%PDF", "notes.txt": "x"}, "found only notes.txt, report.pdf", id="docs"
        ),
    ],
)
def test_empty_or_unrecognisable_submission_gets_one_clear_message(tmp_path, files, found):
    submission = intake(write(tmp_path, files))
    assert submission.sources == {}
    assert submission.errors == {m: f"no {m}.py found" for m in MODULES}
    assert submission.messages == (nothing_found(found),)


def test_single_unrecognisable_file(tmp_path):
    path = write(tmp_path, {"answers.docx": b"PK"}) / "answers.docx"
    submission = intake(path)
    assert submission.sources == {}
    assert submission.messages == (nothing_found("found only answers.docx"),)


@pytest.mark.parametrize("content", [b"", b"  \n\n\t\r\n"])
def test_empty_py_file_is_an_error(tmp_path, content):
    submission = intake(write(tmp_path, {"conv.py": content}), ("conv",))
    assert submission.errors == {"conv": "conv.py is empty"}
    assert submission.messages == ()


def test_notebook_saved_as_py_is_an_error(tmp_path):
    submission = intake(write(tmp_path, {"conv.py": notebook("x = 1\n")}), ("conv",))
    assert submission.errors == {
        "conv": "conv.py holds a Jupyter notebook, not Python code: submit it as a .ipynb "
        "file, or save your code as plain Python"
    }


def test_get_ipython_statements_in_a_py_file_are_skipped_and_reported(tmp_path):
    code = "get_ipython().run_line_magic('matplotlib', 'inline')\nx = 1\nip = get_ipython()\n"
    submission = intake(write(tmp_path, {"conv.py": code}), ("conv",))
    assert submission.sources["conv"].code == code.encode()
    assert run(submission.sources["conv"])["x"] == 1
    assert submission.messages == (
        f"conv.py, line 1: `get_ipython().run_line_magic('matplotlib', 'inline')` {GET_IPYTHON}",
        f"conv.py, line 3: `ip = get_ipython()` {GET_IPYTHON}",
        "using conv.py for conv",
    )


# ---------------------------------------------------------------------------------------------
# Symbolic links and special files


def test_symlinked_module_file_is_refused_and_not_read(tmp_path):
    secret = write(tmp_path, {"secret.txt": "def conv2d(): pass\n"}) / "secret.txt"
    folder = tmp_path / "submission"
    write(folder, {"shapes.py": "x = 1\n"})
    (folder / "conv.py").symlink_to(secret)
    submission = intake(folder, ("conv", "shapes"))
    assert submission.errors == {"conv": f"conv.py {SYMLINK}"}
    assert submission.messages == (f"ignored conv.py: it {SYMLINK}", "using shapes.py for shapes")


def test_symlinked_directory_is_not_followed(tmp_path):
    outside = write(tmp_path / "outside", {"conv.py": "x = 1\n"})
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "hw").symlink_to(outside, target_is_directory=True)
    (folder / "dangling.py").symlink_to(tmp_path / "missing.py")
    submission = intake(folder, ("conv",))
    assert submission.errors == {"conv": "no conv.py found"}
    assert submission.messages == (
        f"ignored dangling.py: it {SYMLINK}",
        f"ignored hw: it {SYMLINK}",
        f"no conv.py found, and no notebook; {SUBMIT} (the submission is empty)",
    )


def test_real_file_wins_over_a_symlink(tmp_path):
    write(tmp_path, {"hw/conv.py": "x = 1\n"})
    (tmp_path / "conv.py").symlink_to(tmp_path / "hw" / "conv.py")
    submission = intake(tmp_path, ("conv",))
    assert submission.sources["conv"].origin == "hw/conv.py"
    assert submission.messages == (f"ignored conv.py: it {SYMLINK}", "using hw/conv.py for conv")


@pytest.mark.parametrize("target", ["folder", "file.py"])
def test_submission_path_that_is_a_symlink_is_refused(tmp_path, target):
    write(tmp_path, {"folder/conv.py": "x = 1\n", "file.py": "x = 1\n"})
    link = tmp_path / "link"
    link.symlink_to(tmp_path / target)
    submission = intake(link, ("conv",))
    reason = (
        "link is a symbolic link, which the grader does not follow; submit the files themselves"
    )
    assert submission.sources == {}
    assert submission.errors == {"conv": reason}
    assert submission.messages == (reason,)


def test_fifo_is_never_opened(tmp_path):
    write(tmp_path, {"shapes.py": "x = 1\n"})
    os.mkfifo(tmp_path / "conv.py")
    submission = intake(tmp_path, ("conv", "shapes"))
    assert submission.errors == {"conv": "conv.py is not a regular file"}
    assert submission.messages == (
        "ignored conv.py: it is not a regular file",
        "using shapes.py for shapes",
    )


def test_fifo_as_the_submission_is_refused(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    submission = intake(tmp_path / "pipe", ("conv",))
    assert submission.messages == ("pipe is not a regular file or folder",)


# ---------------------------------------------------------------------------------------------
# Zip archives


def test_zip_with_a_nested_folder(tmp_path):
    archive = make_zip(
        tmp_path / "hw.zip",
        {
            "hw/": "",
            "hw/conv.py": "x = 1\n",
            "hw/shapes.py": "y = 2\n",
            "__MACOSX/hw/._conv.py": b"\x00\x05\x16\x07",
            "hw/.DS_Store": b"\x00",
        },
        compression=zipfile.ZIP_DEFLATED,
    )
    submission = intake(archive, ("conv", "shapes"))
    assert submission.sources["conv"].code == b"x = 1\n"
    assert submission.messages == ("using hw/conv.py for conv", "using hw/shapes.py for shapes")


@pytest.mark.parametrize(
    ("member", "origin"),
    [("hw\\conv.py", "hw/conv.py"), ("/abs/conv.py", "abs/conv.py"), ("./conv.py", "conv.py")],
)
def test_zip_member_names_are_normalised(tmp_path, member, origin):
    submission = intake(make_zip(tmp_path / "hw.ZIP", {member: "x = 1\n"}), ("conv",))
    assert submission.sources["conv"].origin == origin


def test_zip_member_outside_the_archive_root_is_ignored(tmp_path):
    submission = intake(make_zip(tmp_path / "hw.zip", {"../conv.py": "x = 1\n"}), ("conv",))
    assert submission.errors == {"conv": "no conv.py found"}


def test_zip_symlink_member_is_refused(tmp_path):
    path = tmp_path / "hw.zip"
    with zipfile.ZipFile(path, "w") as archive:
        link = zipfile.ZipInfo("conv.py")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("shapes.py", "x = 1\n")
    submission = intake(path, ("conv", "shapes"))
    assert submission.errors == {"conv": f"conv.py {SYMLINK}"}
    assert submission.messages == (f"ignored conv.py: it {SYMLINK}", "using shapes.py for shapes")


def test_zip_with_too_many_members_is_refused(tmp_path):
    archive = make_zip(tmp_path / "hw.zip", {f"f{i}.py": "" for i in range(4)})
    submission = intake(archive, ("conv",), max_zip_members=3)
    reason = "hw.zip holds more than 3 entries; submit only your .py files or notebook"
    assert submission.errors == {"conv": reason}
    assert submission.messages == (reason,)


def test_zip_that_under_reports_its_entries_is_refused(tmp_path):
    archive = make_zip(tmp_path / "hw.zip", {f"{i:0>900}.py": "" for i in range(4)})
    data = bytearray(archive.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = (1).to_bytes(2, "little") * 2  # entries on this disk, in total
    archive.write_bytes(bytes(data))
    submission = intake(archive, ("conv",), max_zip_members=3)
    assert submission.messages == (
        "hw.zip holds more than 3 entries; submit only your .py files or notebook",
    )


def test_zip_bomb_member_is_refused_by_ratio(tmp_path):
    archive = make_zip(
        tmp_path / "hw.zip",
        {"data.bin": bytes(4 << 20), "conv.py": "x = 1\n"},
        compression=zipfile.ZIP_DEFLATED,
    )
    info = zipfile.ZipFile(archive).getinfo("data.bin")
    ratio = info.file_size / info.compress_size
    assert ratio > 100
    submission = intake(archive, ("conv",))
    assert submission.sources["conv"].code == b"x = 1\n"
    assert submission.messages == (
        f"ignored data.bin: it expands {ratio:.0f} times when unzipped, so it was refused as a "
        "possible zip bomb",
        "using conv.py for conv",
    )


def test_zip_bomb_module_file_is_an_error(tmp_path):
    archive = make_zip(
        tmp_path / "hw.zip", {"conv.py": b"#" * (2 << 20)}, compression=zipfile.ZIP_DEFLATED
    )
    submission = intake(archive, ("conv",))
    assert submission.errors["conv"].startswith("conv.py expands ")
    assert submission.errors["conv"].endswith(
        " times when unzipped, so it was refused as a possible zip bomb"
    )


def test_zip_over_the_uncompressed_total_is_refused(tmp_path):
    archive = make_zip(
        tmp_path / "hw.zip",
        {"a.py": "#" * 600, "b.py": "#" * 600},
        compression=zipfile.ZIP_DEFLATED,
    )
    submission = intake(archive, ("conv",), max_total_bytes=1000)
    reason = (
        "hw.zip holds more than 1000 bytes uncompressed; submit only your .py files or notebook"
    )
    assert submission.messages == (reason,)


def test_zip_file_over_the_total_is_refused(tmp_path):
    archive = make_zip(tmp_path / "hw.zip", {"conv.py": "#" * 2000})
    size = archive.stat().st_size
    submission = intake(archive, ("conv",), max_total_bytes=1024)
    assert submission.messages == (f"hw.zip is {size / 1024:.1f} KiB, over the 1.0 KiB limit",)


def test_not_a_zip(tmp_path):
    path = write(tmp_path, {"hw.zip": "def conv2d(): pass\n"}) / "hw.zip"
    submission = intake(path, ("conv",))
    reason = "could not open hw.zip as a zip archive: File is not a zip file"
    assert submission.errors == {"conv": reason}
    assert submission.messages == (reason,)


def test_zip_member_with_a_bad_crc(tmp_path):
    archive = make_zip(tmp_path / "hw.zip", {"conv.py": "x = 1\n", "shapes.py": "y = 2\n"})
    data = bytearray(archive.read_bytes())
    data[data.find(b"x = 1") + 4] = ord("2")
    archive.write_bytes(bytes(data))
    submission = intake(archive, ("conv", "shapes"))
    assert submission.errors == {
        "conv": "could not read conv.py from hw.zip: Bad CRC-32 for file 'conv.py'"
    }
    assert submission.sources["shapes"].code == b"y = 2\n"


def test_encrypted_zip_member(tmp_path):
    archive = make_zip(tmp_path / "hw.zip", {"conv.py": "x = 1\n"})
    data = bytearray(archive.read_bytes())
    data[6] |= 1  # "encrypted" flag, in the local header and the central directory
    data[data.find(b"PK\x01\x02") + 8] |= 1
    archive.write_bytes(bytes(data))
    submission = intake(archive, ("conv",))
    assert submission.errors == {
        "conv": "conv.py in hw.zip is encrypted: zip it again without a password"
    }


@pytest.mark.parametrize("container", ["folder", "zip"])
def test_archives_inside_the_submission_are_not_opened(tmp_path, container):
    inner = make_zip(tmp_path / "inner.zip", {"conv.py": "x = 1\n"}).read_bytes()
    files = {"hw/inner.zip": inner, "shapes.py": "y = 2\n"}
    if container == "folder":
        path = write(tmp_path / "submission", files)
    else:
        path = make_zip(tmp_path / "outer.zip", files)
    submission = intake(path, ("conv", "shapes"))
    assert submission.errors == {"conv": "no conv.py found"}
    assert submission.messages == (
        "ignored hw/inner.zip: archives inside the submission are not opened",
        "using shapes.py for shapes",
    )


# ---------------------------------------------------------------------------------------------
# Notebooks


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(["def relu(x):\n", "    return max(x, 0)\n"], id="list"),
        pytest.param("def relu(x):\n    return max(x, 0)\n", id="string"),
    ],
)
def test_notebook_serves_every_module_without_a_py_file(tmp_path, source):
    write(tmp_path, {"tutorial9.ipynb": notebook(("markdown", "# Q1"), source), "conv.py": "c=1\n"})
    submission = intake(tmp_path)
    assert submission.sources["conv"].origin == "conv.py"
    from_notebook = [m for m in MODULES if m != "conv"]
    assert {submission.sources[m].origin for m in from_notebook} == {"tutorial9.ipynb"}
    assert len({submission.sources[m].code for m in from_notebook}) == 1
    assert submission.messages == (
        "using conv.py for conv",
        f"using tutorial9.ipynb for {', '.join(from_notebook)}",
    )
    namespace = run(submission.sources["activations"], "activations")
    assert namespace["relu"](-3) == 0  # type: ignore[operator]


def test_single_notebook_as_the_submission(tmp_path):
    path = write(tmp_path, {"hw9.ipynb": notebook("x = 1\n")}) / "hw9.ipynb"
    submission = intake(path, ("conv",))
    assert submission.sources["conv"].origin == "hw9.ipynb"
    assert run(submission.sources["conv"])["x"] == 1


@pytest.mark.parametrize(
    "line",
    [
        "%matplotlib inline",
        "%time y = 2",
        "  %timeit f()",
        "%run other.py",
        "!pip install torch",
        "files = !ls",
        "who = %who_ls",
        "np.zeros?",
        "?np.zeros",
        "np.zeros??",
        "get_ipython().run_line_magic('matplotlib', 'inline')",
        "ip = get_ipython()",
    ],
)
def test_ipython_lines_are_skipped_and_reported(tmp_path, line):
    write(tmp_path, {"tutorial9.ipynb": notebook(("markdown", "# Q"), f"x = 1\n{line}\nz = 3\n")})
    submission = intake(tmp_path, ("conv",))
    namespace = run(submission.sources["conv"])
    assert (namespace["x"], namespace["z"]) == (1, 3)
    assert "y" not in namespace
    why = GET_IPYTHON if "get_ipython" in line else IPYTHON
    assert submission.messages == (
        f"tutorial9.ipynb, cell 2, line 2: `{line.strip()}` {why}",
        "using tutorial9.ipynb for conv",
    )


@pytest.mark.parametrize(
    ("code", "value"),
    [
        pytest.param('x = ("%d"\n     % 3)\n', "3", id="percent-continuation"),
        pytest.param("x = 5 \\\n    % 3\n", 2, id="backslash-continuation"),
        pytest.param(
            'x = """\n%not a magic\n!nor this\n"""\n',
            "\n%not a magic\n!nor this\n",
            id="triple-quoted",
        ),
        pytest.param("x = (1\n     != 2)\n", True, id="not-equal-continuation"),
        pytest.param("x = 'a\\\n%b'\n", "a%b", id="continued-string"),
        pytest.param("x = 1  # what?\n", 1, id="question-in-comment"),
    ],
)
def test_python_that_looks_like_ipython_is_left_alone(tmp_path, code, value):
    write(tmp_path, {"tutorial9.ipynb": notebook(code)})
    submission = intake(tmp_path, ("conv",))
    assert run(submission.sources["conv"])["x"] == value
    assert submission.messages == ("using tutorial9.ipynb for conv",)


def test_cell_magics_keep_a_python_body_and_skip_the_others(tmp_path):
    marker = tmp_path / "ran"
    cells = (
        "x = 1\n",
        f"\n%%bash\ntouch {marker}\n",
        "%%time\ndef timed():\n    return 2\ntimed()\n",
        "%%capture out\ny = 3\n",
        "%%timeit\nz = 4\n",
    )
    write(tmp_path, {"tutorial9.ipynb": notebook(*cells)})
    submission = intake(tmp_path, ("conv",))
    namespace = run(submission.sources["conv"])
    assert (namespace["x"], namespace["timed"](), namespace["y"]) == (1, 2, 3)  # type: ignore[operator]
    assert "z" not in namespace
    assert not marker.exists()
    assert submission.messages == (
        f"{DEMO_DROPPED}3",
        "tutorial9.ipynb, cell 2, line 2: a %%bash cell is IPython syntax and runs no Python; "
        "it was skipped",
        "tutorial9.ipynb, cell 5, line 1: a %%timeit cell is IPython syntax and runs no "
        "Python; it was skipped",
        "using tutorial9.ipynb for conv",
    )


def test_a_statement_with_a_syntax_error_is_skipped_not_its_cell(tmp_path):
    cells = ("a = 1\n", "b = 2\nc = (1,\ndef e():\n    return 5\n", "d = 4\n")
    write(tmp_path, {"tutorial9.ipynb": notebook(*cells)})
    submission = intake(tmp_path, ("conv",))
    namespace = run(submission.sources["conv"])
    assert (namespace["a"], namespace["b"], namespace["d"], namespace["e"]()) == (1, 2, 4, 5)  # type: ignore[operator]
    assert "c" not in namespace
    assert submission.messages == (
        "tutorial9.ipynb, cell 2, line 2: '(' was never closed; the statement starting there "
        "was skipped",
        "using tutorial9.ipynb for conv",
    )


def test_only_definitions_are_kept(tmp_path, capsys):
    marker = tmp_path / "demo-ran"
    demo = (
        "import math\n"
        "from math import pi as PI\n"
        "def identity(x):\n"
        "    return x\n"
        "@staticmethod\n"
        "def decorated():\n"
        "    return 'kept'\n"
        "class Layer:\n"
        "    size = 3\n"
        "a = 1; print('demo'); b: int = 2\n"
        "b += 1\n"
        f"open({str(marker)!r}, 'w').close()\n"
        "print(identity(3))\n"
        "for i in range(3):\n"
        "    c = i\n"
        "if __name__ == '__main__':\n"
        "    d = 1\n"
        "with open(__file__) as f:\n"
        "    e = 1\n"
        "try:\n"
        "    g = 1\n"
        "except Exception:\n"
        "    pass\n"
        "'a bare string'\n"
    )
    write(tmp_path, {"tutorial9.ipynb": notebook("x = 1\n", demo)})
    submission = intake(tmp_path, ("conv",))
    namespace = run(submission.sources["conv"])
    public = sorted(k for k in namespace if not k.startswith("__"))
    # The `if __name__ == '__main__'` block runs, as the module "conv": d stays unbound.
    assert public == ["Layer", "PI", "a", "b", "decorated", "g", "identity", "math", "x"]
    assert (namespace["a"], namespace["b"], namespace["Layer"].size) == (1, 3, 3)
    assert namespace["decorated"].__func__() == "kept"
    assert not marker.exists()
    assert capsys.readouterr() == ("", "")
    assert submission.messages == (f"{DEMO_DROPPED}2", "using tutorial9.ipynb for conv")


def test_a_failing_statement_does_not_stop_the_others(tmp_path):
    cells = (
        "def a():\n    return 1\nx = 1 / 0\ndef b():\n    return 2\n",
        "def c():\n    return 3\n",
    )
    write(tmp_path, {"tutorial9.ipynb": notebook(*cells)})
    source = intake(tmp_path, ("conv",)).sources["conv"]
    namespace = {"__name__": "conv"}
    failures = run_program(json.loads(statements.encode(source.program))["statements"], namespace)
    assert (namespace["a"](), namespace["b"](), namespace["c"]()) == (1, 2, 3)  # type: ignore[operator]
    assert "x" not in namespace
    assert failures == [
        {"index": 1, "type": "ZeroDivisionError", "message": "division by zero", "missing": ""}
    ]
    assert source.program[1].where == "tutorial9.ipynb, cell 1, line 3"


def test_student_names_cannot_break_the_cell_runner(tmp_path):
    cells = ("print = len = exec = compile = Exception = None\n", "y = 1 / 0\n", "z = 3\n")
    write(tmp_path, {"tutorial9.ipynb": notebook(*cells)})
    namespace = run(intake(tmp_path, ("conv",)).sources["conv"])
    assert namespace["z"] == 3


def test_tracebacks_keep_the_cells_line_numbers(tmp_path):
    cell = "print('demo')\n\n%matplotlib inline\ndef f():\n    x = 1\n    raise ValueError(x)\n"
    write(tmp_path, {"tutorial9.ipynb": notebook("a = 1\n", cell)})
    namespace = run(intake(tmp_path, ("conv",)).sources["conv"])
    with pytest.raises(ValueError) as caught:
        namespace["f"]()
    frame = traceback.extract_tb(caught.value.__traceback__)[-1]
    assert (frame.filename, frame.lineno, frame.line) == (
        "tutorial9.ipynb, cell 2",
        6,
        "raise ValueError(x)",
    )


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        pytest.param("x = (1,\r 2)\r", (1, 2), id="cr-only"),
        pytest.param("x = (1,\r\n 2)\r\n", (1, 2), id="crlf"),
        pytest.param("x = 'café ✓'\n", "café ✓", id="non-ascii"),
        pytest.param("x = 1\x0c\ny = 2\n", 1, id="form-feed"),
    ],
)
def test_notebook_line_endings_and_text(tmp_path, cell, value):
    write(tmp_path, {"tutorial9.ipynb": notebook(cell)})
    submission = intake(tmp_path, ("conv",))
    assert run(submission.sources["conv"])["x"] == value


def test_notebook_cell_with_a_lone_surrogate_is_skipped(tmp_path):
    write(tmp_path, {"tutorial9.ipynb": notebook('x = "\\ud800"\n', "y = 2\n")})
    text = (tmp_path / "tutorial9.ipynb").read_text().replace("\\\\ud800", "\\ud800")
    (tmp_path / "tutorial9.ipynb").write_text(text)
    submission = intake(tmp_path, ("conv",))
    assert run(submission.sources["conv"])["y"] == 2
    assert submission.messages[0].startswith("tutorial9.ipynb, cell 1, line 1: ")
    assert submission.messages[0].endswith("; the statement starting there was skipped")


def test_notebook_module_imports_as_a_file(tmp_path):
    """Does the generated module work when imported from disk, as the sandbox worker does?"""
    cells = ("%matplotlib inline\nimport math\n", "def area(r):\n    return math.pi * r * r\n")
    write(tmp_path, {"tutorial9.ipynb": notebook(*cells)})
    submission = intake(tmp_path, ("conv", "rnn"))
    workspace = tmp_path / "workspace"
    write(workspace, {f"{m}.py": s.code for m, s in submission.sources.items()})
    script = "import sys; sys.path.insert(0, sys.argv[1]); import conv, rnn; print(conv.area(1))"
    done = subprocess.run(
        [sys.executable, "-I", "-c", script, str(workspace)], capture_output=True, text=True
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "3.141592653589793\n", "")


def test_deeply_nested_cell_is_skipped_without_crashing(tmp_path):
    """On 3.10, ast.parse segfaults on such code; intake must only parse what compiled."""
    write(tmp_path, {"tutorial9.ipynb": notebook("x = a" + ".a" * 400_000 + "\n", "y = 1\n")})
    submission = intake(tmp_path, ("conv",))
    assert run(submission.sources["conv"])["y"] == 1
    assert submission.messages == (
        "tutorial9.ipynb, cell 1, line 1: the code is nested too deeply for Python to compile; "
        "the statement starting there was skipped",
        "using tutorial9.ipynb for conv",
    )


NOTEBOOK_PROBLEMS = [
    pytest.param(
        '{"cells": [}', "it is not valid JSON (line 1, column 12: Expecting value)", id="json"
    ),
    pytest.param(
        "def relu(x):\n    return x\n",
        "it is not valid JSON (line 1, column 1: Expecting value); is it a .py file renamed "
        "to .ipynb?",
        id="python-renamed",
    ),
    pytest.param(b"\xff\xfe{", "it is not valid JSON", id="binary"),
    pytest.param(
        json.dumps({"nbformat": 3, "worksheets": [{"cells": []}]}),
        "it uses notebook format 3; open it in a current Jupyter and save it again to convert "
        "it to format 4",
        id="nbformat-3",
    ),
    pytest.param(
        '{"nbformat": 4, "metadata": {}}', "it is not a notebook (no cells)", id="no-cells"
    ),
    pytest.param("[1, 2]", "it is not a notebook (no cells)", id="not-an-object"),
    pytest.param("[" * 100_000, "its JSON is nested too deeply", id="deep"),
    pytest.param('{"cells": [1]}', "cell 1 is not a notebook cell", id="bad-cell"),
    pytest.param(
        '{"cells": [{"cell_type": "code", "source": [1]}]}',
        "cell 1 has no source text",
        id="bad-source",
    ),
]


@pytest.mark.parametrize(("content", "problem"), NOTEBOOK_PROBLEMS)
def test_unreadable_notebook(tmp_path, content, problem):
    write(tmp_path, {"tutorial9.ipynb": content, "conv.py": "x = 1\n"})
    submission = intake(tmp_path, ("conv", "rnn"))
    reason = f"could not read tutorial9.ipynb: {problem}"
    assert submission.errors == {"rnn": f"no rnn.py found, and {reason}"}
    assert submission.messages == (reason, "using conv.py for conv")


@pytest.mark.parametrize(
    "cells",
    [
        pytest.param((), id="no-cells"),
        pytest.param((("markdown", "# only text"), ("raw", "x = 1")), id="markdown-only"),
        pytest.param(("", ["\n", "  \n"]), id="blank-code"),
    ],
)
def test_empty_notebook_gets_one_clear_message(tmp_path, cells):
    write(tmp_path, {"tutorial9.ipynb": notebook(*cells)})
    submission = intake(tmp_path)
    assert submission.sources == {}
    assert submission.errors == {
        m: f"no {m}.py found, and tutorial9.ipynb has no code" for m in MODULES
    }
    assert submission.messages == (
        nothing_found("found only tutorial9.ipynb", "tutorial9.ipynb has no code"),
    )


def test_notebook_without_usable_code(tmp_path):
    write(tmp_path, {"tutorial9.ipynb": notebook("print(1)\n", "x = (\n")})
    submission = intake(tmp_path, ("conv",))
    assert submission.errors == {
        "conv": "no conv.py found, and tutorial9.ipynb has no usable code (no imports, "
        "definitions or assignments)"
    }
    assert submission.messages == (
        f"{DEMO_DROPPED}1",
        "tutorial9.ipynb, cell 2, line 1: '(' was never closed; the statement starting there "
        "was skipped",
    )


def test_notebook_ignored_when_every_module_has_a_py_file(tmp_path):
    write(tmp_path, {"conv.py": "x = 1\n", "hw/tutorial9.ipynb": "not even JSON"})
    submission = intake(tmp_path, ("conv",))
    assert submission.messages == (
        "ignored hw/tutorial9.ipynb: every module has its .py file",
        "using conv.py for conv",
    )


def test_several_notebooks_are_not_used(tmp_path):
    write(tmp_path, {"a.ipynb": notebook("x = 1\n"), "b.ipynb": notebook("x = 2\n")})
    submission = intake(tmp_path, ("conv",))
    assert submission.errors == {"conv": "no conv.py found; found 2 notebooks: submit only one"}
    assert submission.messages == (
        "found 2 notebooks (a.ipynb, b.ipynb): a notebook is used only when it is the only one; "
        "submit one notebook",
        f"no conv.py found, and 2 notebooks, so none was used; {SUBMIT} "
        "(found only a.ipynb, b.ipynb)",
    )


def test_notebook_wins_over_a_lone_py_file(tmp_path):
    write(tmp_path, {"helpers.py": "h = 1\n", "tutorial9.ipynb": notebook("x = 1\n")})
    submission = intake(tmp_path, ("conv",))
    assert submission.sources["conv"].origin == "tutorial9.ipynb"
    assert submission.messages == (
        "using tutorial9.ipynb for conv",
        "ignored helpers.py: only files named conv.py are used",
    )


def test_notebook_over_the_size_cap(tmp_path):
    content = notebook("x = 1\n")
    write(tmp_path, {"tutorial9.ipynb": content})
    submission = intake(tmp_path, ("conv",), max_notebook_bytes=100)
    reason = (
        f"tutorial9.ipynb is {len(content)} bytes, over the 100 bytes limit for a notebook; "
        "clear its outputs"
    )
    assert submission.errors == {"conv": f"no conv.py found, and {reason}"}
    assert submission.messages == (reason,)


def test_notebook_code_over_the_source_cap(tmp_path):
    write(tmp_path, {"tutorial9.ipynb": notebook("x = 1\n", "y = '" + "a" * 60 + "'\n")})
    submission = intake(tmp_path, ("conv",), max_source_bytes=50)
    reason = "could not read tutorial9.ipynb: its code cells hold more than 50 bytes of code"
    assert submission.errors == {"conv": f"no conv.py found, and {reason}"}


# ---------------------------------------------------------------------------------------------
# Encodings and compile errors


@pytest.mark.parametrize(
    ("code", "error"),
    [
        pytest.param(
            b"x = 1\ns = 'caf\xe9'\n",
            "conv.py, line 2: byte 0xe9 is not valid UTF-8; save the file as UTF-8",
            id="latin-1-without-cookie",
        ),
        pytest.param(
            b'def f():\n    """The result.\n\n    caf\xe9"""\n    return 1\n',
            "conv.py, line 4: byte 0xe9 is not valid UTF-8; save the file as UTF-8",
            id="cp1252-in-a-docstring",
        ),
        pytest.param(
            b"def f():\n    # caf\xe9\n    return 'Jos\xe9'\n",
            "conv.py, line 3: byte 0xe9 is not valid UTF-8; save the file as UTF-8",
            id="cp1252-in-a-comment-and-a-string",
        ),
        pytest.param(
            b"# coding: ascii\nx = 1  # caf\xe9\n",
            "conv.py, line 2: byte 0xe9 cannot be read as ascii, the encoding its coding line "
            "declares; save the file as UTF-8",
            id="byte-outside-the-declared-encoding",
        ),
        pytest.param(b"# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n", None, id="latin-1-cookie"),
        pytest.param(b"\xef\xbb\xbfx = 1\n", None, id="utf-8-bom"),
        pytest.param(b"x = 1\r\ny = 2\r\n", None, id="crlf"),
        pytest.param(b"# -*- coding: utf-7 -*-\nx = 1 +AAo-y = 2\n", None, id="utf-7-cookie"),
        pytest.param(
            b"x = 1\ny = 2\x00\n",
            "conv.py, line 2: contains a NUL byte, which Python "
            "source cannot contain; save the file as UTF-8 text",
            id="nul",
        ),
        pytest.param(
            "x = 1\n".encode("utf-16"),
            "conv.py, line 1: contains a NUL byte, which "
            "Python source cannot contain; save the file as UTF-8 text",
            id="utf-16",
        ),
        pytest.param(
            b"# coding: klingon\nx = 1\n", "conv.py: unknown encoding: klingon", id="unknown-cookie"
        ),
        pytest.param(
            b"\xef\xbb\xbf# coding: latin-1\nx = 1\n",
            "conv.py: encoding problem: iso-8859-1 with BOM",
            id="bom-and-cookie",
        ),
        pytest.param(
            b"print x\n",
            "conv.py, line 1: Missing parentheses in call to 'print'. Did you mean print(...)?",
            id="python-2-print",
        ),
        pytest.param(
            b"if 1:\n\tx = 1\n        y = 2\n",
            "conv.py, line 3: inconsistent use of tabs and spaces in indentation",
            id="tabs-and-spaces",
        ),
        pytest.param(b"x = (1,\n", "conv.py, line 1: '(' was never closed", id="unclosed"),
        pytest.param(
            b"x = " + b"-" * 100_000 + b"1\n",
            "conv.py: the code is nested too deeply for Python to compile",
            id="deep-unary",
        ),
        pytest.param(
            b"x = a" + b".a" * 100_000 + b"\n",
            "conv.py: the code is nested too deeply for Python to compile",
            id="deep-attribute",
        ),
    ],
)
def test_encodings_and_compile_errors(tmp_path, code, error):
    submission = intake(write(tmp_path, {"conv.py": code}), ("conv",))
    if error is None:
        assert submission.sources["conv"].code == code  # bytes passed on untouched
        assert submission.errors == {}
    else:
        assert submission.errors == {"conv": error}
        assert submission.unavailable("conv") == error
        assert submission.messages == ()


COMMENT_BYTE = (
    "a comment holds byte 0x{byte}{more}, which is not valid UTF-8; Python ignores it in a "
    "comment and so did the grader, but save the file as UTF-8"
)


@pytest.mark.parametrize(
    ("code", "line", "byte", "more"),
    [
        pytest.param(b"def f():\n    return 1\n# Jos\xe9, caf\xe9\n", 3, "e9", "", id="last-line"),
        pytest.param(b"# Jos\xe9\ndef f():\n    return 1\n", 1, "e9", "", id="first-line"),
        pytest.param(b"\xef\xbb\xbf# \xe9\ndef f():\n    return 1\n", 1, "e9", "", id="after-bom"),
        pytest.param(
            b"def f():  # \x93quoted\x94\n    # na\xefve\n    return 1  # \x80\n",
            1,
            "93",
            " (and on 2 more lines)",
            id="inside-a-function",
        ),
    ],
)
def test_cp1252_bytes_in_comments_are_read_as_cpython_reads_them(tmp_path, code, line, byte, more):
    compile(code, "conv.py", "exec")  # and import: Python 3.10 to 3.13 accept such comments
    submission = intake(write(tmp_path, {"conv.py": code}), ("conv",))
    source = submission.sources["conv"]
    assert source.code == code  # bytes passed on untouched
    assert run(source)["f"]() == 1
    assert submission.messages == (
        f"conv.py, line {line}: {COMMENT_BYTE.format(byte=byte, more=more)}",
        "using conv.py for conv",
    )
    statements.listing(source.program, "conv.py").decode("utf-8")  # strict: it is UTF-8


def test_compile_errors_name_the_file_inside_a_zip(tmp_path):
    archive = make_zip(tmp_path / "hw.zip", {"hw/conv.py": "def f(:\n    pass\n"})
    submission = intake(archive, ("conv",))
    assert submission.errors["conv"].startswith("hw/conv.py, line 1: ")


# ---------------------------------------------------------------------------------------------
# Size and count caps


def test_py_file_over_the_size_cap(tmp_path):
    submission = intake(write(tmp_path, {"conv.py": "#" * 20}), ("conv",), max_source_bytes=10)
    assert submission.errors == {
        "conv": "conv.py is 20 bytes, over the 10 bytes limit for a .py file"
    }


def test_size_cap_also_holds_when_the_declared_size_lies(tmp_path):
    archive = make_zip(tmp_path / "hw.zip", {"conv.py": "#" * 20})
    data = bytearray(archive.read_bytes())
    # Declared uncompressed size in the central directory (offset 24) -> 5 bytes.
    data[data.find(b"PK\x01\x02") + 24 : data.find(b"PK\x01\x02") + 28] = (5).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    submission = intake(archive, ("conv",), max_source_bytes=10)
    assert "conv" in submission.errors


def test_folder_over_the_total_size_is_refused(tmp_path):
    submission = intake(
        write(tmp_path, {"a.txt": "#" * 8, "conv.py": "#" * 8}), ("conv",), max_total_bytes=10
    )
    reason = (
        "the submission holds more than 10 bytes of files; submit only your .py files or notebook"
    )
    assert submission.errors == {"conv": reason}
    assert submission.messages == (reason,)


def test_folder_with_too_many_files_is_refused(tmp_path):
    write(tmp_path, {f"d/{i}.txt": "" for i in range(3)} | {"conv.py": "x = 1\n"})
    submission = intake(tmp_path, ("conv",), max_files=3)
    reason = (
        "the submission holds more than 3 files and folders; submit only your .py files or notebook"
    )
    assert submission.messages == (reason,)


def test_ignored_folders_do_not_count(tmp_path):
    write(tmp_path, {f".git/objects/{i}": "" for i in range(10)} | {"conv.py": "x = 1\n"})
    assert intake(tmp_path, ("conv",), max_files=3).errors == {}


@pytest.mark.parametrize("field", list(IntakeLimits.__dataclass_fields__))
def test_limits_must_be_positive(field):
    with pytest.raises(ValueError, match=field):
        IntakeLimits(**{field: 0})


# ---------------------------------------------------------------------------------------------
# Intake never runs student code


def test_intake_never_executes_code(tmp_path, monkeypatch):
    markers = [tmp_path / f"ran-{i}" for i in range(6)]
    py = f"open({str(markers[0])!r}, 'w').close()\n"
    cells = (
        f"x = open({str(markers[1])!r}, 'w')\n",
        f"!touch {markers[2]}\n",
        f"%%bash\ntouch {markers[3]}\n",
        f"get_ipython().system('touch {markers[4]}')\n",
        f"import os\nos.system('touch {markers[5]}')\n",
    )
    write(tmp_path / "sub", {"conv.py": py, "hw/tutorial9.ipynb": notebook(*cells)})
    write(tmp_path / "sub", {"sitecustomize.py": py, "conftest.py": py, "__init__.py": py})
    archive = make_zip(tmp_path / "hw.zip", {"conv.py": py, "shapes.py": py})
    path_before = list(sys.path)
    modules_before = set(sys.modules)  # pytest itself imports the project's conftest.py
    monkeypatch.chdir(tmp_path / "sub")
    for submission_path in (tmp_path / "sub", archive, tmp_path / "sub" / "hw" / "tutorial9.ipynb"):
        submission = intake(submission_path)
        assert submission.sources
    assert not any(marker.exists() for marker in markers)
    assert sys.path == path_before
    assert not {"conv", "shapes", "sitecustomize", "conftest", "tutorial9"} & (
        set(sys.modules) - modules_before
    )


# ---------------------------------------------------------------------------------------------
# Arguments


def test_missing_path_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_submission(tmp_path / "missing", MODULES)


@pytest.mark.parametrize("module", ["../conv", "conv.py", ""])
def test_module_names_must_be_identifiers(tmp_path, module):
    with pytest.raises(ValueError, match="not a Python identifier"):
        read_submission(tmp_path, [module])


def test_unavailable(tmp_path):
    submission = intake(
        write(tmp_path, {"conv.py": "x = 1\n", "shapes.py": "x = (\n"}), ("conv", "shapes")
    )
    assert submission.unavailable("conv") is None
    assert submission.unavailable("shapes") == "shapes.py, line 1: '(' was never closed"
    assert submission.unavailable("rnn") == "no rnn.py found"


def test_duplicate_module_names_are_read_once(tmp_path):
    submission = read_submission(write(tmp_path, {"conv.py": "x = 1\n"}), ["conv", "conv"])
    assert list(submission.sources) == ["conv"]
    assert submission.messages == ("using conv.py for conv",)


def test_submission_is_immutable(tmp_path):
    submission = intake(write(tmp_path, {"conv.py": "x = 1\n"}), ("conv",))
    with pytest.raises(TypeError):
        submission.sources["rnn"] = submission.sources["conv"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        submission.messages = ()  # type: ignore[misc]
