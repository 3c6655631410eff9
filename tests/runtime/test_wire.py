"""grader/runtime/wire.py: only plain data crosses, and the decoder trusts nothing."""

from __future__ import annotations

import json
import os
import struct
import threading
import time

import numpy as np
import pytest

from grader.runtime import wire


def roundtrip(value: object) -> object:
    frame = wire.encode({"ok": True}, {"value": value})
    return wire.decode(frame[8:], ("value",))["value"]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="none"),
        pytest.param(True, id="bool"),
        pytest.param(54, id="int"),
        pytest.param(2.59, id="float"),
        pytest.param("many-to-one", id="str"),
        pytest.param([1, [2.5, "x"]], id="list"),
        pytest.param((54, 54, 96), id="tuple"),
        pytest.param({"image_captioning": "one-to-many"}, id="dict"),
    ],
)
def test_plain_values_roundtrip(value: object) -> None:
    """Do plain values arrive with their exact type?"""
    back = roundtrip(value)
    assert back == value and type(back) is type(value)


def test_arrays_roundtrip_with_dtype_and_shape() -> None:
    """Do arrays keep dtype, shape and values, also non-contiguous ones?"""
    array = np.arange(24, dtype=np.float32).reshape(2, 3, 4)[:, ::2]
    back = roundtrip(array)
    assert type(back) is np.ndarray and back.dtype == np.float32
    np.testing.assert_array_equal(back, array)


@pytest.mark.parametrize(
    "array",
    [
        pytest.param(np.array([True, False]), id="bool"),
        pytest.param(np.arange(6, dtype=np.int8).reshape(3, 2), id="int8"),
        pytest.param(np.arange(4, dtype=">u2"), id="big-endian"),
        pytest.param(np.array([1 + 2j]), id="complex"),
        pytest.param(np.ones(3, dtype=np.float16), id="float16"),
        pytest.param(np.zeros((0, 3)), id="empty"),
        pytest.param(np.array(2.5), id="zero-d"),
        pytest.param(np.asfortranarray(np.arange(6.0).reshape(2, 3)), id="fortran"),
    ],
)
def test_every_number_dtype_and_shape_roundtrips(array: np.ndarray) -> None:
    """Does each plain number type arrive with its dtype, shape and values, writable?"""
    back = roundtrip(array)
    assert type(back) is np.ndarray and back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_non_finite_floats_are_tagged_not_json_nan() -> None:
    """Are NaN and infinities sent without JSON's non-standard constants?"""
    frame = wire.encode({}, {"value": [float("nan"), float("-inf")]})
    assert b"NaN" not in frame and b"Infinity" not in frame
    back = roundtrip([float("nan"), float("-inf")])
    assert np.isnan(back[0]) and back[1] == float("-inf")


class LyingArray(np.ndarray):
    def __eq__(self, other: object) -> bool:  # type: ignore[override]
        return True


class LyingStr(str):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


def test_subclasses_arrive_as_their_plain_data() -> None:
    """Does a lying ndarray, masked array or str subclass lose its behaviour on the way?"""
    lying = np.zeros(3).view(LyingArray)
    assert type(roundtrip(lying)) is np.ndarray
    masked = np.ma.masked_all((2, 2))
    assert type(roundtrip(masked)) is np.ndarray
    text = roundtrip(LyingStr("one-to-one"))
    assert type(text) is str and text == "one-to-one" and text != "many-to-many"
    assert type(roundtrip(np.float64(2.5))) is float
    assert type(roundtrip(np.int64(54))) is int


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(np.array([object()], dtype=object), id="object-array"),
        pytest.param(object(), id="object"),
        pytest.param((x for x in range(3)), id="generator"),
        pytest.param({1: 2}, id="int-key"),
        pytest.param(np.array(["a"]), id="str-array"),
    ],
)
def test_unsupported_values_are_refused_by_the_encoder(value: object) -> None:
    """Does a value with no plain form get a student-readable refusal?"""
    with pytest.raises(wire.Unsupported):
        wire.encode({}, {"value": value})


