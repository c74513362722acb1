"""Line protocol between the Pi and the I/O board over USB-CDC.

Portable: runs unmodified on CPython and MicroPython (no typing, dataclasses,
enum, f-string ``=``; annotations are plain builtins, which MicroPython parses
and ignores).

Wire format, one message per line::

    FIELD FIELD ... *XX\\n

Fields are printable ASCII without spaces or '*', separated by one space.
``XX`` is two upper-case hex digits: the XOR of every byte of the payload,
i.e. of the bytes *before* the space that precedes ``*``.  XOR (as in NMEA)
rather than a sum because it is order-free to compute on a byte stream and
catches every single-bit error; a line is short, so that is enough for a USB
link whose real failure mode is a truncated or interleaved line.
A trailing ``\\r`` is tolerated.

Pi -> board::

    PING                          -> OK
    LED <name> <on|off|blink>     -> OK | ERR unknown-led | ERR bad-mode
    BUZZ <ms>                     -> OK | ERR bad-duration   (1..5000 ms)
    WDT <seconds>                 -> OK | ERR bad-timeout    (0 disarms, else 5..3600)
    KICK                          -> OK | ERR not-armed
    STATUS                        -> STATUS tamper=<0|1> presence=<0|1> wdt=<s> resets=<n> errors=<n>
                                     (errors: lines the board rejected since power-up)

Any malformed line -> ``ERR <reason>`` (reasons are single tokens, see
`BoardProtocolError`).  Board -> Pi, unsolicited::

    EVT TAMPER <0|1>
    EVT PRESENCE <0|1>
    EVT BOOT                      (board (re)started: the Pi watchdog is disarmed)
    EVT HB <uptime-s>             (heartbeat every HEARTBEAT_MS: the board is alive)

TAMPER 1 means the enclosure is open (or the switch wire is cut); PRESENCE 1
means someone stands in front of the kiosk.

Watchdog: once armed with ``WDT s``, if no KICK (or new WDT) arrives for ``s``
seconds the board pulls the Pi's RUN pin low (see hw/ioboard.md) and disarms
itself; the kiosk re-arms after it boots.
"""

LEDS = ("green", "amber", "red")
LED_MODES = ("on", "off", "blink")
MAX_LINE = 80
BUZZ_MAX_MS = 5000
WDT_MIN_S = 5
WDT_MAX_S = 3600
BLINK_PERIOD_MS = 500
DEBOUNCE_MS = 50
HEARTBEAT_MS = 5000


