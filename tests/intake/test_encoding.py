"""grader/intake/encoding.py: a .py file's text, decoded as CPython decodes it on import."""

from __future__ import annotations

import pytest

from grader.intake import encoding, statements


@pytest.mark.parametrize(
    ("code", "text"),
    [
        pytest.param(b"x = 'caf\xc3\xa9'\n", "x = 'caf\u00e9'\n", id="utf-8"),
        pytest.param(b"\xef\xbb\xbfx = 1\n", "x = 1\n", id="bom"),
        pytest.param(
            b"# coding: cp1252\nx = '\x93'\n", "# coding: cp1252\nx = '\u201c'\n", id="cookie"
        ),
        pytest.param(b"x = 1  # caf\xe9\n", "x = 1  # caf\ufffd\n", id="cp1252-comment"),
        pytest.param(b"# caf\xe9\n# coding: latin-1\nx = '\xe9'\n", None, id="cookie-after-a-byte"),
    ],
)
def test_decode(code, text):
    decoded = encoding.decode(code, "conv.py")
    if text is None:  # the coding line still counts, as CPython finds it in the bytes
        text = code.decode("latin-1")
    assert decoded.text == text
    compile(code, "conv.py", "exec")  # CPython accepts every one of them


def test_a_byte_outside_the_declared_encoding():
    decoded = encoding.decode(b"# coding: ascii\n\nx = 1  # \xe9\n", "conv.py")
    assert decoded.text is None
    assert decoded.error == (
        "conv.py, line 3: byte 0xe9 cannot be read as ascii, the encoding its coding line "
        "declares; save the file as UTF-8"
    )


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (b"x = 1  # \xe9\n", ""),
        (b"x = '\xe9'\n", "conv.py, line 1: byte 0xe9 is not valid UTF-8; save the file as UTF-8"),
        (b"def f():\n    # \xe9\n    return b'\xff'\n", ""),  # bytes: its own syntax error
        (
            b"def f():\n    # \xe9\n    '''\n    # \xf0\n    '''\n",
            "conv.py, line 4: byte 0xf0 is not valid UTF-8; save the file as UTF-8",
        ),
    ],
)
def test_undecodable_finds_the_byte_cpython_refuses(code, error):
    decoded = encoding.decode(code, "conv.py")
    assert decoded.text is not None
    found, _ = statements.program(decoded.text, "conv.py")
    refused, notes = encoding.undecodable(decoded, found, "conv.py")
    assert refused == error
    assert bool(notes) == (not error)
