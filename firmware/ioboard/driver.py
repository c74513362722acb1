"""Pi-side driver for the I/O board (pyserial over USB-CDC).

One request at a time: each command waits for its reply line (OK, ERR or
STATUS).  Unsolicited ``EVT`` lines that arrive meanwhile are queued and handed
out by `events()` (which never blocks), so the kiosk loop can poll them without a reader thread::

    with IOBoard("/dev/safar-ioboard") as board:
        board.arm_watchdog(30)
        while True:
            for ev in board.events():      # BoardEvent('TAMPER', 1), BoardEvent('HB', 120), ...
                ...
            board.kick()

Lines that fail their checksum or are noise are dropped and counted
(`errors`, `error_counts`); a reply lost that way shows up as a timeout.
"""

from __future__ import annotations

import errno
import time
from typing import Any

import serial

from firmware.deadline import Deadline
from firmware.ioboard.protocol import LED_MODES, LEDS, BoardProtocolError, Decoder, encode, parse_status

DEFAULT_PORT = "/dev/safar-ioboard"
BAUD = 115200  # the Pico's USB-CDC ignores it; it matters only for a UART link


def port_locked(error: serial.SerialException) -> bool:
    """Whether opening a port failed because another process holds its exclusive lock.

    pyserial reports a failed ``flock`` as a SerialException carrying flock's errno."""
    return error.errno in (errno.EAGAIN, errno.EWOULDBLOCK)


class IOBoardError(Exception):
    """The board is absent, silent, or refused a command (`reason` is its ERR token, or 'timeout')."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


class PortBusy(IOBoardError, OSError):
    """Another process holds the board's port (opened exclusively)."""


class BoardEvent:
    """An unsolicited board event.

    `kind` is 'TAMPER' (value 1 = enclosure open), 'PRESENCE' (1 = someone
    there), 'BOOT' (value None: the board restarted, its Pi watchdog is
    disarmed) or 'HB' (heartbeat, value = board uptime in seconds).
    """

    __slots__ = ("kind", "value")

    def __init__(self, kind: str, value: int | None) -> None:
        self.kind = kind
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BoardEvent) and (other.kind, other.value) == (self.kind, self.value)

    def __hash__(self) -> int:
        return hash((self.kind, self.value))

    def __repr__(self) -> str:
        return f"BoardEvent({self.kind!r}, {self.value!r})"