class BoardProtocolError(Exception):
    """A line that cannot be accepted; `reason` is one token, sent back as ``ERR reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def checksum(payload: bytes) -> int:
    """XOR of all bytes of `payload`."""
    c = 0
    for b in payload:
        c ^= b
    return c


def _valid_field(field: str) -> bool:
    if not field:
        return False
    for ch in field:
        o = ord(ch)
        if o < 0x21 or o > 0x7E or ch == "*":
            return False
    return True


def encode(fields: list) -> bytes:
    """One wire line (with checksum and newline) from a list of str fields."""
    if not fields:
        raise BoardProtocolError("empty")
    for f in fields:
        if not isinstance(f, str) or not _valid_field(f):
            raise BoardProtocolError("bad-field")
    payload = " ".join(fields).encode()
    if len(payload) + 5 > MAX_LINE:
        raise BoardProtocolError("too-long")
    return payload + f" *{checksum(payload):02X}\n".encode()


def _hex_value(b: int) -> int:
    if 48 <= b <= 57:
        return b - 48
    if 65 <= b <= 70:
        return b - 55
    if 97 <= b <= 102:
        return b - 87
    return -1


def decode(line) -> list:
    """The list of str fields of one line (bytes or str, newline optional).

    Raises BoardProtocolError with reason ``empty``, ``too-long``, ``bad-char``,
    ``no-checksum`` or ``bad-checksum``.
    """
    if isinstance(line, str):
        line = line.encode()
    line = bytes(line)
    while line and line[-1] in (10, 13):
        line = line[:-1]
    if not line:
        raise BoardProtocolError("empty")
    if len(line) > MAX_LINE:
        raise BoardProtocolError("too-long")
    for b in line:
        if b < 0x20 or b > 0x7E:
            raise BoardProtocolError("bad-char")
    n = len(line)
    if n < 5 or line[n - 4] != 0x20 or line[n - 3] != 0x2A:
        raise BoardProtocolError("no-checksum")
    hi = _hex_value(line[n - 2])
    lo = _hex_value(line[n - 1])
    if hi < 0 or lo < 0:
        raise BoardProtocolError("no-checksum")
    payload = line[: n - 4]
    if checksum(payload) != hi * 16 + lo:
        raise BoardProtocolError("bad-checksum")
    text = payload.decode()
    fields = text.split(" ")
    for f in fields:
        if not _valid_field(f):
            raise BoardProtocolError("bad-field")
    return fields


class LineReader:
    """Reassembles lines from bytes that arrive split arbitrarily.

    Bounded: a line longer than `max_len` is discarded up to its newline, and
    a line holding bytes that are not printable ASCII (noise at power-up, a
    baud mismatch) is discarded too, so one bad burst costs at most one line.
    `overlong` and `noise` count discarded lines by cause, `dropped` both.
    """

    def __init__(self, max_len: int = MAX_LINE) -> None:
        self.max_len = max_len
        self.dropped = 0
        self.overlong = 0
        self.noise = 0
        self._buf = b""
        self._skipping = False  # inside an overlong or corrupt line: drop up to the next newline

    def feed(self, data: bytes) -> list:
        """Complete lines (bytes, without the newline, '\\r' stripped) from `data`."""
        out = []
        data = bytes(data)
        start = 0
        n = len(data)
        while start < n:
            nl = data.find(b"\n", start)
            end = n if nl < 0 else nl
            chunk = data[start:end]
            if not self._skipping:
                if self._corrupt(chunk):
                    self._skipping = True
                    self.noise += 1
                    self._buf = b""
                elif len(self._buf) + len(chunk) > self.max_len + 1:
                    self._skipping = True
                    self.overlong += 1
                    self._buf = b""
                else:
                    self._buf += chunk
            if nl < 0:
                break
            if self._skipping:
                self.dropped += 1
                self._skipping = False
            else:
                line = self._buf
                if line.endswith(b"\r"):
                    line = line[:-1]
                if line:
                    out.append(line)
            self._buf = b""
            start = nl + 1
        return out

    @staticmethod
    def _corrupt(chunk: bytes) -> bool:
        for b in chunk:
            if (b < 0x20 and b != 13) or b > 0x7E:
                return True
        return False


class Decoder:
    """Bytes in, decoded field lists out: a `LineReader` plus `decode`, with counts.

    Never raises on input.  `errors` maps each reason a line was thrown away
    (``noise``, ``too-long``, ``bad-checksum``, ``no-checksum``, ``bad-char``,
    ``bad-field``) to how many times it happened since creation.
    """

    def __init__(self, max_len: int = MAX_LINE) -> None:
        self.reader = LineReader(max_len)
        self._bad = {}  # type: dict[str, int]

    def feed(self, data: bytes) -> list:
        """The decoded messages (lists of fields) completed by ``data``; bad lines are counted, not raised."""
        out = []
        for line in self.reader.feed(data):
            try:
                out.append(decode(line))
            except BoardProtocolError as e:
                self._bad[e.reason] = self._bad.get(e.reason, 0) + 1
        return out

    @property
    def errors(self) -> dict:
        """Lines thrown away, by reason, for diagnostics."""
        counts = {}
        for k in self._bad:
            counts[k] = self._bad[k]
        if self.reader.noise:
            counts["noise"] = self.reader.noise
        if self.reader.overlong:
            counts["too-long"] = counts.get("too-long", 0) + self.reader.overlong
        return counts

    @property
    def error_count(self) -> int:
        """How many lines were thrown away in all."""
        n = 0
        for k in self._bad:
            n += self._bad[k]
        return n + self.reader.dropped


def parse_status(fields: list) -> dict:
    """``STATUS k=v ...`` fields -> dict of str -> int (all values are integers)."""
    if not fields or fields[0] != "STATUS":
        raise BoardProtocolError("not-status")
    out = {}
    for f in fields[1:]:
        k, sep, v = f.partition("=")
        if not sep or not k:
            raise BoardProtocolError("bad-field")
        try:
            out[k] = int(v)
        except ValueError:
            raise BoardProtocolError("bad-field") from None
    return out


def _parse_int(text: str) -> int:
    """A decimal int or -1: MicroPython's int() accepts forms (e.g. '+5', ' 5') we do not."""
    if not text or len(text) > 9:
        return -1
    v = 0
    for ch in text:
        o = ord(ch)
        if o < 48 or o > 57:
            return -1
        v = v * 10 + o - 48
    return v


