"""Byte framing of MRZ scanners: encoders, and one decoder class per framing behind one dispatcher.

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

from collections.abc import Sequence

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

# where the decoder goes when a marked framing's candidate ends
_CANDIDATE, _PLAIN_STATE, _SKIP = range(3)


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
    """An Access-IS frame (FS STX lines ETX GS), as the emulator and the tests send."""
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

# what a framed candidate's ``step`` tells the decoder (pyserial's Packetizer hooks, as values)
_GO_ON = 0  # the byte belongs to the candidate (or ended it: a frame, a reject)
_ABANDON = 1  # a false start: the candidate's first byte is garbage, the rest is scanned again
_REPROCESS = 2  # the candidate ended before this byte: scan the byte again in the new state


class _Counters:
    """What the decoder tells about itself (no content): frames per framing, rejects per
    reason, garbage bytes; the results go to ``out``."""

    def __init__(self) -> None:
        self.frames: dict[str, int] = {name: 0 for name in FRAMINGS}
        self.rejects: dict[str, int] = {}
        self.garbage_bytes = 0

    def reject(self, out: list[Result], reason: str, framing: str) -> None:
        self.rejects[reason] = self.rejects.get(reason, 0) + 1
        out.append(Reject(reason, framing))

    def emit(self, out: list[Result], lines: list[bytes], framing: str) -> None:
        self.frames[framing] += 1
        out.append(ScannerFrame("\n".join(x.decode("ascii") for x in lines), framing))


class PlainFraming:
    """``plain``: MRZ lines and line ends, no markers; a document ends at whatever is not one.

    Holds at most three finished lines and the line being read (``MAX_LINE`` characters)."""

    NAME = "plain"

    def __init__(self, counters: _Counters, markers: frozenset[int]) -> None:
        self.counters = counters
        self.markers = markers  # the marked framings' start bytes: each ends a plain document
        self.cur = bytearray()
        self.lines: list[bytes] = []
        self.last = -1  # the previous byte (a CR LF pair is one line end)

    def held(self) -> int:
        """Bytes held for a document not yet ended (they become garbage if the port closes)."""
        return len(self.cur) + sum(len(x) for x in self.lines)

    def clear(self) -> None:
        """Drops what is held (the port was closed)."""
        self.cur = bytearray()
        self.lines = []
        self.last = -1

    def scan(self, buf: bytes, i: int, out: list[Result]) -> int:
        """Reads ``buf`` from ``i``, byte by byte (the fast path over noise and plain lines),
        up to and including a start marker; returns where it stopped."""
        n = len(buf)
        while i < n:
            b = buf[i]
            i += 1
            if b in _MRZ:
                self._character(b)
            elif b == CR or b == LF:
                self._line_end(b, out)
            elif b in self.markers:
                self.finish(out)
                self.last = b
                return i
            else:
                if self.cur or self.lines:
                    self.finish(out)
                self.counters.garbage_bytes += 1
            self.last = b
        return i

    def _character(self, b: int) -> None:
        cur = self.cur
        cur.append(b)
        if len(cur) > MAX_LINE:
            # Longer than any MRZ line: what came before cannot be part of a zone; keep the
            # last 44 as a possible first line.
            self.counters.garbage_bytes += len(cur) - MAX_LINE + sum(len(x) for x in self.lines)
            self.lines = []
            del cur[:-MAX_LINE]

    def _line_end(self, b: int, out: list[Result]) -> None:
        if b == LF and self.last == CR:
            return
        if self.cur:
            self.lines.append(bytes(self.cur))
            self.cur.clear()
            if len(self.lines) > 3:
                self.counters.garbage_bytes += len(self.lines.pop(0))
        elif self.lines:
            self.finish(out)  # a blank line ends the document
        else:
            self.counters.garbage_bytes += 1

    def finish(self, out: list[Result]) -> None:
        """End of a plain candidate: emit it if its last lines have an MRZ's shape."""
        lines = self.lines
        if self.cur:
            lines.append(bytes(self.cur))
            self.cur.clear()
        self.lines = []
        if not lines:
            return
        width = len(lines[-1])
        need = LINES_FOR_WIDTH.get(width, 0)
        take = lines[-need:] if need and len(lines) >= need else []
        if not take or len(take[0]) < width or any(len(x) != width for x in take[1:]):
            self.counters.garbage_bytes += sum(len(x) for x in lines)
            return
        self.counters.garbage_bytes += sum(len(x) for x in lines[:-need]) + len(take[0]) - width
        take[0] = take[0][-width:]
        self.counters.emit(out, take, self.NAME)


