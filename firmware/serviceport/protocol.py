"""Service-port frames, pure (bytes in, frames out), with a self-syncing bounded decoder.

A frame::

    MAGIC "\\xa5SP" | type u8 | length u32 LE | payload (length bytes) | crc32 u32 LE

The CRC-32 (zlib) covers type, length and payload. The decoder looks for MAGIC, checks
the length against its type's bound and the CRC, and on any mismatch drops one byte and
searches again. The length field is not trusted to arrive: a sender writes a frame in
one go, so a partial frame the line has been quiet on for ``IDLE_TIMEOUT`` (a pulled
cable, a bit flip that grew the length) is abandoned and its bytes searched for the
next frame. Line noise, a half-sent frame or a reconnect mid-frame cost at most that
frame. The caller passes the time, so the decoder stays pure. Control payloads are UTF-8
JSON objects (read as untrusted JSON); DATA is binary (``pack_data``). See docs/trust.md §7.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from firmware.untrusted_json import UntrustedJSONError, loads

MAGIC = b"\xa5SP"
HEADER = struct.Struct("<3sBI")
CRC = struct.Struct("<I")
MAX_PAYLOAD = 64 * 1024 + 1024
CHUNK = 32 * 1024  # DATA bytes per frame

# a frame's bytes follow each other at line speed; this much quiet means the rest is not coming
IDLE_TIMEOUT = 1.0

HELLO, INFO, BEGIN, READY, DATA, ACK, COMMIT, RESULT, ERROR = range(1, 10)
NAMES = {HELLO: "HELLO", INFO: "INFO", BEGIN: "BEGIN", READY: "READY", DATA: "DATA", ACK: "ACK",
         COMMIT: "COMMIT", RESULT: "RESULT", ERROR: "ERROR"}
# the longest payload each type can carry: a flipped bit in a length is caught before waiting for it
MAX_LENGTH = {HELLO: 1024, INFO: 4096, BEGIN: MAX_PAYLOAD, READY: MAX_PAYLOAD, DATA: CHUNK + 1024, ACK: 1024,
              COMMIT: 1024, RESULT: MAX_PAYLOAD, ERROR: MAX_PAYLOAD}
_DATA_HEAD = struct.Struct("<HQ")


class ServicePortError(Exception):
    """A well-formed frame with content that breaks the protocol."""


@dataclass(frozen=True)
class ServiceFrame:
    """One checked frame: its type (``HELLO`` ... ``ERROR``) and payload."""

    type: int
    payload: bytes

    @property
    def crc(self) -> int:
        """The frame's CRC, by which a refusal names the frame it refuses."""
        return zlib.crc32(HEADER.pack(MAGIC, self.type, len(self.payload))[len(MAGIC):] + self.payload)

    def json(self) -> dict[str, Any]:
        """The payload as a JSON object, read with the bounded reader: the peer is not trusted yet."""
        try:
            value = loads(self.payload, max_bytes=MAX_LENGTH.get(self.type, MAX_PAYLOAD))
        except UntrustedJSONError as e:
            raise ServicePortError(f"{NAMES.get(self.type, self.type)} payload: {e}") from None
        if not isinstance(value, dict):
            raise ServicePortError(f"{NAMES.get(self.type, self.type)} payload is not a JSON object")
        return value


def frame_crc(frame: bytes) -> int:
    """The CRC an encoded frame ends in: how an ERROR names the frame it refuses."""
    (crc,) = CRC.unpack_from(frame, len(frame) - CRC.size)
    return int(crc)


def encode(ftype: int, payload: bytes = b"") -> bytes:
    """Raises ValueError for a frame the other side would drop (over its type's bound)."""
    limit = MAX_LENGTH.get(ftype, MAX_PAYLOAD)
    if len(payload) > limit:
        raise ValueError(f"{NAMES.get(ftype, ftype)} payload of {len(payload)} bytes is over the limit of {limit}")
    head = HEADER.pack(MAGIC, ftype, len(payload))
    return head + payload + CRC.pack(zlib.crc32(head[3:] + payload))


def encode_json(ftype: int, obj: dict[str, Any]) -> bytes:
    """A frame whose payload is ``obj`` as compact, key-sorted JSON (the same bytes every time)."""
    return encode(ftype, json.dumps(obj, separators=(",", ":"), sort_keys=True).encode("utf-8"))


def pack_data(name: str, offset: int, data: bytes) -> bytes:
    """A DATA frame: ``data`` for file ``name`` at ``offset``, so a lost frame can be sent again."""
    raw = name.encode("utf-8")
    return encode(DATA, _DATA_HEAD.pack(len(raw), offset) + raw + data)


def unpack_data(payload: bytes) -> tuple[str, int, bytes]:
    """(name, offset, data) of a DATA payload; ServicePortError when it is malformed."""
    if len(payload) < _DATA_HEAD.size:
        raise ServicePortError("DATA frame too short")
    n, offset = _DATA_HEAD.unpack_from(payload)
    start = _DATA_HEAD.size
    if len(payload) < start + n:
        raise ServicePortError("DATA frame name runs past the frame")
    try:
        name = payload[start:start + n].decode("utf-8")
    except UnicodeDecodeError:
        raise ServicePortError("DATA file name is not UTF-8") from None
    return name, offset, payload[start + n:]


class Decoder:
    """Feed bytes and the time, get whole frames; garbage is skipped, bad frames counted, memory stays bounded."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._last_byte = 0.0
        self.bad_frames = 0

    def feed(self, data: bytes, now: float) -> list[ServiceFrame]:
        """``now``: seconds on any monotonic clock; call it on quiet reads too, so a cut frame is let go."""
        frames: list[ServiceFrame] = []
        if self._buf and now - self._last_byte >= IDLE_TIMEOUT:
            frames += self._frames(stale=True)
        if data:
            self._buf += data
            self._last_byte = now
            frames += self._frames(stale=False)
        return frames

    def _frames(self, stale: bool) -> list[ServiceFrame]:
        """The whole frames in the buffer; when ``stale`` no more bytes are coming, so a partial frame is garbage."""
        frames: list[ServiceFrame] = []
        while True:
            i = self._buf.find(MAGIC)
            if i < 0:
                keep = 0 if stale else len(MAGIC) - 1  # a MAGIC may be split across reads
                del self._buf[:max(0, len(self._buf) - keep)]
                return frames
            if i:
                del self._buf[:i]
            if len(self._buf) < HEADER.size:
                if stale:
                    self._resync()
                    continue
                return frames
            _, ftype, length = HEADER.unpack_from(self._buf)
            if length > MAX_LENGTH.get(ftype, -1):
                self._resync()
                continue
            end = HEADER.size + length + CRC.size
            if len(self._buf) < end:
                if stale:
                    self._resync()
                    continue
                return frames
            payload = bytes(self._buf[HEADER.size:HEADER.size + length])
            (crc,) = CRC.unpack_from(self._buf, HEADER.size + length)
            frame = ServiceFrame(ftype, payload)
            if crc != frame.crc:
                self._resync()
                continue
            del self._buf[:end]
            frames.append(frame)

    def _resync(self) -> None:
        """Drop the byte a false or broken frame starts at; the search goes on from the next."""
        self.bad_frames += 1
        del self._buf[:1]
