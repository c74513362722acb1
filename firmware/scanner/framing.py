"""Byte framing of MRZ scanners: encoders and one incremental, self-syncing decoder.

Pure (no I/O, no clock): the link feeds whatever bytes the serial port gave and
calls ``flush_timeout()`` after an inter-byte silence.  The decoder recognises,
frame by frame, three framings seen on desk MRZ readers:

``plain``
    MRZ lines separated by CR, LF or CRLF.  A blank line, any byte that is neither
    an MRZ character nor a line end, a start marker of another framing, or an
    inter-byte timeout ends the document.  Only 2 or 3 lines of 30/36/44 characters
    of ``[A-Z0-9<]`` make a frame (3 lines for width 30, 2 for 36 and 44); anything
    else is garbage.  MRZ characters glued in front of the first line (noise ending
    without a line break) are cut off: the first line keeps its last *width*
    characters, where the width comes from the last line.

``accessis`` (Access-IS style)
    ``FS(0x1C) STX(0x02) line CR line CR [line CR] ETX(0x03) GS(0x1D)``.  The body
    may hold only MRZ characters and line ends, and no blank line.

``rte`` (3M/Thales RTE native)
    ``SOH(0x01) LEN_LO LEN_HI 'O' 'U' STX flag line1 CR line2 CR line3 CR ETX BCC``.
    Our choices, where the public descriptions are vague:

    * LEN is little-endian; only its low 14 bits count (the top two are masked).
      It counts the bytes from ``'O'`` through ``ETX`` inclusive, so a whole frame
      is ``LEN + 4`` bytes (SOH, two length bytes, the counted bytes, BCC).
    * ``flag`` is a reader status byte; the decoder ignores its value and the
      encoder writes 0x00.
    * Always three CR-terminated lines; a 2-line zone is sent with an empty first
      line.  Lines may be padded with ``'_'`` (the encoder pads to 44), which the
      decoder strips.
    * ``BCC`` is the XOR of every byte from the first length byte through ``ETX``.

Robustness rules (why: the serial line is the kiosk's only untrusted input):

* bytes may arrive split anywhere; state survives between ``feed`` calls;
* anything that does not start or continue a frame is counted as garbage and
  skipped; a candidate frame that turns out wrong is abandoned and the bytes after
  its first byte are scanned again, so a false start in noise never hides the real
  frame behind it;
* a frame is at most ``max_frame`` (512) bytes: longer ones, and RTE frames whose
  length field says so, are rejected as ``overlong`` and the decoder discards bytes
  until the next start marker (SOH or FS) or the next inter-byte timeout;
* structurally complete frames that fail a check (BCC, length, layout) give a
  ``Reject`` with a fixed reason; no reason ever contains bytes of the frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

SOH = 0x01
STX = 0x02
ETX = 0x03
LF = 0x0A
CR = 0x0D
FS = 0x1C
GS = 0x1D
PAD = b"_"  # RTE line padding

MRZ_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
_MRZ = frozenset(MRZ_CHARS)
_RTE_BODY = frozenset(MRZ_CHARS + PAD + b"\r")
MAX_FRAME = 512
MAX_LINE = 44
# line width -> number of lines of a zone of that width
LINES_FOR_WIDTH = {30: 3, 36: 2, 44: 2}
RTE_WIDTH = 44
FRAMINGS = ("plain", "accessis", "rte")

_PLAIN, _ACCESSIS, _RTE, _SKIP = range(4)


class ScannerFrame:
    """A frame's MRZ text (lines joined by newlines) and the framing it came in."""

    __slots__ = ("text", "framing")

    def __init__(self, text: str, framing: str) -> None:
        self.text = text
        self.framing = framing

    def __repr__(self) -> str:
        # No content: the text is personal data.
        return f"ScannerFrame({self.framing}, {len(self.text)} chars)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ScannerFrame) and (self.text, self.framing) == (other.text, other.framing)

    def __hash__(self) -> int:
        return hash((self.text, self.framing))


class Reject:
    """A frame that was recognised but failed a check; ``reason`` is a fixed phrase."""

    __slots__ = ("reason", "framing")

    def __init__(self, reason: str, framing: str) -> None:
        self.reason = reason
        self.framing = framing

    def __repr__(self) -> str:
        return f"Reject({self.reason!r}, {self.framing})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reject) and (self.reason, self.framing) == (other.reason, other.framing)

    def __hash__(self) -> int:
        return hash((self.reason, self.framing))


