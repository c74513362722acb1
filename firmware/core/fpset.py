"""The ban-list filter: a set of hashed fingerprints, Rice-coded on the wire, bucketed on the kiosk.

A key's *fingerprint* is ``SHA-256(salt || UTF-8 key)``, first 8 bytes big-endian,
modulo the set's *universe* U. A set of n distinct fingerprints drawn from U values
answers a non-member's lookup with "present" with probability at most n/U + n/2^64
(the second term bounds the modulo's bias), so U is what buys the false-alarm budget
(``firmware.core.budget``). Two forms, both specified byte by byte in
docs/filter-format.md:

- the **wire form** (``.gcs``, magic ``SGCS``): per ban-end class, the sorted
  fingerprints as Rice-coded gaps, unary parts and fixed-width remainders in two
  streams. About log2(U/n) + 1.5 bits a key, plus the class's share of the ban-end
  entropy: within a few per cent of the information limit. Never queried.
- the **expanded form** (``.fps``, magic ``SFPS``): what the kiosk memory-maps and
  queries. Fingerprints split into a bucket (the high bits) and a remainder (the low
  ``shift`` bits, ``width`` bytes big-endian); a bucket index of u32 start positions;
  one class byte per entry that names the entry's ban-end year. A lookup reads 8
  bytes of index and one small bucket, so it needs no RAM beyond that.

``FingerprintSet`` queries the expanded form from bytes, a memoryview, an mmap or a
seekable file (a microcontroller). ``encode_wire``, ``decode_wire`` and
``expand_wire`` are the reference codec in plain Python: the workstation and the kiosk
use numpy versions that must give the same bytes. Portable (MicroPython).
"""

import hashlib
import struct

TYPE_CHECKING = False  # typing is not imported on MicroPython: these names exist for the type checkers only
if TYPE_CHECKING:
    import mmap
    from collections.abc import Callable, Sequence
    from typing import BinaryIO

    from typing_extensions import TypeIs

    Bytes = bytes | bytearray | memoryview | mmap.mmap  # what a header or a wire set is read from
    Searchable = bytes | bytearray | mmap.mmap  # what an expanded set is queried in (a slice has find())
    Find = Callable[[str], int]

HASH_SCHEME = "sha256-mod-universe-v1"
WIRE_MAGIC = b"SGCS"
EXPANDED_MAGIC = b"SFPS"
VERSION = 1
HEADER_SIZE = 64
CLASS_RECORD_SIZE = 32
MAX_CLASSES = 255
MAX_UNIVERSE = 1 << 62  # keeps every sum of decoded gaps inside 64 bits
MAX_RICE = 56
OPEN_END = 0  # the end-year value of "no ban end given"

# magic, version, header size, classes, reserved, reserved, n, universe, salt, reserved x2
WIRE_HEADER = ">4sHHHHIQQ16sQQ"
# end year, rice parameter, reserved, reserved, count, unary bytes, remainder bytes
WIRE_CLASS = ">HBBIQQQ"
# magic, version, header size, width, shift, classes, flags, reserved, n, universe, buckets, salt, reserved
EXPANDED_HEADER = ">4sHHBBBBIQQQ16sQ"


