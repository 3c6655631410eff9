"""grader/intake/nbjson.py: a notebook's JSON without its outputs, streamed."""

from __future__ import annotations

import json
import tracemalloc
import zipfile

import pytest

from grader.intake import nbjson
from grader.intake.submission import IntakeLimits, read_submission

MiB = 1 << 20
PNG = "iVBORw0KGgo" + "A" * 300

NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {"widgets": {"state": {"a": [1, 2, {"b": "x\\y"}]}}, "kernelspec": {}},
    "cells": [
        {
            "cell_type": "markdown",
            "metadata": {},
            "attachments": {"grid.png": {"image/png": PNG}},
            "source": ["# Tutorial 9 \u00e9\n", 'with "quotes" and \\ and \u2603'],
        },
        {
            "cell_type": "code",
            "execution_count": 3,
            "id": "a1",
            "metadata": {"colab": {"height": 120}},
            "outputs": [
                {"output_type": "display_data", "data": {"image/png": PNG, "text/plain": ["]}"]}},
                {"output_type": "stream", "name": "stdout", "text": ['{"outputs": [1]}\n']},
            ],
            "source": 'def f(x):\n    return {"outputs": [x], "s": "\\"]"}\n',
        },
        {"cell_type": "raw", "metadata": {}, "source": "outputs"},
        {"cell_type": "code", "metadata": {}, "source": [], "outputs": [], "n": [1.5e3, None]},
    ],
}


def expected(notebook: dict) -> dict:
    """The notebook with every outputs, attachments and metadata member emptied."""
    empty = {"outputs": [], "attachments": {}, "metadata": {}}
    if isinstance(notebook, dict):
        return {k: empty[k] if k in empty else expected(v) for k, v in notebook.items()}
    if isinstance(notebook, list):
        return [expected(v) for v in notebook]
    return notebook


def pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("indent", [None, 1], ids=["compact", "indented"])
@pytest.mark.parametrize("size", [1, 2, 3, 5, 64, 1 << 30])
def test_pruned_in_any_chunks_is_the_notebook_without_outputs(indent, size):
    data = json.dumps(NOTEBOOK, indent=indent, ensure_ascii=indent is None).encode()
    kept = nbjson.pruned(pieces(data, size), limit=len(data))
    assert json.loads(kept) == expected(NOTEBOOK)
    assert PNG.encode() not in kept and b"widgets" not in kept


def test_keys_are_compared_decoded_and_a_bom_is_dropped():
    data = b'\xef\xbb\xbf{"cells": [{"out\\u0070uts": [{"x": "big"}], "source": "x = 1"}]}'
    for size in (1, 2, 4, 100):
        assert json.loads(nbjson.pruned(pieces(data, size), 100)) == {
            "cells": [{"outputs": [], "source": "x = 1"}]
        }


def test_deep_values_are_copied_by_counting_brackets():
    notebook = {"cells": [{"source": "s", "x": [[[[[[{"outputs": "kept, too deep"}]]]]]]}]}
    data = json.dumps(notebook).encode()
    assert json.loads(nbjson.pruned(pieces(data, 3), 1000)) == notebook


def test_format_3_worksheets_are_pruned_too():
    notebook = {"nbformat": 3, "worksheets": [{"cells": [{"input": "x", "outputs": [PNG]}]}]}
    kept = nbjson.pruned([json.dumps(notebook).encode()], 1000)
    assert json.loads(kept) == expected(notebook)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b'{"cells": [}',
        b'{"cells": [1, 2]',
        b'{"cells": []} x',
        b'{"outputs": "unterminated',
        b'{"outputs": [1, [2]',
        b"def relu(x):\n    return x\n",
        b"[" * 100_000,
        b'{"a" 1}',
        b"{1: 2}",
    ],
)
def test_malformed(data):
    for size in (1, 7, 1 << 20):
        with pytest.raises(nbjson.Malformed):
            nbjson.pruned(pieces(data, size), 1 << 20)


