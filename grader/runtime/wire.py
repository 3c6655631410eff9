"""The plain-data format that crosses the sandbox boundary, in both directions.

A message is one frame: an 8-byte big-endian length, then a 4-byte header length, a strict
JSON header, and the arrays' raw bytes in C order (each with an 8-byte length). Values are JSON
trees in which every JSON object is a tag:

    {"$array": [i, "<f8", [2, 3]]}   the i-th blob, as an array of that dtype and shape
    {"$tuple": [...]}        a tuple
    {"$dict": [[k, v], ...]} a dict with str keys
    {"$float": "nan"}        a non-finite float ("nan", "inf", "-inf")

Nothing else is representable: no pickle, no objects, no NaN shortcuts in JSON; an array's
dtype is a plain number type (bool, int, uint, float, complex) and its shape must account for
its blob's length exactly, so a forged shape cannot make the decoder allocate anything. The decoder
is the trusted side's only view of what the student returned, so it re-validates everything
and raises `WireError` on anything else. This file is also copied into the sandbox and
imported there by the worker, so it depends on numpy and the standard library only.
"""

from __future__ import annotations

import json
import math
import os
import re
import select
import struct
import time
from typing import Any

import numpy as np

MAX_FRAME = 256 * 2**20  # bytes in one message
MAX_HEADER = 16 * 2**20  # bytes of its JSON part (arrays travel as raw blobs beside it)
MAX_CONTAINERS = 100_000  # lists and objects in the JSON part: bounds what decoding allocates
MAX_DEPTH = 64  # nesting of lists, tuples and dicts
MAX_DIMENSIONS = 32  # of one array (numpy's own limit on older versions)
_REAL_KINDS = "biufc"  # complex is representable; the checks reject it with a message
_DTYPE = re.compile(r"[<>|=][biufc][0-9]{1,2}")  # numpy's dtype.str of a plain number type


class WireError(ValueError):
    """A message is malformed, too large, or holds something that is not plain data."""


class Unsupported(TypeError):
    """A value has no plain-data form (raised by `encode` with a student-readable message)."""


def encode(header: dict[str, Any], values: dict[str, Any] | None = None) -> bytes:
    """One frame holding the JSON `header` plus tagged `values` merged into it."""
    blobs: list[bytes] = []
    body = dict(header)
    for key, value in (values or {}).items():
        body[key] = _to_tree(value, blobs, 0)
    text = json.dumps(body, allow_nan=False, separators=(",", ":")).encode()
    parts = [struct.pack(">I", len(text)), text]
    for blob in blobs:
        parts += [struct.pack(">Q", len(blob)), blob]
    payload = b"".join(parts)
    if len(payload) > MAX_FRAME:
        raise Unsupported(f"the value is too large to send ({len(payload) // 2**20} MiB)")
    return struct.pack(">Q", len(payload)) + payload


