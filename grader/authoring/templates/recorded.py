"""Recorded answers for the public cases: what `from solutions import conv as ref` gives here
(the bundle's package is named as the set's reference package: `solutions` for Tutorial 9).

The public cases compute their expected values with the reference solutions, which students
do not receive. The release build ran the public cases once against the references and
recorded every value they took from them: each call's arguments and result, each constant,
and each key read from a dict. This module serves those recordings, and nothing else: a call
with arguments the cases never used raises LookupError. A failing public case shows its
expected value anyway, so nothing here is hidden from students.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import inspect
import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np

_DATA = Path(__file__).resolve().parent / "recorded.json"
_PACKAGE = __package__ or "solutions"  # the package this file is shipped in
_cache: dict[str, Any] | None = None
_COMPRESS_FROM = 4096  # bytes of array data above which it is stored compressed
_KEEP_ARGUMENTS = 65536  # characters of encoded arguments kept for the tolerant match


def encode(value: Any) -> Any:
    """Plain JSON for `value`; every JSON object is a tag, so decoding is unambiguous."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        body = {"dtype": array.dtype.str, "shape": list(array.shape)}
        stored = _whole(array)
        if stored is not None:  # whole numbers, kept as small integers: a quarter of the size
            body["as"] = stored.dtype.str
            array = stored
        data = array.tobytes()
        if len(data) > _COMPRESS_FROM:
            body["zlib"] = base64.b64encode(zlib.compress(data)).decode("ascii")
        else:
            body["data"] = base64.b64encode(data).decode("ascii")
        return {"ndarray": body}
    if isinstance(value, np.generic):
        return {"scalar": {"dtype": value.dtype.str, "data": encode(np.asarray(value))}}
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if np.isfinite(value) else {"float": repr(value)}
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"dict": [[encode(k), encode(v)] for k, v in value.items()]}
    raise TypeError(f"cannot record a {type(value).__name__}")


def decode(value: Any) -> Any:
    """The value `encode` was given (arrays with their dtype and shape)."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    ((tag, body),) = value.items()
    if tag == "ndarray":
        if "zlib" in body:
            data = zlib.decompress(base64.b64decode(body["zlib"]))
        else:
            data = base64.b64decode(body["data"])
        stored = np.dtype(body.get("as", body["dtype"]))
        array = np.frombuffer(data, dtype=stored).reshape(body["shape"])
        return array.astype(np.dtype(body["dtype"]))  # a writable copy, like a fresh result
    if tag == "scalar":
        return decode(body["data"])[()]
    if tag == "float":
        return float(body)
    if tag == "tuple":
        return tuple(decode(v) for v in body)
    if tag == "dict":
        return {decode(k): decode(v) for k, v in body}
    raise ValueError(f"unknown tag {tag!r}")


def _whole(array: np.ndarray) -> np.ndarray | None:
    """`array` as the smallest integers that give it back exactly, for a float array of whole
    numbers; None otherwise."""
    if array.dtype.kind != "f" or array.size < 64 or not np.isfinite(array).all():
        return None
    for kind in (np.int8, np.int16, np.int32):
        info = np.iinfo(kind)
        if array.min() >= info.min and array.max() <= info.max:
            stored = array.astype(kind)
            if stored.astype(array.dtype).tobytes() == array.tobytes():  # also keeps -0.0 out
                return stored
            return None
    return None


def record(args: tuple | list, kwargs: dict[str, Any], result: Any) -> dict[str, Any]:
    """The recording of one call: its digest, its arguments when small, its result."""
    entry: dict[str, Any] = {"key": call_key(args, kwargs), "result": encode(result)}
    if _size([args, kwargs]) <= _KEEP_ARGUMENTS:
        entry["args"], entry["kwargs"] = encode(list(args)), encode(dict(kwargs))
    return entry


def record_raised(args: tuple | list, kwargs: dict[str, Any], exc: BaseException) -> dict[str, Any]:
    """The recording of a call the reference refused: the exception's class and message."""
    entry = record(args, kwargs, None)
    del entry["result"]
    entry["raised"], entry["message"] = type(exc).__name__, str(exc)
    return entry


