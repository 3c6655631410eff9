"""A notebook's JSON without its outputs, read in one streaming pass. Parsing only.

A notebook that kept the outputs of a cell showing images can be tens of megabytes, nearly all
of it base64 in `outputs` (and in `attachments` of Markdown cells, and widget state in
`metadata`), none of it code. `pruned(chunks, limit)` reads the file once, chunk by chunk, and
returns the same JSON with the value of every `outputs`, `attachments` and `metadata` member
replaced by an empty one, copying every other byte as it is; the values dropped are skipped
without being decoded or held. Memory stays about one chunk plus what is kept, and what is kept
is capped (`TooBig`).

Only the structure of objects and arrays near the top is followed (a cell is at depth 2, or 4 in
format 3's worksheets); deeper values are copied or skipped by counting brackets outside
strings. The result is parsed with `json` afterwards (grader/intake/cells.py), which checks what
is kept; the bytes skipped are not checked, as they are not code. `Malformed` says where the
structure broke; the caller reports the exact JSON error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Iterator

_REPLACEMENTS = {"outputs": b"[]", "attachments": b"{}", "metadata": b"{}"}
_FOLLOWED = 5  # objects and arrays shallower than this are followed member by member
_MAX_KEY = 64  # longer keys are not compared (no pruned key is that long)
_WHITESPACE = re.compile(rb"[ \t\r\n]*")
_STRING_STOP = re.compile(rb'["\\]')
_STRUCTURE = re.compile(rb'["\[\]{}]')
_SCALAR = re.compile(rb"[^ \t\r\n,:\[\]{}\"]*")
_BOM = b"\xef\xbb\xbf"


class Malformed(ValueError):
    """The bytes are not JSON; `offset` is where the structure broke."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"not JSON at byte {offset}")
        self.offset = offset


class TooBig(ValueError):
    """More than `limit` bytes are left once outputs, attachments and metadata are dropped."""


def pruned(
    chunks: Iterable[bytes], limit: int, drop: Collection[str] = tuple(_REPLACEMENTS)
) -> bytes:
    """The JSON read from `chunks` without its outputs, attachments and metadata (the members
    named in `drop`).

    Raises:
        Malformed: the bytes are not JSON (as far as the structure followed shows).
        TooBig: what is kept exceeds `limit` bytes.
    """
    replacements = {key: _REPLACEMENTS[key] for key in drop}
    return _Pruner(iter(chunks), limit, replacements).run()


