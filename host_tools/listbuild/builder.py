"""Wire sets from keys, vectorized with numpy; byte-identical to ``firmware.core.fpset.encode_wire``.

Hashing stays one ``hashlib`` call per key (SHA-256 has no vector form in numpy);
everything after the digest (modulo, sorting, collision resolution, Rice coding) is
array work, in chunks, so a 5M-record list fits in a few hundred MB.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence

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

def raw_hashes(salt: bytes, keys: Sequence[str]) -> np.ndarray:
    """uint64: the first 8 bytes of SHA-256(salt || key), big-endian; a fingerprint is this
    modulo the set's universe (``firmware.core.fpset.fingerprint``). One core's work."""
    sha = hashlib.sha256
    digests = b"".join([sha(salt + k.encode("utf-8")).digest()[:8] for k in keys])
    return np.frombuffer(digests, dtype=">u8").astype(np.uint64)


OPEN_RANK = 1 << 20  # no end date outlasts every year


def resolve(values: np.ndarray, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ascending distinct fingerprints and each one's end year (the longest ban wins)."""
    if len(values) == 0:
        return values.astype(np.uint64), years.astype(np.int64)
    order = np.argsort(values, kind="stable")
    v = values[order]
    ranks = np.where(years == OPEN_END, OPEN_RANK, years).astype(np.int64)[order]
    starts = np.flatnonzero(np.concatenate([[True], v[1:] != v[:-1]]))
    if len(starts) < len(v):  # a value two keys share: the group keeps its longest ban
        ranks = np.maximum.reduceat(ranks, starts)
        v = v[starts]
    return v, np.where(ranks == OPEN_RANK, OPEN_END, ranks)


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
    gaps: np.ndarray = np.diff(values.astype(np.uint64), prepend=np.uint64(0))
    gaps[1:] -= np.uint64(1)  # v_i - v_(i-1) - 1; the first gap is v_0 - (-1) - 1 = v_0
    q = gaps >> np.uint64(p)
    r = gaps & np.uint64((1 << p) - 1)
    return p, _unary(q), _remainders(r, p)


def encode_set(hashes: np.ndarray, end_years: np.ndarray, universe: int, salt: bytes) -> tuple[bytes, dict[int, int]]:
    """The wire file of keys given by their ``raw_hashes`` and ban-end years (0 = none
    given), and the number of distinct fingerprints per end year."""
    if len(salt) != 16:
        raise ValueError("salt must be 16 bytes")
    v, y = resolve(hashes % np.uint64(universe), np.asarray(end_years, dtype=np.int64))
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