class MarkedFraming:
    """A framing that opens with a start marker (``START``): the decoder hands it one byte
    at a time (``step``) once the marker is seen. Subclasses set the constants and ``step``.

    ``HEADER``: bytes after which a frame cut by a timeout is rejected as incomplete rather
    than re-scanned (None: never; an incomplete frame is then most likely noise)."""

    NAME = ""
    START = -1
    HEADER: int | None = None

    def __init__(self, counters: _Counters, max_frame: int) -> None:
        self.counters = counters
        self.max_frame = max_frame
        self.frame = bytearray()
        self.next_state = _CANDIDATE  # where the decoder goes once a step ends the candidate

    def begin(self) -> None:
        """The start marker was seen: a new candidate."""
        self.frame = bytearray((self.START,))
        self.next_state = _CANDIDATE

    def step(self, b: int, out: list[Result]) -> int:
        """``b`` was appended to ``frame``; returns _GO_ON, _ABANDON or _REPROCESS."""
        raise NotImplementedError

    def _end(self, state: int) -> None:
        """The candidate is over: the decoder goes to ``state`` (_PLAIN, or _SKIP to the next marker)."""
        self.frame = bytearray()
        self.next_state = state

    def _reject(self, out: list[Result], reason: str, state: int = _PLAIN_STATE) -> None:
        self.counters.reject(out, reason, self.NAME)
        self._end(state)

    def _overlong(self, out: list[Result]) -> None:
        self._reject(out, "overlong", _SKIP)