def test_what_is_kept_is_capped():
    data = json.dumps({"cells": [{"source": "x" * 1000, "outputs": [PNG * 10]}]}).encode()
    with pytest.raises(nbjson.TooBig):
        nbjson.pruned(pieces(data, 100), 500)
    assert nbjson.pruned(pieces(data, 100), 1100)


def write_big_notebook(path, cells: list[str], output_bytes: int) -> None:
    """A notebook whose first cell shows an image of `output_bytes` of base64, written in
    pieces so that the test itself holds no copy of it."""
    code = [{"cell_type": "code", "metadata": {}, "outputs": [], "source": c} for c in cells]
    head, tail = json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": code}).rsplit("]", 1)
    with open(path, "wb") as stream:
        stream.write(head.encode()[:-1])  # the closing "}" of the last cell
        stream.write(b', "outputs": [{"output_type": "display_data", "data": {"image/png": "')
        block = b"iVBORw0KGgoAAAANSUhEUg" * (MiB // 22)
        for _ in range(output_bytes // len(block) + 1):
            stream.write(block)
        stream.write(b'"}}]}]' + tail.encode())


def test_a_notebook_over_the_old_20_mib_cap_is_read_with_little_memory(tmp_path):
    write_big_notebook(
        tmp_path / "tutorial9.ipynb", ["x = 1\n", "def f():\n    return 2\n"], 25 * MiB
    )
    assert (tmp_path / "tutorial9.ipynb").stat().st_size > 25 * MiB
    tracemalloc.start()
    try:
        submission = read_submission(tmp_path, ("conv",), IntakeLimits())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert submission.errors == {}
    assert [s.text for s in submission.sources["conv"].program] == [
        "x = 1",
        "def f():\n    return 2",
    ]
    assert peak < 8 * MiB  # a chunk and what is kept, never the outputs


def test_only_code_counts_towards_the_text_cap(tmp_path):
    write_big_notebook(tmp_path / "tutorial9.ipynb", ["x = 1\n"], 2 * MiB)
    submission = read_submission(tmp_path, ("conv",), IntakeLimits(max_notebook_text_bytes=1000))
    assert submission.errors == {}
    small = IntakeLimits(max_notebook_bytes=MiB)
    submission = read_submission(tmp_path, ("conv",), small)
    assert submission.errors["conv"].endswith(
        "over the 1.0 MiB limit for a notebook; clear its outputs"
    )


def test_too_much_besides_outputs_is_refused(tmp_path):
    text = {"cell_type": "markdown", "metadata": {}, "source": "words " * 400}
    notebook = {"nbformat": 4, "cells": [text, {"cell_type": "code", "source": "x = 1\n"}]}
    (tmp_path / "tutorial9.ipynb").write_text(json.dumps(notebook))
    submission = read_submission(tmp_path, ("conv",), IntakeLimits(max_notebook_text_bytes=1000))
    assert submission.errors == {
        "conv": "no conv.py found, and could not read tutorial9.ipynb: it holds more than "
        "1000 bytes besides the outputs of its cells; submit a notebook with your code"
    }


def test_the_notebook_cap_holds_when_a_zip_member_lies_about_its_size(tmp_path):
    notebook = json.dumps({"nbformat": 4, "cells": [{"cell_type": "code", "source": "x = 1"}]})
    padded = notebook[:-1] + ', "pad": "' + "p" * 2000 + '"}'
    archive = tmp_path / "hw.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("tutorial9.ipynb", padded)
    data = bytearray(archive.read_bytes())
    # Declared uncompressed size in the central directory (offset 24) -> 5 bytes.
    at = data.find(b"PK\x01\x02") + 24
    data[at : at + 4] = (5).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    submission = read_submission(archive, ("conv",), IntakeLimits(max_notebook_bytes=1000))
    assert submission.errors["conv"].startswith("no conv.py found, and could not read")