Result = ScannerFrame | Reject


# --- encoders -------------------------------------------------------------------


def mrz_lines(mrz: str | Sequence[str]) -> list[str]:
    """The non-empty lines of an MRZ given as text or as a list of lines."""
    raw = mrz.splitlines() if isinstance(mrz, str) else list(mrz)
    return [line.strip() for line in raw if line.strip()]


def encode_plain(mrz: str | Sequence[str], eol: bytes = b"\r\n") -> bytes:
    """Lines each followed by ``eol``, then a blank line that ends the document."""
    return b"".join(line.encode("ascii") + eol for line in mrz_lines(mrz)) + eol


def encode_accessis(mrz: str | Sequence[str]) -> bytes:
    return bytes([FS, STX]) + b"".join(line.encode("ascii") + b"\r" for line in mrz_lines(mrz)) + bytes([ETX, GS])


def rte_bcc(data: bytes | bytearray) -> int:
    """XOR of ``data`` (pass the bytes from the first length byte through ETX)."""
    x = 0
    for b in data:
        x ^= b
    return x


def encode_rte(mrz: str | Sequence[str], flag: int = 0x00, pad: bool = True, bcc_xor: int = 0,
               length_delta: int = 0) -> bytes:
    """An RTE frame.  ``bcc_xor`` and ``length_delta`` corrupt the frame on purpose (tests)."""
    lines = mrz_lines(mrz)
    if len(lines) > 3:
        raise ValueError("an RTE frame carries at most 3 lines")
    lines = [""] * (3 - len(lines)) + lines
    padding = PAD.decode("ascii")
    body = b"".join((line.ljust(RTE_WIDTH, padding) if pad and line else line).encode("ascii") + b"\r"
                    for line in lines)
    counted = b"OU" + bytes([STX, flag & 0xFF]) + body + bytes([ETX])
    n = len(counted) + length_delta
    length = bytes([n & 0xFF, (n >> 8) & 0x3F])
    return bytes([SOH]) + length + counted + bytes([rte_bcc(length + counted) ^ bcc_xor])


def encode(mrz: str | Sequence[str], framing: str) -> bytes:
    """One document in the named framing (``plain``, ``accessis`` or ``rte``)."""
    if framing == "plain":
        return encode_plain(mrz)
    if framing == "accessis":
        return encode_accessis(mrz)
    if framing == "rte":
        return encode_rte(mrz)
    raise ValueError(f"unknown framing {framing!r} (use one of {', '.join(FRAMINGS)})")


# --- decoder --------------------------------------------------------------------


