"""Wire sets from keys, vectorized with numpy; byte-identical to ``firmware.core.fpset.encode_wire``.

Hashing stays one ``hashlib`` call per key (SHA-256 has no vector form in numpy);
everything after the digest (modulo, sorting, collision resolution, Rice coding) is
array work, in chunks, so a 5M-record list fits in a few hundred MB.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Sequence

import numpy as np

from firmware.core.fpset import (
    HEADER_SIZE,
    OPEN_END,
    VERSION,
    WIRE_CLASS,
    WIRE_HEADER,
    WIRE_MAGIC,
    rice_parameter,
)

CHUNK = 1 << 20  # entries per chunk of remainder packing (a multiple of 8)


def fingerprints(salt: bytes, keys: Sequence[str], universe: int,
                 progress: Callable[[int], None] | None = None) -> np.ndarray:
    """uint64 fingerprints of ``keys``, as ``firmware.core.fpset.fingerprint``."""
    base = hashlib.sha256(salt)
    out = np.empty(len(keys), dtype=np.uint64)
    step = 200_000
    for start in range(0, len(keys), step):
        digests = []
        for key in keys[start:start + step]:
            h = base.copy()
            h.update(key.encode("utf-8"))
            digests.append(h.digest()[:8])
        chunk = np.frombuffer(b"".join(digests), dtype=">u8").astype(np.uint64)
        out[start:start + len(chunk)] = chunk % np.uint64(universe)
        if progress is not None:
            progress(len(chunk))
    return out


def class_rank(end_year: int) -> int:
    """Which class a fingerprint shared by two keys goes to: the longer ban (no end date
    is the longest), so a collision can never hide a ban that is still running."""
    return 1 << 20 if end_year == OPEN_END else end_year


def resolve(values: np.ndarray, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ascending distinct fingerprints and each one's end year (the longest ban wins)."""
    if len(values) == 0:
        return values.astype(np.uint64), years.astype(np.int64)
    ranks = np.where(years == OPEN_END, 1 << 20, years).astype(np.int64)
    order = np.lexsort((-ranks, values))
    v, y = values[order], years[order]
    keep = np.ones(len(v), dtype=bool)
    keep[1:] = v[1:] != v[:-1]
    return v[keep], y[keep]


def _unary(q: np.ndarray) -> bytes:
    if len(q) == 0:
        return b""
    ends = np.cumsum(q.astype(np.uint64) + np.uint64(1)) - np.uint64(1)
    nbits = int(ends[-1]) + 1
    bits = np.zeros((nbits + 7) // 8 * 8, dtype=np.uint8)
    bits[ends.astype(np.int64)] = 1
    return np.packbits(bits).tobytes()


def _remainders(r: np.ndarray, p: int) -> bytes:
    if p == 0 or len(r) == 0:
        return b""
    shifts = np.arange(p - 1, -1, -1, dtype=np.uint64)
    parts = []
    for start in range(0, len(r), CHUNK):
        chunk = r[start:start + CHUNK]
        bits = ((chunk[:, None] >> shifts) & np.uint64(1)).astype(np.uint8)
        parts.append(bits.reshape(-1))
    flat = np.concatenate(parts)
    return np.packbits(flat).tobytes()  # packbits pads the last byte with zeros


def encode_class(values: np.ndarray, universe: int) -> tuple[int, bytes, bytes]:
    """(Rice parameter, unary stream, remainder stream) of ascending distinct values."""
    p = rice_parameter(len(values), universe)
    if len(values) == 0:
        return p, b"", b""
    gaps = np.diff(values.astype(np.uint64), prepend=np.uint64(0))
    gaps[1:] -= np.uint64(1)  # v_i - v_(i-1) - 1; the first gap is v_0 - (-1) - 1 = v_0
    q = gaps >> np.uint64(p)
    r = gaps & np.uint64((1 << p) - 1)
    return p, _unary(q), _remainders(r, p)


def build_wire(keys: Sequence[str], end_years: Sequence[int], universe: int, salt: bytes,
               progress: Callable[[int], None] | None = None) -> tuple[bytes, dict[int, int]]:
    """The wire file for ``keys`` (each with its ban-end year, 0 = none given) and the
    number of distinct fingerprints per end year."""
    if len(salt) != 16:
        raise ValueError("salt must be 16 bytes")
    values = fingerprints(salt, keys, universe, progress)
    v, y = resolve(values, np.asarray(end_years, dtype=np.int64))
    classes = sorted(set(int(x) for x in np.unique(y))) if len(y) else [OPEN_END]
    records = []
    streams = []
    counts: dict[int, int] = {}
    for year in classes:
        members = v[y == year]
        p, unary, rem = encode_class(members, universe)
        records.append(struct.pack(WIRE_CLASS, year, p, 0, 0, len(members), len(unary), len(rem)))
        streams += [unary, rem]
        counts[year] = len(members)
    head = struct.pack(WIRE_HEADER, WIRE_MAGIC, VERSION, HEADER_SIZE, len(classes), 0, 0, len(v), universe,
                       salt, 0, 0)
    return head + b"".join(records) + b"".join(streams), counts