class BoardState:
    """The board's logic without hardware: commands in, reply lines out.

    Time is an explicit monotonic millisecond count (`now_ms`) so the logic is
    testable; the firmware feeds it a counter built from `time.ticks_ms`.
    The firmware reads `leds`, `led_on()`, `buzzer_on()` to drive outputs and
    calls `tick()` to learn when to reset the Pi.
    """

    def __init__(self, now_ms: int = 0) -> None:
        self.leds = {}
        for name in LEDS:
            self.leds[name] = "off"
        self.tamper = 0
        self.presence = 0
        self.wdt_s = 0
        self.resets = 0
        self.errors = 0  # lines rejected (bad checksum, unknown command, bad arguments)
        self._boot_ms = now_ms
        self._next_heartbeat_ms = now_ms + HEARTBEAT_MS
        self._last_kick_ms = now_ms
        self._buzz_until_ms = now_ms
        # debounce: raw value seen and since when
        self._raw = {"TAMPER": -1, "PRESENCE": -1}
        self._raw_since = {"TAMPER": now_ms, "PRESENCE": now_ms}
        self._reported = {"TAMPER": False, "PRESENCE": False}

    # -- commands ---------------------------------------------------------
    def handle_line(self, line, now_ms: int) -> list:
        """Reply wire lines (bytes) for one received line; never raises on bad input."""
        try:
            fields = decode(line)
        except BoardProtocolError as e:
            self.errors += 1
            return [encode(["ERR", e.reason])]
        replies = self.handle(fields, now_ms)
        for r in replies:
            if r[0] == "ERR":
                self.errors += 1
        return [encode(r) for r in replies]

    def handle(self, fields: list, now_ms: int) -> list:
        """Reply field lists for one decoded command."""
        cmd = fields[0]
        args = fields[1:]
        if cmd == "PING":
            if args:
                return [["ERR", "bad-args"]]
            return [["OK"]]
        if cmd == "LED":
            if len(args) != 2:
                return [["ERR", "bad-args"]]
            if args[0] not in self.leds:
                return [["ERR", "unknown-led"]]
            if args[1] not in LED_MODES:
                return [["ERR", "bad-mode"]]
            self.leds[args[0]] = args[1]
            return [["OK"]]
        if cmd == "BUZZ":
            if len(args) != 1:
                return [["ERR", "bad-args"]]
            ms = _parse_int(args[0])
            if ms < 1 or ms > BUZZ_MAX_MS:
                return [["ERR", "bad-duration"]]
            self._buzz_until_ms = now_ms + ms
            return [["OK"]]
        if cmd == "WDT":
            if len(args) != 1:
                return [["ERR", "bad-args"]]
            s = _parse_int(args[0])
            if s != 0 and (s < WDT_MIN_S or s > WDT_MAX_S):
                return [["ERR", "bad-timeout"]]
            self.wdt_s = s
            self._last_kick_ms = now_ms
            return [["OK"]]
        if cmd == "KICK":
            if args:
                return [["ERR", "bad-args"]]
            if not self.wdt_s:
                return [["ERR", "not-armed"]]
            self._last_kick_ms = now_ms
            return [["OK"]]
        if cmd == "STATUS":
            if args:
                return [["ERR", "bad-args"]]
            return [self.status_fields()]
        return [["ERR", "unknown-command"]]

    def status_fields(self) -> list:
        """The STATUS reply's fields: what the Pi's diagnostics show of the board."""
        return ["STATUS", f"tamper={self.tamper}", f"presence={self.presence}",
                f"wdt={self.wdt_s}", f"resets={self.resets}", f"errors={self.errors}"]

    def heartbeat(self, now_ms: int) -> list:
        """``EVT HB <uptime-s>`` field lists due at `now_ms` (at most one; none if not due)."""
        if now_ms < self._next_heartbeat_ms:
            return []
        # skip missed beats rather than bursting them after a stall
        while self._next_heartbeat_ms <= now_ms:
            self._next_heartbeat_ms += HEARTBEAT_MS
        return [["EVT", "HB", str((now_ms - self._boot_ms) // 1000)]]

    # -- outputs ----------------------------------------------------------
    def led_on(self, name: str, now_ms: int) -> bool:
        """Whether LED `name` should be lit at `now_ms` (blink: 50 % duty)."""
        mode = self.leds[name]
        if mode == "blink":
            return (now_ms // BLINK_PERIOD_MS) % 2 == 0
        return mode == "on"

    def buzzer_on(self, now_ms: int) -> bool:
        """Whether the buzzer should sound at ``now_ms`` (a BUZZ runs for its time)."""
        return now_ms < self._buzz_until_ms

    # -- inputs and watchdog ---------------------------------------------
    def set_inputs(self, tamper: int, presence: int, now_ms: int) -> list:
        """Feed raw input levels; returns EVT field lists for debounced changes.

        A level must hold for DEBOUNCE_MS before it counts, so switch bounce
        and PIR glitches do not flood the Pi.  The first stable reading after
        boot is reported too, so the Pi learns the state without asking.
        """
        events = []
        for name, raw in (("TAMPER", 1 if tamper else 0), ("PRESENCE", 1 if presence else 0)):
            if raw != self._raw[name]:
                self._raw[name] = raw
                self._raw_since[name] = now_ms
            if now_ms - self._raw_since[name] < DEBOUNCE_MS:
                continue
            current = self.tamper if name == "TAMPER" else self.presence
            if raw != current or not self._reported[name]:
                if name == "TAMPER":
                    self.tamper = raw
                else:
                    self.presence = raw
                self._reported[name] = True
                events.append(["EVT", name, str(raw)])
        return events

    def tick(self, now_ms: int) -> bool:
        """True exactly once when the Pi watchdog expires: reset the Pi now.

        The watchdog then disarms, so a Pi that takes long to boot is not
        reset again before the kiosk service has re-armed it.
        """
        if self.wdt_s and now_ms - self._last_kick_ms >= self.wdt_s * 1000:
            self.wdt_s = 0
            self.resets += 1
            return True
        return False