class FilterError(Exception):
    """A filter file that cannot be used; ``field`` and ``offset`` say where."""

    def __init__(self, reason: str, field: "str | None" = None, offset: "int | None" = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.offset = offset

    def __str__(self) -> str:
        where = ""
        if self.field is not None:
            where = " (field %s" % self.field
            if self.offset is not None:
                where += ", byte %d" % self.offset
            where += ")"
        return self.reason + where


def fingerprint(salt: bytes, key: "str | bytes", universe: int) -> int:
    """The key's value in 0 .. universe-1."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    value = struct.unpack_from(">Q", hashlib.sha256(salt + key).digest())[0]  # type: int
    return value % universe


def bit_length(x: int) -> int:
    """``int.bit_length``, which MicroPython lacks."""
    n = 0
    while x >= 1 << 32:
        x >>= 32
        n += 32
    while x:
        x >>= 1
        n += 1
    return n


def rice_parameter(count: int, universe: int) -> int:
    """Bits of each gap stored verbatim: floor(log2(0.9624 * mean gap)), the optimum for
    geometric gaps (Kiely 2004); integer arithmetic so every implementation agrees."""
    if count <= 0:
        return 0
    mean = universe // count
    p = bit_length((mean * 9624) // 10000) - 1
    if p < 0:
        return 0
    return min(p, MAX_RICE)


def _pad8(n: int) -> int:
    return (n + 7) // 8 * 8


# --- expanded form: layout, header, query ------------------------------------------


def expanded_layout(n: int, universe: int, classes: int) -> "tuple[int, int, int, int, int, int, int]":
    """(shift, width, buckets, index offset, entries offset, codes offset, total size).

    ``shift`` makes a bucket hold 8 to 16 entries on average: small enough to scan,
    large enough that the index costs under half a byte an entry.
    """
    shift = bit_length(universe // max(n, 1)) + 3
    if shift > 62:
        shift = 62  # universes end at 2^62: one bucket
    width = (shift + 7) // 8
    buckets = ((universe - 1) >> shift) + 1
    index_at = HEADER_SIZE + _pad8(2 * classes)
    entries_at = index_at + 4 * (buckets + 1)
    codes_at = entries_at + width * n
    return shift, width, buckets, index_at, entries_at, codes_at, codes_at + n


def pack_expanded_header(n: int, universe: int, end_years: "Sequence[int]", salt: bytes) -> bytes:
    """The header and class table of an expanded set, laid out by ``expanded_layout``."""
    if len(salt) != 16:
        raise ValueError("salt must be 16 bytes")
    shift, width, buckets, index_at, _, _, _ = expanded_layout(n, universe, len(end_years))
    head = struct.pack(EXPANDED_HEADER, EXPANDED_MAGIC, VERSION, HEADER_SIZE, width, shift, len(end_years), 0, 0,
                       n, universe, buckets, salt, 0)
    years = b"".join([struct.pack(">H", y) for y in end_years])
    return head + years + bytes(index_at - HEADER_SIZE - len(years))


def _check_common(universe: int, n: int, classes: int, classes_offset: int) -> None:
    if not 1 <= universe <= MAX_UNIVERSE:
        raise FilterError("universe %d out of range 1-2^62" % universe, "universe", 24)
    if n > universe:
        raise FilterError("%d entries cannot be distinct in a universe of %d" % (n, universe), "n", 16)
    if n >= 1 << 32:
        raise FilterError("more than 2^32 - 1 entries", "n", 16)
    if not 1 <= classes <= MAX_CLASSES:
        raise FilterError("class count %d out of range 1-%d" % (classes, MAX_CLASSES), "classes", classes_offset)


def _check_year(year: int, field: str, offset: int) -> None:
    if year != OPEN_END and not 1900 <= year <= 9999:
        raise FilterError("end year %d out of range" % year, field, offset)


class ExpandedHeader:
    """The header and class table of an expanded set, checked field by field."""

    def __init__(self, n: int, universe: int, end_years: "list[int]", salt: bytes) -> None:
        self.n = n
        self.universe = universe
        self.end_years = end_years
        self.salt = salt
        (self.shift, self.width, self.buckets, self.index_at, self.entries_at, self.codes_at,
         self.size) = expanded_layout(n, universe, len(end_years))

    @classmethod
    def parse(cls, data: "Bytes", total_size: "int | None" = None) -> "ExpandedHeader":
        """The header of an expanded set, every field checked; FilterError says which and where."""
        if len(data) < HEADER_SIZE:
            raise FilterError("file too short for a set header (%d of %d bytes)" % (len(data), HEADER_SIZE),
                              "header", len(data))
        (magic, version, hsize, width, shift, classes, flags, _r, n, universe, buckets, salt,
         _r2) = struct.unpack(EXPANDED_HEADER, bytes(data[0:HEADER_SIZE]))
        if magic != EXPANDED_MAGIC:
            if magic == b"SBLF":
                raise FilterError("a Bloom filter of bundle format 1, which this kiosk no longer reads",
                                  "magic", 0)
            raise FilterError("not an expanded Safar set (bad magic)", "magic", 0)
        if version != VERSION:
            raise FilterError("unsupported set version %d" % version, "version", 4)
        if hsize != HEADER_SIZE:
            raise FilterError("unexpected header size %d" % hsize, "header_size", 6)
        if flags != 0:
            raise FilterError("unknown flags 0x%x" % flags, "flags", 11)
        _check_common(universe, n, classes, 10)
        table = HEADER_SIZE + 2 * classes
        if len(data) < table:
            raise FilterError("file too short for its class table", "classes", len(data))
        years = []  # type: list[int]
        for i in range(classes):
            y = struct.unpack(">H", bytes(data[HEADER_SIZE + 2 * i:HEADER_SIZE + 2 * i + 2]))[0]
            _check_year(y, "end_years[%d]" % i, HEADER_SIZE + 2 * i)
            years.append(y)
        header = cls(n, universe, years, bytes(salt))
        if (width, shift, buckets) != (header.width, header.shift, header.buckets):
            raise FilterError("width, shift or bucket count disagrees with the layout rule", "layout", 8)
        if total_size is not None and total_size != header.size:
            raise FilterError("file is %d bytes, header declares %d" % (total_size, header.size), "n", 16)
        return header


class FingerprintSet:
    """Lookups in an expanded set held in memory, memory-mapped, or in an open file.

    ``find(key)`` is the entry's class (an index into ``end_years``), or -1 when the key
    is absent. It is built as a closure over the layout: a lookup is the kiosk's hot
    path, and local names are what make it a few microseconds in CPython.
    """

    def __init__(self, source: "Searchable | BinaryIO", size: "int | None" = None) -> None:
        if _is_file(source):
            source.seek(0)
            head = source.read(HEADER_SIZE + 2 * MAX_CLASSES)  # type: Bytes
            if size is None:
                source.seek(0, 2)
                size = source.tell()
            self.header = ExpandedHeader.parse(head, size)
            self.find = _file_finder(self.header, _file_reader(source))  # type: Find
        else:
            head = source[0:HEADER_SIZE + 2 * MAX_CLASSES]
            if size is None:
                size = len(source)
            self.header = ExpandedHeader.parse(head, size)
            self.find = _buffer_finder(self.header, source)
        self.end_years = self.header.end_years

    def __contains__(self, key: str) -> bool:
        return self.find(key) != -1


def _is_file(source: "Searchable | BinaryIO") -> "TypeIs[BinaryIO]":
    """A seekable file rather than a buffer (duck-typed: MicroPython's files are no io.IOBase)."""
    return hasattr(source, "seek") and hasattr(source, "read") and not hasattr(source, "__getitem__")


def _entry_in(bucket: "Searchable", want: bytes, w: int) -> int:
    """Index of the w-byte entry ``want`` in a bucket's entries, or -1 (a match must be
    aligned: the bytes may also occur across two entries)."""
    p = bucket.find(want)
    while p != -1 and p % w:
        p = bucket.find(want, p + 1)
    return -1 if p == -1 else p // w


def _file_reader(f: "BinaryIO") -> "Callable[[int, int], bytes]":
    def read(pos: int, count: int) -> bytes:
        f.seek(pos)
        b = f.read(count)
        if len(b) != count:
            raise FilterError("set file truncated", "entries", pos)
        return b
    return read


def _buffer_finder(h: ExpandedHeader, buf: "Searchable") -> "Find":
    salt, universe, shift, w, index_at, entries_at, codes_at = (h.salt, h.universe, h.shift, h.width, h.index_at,
                                                                h.entries_at, h.codes_at)
    mask = (1 << h.shift) - 1
    sha256 = hashlib.sha256
    unpack_from = struct.unpack_from

    def find_in_buffer(key: str) -> int:
        v = unpack_from(">Q", sha256(salt + key.encode("utf-8")).digest())[0] % universe
        lo, hi = unpack_from("<II", buf, index_at + 4 * (v >> shift))
        if lo == hi:
            return -1
        i = _entry_in(buf[entries_at + w * lo:entries_at + w * hi], (v & mask).to_bytes(w, "big"), w)
        return -1 if i < 0 else buf[codes_at + lo + i]

    return find_in_buffer


def _file_finder(h: ExpandedHeader, read: "Callable[[int, int], bytes]") -> "Find":
    salt, universe, shift, w, index_at, entries_at, codes_at = (h.salt, h.universe, h.shift, h.width, h.index_at,
                                                                h.entries_at, h.codes_at)
    mask = (1 << h.shift) - 1
    sha256 = hashlib.sha256
    unpack = struct.unpack
    unpack_from = struct.unpack_from

    def find_in_file(key: str) -> int:
        v = unpack_from(">Q", sha256(salt + key.encode("utf-8")).digest())[0] % universe
        lo, hi = unpack("<II", read(index_at + 4 * (v >> shift), 8))
        if lo == hi:
            return -1
        i = _entry_in(read(entries_at + w * lo, w * (hi - lo)), (v & mask).to_bytes(w, "big"), w)
        return -1 if i < 0 else read(codes_at + lo + i, 1)[0]

    return find_in_file


# --- wire form: reference codec ----------------------------------------------------


class _BitWriter:
    def __init__(self) -> None:
        self.out = bytearray()
        self.acc = 0
        self.bits = 0

    def write(self, value: int, count: int) -> None:
        self.acc = (self.acc << count) | value
        self.bits += count
        while self.bits >= 8:
            self.bits -= 8
            self.out.append((self.acc >> self.bits) & 0xFF)
        self.acc &= (1 << self.bits) - 1

    def finish(self) -> bytes:
        if self.bits:
            self.out.append((self.acc << (8 - self.bits)) & 0xFF)
            self.acc = 0
            self.bits = 0
        return bytes(self.out)


def _encode_class(values: "Sequence[int]", p: int) -> "tuple[bytes, bytes]":
    unary = _BitWriter()
    rem = _BitWriter()
    prev = -1
    mask = (1 << p) - 1
    for v in values:
        gap = v - prev - 1
        q = gap >> p
        while q >= 24:
            unary.write(0, 24)
            q -= 24
        unary.write(1, q + 1)
        if p:
            rem.write(gap & mask, p)
        prev = v
    return unary.finish(), rem.finish()


def encode_wire(classes: "Sequence[tuple[int, Sequence[int]]]", universe: int, salt: bytes) -> bytes:
    """The wire form of ``classes``: a list of (end year, ascending distinct fingerprints).

    Fingerprints must be distinct across classes too (the builder gives a value that two
    keys share to one class)."""
    if len(salt) != 16:
        raise ValueError("salt must be 16 bytes")
    n = 0
    records = []  # type: list[bytes]
    streams = []  # type: list[bytes]
    for year, values in classes:
        p = rice_parameter(len(values), universe)
        unary, rem = _encode_class(values, p)
        records.append(struct.pack(WIRE_CLASS, year, p, 0, 0, len(values), len(unary), len(rem)))
        streams.append(unary)
        streams.append(rem)
        n += len(values)
    head = struct.pack(WIRE_HEADER, WIRE_MAGIC, VERSION, HEADER_SIZE, len(classes), 0, 0, n, universe, salt, 0, 0)
    return head + b"".join(records) + b"".join(streams)


class WireClass:
    """One class's record in a wire file: where its streams are and what they must hold."""

    def __init__(self, end_year: int, rice: int, count: int, unary_at: int, unary_bytes: int, remainder_at: int,
                 remainder_bytes: int) -> None:
        self.end_year = end_year
        self.rice = rice
        self.count = count
        self.unary_at = unary_at
        self.unary_bytes = unary_bytes
        self.remainder_at = remainder_at
        self.remainder_bytes = remainder_bytes


class WireHeader:
    """A wire file's header and class records, checked before anything is decoded, so
    the expanded size is known (and bounded) from the first few hundred bytes."""

    def __init__(self, n: int, universe: int, salt: bytes, classes: "list[WireClass]") -> None:
        self.n = n
        self.universe = universe
        self.salt = salt
        self.classes = classes
        self.end_years = [c.end_year for c in classes]
        self.expanded_size = expanded_layout(n, universe, len(classes))[6]

    @classmethod
    def parse(cls, data: "Bytes", total_size: int) -> "WireHeader":
        """The header and class records of a wire set, checked before any stream is decoded."""
        if len(data) < HEADER_SIZE:
            raise FilterError("file too short for a set header (%d of %d bytes)" % (len(data), HEADER_SIZE),
                              "header", len(data))
        magic, version, hsize, count, _r1, _r2, n, universe, salt, _r3, _r4 = struct.unpack(
            WIRE_HEADER, bytes(data[0:HEADER_SIZE]))
        if magic != WIRE_MAGIC:
            raise FilterError("not a Safar wire set (bad magic)", "magic", 0)
        if version != VERSION:
            raise FilterError("unsupported wire set version %d" % version, "version", 4)
        if hsize != HEADER_SIZE:
            raise FilterError("unexpected header size %d" % hsize, "header_size", 6)
        _check_common(universe, n, count, 8)
        at = HEADER_SIZE + CLASS_RECORD_SIZE * count
        if len(data) < at:
            raise FilterError("file too short for its %d class records" % count, "classes", len(data))
        classes = []  # type: list[WireClass]
        total = 0
        seen = {}  # type: dict[int, bool]
        for i in range(count):
            off = HEADER_SIZE + CLASS_RECORD_SIZE * i
            year, p, _a, _b, c, ub, rb = struct.unpack(WIRE_CLASS, bytes(data[off:off + CLASS_RECORD_SIZE]))
            where = "classes[%d]" % i
            _check_year(year, where + ".end_year", off)
            if year in seen:
                raise FilterError("end year %d has two classes" % year, where + ".end_year", off)
            seen[year] = True
            if p != rice_parameter(c, universe):
                raise FilterError("Rice parameter %d is not the one the rule gives" % p, where + ".rice", off + 2)
            if rb != (c * p + 7) // 8:
                raise FilterError("remainder stream of %d bytes for %d entries of %d bits" % (rb, c, p),
                                  where + ".remainder_bytes", off + 24)
            # every entry ends its unary code with a 1 bit: at least count bits, and at most
            # what the universe allows
            if ub * 8 < c or ub > (universe >> p) // 8 + c // 8 + 2:
                raise FilterError("unary stream of %d bytes cannot hold %d entries" % (ub, c),
                                  where + ".unary_bytes", off + 16)
            classes.append(WireClass(year, p, c, at, ub, at + ub, rb))
            at += ub + rb
            total += c
        if total != n:
            raise FilterError("class counts add up to %d, header says %d" % (total, n), "n", 16)
        if at != total_size:
            raise FilterError("file is %d bytes, its header and class records declare %d" % (total_size, at),
                              "classes", HEADER_SIZE)
        return cls(n, universe, bytes(salt), classes)


def _decode_class(data: "Bytes", c: WireClass, universe: int) -> "list[int]":
    """Ascending fingerprints of one class; raises FilterError on any inconsistency."""
    values = []  # type: list[int]
    p = c.rice
    unary = data[c.unary_at:c.unary_at + c.unary_bytes]
    rem = data[c.remainder_at:c.remainder_at + c.remainder_bytes]
    q = 0
    prev = -1
    rbit = 0
    for i in range(len(unary)):
        byte = unary[i]
        for j in range(8):
            bit = (byte >> (7 - j)) & 1
            if not bit:
                q += 1
                continue
            if len(values) == c.count:
                raise FilterError("more entries in the unary stream than the class declares",
                                  "unary", c.unary_at + i)
            r = 0
            for _ in range(p):
                r = (r << 1) | ((rem[rbit >> 3] >> (7 - (rbit & 7))) & 1)
                rbit += 1
            v = prev + 1 + ((q << p) | r)
            if v >= universe:
                raise FilterError("a fingerprint beyond the universe", "unary", c.unary_at + i)
            values.append(v)
            prev = v
            q = 0
    if len(values) != c.count:
        raise FilterError("%d entries decoded, the class declares %d" % (len(values), c.count),
                          "unary", c.unary_at + c.unary_bytes)
    if q >= 8:
        raise FilterError("padding after the last entry is longer than a byte", "unary", c.unary_at + c.unary_bytes)
    if rbit < 8 * len(rem) and (rem[-1] & ((1 << (8 * len(rem) - rbit)) - 1)):
        raise FilterError("remainder padding is not zero", "remainder", c.remainder_at + c.remainder_bytes - 1)
    return values


def decode_wire(data: "Bytes") -> "tuple[WireHeader, list[list[int]]]":
    """(WireHeader, [ascending fingerprints per class]) from a whole wire file."""
    header = WireHeader.parse(data, len(data))
    return header, [_decode_class(data, c, header.universe) for c in header.classes]


def expand_wire(data: "Bytes") -> bytes:
    """The expanded form of a wire file (reference; the kiosk uses a numpy expander)."""
    header, per_class = decode_wire(data)
    merged = []  # type: list[tuple[int, int]]
    for code in range(len(per_class)):
        for v in per_class[code]:
            merged.append((v, code))
    merged.sort()
    for i in range(1, len(merged)):
        if merged[i][0] == merged[i - 1][0]:
            raise FilterError("a fingerprint appears in two classes", "classes", HEADER_SIZE)
    n = len(merged)
    shift, width, buckets, _, _, _, _ = expanded_layout(n, header.universe, len(per_class))
    index = []  # type: list[int]
    j = 0
    for b in range(buckets + 1):
        while j < n and (merged[j][0] >> shift) < b:
            j += 1
        index.append(j)
    mask = (1 << shift) - 1
    out = [pack_expanded_header(n, header.universe, header.end_years, header.salt)]
    out.append(b"".join([struct.pack("<I", i) for i in index]))
    out.append(b"".join([(v & mask).to_bytes(width, "big") for v, _ in merged]))
    out.append(bytes([code for _, code in merged]))
    return b"".join(out)
