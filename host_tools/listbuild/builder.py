"""Filters from keys, vectorized with numpy; bit-identical to ``firmware.core.bloom.build``.

Hashing stays one ``hashlib`` call per key (SHA-256 has no vector form in numpy);
everything after the digest (double hashing, modulo, setting bits) is array work,
in chunks so a 5M-record list fits in a few hundred MB.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np

from firmware.core.bloom import pack_header

CHUNK = 200_000


def hash_pairs(salt: bytes, keys: Sequence[str]) -> np.ndarray:
    """(n, 2) uint64: h1 and h2|1 of each key, as ``firmware.core.bloom.key_hashes``."""
    sha = hashlib.sha256
    base = sha(salt)
    digests = []
    for key in keys:
        h = base.copy()
        h.update(key.encode("utf-8"))
        digests.append(h.digest()[:16])
    pairs = np.frombuffer(b"".join(digests), dtype="<u8").reshape(-1, 2).astype(np.uint64)
    pairs[:, 1] |= np.uint64(1)
    return pairs


def set_bits(bits: np.ndarray, pairs: np.ndarray, k: int, m: int) -> None:
    """Sets the k bits of each key in ``bits`` (uint8, LSB-first)."""
    h1, h2 = pairs[:, 0], pairs[:, 1]
    mm = np.uint64(m)
    with np.errstate(over="ignore"):
        for i in range(k):
            idx = (h1 + np.uint64(i) * h2) % mm
            np.bitwise_or.at(bits, idx >> np.uint64(3),
                             np.left_shift(np.uint8(1), (idx & np.uint64(7)).astype(np.uint8)))


def build_filter(keys: Sequence[str], k: int, m: int, end_year: int, salt: bytes,
                 progress: Callable[[int], None] | None = None) -> bytes:
    """Header + bits for ``keys``; same bytes as the reference builder."""
    bits = np.zeros((m + 7) // 8, dtype=np.uint8)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        set_bits(bits, hash_pairs(salt, chunk), k, m)
        if progress is not None:
            progress(len(chunk))
    return pack_header(k, m, len(keys), end_year, salt) + bits.tobytes()