class AccessIsFraming(MarkedFraming):
    """``FS STX line CR line CR [line CR] ETX GS``: a body of MRZ characters and line ends."""

    NAME = "accessis"
    START = FS

    def begin(self) -> None:
        """FS was seen: a new candidate, no line read yet."""
        super().begin()
        self._line_len = 0
        self._prev = -1
        self._etx = False

    def step(self, b: int, out: list[Result]) -> int:
        """STX, then MRZ characters and single line ends up to ETX GS; anything else is a false start."""
        if len(self.frame) == 2:
            return _GO_ON if b == STX else _ABANDON
        if self._etx:
            return self._close(b, out)
        if b in _MRZ:
            self._line_len += 1
        elif b == CR or b == LF:
            if not (b == LF and self._prev == CR):
                if self._line_len == 0:
                    return _ABANDON  # blank line: not an Access-IS body
                self._line_len = 0
        elif b == ETX:
            self._etx = True
        else:
            return _ABANDON
        self._prev = b
        if len(self.frame) > self.max_frame:
            self._overlong(out)
        return _GO_ON

    def _close(self, b: int, out: list[Result]) -> int:
        """The byte after ETX: GS ends the frame, anything else makes it a false start."""
        if b != GS:
            return _ABANDON
        body = bytes(self.frame[2:-2])
        self._end(_PLAIN_STATE)
        lines = [x for x in body.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n") if x]
        if not lines:
            self.counters.reject(out, "empty frame", self.NAME)
        else:
            self.counters.emit(out, lines, self.NAME)
        return _GO_ON


class RteFraming(MarkedFraming):
    """``SOH LEN_LO LEN_HI 'O' 'U' STX flag line CR line CR line CR ETX BCC`` (see the module doc)."""

    NAME = "rte"
    START = SOH
    HEADER = 6  # SOH, the two length bytes, 'O' 'U' STX: from here on, problems are rejects
    MAGIC = b"OU"
    MIN_LENGTH = 8  # 'O' 'U' STX flag CR CR CR ETX

    def begin(self) -> None:
        """SOH was seen: a new candidate, its length not yet read."""
        super().begin()
        self._length = 0

    def step(self, b: int, out: list[Result]) -> int:
        """Header, flag, body up to the declared ETX, then the BCC; after the header, faults are rejects."""
        k = len(self.frame) - 1
        if k < self.HEADER:
            return self._header(k, b, out)
        if k == self.HEADER:
            return _GO_ON  # the flag byte: any value
        etx_at = 3 + self._length - 1
        if k < etx_at:
            if b in _RTE_BODY:
                return _GO_ON
            if b == ETX:
                self._reject(out, "length mismatch")
                return _GO_ON
            self._reject(out, "invalid byte in frame")
            return _REPROCESS
        if k == etx_at:
            if b == ETX:
                return _GO_ON
            self._reject(out, "length mismatch", _SKIP)
            return _REPROCESS
        self._check(b, out)  # k == etx_at + 1: the BCC byte
        return _GO_ON

    def _header(self, k: int, b: int, out: list[Result]) -> int:
        """The length bytes, the magic and STX; a wrong magic or STX is a false start."""
        if k <= 2:
            if k == 2:
                self._length = (self.frame[1] | (self.frame[2] << 8)) & 0x3FFF
            return _GO_ON
        if k < 5:
            return _GO_ON if b == self.MAGIC[k - 3] else _ABANDON
        if b != STX:
            return _ABANDON
        if self._length + 4 > self.max_frame:
            self._overlong(out)
        elif self._length < self.MIN_LENGTH:
            self._reject(out, "bad length", _SKIP)
        return _GO_ON

    def _check(self, bcc: int, out: list[Result]) -> None:
        """The whole frame is in: the BCC, then three CR-ended lines."""
        frame = self.frame
        self._end(_PLAIN_STATE)
        if rte_bcc(frame[1:-1]) != bcc:
            self.counters.reject(out, "bad BCC", self.NAME)
            return
        parts = bytes(frame[7:-2]).split(b"\r")
        lines = [p.strip(PAD) for p in parts[:3]]
        if len(parts) != 4 or parts[3] or any(PAD in x for x in lines):
            self.counters.reject(out, "malformed frame", self.NAME)
            return
        lines = [x for x in lines if x]
        if not lines:
            self.counters.reject(out, "empty frame", self.NAME)
            return
        self.counters.emit(out, lines, self.NAME)


class FrameDecoder:
    """Incremental decoder: ``feed(bytes) -> [ScannerFrame | Reject]``, never raises on input.

    Dispatches bytes between the framings: plain text until a start marker, then the
    marked framing it opens, until that framing ends its candidate. Memory is bounded:
    one candidate frame of at most ``max_frame`` bytes, or up to three plain lines of at
    most 44 characters plus the line being read.
    """

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        if max_frame < 64:
            raise ValueError("max_frame must be at least 64")
        self.max_frame = max_frame
        self.counters = _Counters()
        self.bytes_in = 0
        self._marked = {f.START: f for f in (AccessIsFraming(self.counters, max_frame),
                                              RteFraming(self.counters, max_frame))}
        self._plain = PlainFraming(self.counters, frozenset(self._marked))
        self._candidate: MarkedFraming | None = None
        self._skipping = False  # after an overlong or broken frame: garbage until a start marker

    @property
    def frames(self) -> dict[str, int]:
        """Frames read, per framing (counters for diagnostics)."""
        return self.counters.frames

    @property
    def rejects(self) -> dict[str, int]:
        """Frames rejected, per fixed reason (counters for diagnostics)."""
        return self.counters.rejects

    @property
    def garbage_bytes(self) -> int:
        """Bytes that were neither a frame nor part of one."""
        return self.counters.garbage_bytes

    # -- public ----------------------------------------------------------------

    def feed(self, data: bytes | bytearray | memoryview) -> list[Result]:
        """Every frame and reject the bytes complete (bytes may arrive split anywhere)."""
        out: list[Result] = []
        chunk = bytes(data)
        self.bytes_in += len(chunk)
        self._run(chunk, out)
        return out

    def flush_timeout(self) -> list[Result]:
        """The line went quiet: end a plain document, give up on partial frames.

        A partial frame whose header was seen (RTE) is rejected as ``incomplete frame``;
        any other partial candidate is re-scanned as plain bytes (it was most likely a
        false start in noise in front of a plain document).
        """
        out: list[Result] = []
        for _ in range(self.max_frame + 1):
            candidate = self._candidate
            if candidate is None:
                break
            if candidate.HEADER is not None and len(candidate.frame) >= candidate.HEADER:
                candidate._reject(out, "incomplete frame")
                self._candidate = None
            else:
                self._run(self._abandon(), out)
        self._skipping = False
        self._plain.finish(out)
        self._plain.last = -1
        return out

    @property
    def idle(self) -> bool:
        """True when no partial frame or plain line is held (nothing for a timeout to end)."""
        return self._candidate is None and not self._skipping and not self._plain.held()

    @property
    def held_bytes(self) -> int:
        """Bytes of a partial frame or plain document held (bounded by ``max_frame``)."""
        return self._plain.held() + (len(self._candidate.frame) if self._candidate is not None else 0)

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
        self.counters.garbage_bytes += self.held_bytes
        if self._candidate is not None:
            self._candidate.frame = bytearray()
        self._candidate = None
        self._skipping = False
        self._plain.clear()

    # -- machinery -------------------------------------------------------------

    def _abandon(self) -> bytes:
        """The candidate was a false start: its first byte is garbage; returns the
        bytes after it, which the caller scans again."""
        assert self._candidate is not None
        frame = self._candidate.frame
        self._candidate.frame = bytearray()
        self._candidate = None
        self._plain.last = -1
        self.counters.garbage_bytes += 1
        return bytes(frame[1:])

    def _run(self, buf: bytes, out: list[Result]) -> None:
        i = 0
        n = len(buf)
        while i < n:
            candidate = self._candidate
            if self._skipping:
                i = self._skip(buf, i)
            elif candidate is None:
                i = self._plain.scan(buf, i, out)
                if self._plain.last in self._marked:
                    self._candidate = self._marked[self._plain.last]
                    self._candidate.begin()
            else:
                b = buf[i]
                i += 1
                candidate.frame.append(b)
                verdict = candidate.step(b, out)
                if verdict == _ABANDON:
                    # Iterative, not recursive: noise holds many false starts.
                    buf = self._abandon() + buf[i:]
                    i = 0
                    n = len(buf)
                    continue
                if verdict == _REPROCESS:
                    i -= 1
                if candidate.next_state != _CANDIDATE:
                    self._candidate = None
                    self._skipping = candidate.next_state == _SKIP
                    self._plain.last = -1

    def _skip(self, buf: bytes, i: int) -> int:
        """Garbage up to the next start marker (left unread, for the plain scan to open)."""
        n = len(buf)
        while i < n and buf[i] not in self._marked:
            self.counters.garbage_bytes += 1
            i += 1
        if i < n:
            self._skipping = False
            self._plain.last = -1
        return i