class FrameDecoder:
    """Incremental decoder: ``feed(bytes) -> [ScannerFrame | Reject]``, never raises on input.

    Memory is bounded: one candidate frame of at most ``max_frame`` bytes, or up to
    three plain lines of at most 44 characters plus the line being read.
    """

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        if max_frame < 64:
            raise ValueError("max_frame must be at least 64")
        self.max_frame = max_frame
        self.frames: dict[str, int] = {name: 0 for name in FRAMINGS}
        self.rejects: dict[str, int] = {}
        self.garbage_bytes = 0
        self.bytes_in = 0
        self._state = _PLAIN
        self._frame = bytearray()
        # plain state
        self._cur = bytearray()
        self._lines: list[bytes] = []
        self._last = -1
        # framed-candidate state
        self._line_len = 0
        self._prev = -1
        self._etx = False
        self._rte_len = 0

    # -- public ----------------------------------------------------------------

    def feed(self, data: bytes | bytearray | memoryview) -> list[Result]:
        out: list[Result] = []
        chunk = bytes(data)
        self.bytes_in += len(chunk)
        self._run(chunk, out)
        return out

    def flush_timeout(self) -> list[Result]:
        """The line went quiet: end a plain document, give up on partial frames.

        A partial RTE frame whose header was seen is rejected as ``incomplete
        frame``; any other partial candidate is re-scanned as plain bytes (it was
        most likely a false start in noise in front of a plain document).
        """
        out: list[Result] = []
        for _ in range(self.max_frame + 1):
            if self._state == _RTE and len(self._frame) >= 6:
                self._reject(out, "incomplete frame", "rte")
                self._frame = bytearray()
                self._state = _PLAIN
            elif self._state in (_ACCESSIS, _RTE):
                self._abandon_and_rescan(out, b"")
            else:
                break
        if self._state == _SKIP:
            self._state = _PLAIN
        self._finish_plain(out)
        self._last = -1
        return out

    @property
    def idle(self) -> bool:
        """True when no partial frame or plain line is held (nothing for a timeout to end)."""
        return self._state == _PLAIN and not self._cur and not self._lines

    def stats(self) -> dict[str, object]:
        """Counters only (frames per framing, rejects per reason, garbage bytes)."""
        return {
            "bytes": self.bytes_in,
            "frames": dict(self.frames),
            "rejects": dict(self.rejects),
            "garbage_bytes": self.garbage_bytes,
        }

    def reset(self) -> None:
        """Drops partial state (the port was closed); counters are kept."""
        held = len(self._frame) + len(self._cur) + sum(len(x) for x in self._lines)
        self.garbage_bytes += held
        self._state = _PLAIN
        self._frame = bytearray()
        self._cur = bytearray()
        self._lines = []
        self._last = -1

    # -- machinery -------------------------------------------------------------

    def _reject(self, out: list[Result], reason: str, framing: str) -> None:
        self.rejects[reason] = self.rejects.get(reason, 0) + 1
        out.append(Reject(reason, framing))

    def _emit(self, out: list[Result], text: str, framing: str) -> None:
        self.frames[framing] += 1
        out.append(ScannerFrame(text, framing))

    def _abandon(self) -> bytes:
        """The candidate was a false start: its first byte is garbage; returns the
        bytes after it, which the caller scans again."""
        frame = self._frame
        self._frame = bytearray()
        self._state = _PLAIN
        self._last = -1
        self.garbage_bytes += 1
        return bytes(frame[1:])

    def _abandon_and_rescan(self, out: list[Result], rest: bytes) -> None:
        self._run(self._abandon() + rest, out)

    def _start_frame(self, b: int) -> None:
        self._frame = bytearray((b,))
        self._state = _ACCESSIS if b == FS else _RTE
        self._line_len = 0
        self._prev = -1
        self._etx = False
        self._rte_len = 0

    def _run(self, buf: bytes, out: list[Result]) -> None:
        mrz = _MRZ
        i = 0
        n = len(buf)
        while i < n:
            st = self._state
            if st == _PLAIN:
                # Fast path over noise and plain lines, byte by byte.
                cur = self._cur
                while i < n:
                    b = buf[i]
                    i += 1
                    if b in mrz:
                        cur.append(b)
                        if len(cur) > MAX_LINE:
                            # Longer than any MRZ line: what came before cannot be
                            # part of a zone; keep the last 44 as a possible first line.
                            self.garbage_bytes += len(cur) - MAX_LINE + sum(len(x) for x in self._lines)
                            self._lines = []
                            del cur[:-MAX_LINE]
                    elif b == CR or b == LF:
                        if b == LF and self._last == CR:
                            pass
                        elif cur:
                            self._lines.append(bytes(cur))
                            cur.clear()
                            if len(self._lines) > 3:
                                self.garbage_bytes += len(self._lines.pop(0))
                        elif self._lines:
                            self._finish_plain(out)
                        else:
                            self.garbage_bytes += 1
                    elif b == FS or b == SOH:
                        self._finish_plain(out)
                        self._start_frame(b)
                        self._last = b
                        break
                    else:
                        if cur or self._lines:
                            self._finish_plain(out)
                        self.garbage_bytes += 1
                    self._last = b
            elif st == _SKIP:
                b = buf[i]
                if b == FS or b == SOH:
                    self._state = _PLAIN
                    self._last = -1
                else:
                    self.garbage_bytes += 1
                    i += 1
            elif st == _ACCESSIS:
                b = buf[i]
                i += 1
                self._frame.append(b)
                verdict = self._step_accessis(b, out)
                if verdict == "abandon":
                    # Iterative, not recursive: noise holds many false starts.
                    buf = self._abandon() + buf[i:]
                    i = 0
                    n = len(buf)
            else:
                b = buf[i]
                i += 1
                self._frame.append(b)
                verdict = self._step_rte(b, out)
                if verdict == "abandon":
                    buf = self._abandon() + buf[i:]
                    i = 0
                    n = len(buf)
                elif verdict == "reprocess":
                    i -= 1

    def _finish_plain(self, out: list[Result]) -> None:
        """End of a plain candidate: emit it if its last lines have an MRZ's shape."""
        lines = self._lines
        if self._cur:
            lines.append(bytes(self._cur))
            self._cur.clear()
        self._lines = []
        if not lines:
            return
        width = len(lines[-1])
        need = LINES_FOR_WIDTH.get(width, 0)
        if need == 0 or len(lines) < need:
            self.garbage_bytes += sum(len(x) for x in lines)
            return
        take = lines[-need:]
        if len(take[0]) < width or any(len(x) != width for x in take[1:]):
            self.garbage_bytes += sum(len(x) for x in lines)
            return
        self.garbage_bytes += sum(len(x) for x in lines[:-need]) + len(take[0]) - width
        take[0] = take[0][-width:]
        self._emit(out, "\n".join(x.decode("ascii") for x in take), "plain")

    def _overlong(self, out: list[Result], framing: str) -> None:
        self._reject(out, "overlong", framing)
        self._frame = bytearray()
        self._state = _SKIP

    def _step_accessis(self, b: int, out: list[Result]) -> str:
        k = len(self._frame) - 1
        if k == 1:
            return "" if b == STX else "abandon"
        if self._etx:
            if b != GS:
                return "abandon"
            body = bytes(self._frame[2:-2])
            self._frame = bytearray()
            self._state = _PLAIN
            self._last = -1
            lines = [x for x in body.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n") if x]
            if not lines:
                self._reject(out, "empty frame", "accessis")
            else:
                self._emit(out, "\n".join(x.decode("ascii") for x in lines), "accessis")
            return "done"
        if b in _MRZ:
            self._line_len += 1
        elif b == CR or b == LF:
            if not (b == LF and self._prev == CR):
                if self._line_len == 0:
                    return "abandon"  # blank line: not an Access-IS body
                self._line_len = 0
        elif b == ETX:
            self._etx = True
        else:
            return "abandon"
        self._prev = b
        if len(self._frame) > self.max_frame:
            self._overlong(out, "accessis")
            return "overlong"
        return ""

    def _step_rte(self, b: int, out: list[Result]) -> str:
        frame = self._frame
        k = len(frame) - 1
        if k <= 2:
            if k == 2:
                self._rte_len = (frame[1] | (frame[2] << 8)) & 0x3FFF
            return ""
        if k == 3:
            return "" if b == 0x4F else "abandon"  # 'O'
        if k == 4:
            return "" if b == 0x55 else "abandon"  # 'U'
        if k == 5:
            if b != STX:
                return "abandon"
            # Header seen: from here on, problems are rejects, not false starts.
            if self._rte_len + 4 > self.max_frame:
                self._overlong(out, "rte")
                return "overlong"
            if self._rte_len < 8:  # 'O' 'U' STX flag CR CR CR ETX
                self._reject(out, "bad length", "rte")
                self._frame = bytearray()
                self._state = _SKIP
                return "rejected"
            return ""
        if k == 6:
            return ""  # the flag byte: any value
        etx_at = 3 + self._rte_len - 1
        if k < etx_at:
            if b in _RTE_BODY:
                return ""
            self._frame = bytearray()
            self._state = _PLAIN
            self._last = -1
            if b == ETX:
                self._reject(out, "length mismatch", "rte")
                return "rejected"
            self._reject(out, "invalid byte in frame", "rte")
            return "reprocess"
        if k == etx_at:
            if b == ETX:
                return ""
            self._reject(out, "length mismatch", "rte")
            self._frame = bytearray()
            self._state = _SKIP
            return "reprocess"
        # k == etx_at + 1: the BCC byte
        self._frame = bytearray()
        self._state = _PLAIN
        self._last = -1
        if rte_bcc(frame[1:k]) != b:
            self._reject(out, "bad BCC", "rte")
            return "rejected"
        parts = bytes(frame[7:k - 1]).split(b"\r")
        if len(parts) != 4 or parts[3]:
            self._reject(out, "malformed frame", "rte")
            return "rejected"
        lines = [p.strip(PAD) for p in parts[:3]]
        if any(PAD in x for x in lines):
            self._reject(out, "malformed frame", "rte")
            return "rejected"
        lines = [x for x in lines if x]
        if not lines:
            self._reject(out, "empty frame", "rte")
            return "rejected"
        self._emit(out, "\n".join(x.decode("ascii") for x in lines), "rte")
        return "done"


def decode_all(chunks: Iterable[bytes], max_frame: int = MAX_FRAME) -> list[Result]:
    """Feeds every chunk then a timeout; handy for tests and one-shot decoding."""
    d = FrameDecoder(max_frame)
    out: list[Result] = []
    for c in chunks:
        out.extend(d.feed(c))
    out.extend(d.flush_timeout())
    return out