class _Pruner:
    def __init__(self, chunks: Iterator[bytes], limit: int, replacements: dict[str, bytes]) -> None:
        self.chunks = chunks
        self.replacements = replacements
        self.limit = limit
        self.buf = b""
        self.pos = 0  # next byte of buf to read
        self.dropped = 0  # bytes before buf, for offsets
        self.mark: int | None = 0  # start in buf of the bytes being copied; None: skipping
        self.out: list[bytes] = []
        self.kept = 0

    # ------------------------------------------------------------------ the buffer

    def more(self) -> bool:
        """Read the next chunk, keeping buf[pos:]; False at the end of the input."""
        chunk = b""
        while not chunk:
            chunk = next(self.chunks, None)
            if chunk is None:
                return False
        if self.mark is not None:
            self.emit(self.buf[self.mark : self.pos])
            self.mark = 0
        self.dropped += self.pos
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def emit(self, data: bytes) -> None:
        self.kept += len(data)
        if self.kept > self.limit:
            raise TooBig(self.limit)
        if data:
            self.out.append(data)

    def malformed(self) -> Malformed:
        return Malformed(self.dropped + self.pos)

    def peek(self) -> bytes:
        """The next byte after whitespace, not consumed; b"" at the end."""
        while True:
            match = _WHITESPACE.match(self.buf, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos < len(self.buf):
                return self.buf[self.pos : self.pos + 1]
            if not self.more():
                return b""

    def expect(self, allowed: bytes) -> bytes:
        char = self.peek()
        if not char or char not in allowed:
            raise self.malformed()
        self.pos += 1
        return char

    # ------------------------------------------------------------------ the structure

    def run(self) -> bytes:
        while len(self.buf) < len(_BOM) and self.more():
            pass
        if self.buf.startswith(_BOM):  # json.loads accepts it on bytes: so do we, dropping it
            self.pos = self.mark = len(_BOM)
        self.value(0)
        if self.peek():
            raise self.malformed()  # data after the JSON value
        self.emit(self.buf[self.mark or 0 : self.pos])
        return b"".join(self.out)

    def value(self, depth: int) -> None:
        char = self.peek()
        if char == b"{" and depth < _FOLLOWED:
            self.object(depth)
        elif char == b"[" and depth < _FOLLOWED:
            self.array(depth)
        else:
            self.raw()

    def object(self, depth: int) -> None:
        self.pos += 1
        if self.peek() == b"}":
            self.pos += 1
            return
        while True:
            if self.peek() != b'"':
                raise self.malformed()
            key = self.string(capture=True)
            self.expect(b":")
            replacement = self.replacements.get(_key(key)) if key is not None else None
            if replacement is None:
                self.value(depth + 1)
            else:
                self.skip(replacement)
            if self.expect(b",}") == b"}":
                return

    def array(self, depth: int) -> None:
        self.pos += 1
        if self.peek() == b"]":
            self.pos += 1
            return
        while True:
            self.value(depth + 1)
            if self.expect(b",]") == b"]":
                return

    def skip(self, replacement: bytes) -> None:
        """Drop the next value, copying `replacement` in its place."""
        self.peek()
        assert self.mark is not None
        self.emit(self.buf[self.mark : self.pos])
        self.emit(replacement)
        self.mark = None
        self.raw()
        self.mark = self.pos

    # ------------------------------------------------------------------ tokens

    def raw(self) -> None:
        """Pass one value (copied or skipped by `more`), without following its structure."""
        char = self.peek()
        if char == b'"':
            self.string()
            return
        if char not in (b"{", b"["):
            self.scalar()
            return
        depth = 0
        while True:
            match = _STRUCTURE.search(self.buf, self.pos)
            if match is None:
                self.pos = len(self.buf)
                if not self.more():
                    raise self.malformed()
                continue
            self.pos = match.start()
            found = match.group()
            if found == b'"':
                self.string()
                continue
            self.pos += 1
            depth += 1 if found in b"[{" else -1
            if depth == 0:
                return

    def scalar(self) -> None:
        start = self.dropped + self.pos
        while True:
            match = _SCALAR.match(self.buf, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos < len(self.buf) or not self.more():
                break
        if self.dropped + self.pos == start:
            raise self.malformed()  # no value here

    def string(self, capture: bool = False) -> bytes | None:
        """Pass a string at `pos` (its opening quote); with `capture`, return its bytes, quotes
        included, when it is short."""
        start = self.pos
        pieces: list[bytes] | None = [] if capture else None
        self.pos += 1
        while True:
            match = _STRING_STOP.search(self.buf, self.pos)
            if match is not None and match.group() == b'"':
                self.pos = match.end()
                break
            if match is not None and match.start() + 1 < len(self.buf):
                self.pos = match.start() + 2  # an escape: skip the escaped byte
                continue
            self.pos = match.start() if match is not None else len(self.buf)
            if pieces is not None:
                pieces.append(self.buf[start : self.pos])
                if sum(map(len, pieces)) > _MAX_KEY:
                    pieces = None
            if not self.more():
                raise self.malformed()
            start = 0
        if pieces is None:
            return None
        pieces.append(self.buf[start : self.pos])
        key = b"".join(pieces)
        return key if len(key) <= _MAX_KEY else None


def _key(raw: bytes) -> str:
    try:
        key = json.loads(raw)
    except ValueError:
        return ""
    return key if isinstance(key, str) else ""
