"""The ban-list filter: a Bloom filter over salted SHA-256 hashes, queried in place.

The kiosk never loads a filter whole: ``BloomFilter`` reads single bytes from
anything indexable (bytes, memoryview, mmap) or from a seekable file, so a
100 MB filter costs a few kilobytes of RAM on a Pi or a microcontroller.
The byte layout is specified in docs/filter-format.md. Portable (MicroPython).
"""

import hashlib
import math
import struct

MAGIC = b"SBLF"
VERSION = 1
HEADER_SIZE = 64
HASH_SCHEME = "sha256-salted-double-v1"
# magic, version, header size, k, flags, m, n, end year, reserved, salt, reserved
HEADER_FORMAT = "<4sHHIIQQII16sQ"
MASK64 = 0xFFFFFFFFFFFFFFFF
MAX_HASHES = 64


class FilterError(Exception):
    """A filter file that cannot be used; ``field`` and ``offset`` say where."""

    def __init__(self, reason, field=None, offset=None):
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.offset = offset

    def __str__(self):
        where = ""
        if self.field is not None:
            where = " (field %s" % self.field
            if self.offset is not None:
                where += ", byte %d" % self.offset
            where += ")"
        return self.reason + where


def optimal_parameters(n, fp_rate):
    """Bits and hash count for ``n`` keys at a false-positive rate: the textbook m and k."""
    if not 0 < fp_rate < 1:
        raise ValueError("false-positive rate must be between 0 and 1")
    n = max(1, n)
    ln2 = math.log(2)
    m = int(math.ceil(-n * math.log(fp_rate) / (ln2 * ln2)))
    m = max(64, (m + 7) // 8 * 8)
    k = max(1, min(MAX_HASHES, int(round(m / n * ln2))))
    return m, k


def expected_fp_rate(m, k, n):
    """The false-positive rate of a filter with m bits, k hashes and n keys."""
    if n == 0:
        return 0.0
    return (1.0 - math.exp(-k * n / m)) ** k


def key_hashes(salt, key):
    """The two 64-bit hashes of a key: SHA-256(salt || UTF-8 key), bytes 0-7 and 8-15 LE."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    d = hashlib.sha256(salt + key).digest()
    h1, h2 = struct.unpack("<QQ", d[0:16])
    return h1, h2 | 1


def bit_indexes(salt, key, k, m):
    """The k bit positions of a key: ((h1 + i*h2) mod 2^64) mod m."""
    h1, h2 = key_hashes(salt, key)
    return [((h1 + i * h2) & MASK64) % m for i in range(k)]


def pack_header(k, m, n, end_year, salt):
    if len(salt) != 16:
        raise ValueError("salt must be 16 bytes")
    return struct.pack(HEADER_FORMAT, MAGIC, VERSION, HEADER_SIZE, k, 0, m, n, end_year, 0, salt, 0)


class FilterHeader:
    """The 64-byte header, checked field by field."""

    def __init__(self, k, m, n, end_year, salt):
        self.k = k
        self.m = m
        self.n = n
        self.end_year = end_year
        self.salt = salt

    @property
    def body_size(self):
        return (self.m + 7) // 8

    @classmethod
    def parse(cls, data, total_size=None):
        if len(data) < HEADER_SIZE:
            raise FilterError("file too short for a filter header (%d of %d bytes)" % (len(data), HEADER_SIZE),
                              "header", len(data))
        magic, version, hsize, k, flags, m, n, end_year, _r1, salt, _r2 = struct.unpack(
            HEADER_FORMAT, bytes(data[0:HEADER_SIZE]))
        if magic != MAGIC:
            raise FilterError("not a Safar filter (bad magic)", "magic", 0)
        if version != VERSION:
            raise FilterError("unsupported filter version %d" % version, "version", 4)
        if hsize != HEADER_SIZE:
            raise FilterError("unexpected header size %d" % hsize, "header_size", 6)
        if not 1 <= k <= MAX_HASHES:
            raise FilterError("hash count %d out of range 1-%d" % (k, MAX_HASHES), "k", 8)
        if flags != 0:
            raise FilterError("unknown flags 0x%x" % flags, "flags", 12)
        if m < 8 or m % 8:
            raise FilterError("bit count %d is not a positive multiple of 8" % m, "m", 16)
        if end_year != 0 and not 1900 <= end_year <= 9999:
            raise FilterError("end year %d out of range" % end_year, "end_year", 32)
        header = cls(k, m, n, end_year, bytes(salt))
        if total_size is not None and total_size != HEADER_SIZE + header.body_size:
            raise FilterError("file is %d bytes, header declares %d" % (total_size, HEADER_SIZE + header.body_size),
                              "m", 16)
        return header


class BloomFilter:
    """Membership queries on a filter held in memory, memory-mapped, or in an open file."""

    def __init__(self, source, size=None):
        # source: bytes-like (indexable) or a binary file object with seek/read
        self._file = None
        self._buf = None
        if hasattr(source, "seek") and hasattr(source, "read") and not hasattr(source, "__getitem__"):
            self._file = source
            source.seek(0)
            head = source.read(HEADER_SIZE)
            if size is None:
                source.seek(0, 2)
                size = source.tell()
        else:
            self._buf = source
            head = source[0:HEADER_SIZE]
            if size is None:
                size = len(source)
        self.header = FilterHeader.parse(head, size)

    def _byte(self, pos):
        if self._buf is not None:
            return self._buf[HEADER_SIZE + pos]
        f = self._file
        f.seek(HEADER_SIZE + pos)
        b = f.read(1)
        if len(b) != 1:
            raise FilterError("filter file truncated", "bits", HEADER_SIZE + pos)
        return b[0]

    def __contains__(self, key):
        h = self.header
        for i in bit_indexes(h.salt, key, h.k, h.m):
            if not (self._byte(i >> 3) >> (i & 7)) & 1:
                return False
        return True

    def contains(self, key):
        return key in self


def build(keys, k, m, end_year, salt):
    """Reference builder (pure Python): header + bits, LSB-first within each byte.

    The workstation uses a vectorized builder that must produce the same bytes.
    """
    bits = bytearray((m + 7) // 8)
    n = 0
    for key in keys:
        n += 1
        for i in bit_indexes(salt, key, k, m):
            bits[i >> 3] |= 1 << (i & 7)
    return pack_header(k, m, n, end_year, salt) + bytes(bits)
