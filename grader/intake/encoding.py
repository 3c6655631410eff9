"""The text of a .py file, decoded as CPython decodes it when the file is imported. Parsing only.

CPython reads source as UTF-8 unless a UTF-8 BOM or a PEP 263 coding line says otherwise. In a
UTF-8 file it decodes only what it tokenizes as code: bytes that are not valid UTF-8 inside a
comment are accepted by `compile()` and `import` (3.10 to 3.13 alike; only `python file.py`
refuses them), typically an accent typed in a comment by an editor saving as Windows-1252. Such
bytes are read here as U+FFFD, which changes only the comment, and a note says so. The same
bytes inside code (a string, a docstring, a name) make CPython refuse the whole file; so does a
file that cannot be decoded with the encoding its coding line declares. That is reported with
the file, the line and the byte.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass

from grader.intake import statements

_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes that are not UTF-8, under surrogateescape
_UTF8 = ("utf-8", "utf-8-sig")
_HINT = "save the file as UTF-8"
_BAD_CODING = ""  # compile() words a bad coding line or BOM best (cells.compile_error)


@dataclass(frozen=True, slots=True)
class Decoded:
    """A .py file's text as the compiler sees it, or why CPython would not import it."""

    text: str | None  # None when the file cannot be decoded
    error: str = ""  # why not, a complete message, or _BAD_CODING ("" when text is set)
    escaped: str = ""  # the text with undecodable bytes as surrogates ("" when there are none)


def decode(code: bytes, origin: str) -> Decoded:
    """Decode `code` (the bytes of the file `origin`) as CPython does."""
    # CPython looks for the coding line in the bytes of the first two lines, so bytes that are
    # not UTF-8 there (in a comment: a coding line is one) do not hide it; tokenize would fail.
    head = b"\n".join(code.split(b"\n", 2)[:2]).decode("utf-8", "replace").encode("utf-8")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(head).readline)
    except SyntaxError:  # a bad coding line: compile() says which, in its own words
        return Decoded(None, _BAD_CODING)
    try:
        return Decoded(code.decode(encoding))
    except LookupError:
        return Decoded(None, _BAD_CODING)
    except UnicodeDecodeError as exc:
        if encoding not in _UTF8:
            line = code.count(b"\n", 0, exc.start) + 1
            return Decoded(
                None,
                f"{origin}, line {line}: byte 0x{code[exc.start]:02x} cannot be read as "
                f"{encoding}, the encoding its coding line declares; {_HINT}",
            )
    escaped = code.decode(encoding, "surrogateescape")
    return Decoded(_ESCAPED.sub("\ufffd", escaped), "", escaped)


def undecodable(
    decoded: Decoded, program: Iterable[statements.Statement], origin: str
) -> tuple[str, list[str]]:
    """(error, notes) for a UTF-8 file with bytes that are not UTF-8.

    The error, when some runnable statement holds such a byte outside a comment (CPython then
    refuses the file); else a note on the comments read with U+FFFD.
    """
    if not decoded.escaped:
        return "", []
    lines = statements.lines_of(decoded.escaped)
    for statement in program:
        if not statement.runs:
            continue
        first = statement.line - 1
        span = lines[first : first + len(statements.lines_of(statement.text))]
        if not _ESCAPED.search("".join(span)):
            continue
        # CPython itself judges where the bytes are: compile the statement's own lines.
        if not _refused(span):
            continue
        # Which line: the first whose bytes are refused when those of the others are not there.
        for offset, line in enumerate(span):
            alone = [
                line if i == offset else _ESCAPED.sub("?", other) for i, other in enumerate(span)
            ]
            if _ESCAPED.search(line) and _refused(alone):
                return _in_code(line, first + offset + 1, origin), []
        offset = next(i for i, line in enumerate(span) if _ESCAPED.search(line))
        return _in_code(span[offset], first + offset + 1, origin), []
    found = [i for i, line in enumerate(lines, 1) if _ESCAPED.search(line)]
    first_byte = _byte(lines[found[0] - 1])
    more = f" (and on {len(found) - 1} more lines)" if len(found) > 1 else ""
    note = (
        f"{origin}, line {found[0]}: a comment holds byte 0x{first_byte:02x}{more}, which is "
        f"not valid UTF-8; Python ignores it in a comment and so did the grader, but {_HINT}"
    )
    return "", [note]


def _refused(lines: list[str]) -> bool:
    """Whether CPython refuses these lines for bytes that are not UTF-8."""
    # A coding line first, so that a comment among them is never taken for one.
    raw = b"# coding: utf-8\n" + "".join(lines).encode("utf-8", "surrogateescape")
    try:
        compile(raw, "<check>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return "decode" in str(exc.msg)  # other problems are reported where the code is split
    except ValueError:
        return False
    return False


def _byte(line: str) -> int:
    match = _ESCAPED.search(line)
    return ord(match.group()) - 0xDC00 if match else 0


def _in_code(line: str, number: int, origin: str) -> str:
    return f"{origin}, line {number}: byte 0x{_byte(line):02x} is not valid UTF-8; {_HINT}"