class IOBoard:
    """The I/O board on `port`; `timeout` bounds each command's wait for its reply.

    `serial_port` injects an already open pyserial-like object (a port the
    caller manages); otherwise `port` is opened here, exclusively (an advisory
    lock), so `safar diag` cannot steal replies from a running kiosk: a second
    opener gets `PortBusy`.
    """

    def __init__(self, port: str = DEFAULT_PORT, timeout: float = 1.0, serial_port: Any = None,
                 exclusive: bool = True) -> None:
        self.port = port
        self.timeout = timeout
        if serial_port is None:
            try:
                serial_port = serial.Serial(port, BAUD, timeout=0.05, exclusive=exclusive)
            except serial.SerialException as e:
                if port_locked(e):
                    raise PortBusy(f"the I/O board port {port} is in use by another program (the kiosk?)",
                                   "busy") from None
                raise
        self._ser: Any = serial_port
        self._decoder = Decoder()
        self._replies: list[list[str]] = []
        self._events: list[BoardEvent] = []
        self._unexpected = 0
        self.last_heartbeat: float | None = None  # time.monotonic() of the last EVT HB
        self.uptime: int | None = None  # board uptime (s) from the last heartbeat

    def close(self) -> None:
        """Closes the port and releases its lock, so `safar diag` can open it."""
        self._ser.close()

    def __enter__(self) -> IOBoard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def errors(self) -> int:
        """Lines from the board thrown away: noise, overlong, bad checksum, or not a known message."""
        return self._decoder.error_count + self._unexpected

    @property
    def error_counts(self) -> dict[str, int]:
        """Lines thrown away, by reason, for diagnostics."""
        counts: dict[str, int] = dict(self._decoder.errors)
        if self._unexpected:
            counts["unexpected"] = self._unexpected
        return counts

    # -- commands ---------------------------------------------------------
    def ping(self) -> None:
        """Asks for a reply and nothing else: proves the board is there and answering."""
        self._command(["PING"])

    def led(self, name: str, mode: str) -> None:
        """Set LED `name` (green, amber, red) to 'on', 'off' or 'blink'."""
        if name not in LEDS or mode not in LED_MODES:
            raise ValueError(f"LED {name!r} {mode!r}: names {LEDS}, modes {LED_MODES}")
        self._command(["LED", name, mode])

    def buzz(self, ms: int) -> None:
        """Sound the buzzer for `ms` milliseconds (1..5000); returns at once."""
        self._command(["BUZZ", str(int(ms))])

    def arm_watchdog(self, seconds: int) -> None:
        """Arm the Pi watchdog: without a kick for `seconds` (5..3600), the board resets the Pi; 0 disarms."""
        self._command(["WDT", str(int(seconds))])

    def disarm_watchdog(self) -> None:
        """Stops the board from resetting the Pi (the kiosk is stopping on purpose)."""
        self.arm_watchdog(0)

    def kick(self) -> None:
        """Tells the board the Pi is alive, before the armed watchdog runs out."""
        self._command(["KICK"])

    def status(self) -> dict[str, int]:
        """{'tamper': 0|1, 'presence': 0|1, 'wdt': seconds (0 = disarmed), 'resets': n, 'errors': n}."""
        reply = self._command(["STATUS"])
        try:
            return parse_status(reply)
        except BoardProtocolError as e:
            raise IOBoardError(f"malformed STATUS reply from the I/O board on {self.port}", e.reason) from None

    def events(self) -> list[BoardEvent]:
        """Events received so far (reads what is waiting, never blocks)."""
        self._pump(0.0)
        out, self._events = self._events, []
        return out

    # -- internals --------------------------------------------------------
    def _command(self, fields: list[str]) -> list[str]:
        # Replies still queued answer an earlier command that timed out: drop them, keep events.
        self._pump(0.0)
        self._replies.clear()
        self._ser.write(encode(fields))
        self._ser.flush()
        deadline = Deadline(self.timeout)
        while not self._replies:
            if deadline.expired():
                raise IOBoardError(f"no reply from the I/O board on {self.port} to {fields[0]} within "
                                   f"{self.timeout:g} s", "timeout")
            self._pump(deadline.remaining())
        reply = self._replies.pop(0)
        if reply[0] == "ERR":
            reason = reply[1] if len(reply) > 1 else "unknown"
            raise IOBoardError(f"I/O board refused {fields[0]}: {reason}", reason)
        return reply

    def _pump(self, wait: float) -> None:
        """Read what is available; if nothing complete is and `wait` > 0, wait up to `wait` s for a message."""
        deadline = Deadline(wait)
        while True:
            n = self._ser.in_waiting
            data = self._ser.read(n) if n else (self._ser.read(1) if wait > 0 else b"")
            got = False
            if data:
                for fields in self._decoder.feed(data):
                    got = self._classify(fields) or got
            if got and not self._ser.in_waiting:
                return
            if not data and (wait <= 0 or deadline.expired()):
                return

    def _classify(self, fields: list[str]) -> bool:
        """Queue one decoded message as an event or a reply; False if it is neither."""
        kind = fields[0]
        if kind == "EVT" and len(fields) >= 2:
            value = int(fields[2]) if len(fields) > 2 and fields[2].isdigit() else None
            if fields[1] == "HB":
                self.last_heartbeat = time.monotonic()
                self.uptime = value
            self._events.append(BoardEvent(fields[1], value))
            return True
        if kind in ("OK", "ERR", "STATUS"):
            self._replies.append(fields)
            return True
        self._unexpected += 1
        return False