def decode(payload: bytes, value_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """Parse a frame's payload (without its length prefix); `value_keys` hold tagged values."""
    try:
        (size,) = struct.unpack_from(">I", payload, 0)
        text = payload[4 : 4 + size]
        if size > MAX_HEADER or text.count(b"[") + text.count(b"{") > MAX_CONTAINERS:
            raise WireError("the value is too large to decode")
        header = json.loads(text.decode("utf-8"), parse_constant=_reject_constant)
        blobs = _split_blobs(payload, 4 + size)
        if not isinstance(header, dict):
            raise WireError("the header is not an object")
        for key in value_keys:
            if key in header:
                header[key] = _from_tree(header[key], blobs, 0)
        return header
    except (struct.error, UnicodeDecodeError, ValueError, RecursionError, MemoryError) as exc:
        if isinstance(exc, WireError):
            raise
        raise WireError(f"malformed message: {type(exc).__name__}") from None


def read_frame(fd: int, deadline: float | None = None) -> bytes:
    """The payload of the next frame on `fd`.

    Raises:
        TimeoutError: `deadline` (a time.monotonic() value) passed first.
        EOFError: the other side closed the pipe (it exited or crashed).
        WireError: the announced size is over the cap.
    """
    (size,) = struct.unpack(">Q", _read_exact(fd, 8, deadline))
    if size > MAX_FRAME:
        raise WireError(f"message of {size} bytes is over the cap")
    return _read_exact(fd, size, deadline)


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    """`size` bytes from `fd`, waiting (select, up to `deadline`) only when nothing is there:
    a non-blocking `fd` is best (a blocking one is waited on before each read)."""
    blocking = os.get_blocking(fd)
    chunks = []
    while size:
        if blocking and deadline is not None:
            _wait(fd, deadline)
        try:
            chunk = os.read(fd, min(size, 1 << 20))
        except BlockingIOError:
            _wait(fd, deadline)
            continue
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _wait(fd: int, deadline: float | None) -> None:
    """Until `fd` is readable; TimeoutError once `deadline` passes."""
    left = None if deadline is None else deadline - time.monotonic()
    if (left is not None and left <= 0) or not select.select([fd], [], [], left)[0]:
        raise TimeoutError


def write_frame(fd: int, frame: bytes) -> None:
    """Write a whole frame from `encode` to `fd`."""
    view = memoryview(frame)
    while view:
        view = view[os.write(fd, view) :]


def _reject_constant(name: str) -> Any:
    raise WireError(f"non-standard JSON constant {name}")


def _split_blobs(payload: bytes, offset: int) -> list[bytes]:
    blobs = []
    while offset < len(payload):
        (size,) = struct.unpack_from(">Q", payload, offset)
        offset += 8
        if offset + size > len(payload):
            raise WireError("truncated array data")
        blobs.append(payload[offset : offset + size])
        offset += size
    return blobs


def _to_tree(value: Any, blobs: list[bytes], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise Unsupported("the value is nested too deeply")
    # Exact-type tests first: subclasses of str/int/float go through their plain data.
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else {"$float": repr(number)}
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, np.ndarray):
        array = np.asarray(value)  # drops subclasses (masked arrays, matrices)
        if array.dtype.kind not in _REAL_KINDS:
            raise Unsupported(f"an array of dtype {array.dtype} cannot be graded; use numbers")
        blobs.append(np.ascontiguousarray(array).tobytes())
        return {"$array": [len(blobs) - 1, array.dtype.str, list(array.shape)]}
    if isinstance(value, np.generic):
        raise Unsupported(f"a numpy {type(value).__name__} cannot be graded; use numbers")
    if isinstance(value, tuple):
        return {"$tuple": [_to_tree(v, blobs, depth + 1) for v in value]}
    if isinstance(value, list):
        return [_to_tree(v, blobs, depth + 1) for v in value]
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise Unsupported("dict keys must be strings")
            items.append([str.__str__(key), _to_tree(item, blobs, depth + 1)])
        return {"$dict": items}
    raise Unsupported(
        f"a {type(value).__name__} cannot be graded; return a numpy array, a number, a string, "
        "or a list, tuple or dict of those"
    )


def _from_tree(tree: Any, blobs: list[bytes], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("nested too deeply")
    if tree is None or type(tree) in (bool, int, float, str):
        return tree
    if type(tree) is list:
        return [_from_tree(v, blobs, depth + 1) for v in tree]
    if type(tree) is not dict or len(tree) != 1:
        raise WireError("unknown value")
    ((tag, inner),) = tree.items()
    if tag == "$array" and type(inner) is list and len(inner) == 3:
        return _load_array(inner, blobs)
    if tag == "$tuple" and type(inner) is list:
        return tuple(_from_tree(v, blobs, depth + 1) for v in inner)
    if tag == "$dict" and type(inner) is list:
        result = {}
        for pair in inner:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                raise WireError("malformed dict")
            result[pair[0]] = _from_tree(pair[1], blobs, depth + 1)
        return result
    if tag == "$float" and inner in ("nan", "inf", "-inf"):
        return float(inner)
    raise WireError(f"unknown tag {tag!r}")


def _load_array(tag: list[Any], blobs: list[bytes]) -> np.ndarray:
    """The array that `tag` ([blob index, dtype string, shape]) describes, checked first."""
    index, descr, shape = tag
    if type(index) is not int or not 0 <= index < len(blobs):
        raise WireError("an array refers to data that is not there")
    if type(descr) is not str or not _DTYPE.fullmatch(descr):
        raise WireError("not a numeric array")
    if (
        type(shape) is not list
        or len(shape) > MAX_DIMENSIONS
        or any(type(n) is not int or n < 0 for n in shape)
    ):
        raise WireError("an array's shape is malformed")
    try:
        dtype = np.dtype(descr)
    except TypeError:
        raise WireError("not a numeric array") from None
    blob = blobs[index]
    if dtype.kind not in _REAL_KINDS or math.prod(shape) * dtype.itemsize != len(blob):
        raise WireError("an array's shape does not match its data")
    # A writable array of its own, not a view of the message.
    return np.frombuffer(blob, dtype=dtype).reshape(shape).copy()
