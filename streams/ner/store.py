"""The model file: a JSON header and named numpy arrays, xz-compressed, nothing executable.

Layout: ``MAGIC``, the payload's size (8 bytes), then an xz stream of the payload: a 4-byte
header length, the UTF-8 JSON header, and the arrays' bytes, each on an 8-byte boundary. The
header lists each array's dtype, shape and offset. xz carries a CRC64 of the content, so a
truncated or altered file fails to decompress rather than loading wrong weights; pickle is never
used, so a model file cannot run code. Writing is deterministic: the same model, the same bytes.
"""

from __future__ import annotations

import json
import lzma
import struct
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from streams.errors import DataFileError

MAGIC = b"WSNER01\n"
# v2 stores the word weights sparse, under hashed names (streams/ner/weights.py); v1 files
# (dense weights and the names as strings) stay readable and are converted on load.
FORMAT = "wirestream.ner.v2"
READABLE = frozenset({"wirestream.ner.v1", FORMAT})
_LEN = struct.Struct("<I")
_ALIGN = 8
_SIZE = struct.Struct("<Q")
_CHUNK = 1 << 20
# A model is a few MB; the cap only stops a wrong file (or a decompression bomb) from eating memory.
MAX_UNPACKED = 512 * 1024 * 1024


class ModelFormatError(DataFileError):
    """The file is not a model this code can read: wrong kind, damaged, or another version."""


def write(path: Path, meta: dict[str, Any], arrays: dict[str, npt.NDArray[Any]]) -> None:
    header: dict[str, Any] = {"format": FORMAT, "meta": meta, "arrays": {}}
    blobs: list[bytes] = []
    offset = 0
    for name in sorted(arrays):
        arr = np.ascontiguousarray(arrays[name])
        if arr.dtype.hasobject:
            raise ValueError(f"array {name!r} holds Python objects")
        data = arr.tobytes()
        header["arrays"][name] = {
            "dtype": arr.dtype.str,
            "shape": list(arr.shape),
            "offset": offset,
            "nbytes": len(data),
        }
        # Each array starts on an 8-byte boundary so that loading can map it in place.
        pad = -len(data) % _ALIGN
        blobs.append(data + b"\0" * pad)
        offset += len(data) + pad
    head = json.dumps(header, sort_keys=True, ensure_ascii=False).encode("utf-8")
    head += b" " * (-(_LEN.size + len(head)) % _ALIGN)
    payload = _LEN.pack(len(head)) + head + b"".join(blobs)
    packed = lzma.compress(payload, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=9)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(MAGIC + _SIZE.pack(len(payload)) + packed)
    tmp.replace(path)


def read(path: Path) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]:
    """``(meta, arrays)``; raises FileNotFoundError, or ModelFormatError for anything unreadable."""
    try:
        payload = _unpack(path)
        (head_len,) = _LEN.unpack_from(payload)
        header = json.loads(payload[_LEN.size : _LEN.size + head_len])
    except (lzma.LZMAError, struct.error, ValueError, EOFError) as exc:
        raise ModelFormatError(f"{path} is damaged: {exc}") from None
    if not isinstance(header, dict) or header.get("format") not in READABLE:
        raise ModelFormatError(f"{path} has format {header.get('format')!r}, expected {FORMAT}")
    base = _LEN.size + head_len
    arrays: dict[str, npt.NDArray[Any]] = {}
    try:
        for name, spec in header["arrays"].items():
            start = base + int(spec["offset"])
            end = start + int(spec["nbytes"])
            if end > len(payload):
                raise ModelFormatError(f"{path}: array {name!r} runs past the end of the file")
            dtype = np.dtype(spec["dtype"])
            # A view into the payload, not a copy: loading holds the model's bytes once.
            arr = np.frombuffer(
                payload, dtype=dtype, count=(end - start) // dtype.itemsize, offset=start
            )
            arrays[name] = arr.reshape(spec["shape"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"{path}: bad array table: {exc}") from None
    meta = header.get("meta")
    if not isinstance(meta, dict):
        raise ModelFormatError(f"{path}: no metadata")
    return meta, arrays


def _unpack(path: Path) -> bytearray:
    """The decompressed payload, written into one buffer of the size the file announces, so that
    loading never holds much more than the model itself (a growing output buffer would double
    the peak)."""
    with path.open("rb") as f:
        head = f.read(len(MAGIC) + _SIZE.size)
        if len(head) < len(MAGIC) + _SIZE.size or not head.startswith(MAGIC):
            raise ModelFormatError(f"{path} is not a wirestream NER model (bad magic)")
        (size,) = _SIZE.unpack_from(head, len(MAGIC))
        if size > MAX_UNPACKED:
            raise ModelFormatError(f"{path} announces {size} bytes, more than {MAX_UNPACKED}")
        out = bytearray(size)
        dec = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        pos = 0
        while not dec.eof:
            chunk = f.read(_CHUNK) if dec.needs_input else b""
            if dec.needs_input and not chunk:
                raise ModelFormatError(f"{path} is truncated")
            piece = dec.decompress(chunk, max_length=_CHUNK)
            if pos + len(piece) > size:
                raise ModelFormatError(f"{path} holds more than the {size} bytes it announces")
            out[pos : pos + len(piece)] = piece
            pos += len(piece)
    if pos != size:
        raise ModelFormatError(f"{path} holds {pos} bytes, not the {size} it announces")
    return out


def pack_strings(items: list[str]) -> npt.NDArray[np.uint8]:
    """Strings as one UTF-8 byte array, newline-separated (no stored string holds a newline)."""
    if any("\n" in s for s in items):
        raise ValueError("a string to store holds a newline")
    return np.frombuffer("\n".join(items).encode("utf-8"), dtype=np.uint8)


def unpack_strings(arr: npt.NDArray[Any]) -> list[str]:
    text = arr.tobytes().decode("utf-8")
    return text.split("\n") if text else []