def _payload(header: dict, blobs: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
    text = json.dumps(header).encode()
    parts = [struct.pack(">I", len(text)), text]
    for blob in blobs:
        parts += [struct.pack(">Q", len(blob)), blob]
    return b"".join(parts)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"\x00\x00\x00\x05NaN!!", id="nan-constant"),
        pytest.param(b"\x00\x00\x00\x03[1]", id="not-an-object"),
        pytest.param(b"\x00\x00", id="truncated-header"),
        pytest.param(_payload({"value": {"$array": [0, "|O", [1]]}}, [b"\0" * 8]), id="object"),
        pytest.param(_payload({"value": {"$array": [0, "<U2", [1]]}}, [b"\0" * 8]), id="text"),
        pytest.param(_payload({"value": {"$array": [0, "V8", [1]]}}, [b"\0" * 8]), id="void"),
        pytest.param(
            _payload({"value": {"$array": [0, "[('a', '<f8')]", [1]]}}, [b"\0" * 8]),
            id="structured",
        ),
        pytest.param(_payload({"value": {"$array": [0, "<i16", [1]]}}, [b"\0" * 16]), id="i16"),
        pytest.param(_payload({"value": {"$array": [3, "<f8", []]}}), id="missing-blob"),
        pytest.param(_payload({"value": {"$array": 0}}, [b"\0" * 8]), id="old-tag"),
        pytest.param(_payload({"value": {"$array": [0, "<f8", [-1]]}}, [b"\0" * 8]), id="minus"),
        pytest.param(_payload({"value": {"$array": [0, "<f8", [1.0]]}}, [b"\0" * 8]), id="float"),
        pytest.param(
            _payload({"value": {"$array": [0, "<f8", [1] * 33]}}, [b"\0" * 8]), id="too-many-dims"
        ),
        pytest.param(
            _payload({"value": {"$array": [0, "<f8", [2**62, 2**62, 0]]}}), id="huge-empty"
        ),
        pytest.param(_payload({"value": {"$eval": "1"}}), id="unknown-tag"),
        pytest.param(_payload({"value": {"a": 1, "b": 2}}), id="untagged-object"),
        pytest.param(_payload({"value": {"$dict": [[1, 2]]}}), id="int-key"),
        pytest.param(_payload({"value": {"$float": "1e999"}}), id="bad-float"),
        pytest.param(_payload({"value": json.loads("[" * 200 + "]" * 200)}), id="too-deep"),
        pytest.param(_payload({"value": {"$array": [0, "<f8", [1]]}}, [b"7 bytes"]), id="short"),
    ],
)
def test_the_decoder_rejects_anything_but_plain_data(payload: bytes) -> None:
    """Does the trusted side refuse malformed or dangerous replies with WireError?"""
    with pytest.raises(wire.WireError):
        wire.decode(payload, ("value",))


def test_frames_over_the_cap_are_refused_before_reading() -> None:
    """Is an announced size over the cap refused without allocating it?"""
    read, write = os.pipe()
    os.write(write, struct.pack(">Q", wire.MAX_FRAME + 1))
    with pytest.raises(wire.WireError):
        wire.read_frame(read, deadline=None)
    os.close(read)
    os.close(write)


def test_read_frame_times_out_and_sees_eof() -> None:
    """Does reading stop at the deadline, and report a closed pipe?"""
    read, write = os.pipe()
    with pytest.raises(TimeoutError):
        wire.read_frame(read, deadline=time.monotonic() + 0.05)
    os.close(write)
    with pytest.raises(EOFError):
        wire.read_frame(read, deadline=time.monotonic() + 1)
    os.close(read)


def test_a_forged_array_shape_cannot_make_the_grader_allocate() -> None:
    """Is an 8 TiB shape over 8 bytes of data refused before anything is allocated?"""
    payload = _payload({"value": {"$array": [0, "<f8", [1 << 20, 1 << 20]]}}, [b"\0" * 8])
    with pytest.raises(wire.WireError, match="does not match"):
        wire.decode(payload, ("value",))


def test_json_with_too_many_containers_is_refused_before_parsing() -> None:
    """Are a million tiny lists refused before json.loads builds them?"""
    text = "[" + ",".join(["[0]"] * (wire.MAX_CONTAINERS + 1)) + "]"
    with pytest.raises(wire.WireError, match="too large"):
        wire.decode(_payload({"value": json.loads(text)}), ("value",))


def test_large_honest_lists_still_decode() -> None:
    """Does a student's .tolist() of a big result still arrive (lists are accepted)?"""
    value = np.arange(2 * 54 * 54 * 96, dtype=float).reshape(2, 54, 54, 96).tolist()
    assert roundtrip(value) == value


@pytest.mark.parametrize("blocking", [True, False], ids=["blocking", "non-blocking"])
def test_frames_are_read_whole_from_either_kind_of_pipe(blocking: bool) -> None:
    """Is a frame read whole as its pieces come, from a blocking or a non-blocking pipe, and
    does an empty pipe time out at the deadline?"""
    read, write = os.pipe()
    os.set_blocking(read, blocking)
    with pytest.raises(TimeoutError):
        wire.read_frame(read, deadline=time.monotonic() + 0.05)
    frame = wire.encode({"ok": True}, {"value": np.arange(5.0)})
    pieces = [frame[:5], frame[5:20], frame[20:]]

    def send() -> None:
        for piece in pieces:
            time.sleep(0.01)
            os.write(write, piece)

    sender = threading.Thread(target=send)
    sender.start()
    reply = wire.decode(wire.read_frame(read, deadline=time.monotonic() + 30), ("value",))
    sender.join()
    np.testing.assert_array_equal(reply["value"], np.arange(5.0))
    os.close(read)
    os.close(write)
