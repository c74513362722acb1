"""Service-port frames, pure (bytes in, frames out), with a self-syncing bounded decoder.

A frame::

    MAGIC "\\xa5SP" | type u8 | length u32 LE | payload (length bytes) | crc32 u32 LE

The CRC-32 (zlib) covers type, length and payload. The decoder looks for MAGIC, checks
the length bound and the CRC, and on any mismatch drops one byte and searches again, so
line noise, a half-sent frame or a reconnect mid-frame cost at most that frame. Control
payloads are UTF-8 JSON objects; DATA is binary (``pack_data``). See docs/trust.md §7.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass
from typing import Any

MAGIC = b"\xa5SP"
HEADER = struct.Struct("<3sBI")
CRC = struct.Struct("<I")
MAX_PAYLOAD = 64 * 1024 + 1024
CHUNK = 32 * 1024  # DATA bytes per frame

HELLO, INFO, BEGIN, READY, DATA, ACK, COMMIT, RESULT, ERROR = range(1, 10)
NAMES = {HELLO: "HELLO", INFO: "INFO", BEGIN: "BEGIN", READY: "READY", DATA: "DATA", ACK: "ACK",
         COMMIT: "COMMIT", RESULT: "RESULT", ERROR: "ERROR"}
_DATA_HEAD = struct.Struct("<HQ")


class ServicePortError(Exception):
    """A well-formed frame with content that breaks the protocol."""


@dataclass(frozen=True)
class ServiceFrame:
    """One checked frame: its type (``HELLO`` ... ``ERROR``) and payload."""

    type: int
    payload: bytes

    def json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ServicePortError(f"{NAMES.get(self.type, self.type)} payload is not JSON") from None
        if not isinstance(value, dict):
            raise ServicePortError(f"{NAMES.get(self.type, self.type)} payload is not a JSON object")
        return value


def encode(ftype: int, payload: bytes = b"") -> bytes:
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes is over the limit of {MAX_PAYLOAD}")
    head = HEADER.pack(MAGIC, ftype, len(payload))
    return head + payload + CRC.pack(zlib.crc32(head[3:] + payload))


def encode_json(ftype: int, obj: dict[str, Any]) -> bytes:
    return encode(ftype, json.dumps(obj, separators=(",", ":"), sort_keys=True).encode("utf-8"))


def pack_data(name: str, offset: int, data: bytes) -> bytes:
    raw = name.encode("utf-8")
    return encode(DATA, _DATA_HEAD.pack(len(raw), offset) + raw + data)


def unpack_data(payload: bytes) -> tuple[str, int, bytes]:
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
    """Feed bytes, get whole frames; garbage is skipped, bad frames counted, memory stays bounded."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.bad_frames = 0

    def feed(self, data: bytes) -> list[ServiceFrame]:
        self._buf += data
        frames: list[ServiceFrame] = []
        while True:
            i = self._buf.find(MAGIC)
            if i < 0:
                keep = len(MAGIC) - 1  # a MAGIC may be split across reads
                del self._buf[:max(0, len(self._buf) - keep)]
                return frames
            if i:
                del self._buf[:i]
            if len(self._buf) < HEADER.size:
                return frames
            _, ftype, length = HEADER.unpack_from(self._buf)
            if length > MAX_PAYLOAD or ftype not in NAMES:
                self._resync()
                continue
            end = HEADER.size + length + CRC.size
            if len(self._buf) < end:
                return frames
            payload = bytes(self._buf[HEADER.size:HEADER.size + length])
            (crc,) = CRC.unpack_from(self._buf, HEADER.size + length)
            if crc != zlib.crc32(bytes(self._buf[3:HEADER.size]) + payload):
                self._resync()
                continue
            del self._buf[:end]
            frames.append(ServiceFrame(ftype, payload))

    def _resync(self) -> None:
        self.bad_frames += 1
        del self._buf[:1]
