"""Wire set -> expanded set, vectorized with numpy; byte-identical to ``firmware.core.fpset.expand_wire``.

The wire file's header and class records fix the expanded size before a single entry
is decoded, so a file that would expand beyond what the signed manifest declares is
refused without writing anything (no decompression bombs). Every stream is checked on
the way: entry counts, padding, values inside the universe, no value in two classes.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

import numpy as np

from firmware.core.fpset import FilterError, WireClass, WireHeader, expanded_layout, pack_expanded_header

CHUNK = 1 << 20  # entries per chunk when unpacking remainders and writing entries


class Sink(Protocol):
    """Where the expanded set goes: a file opened for writing, or anything that counts."""

    def write(self, data: bytes, /) -> int: ...

    def tell(self) -> int: ...


def _unary_ends(stream: np.ndarray, c: WireClass) -> np.ndarray:
    """Bit positions of the 1s that end each entry's unary code."""
    ends = np.flatnonzero(np.unpackbits(stream)).astype(np.uint64)
    if len(ends) != c.count:
        raise FilterError(f"{len(ends)} entries in the unary stream, the class declares {c.count}",
                          "unary", c.unary_at)
    last = int(ends[-1]) + 1 if len(ends) else 0
    if (last + 7) // 8 != c.unary_bytes:
        raise FilterError("padding after the last entry is longer than a byte", "unary",
                          c.unary_at + c.unary_bytes)
    return ends


def _remainders(stream: np.ndarray, c: WireClass) -> np.ndarray:
    p = c.rice
    if p == 0 or c.count == 0:
        return np.zeros(c.count, dtype=np.uint64)
    padded = np.concatenate([stream, np.zeros(8, dtype=np.uint8)])
    out = np.empty(c.count, dtype=np.uint64)
    mask = np.uint64((1 << p) - 1)
    for start in range(0, c.count, CHUNK):
        idx = np.arange(start, min(start + CHUNK, c.count), dtype=np.uint64) * np.uint64(p)
        byte = (idx >> np.uint64(3)).astype(np.int64)
        window = np.zeros(len(idx), dtype=np.uint64)
        for j in range(8):
            window = (window << np.uint64(8)) | padded[byte + j].astype(np.uint64)
        shift = np.uint64(64 - p) - (idx & np.uint64(7))
        out[start:start + len(idx)] = (window >> shift) & mask
    used = c.count * p
    if used % 8 and int(stream[-1]) & ((1 << (8 - used % 8)) - 1):
        raise FilterError("remainder padding is not zero", "remainder", c.remainder_at + c.remainder_bytes - 1)
    return out


def decode_class(data: bytes, c: WireClass, universe: int) -> np.ndarray:
    """Ascending fingerprints of one class."""
    if c.count == 0:
        if c.unary_bytes or c.remainder_bytes:
            raise FilterError("an empty class with stream bytes", "unary", c.unary_at)
        return np.zeros(0, dtype=np.uint64)
    unary = np.frombuffer(data, dtype=np.uint8, count=c.unary_bytes, offset=c.unary_at)
    rem = np.frombuffer(data, dtype=np.uint8, count=c.remainder_bytes, offset=c.remainder_at)
    ends = _unary_ends(unary, c)
    q = np.diff(ends, prepend=np.uint64(0))
    q[1:] -= np.uint64(1)  # zeros before each entry's 1 bit
    gaps = (q << np.uint64(c.rice)) | _remainders(rem, c)
    values = np.cumsum(gaps + np.uint64(1)) - np.uint64(1)
    if int(values[-1]) >= universe:
        raise FilterError("a fingerprint beyond the universe", "unary", c.unary_at)
    return values


def expand(data: bytes, out: Sink, max_size: int) -> tuple[WireHeader, str]:
    """Writes the expanded set of the wire file ``data`` to ``out``; returns the header and
    the expanded bytes' SHA-256. Raises FilterError (nothing is written) when the file
    is inconsistent or would expand beyond ``max_size`` bytes."""
    header = WireHeader.parse(data, len(data))
    if header.expanded_size > max_size:
        raise FilterError(f"expands to {header.expanded_size} bytes, more than the declared {max_size} "
                          "(decompression bomb?)", "n", 16)
    per_class = [decode_class(data, c, header.universe) for c in header.classes]
    values = np.concatenate(per_class) if per_class else np.zeros(0, dtype=np.uint64)
    codes = np.concatenate([np.full(len(v), i, dtype=np.uint8) for i, v in enumerate(per_class)])
    del per_class
    order = np.argsort(values, kind="stable")
    values, codes = values[order], codes[order]
    del order
    if len(values) > 1 and not bool(np.all(values[1:] > values[:-1])):
        raise FilterError("a fingerprint appears in two classes", "classes", 64)
    n = len(values)
    shift, width, buckets, _, _, _, size = expanded_layout(n, header.universe, len(header.classes))
    digest = hashlib.sha256()

    def write(b: bytes) -> None:
        digest.update(b)
        out.write(b)

    write(pack_expanded_header(n, header.universe, header.end_years, header.salt))
    step = 1 << 22
    for start in range(0, buckets + 1, step):
        wanted = np.arange(start, min(start + step, buckets + 1), dtype=np.uint64) << np.uint64(shift)
        write(np.searchsorted(values, wanted, side="left").astype("<u4").tobytes())
    mask = np.uint64((1 << shift) - 1)
    for start in range(0, n, CHUNK):
        low = (values[start:start + CHUNK] & mask).astype(">u8")
        write(low.view(np.uint8).reshape(-1, 8)[:, 8 - width:].tobytes())
    write(codes.tobytes())
    if out.tell() != size:  # the layout rule and the writer disagree: a bug, never a bad file
        raise AssertionError(f"expanded {out.tell()} bytes, layout says {size}")
    return header, digest.hexdigest()