def call_key(args: tuple | list, kwargs: dict[str, Any]) -> str:
    """A digest that identifies one call's arguments exactly (types, shapes, bytes)."""
    digest = hashlib.sha256()
    _feed(digest, [list(args), dict(sorted(kwargs.items()))])
    return digest.hexdigest()


def _feed(digest: Any, value: Any) -> None:
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        digest.update(f"ndarray {array.dtype.str} {array.shape} ".encode())
        digest.update(array.tobytes())
    elif isinstance(value, (list, tuple)):
        digest.update(f"{type(value).__name__} {len(value)} ".encode())
        for item in value:
            _feed(digest, item)
    elif isinstance(value, dict):
        digest.update(f"dict {len(value)} ".encode())
        for key, item in value.items():
            _feed(digest, key)
            _feed(digest, item)
    else:
        digest.update(f"{type(value).__name__} {json.dumps(encode(value))} ".encode())


def _size(value: Any) -> int:
    """Roughly how many bytes `value` holds (arrays by their data)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (list, tuple)):
        return sum(_size(v) for v in value)
    if isinstance(value, dict):
        return sum(_size(k) + _size(v) for k, v in value.items())
    return 16


def _same(a: Any, b: Any) -> bool:
    """Whether two argument values are the same up to float rounding."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
            return False
        if a.dtype.kind in "fc":
            return bool(np.allclose(a, b, rtol=1e-12, atol=0.0, equal_nan=True))
        return bool(np.array_equal(a, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return bool(np.isclose(a, b, rtol=1e-12, atol=0.0, equal_nan=True))
    return a == b


def _data() -> dict[str, Any]:
    global _cache
    if _cache is None:
        _cache = json.loads(_DATA.read_text(encoding="utf-8"))
    return _cache


class Recorded:
    """One module's recordings, served as its attributes."""

    def __init__(self, module: str) -> None:
        self.module = module

    def attribute(self, name: str) -> Any:
        entry = _data().get(self.module, {})
        if name in entry.get("constants", {}):
            return decode(entry["constants"][name])
        if name in entry.get("mappings", {}):
            return decode(entry["mappings"][name])
        if name in entry.get("calls", {}):
            parameters = entry.get("parameters", {}).get(name)
            return _Function(self.module, name, entry["calls"][name], parameters)
        raise AttributeError(f"{_PACKAGE}.{self.module}.{name} was not recorded")


class _Function:
    def __init__(
        self,
        module: str,
        name: str,
        calls: list[dict[str, Any]],
        parameters: list[str] | None = None,
    ) -> None:
        self._module, self._name, self._calls = module, name, calls
        if parameters is not None:  # the reference's, for messages naming an argument
            kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
            self.__signature__ = inspect.Signature([inspect.Parameter(n, kind) for n in parameters])

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        key = call_key(args, kwargs)
        for call in self._calls:
            if call["key"] == key:
                return _answer(call)
        for call in self._calls:  # the same inputs computed with a different rounding
            if "args" not in call:  # large arguments are kept as their digest only
                continue
            if _same(decode(call["args"]), list(args)) and _same(decode(call["kwargs"]), kwargs):
                return _answer(call)
        raise LookupError(
            f"{_PACKAGE}.{self._module}.{self._name} has no recorded answer for these arguments "
            "(only the public cases' own calls are recorded)"
        )


def _answer(call: dict[str, Any]) -> Any:
    """A recorded call's result, or the builtin exception the reference raised."""
    if "raised" not in call:
        return decode(call["result"])
    kind = getattr(builtins, call["raised"], None)
    if isinstance(kind, type) and issubclass(kind, Exception) and kind is not LookupError:
        raise kind(call["message"])
    raise RuntimeError(f"the reference raised {call['raised']}: {call['message']}")
