"""The serial link to an MRZ reader: open, read, decode, survive unplugging.

The kiosk loop polls ``ScannerLink.read_events(timeout)``; everything the port does
(bytes, silence, disappearing, coming back) turns into events from
``firmware.scanner.events``.  Nothing read is logged: log lines carry counts,
framings and fixed reasons only.
"""

from __future__ import annotations

import errno
import glob
import logging
import os
import select
import time
from collections.abc import Callable

import serial

from firmware.core import mrz
from firmware.deadline import Deadline
from firmware.scanner.events import DocumentRead, Event, ReadFailed, ScannerAvailable, ScannerUnavailable
from firmware.scanner.framing import FrameDecoder, Reject, Result

log = logging.getLogger("safar.scanner")

_PARITY = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}
_STOPBITS = {"1": serial.STOPBITS_ONE, "2": serial.STOPBITS_TWO}


class PortSettings:
    """Line settings of the reader, e.g. ``PortSettings.parse("9600,7E1")``."""

    __slots__ = ("baudrate", "bytesize", "parity", "stopbits")

    def __init__(self, baudrate: int = 9600, bytesize: int = 8, parity: str = "N", stopbits: int = 1) -> None:
        if baudrate <= 0:
            raise ValueError(f"baud rate must be positive, got {baudrate}")
        if bytesize not in (7, 8):
            raise ValueError(f"data bits must be 7 or 8, got {bytesize}")
        if parity not in _PARITY:
            raise ValueError(f"parity must be N, E or O, got {parity!r}")
        if stopbits not in (1, 2):
            raise ValueError(f"stop bits must be 1 or 2, got {stopbits}")
        self.baudrate = baudrate
        self.bytesize = bytesize
        self.parity = parity
        self.stopbits = stopbits

    @classmethod
    def parse(cls, text: str) -> PortSettings:
        """``BAUD[,DPS]`` such as ``9600``, ``9600,8N1``, ``115200,7E1``."""
        baud, _, frame = text.strip().upper().partition(",")
        frame = frame or "8N1"
        if not baud.isdigit() or len(frame) != 3 or not frame[0].isdigit() or not frame[2].isdigit():
            raise ValueError(f"port settings {text!r}: expected BAUD[,DPS] such as 9600,8N1 or 9600,7E1")
        return cls(int(baud), int(frame[0]), frame[1], int(frame[2]))

    def __str__(self) -> str:
        return f"{self.baudrate},{self.bytesize}{self.parity}{self.stopbits}"

    def serial_kwargs(self) -> dict[str, object]:
        """These settings as ``serial.Serial`` keyword arguments."""
        return {"baudrate": self.baudrate, "bytesize": self.bytesize, "parity": _PARITY[self.parity],
                "stopbits": _STOPBITS[str(self.stopbits)]}


def resolve_port(port: str) -> str | None:
    """A stable name (``/dev/serial/by-id/usb-…``, a glob of one, or a plain path) to
    the device path it names now, or None while it is absent."""
    if any(c in port for c in "*?["):
        matches = sorted(glob.glob(port))
        return matches[0] if matches else None
    return port if os.path.exists(port) else None


class ScannerLink:
    """Reads one reader on one serial port and reports what happens as events.

    ``inter_byte_timeout``: silence (seconds) that ends a plain-text document.
    ``backoff``: (first, longest) delay between attempts to reopen a lost port.
    ``today``: returns (year, month, day) for the MRZ date rules; default the clock.
    """

    def __init__(
        self,
        port: str,
        settings: PortSettings | None = None,
        inter_byte_timeout: float = 0.25,
        backoff: tuple[float, float] = (0.1, 5.0),
        today: Callable[[], tuple[int, int, int]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.port = port
        self.settings = settings or PortSettings()
        self.inter_byte_timeout = inter_byte_timeout
        self.backoff = backoff
        self._today = today
        self._clock = clock
        self.decoder = FrameDecoder()
        self._serial: serial.Serial | None = None
        self._device: str | None = None
        self._reopen = Deadline(0.0, clock)  # when to try the port again: at once at first
        self._delay = backoff[0]
        self._quiet = Deadline(inter_byte_timeout, clock)  # restarted by each byte: ends a plain document
        self._reported_down = False
        self.last_frame_time: float | None = None
        self.documents = 0
        self.read_failures = 0
        self.outages = 0

    # -- public ----------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Whether the port is open now (it is reopened after an unplug)."""
        return self._serial is not None

    @property
    def receiving(self) -> bool:
        """Part of a frame has arrived (the kiosk shows "reading")."""
        return not self.decoder.idle

    def read_events(self, timeout: float) -> list[Event]:
        """Waits up to ``timeout`` seconds; returns as soon as something happened."""
        deadline = Deadline(max(0.0, timeout), self._clock)
        events: list[Event] = []
        while True:
            if self._serial is None:
                if self._reopen.expired():
                    self._try_open(events)
                    if events:
                        return events
                if self._serial is None:
                    if events or deadline.expired():
                        return events
                    time.sleep(min(deadline.remaining(), self._reopen.remaining()))
                    continue
            wait = deadline.remaining()
            if not self.decoder.idle:
                wait = min(wait, self._quiet.remaining())
            data = self._read(wait, events)
            if data:
                self._quiet.restart()
                self._handle(self.decoder.feed(data), events)
            elif self._serial is not None and not self.decoder.idle and self._quiet.expired():
                self._handle(self.decoder.flush_timeout(), events)
            if events or deadline.expired():
                return events

    def close(self) -> None:
        """Closes the port and drops any partial frame (its bytes count as garbage)."""
        if self._serial is not None:
            try:
                self._serial.close()
            except (OSError, serial.SerialException):
                pass
            self._serial = None
        self.decoder.reset()

    def __enter__(self) -> ScannerLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stats(self) -> dict[str, object]:
        """Counters for diagnostics; no content."""
        return {
            "port": self.port,
            "device": self._device,
            "open": self.is_open,
            "settings": str(self.settings),
            "documents": self.documents,
            "read_failures": self.read_failures,
            "outages": self.outages,
            "last_frame_time": self.last_frame_time,
            "decoder": self.decoder.stats(),
        }

    # -- port handling ---------------------------------------------------------

    def _try_open(self, events: list[Event]) -> None:
        device = resolve_port(self.port)
        problem = "not present"
        if device is not None:
            try:
                s = serial.Serial(device, timeout=0, exclusive=True, **self.settings.serial_kwargs())
            except (OSError, serial.SerialException, ValueError) as e:
                problem = _describe(e)
            else:
                self._serial = s
                self._device = device
                self._delay = self.backoff[0]
                self._reported_down = False
                self.decoder.reset()
                log.info("scanner port %s open (%s, %s)", self.port, device, self.settings)
                events.append(ScannerAvailable(self.port))
                return
        self._reopen = Deadline(self._delay, self._clock)
        self._delay = min(self._delay * 2, self.backoff[1])
        if not self._reported_down:
            self._reported_down = True
            self.outages += 1
            log.warning("scanner port %s unavailable: %s", self.port, problem)
            events.append(ScannerUnavailable(f"{self.port}: {problem}"))

    def _lost(self, e: BaseException, events: list[Event]) -> None:
        log.warning("scanner port %s lost: %s", self.port, _describe(e))
        self.close()
        self._reported_down = True
        self.outages += 1
        self._delay = self.backoff[0]
        self._reopen = Deadline(self._delay, self._clock)
        events.append(ScannerUnavailable(f"{self.port}: disconnected ({_describe(e)})"))

    def _read(self, wait: float, events: list[Event]) -> bytes:
        s = self._serial
        assert s is not None
        try:
            ready, _, _ = select.select([s.fileno()], [], [], wait)
            if not ready:
                return b""
            data = s.read(s.in_waiting or 1)
            if not data:
                # Readable but empty: the device went away (pyserial's own reading).
                raise serial.SerialException("device reports readiness to read but returned no data")
        except (OSError, serial.SerialException) as e:
            # (EINTR never arrives here: PEP 475 retries select and read.)
            self._lost(e, events)
            return b""
        if self.settings.bytesize == 7:
            data = bytes(b & 0x7F for b in data)
        return bytes(data)

    # -- decoding --------------------------------------------------------------

    def _handle(self, results: list[Result], events: list[Event]) -> None:
        for r in results:
            self.last_frame_time = time.time()
            event = frame_event(r, self._today() if self._today is not None else None)
            if isinstance(event, DocumentRead):
                self.documents += 1
            else:
                self.read_failures += 1
            events.append(event)


def frame_event(result: Result, today: tuple[int, int, int] | None = None) -> DocumentRead | ReadFailed:
    """What the link reports for one decoder result: the zone parsed into a valid document,
    or why not (a rejected frame, an unreadable zone, failing check digits). ``today``:
    (year, month, day) for the MRZ date rules. Logs the framing and reason, never the zone."""
    if isinstance(result, Reject):
        log.info("scanner frame rejected (%s): %s", result.framing, result.reason)
        return ReadFailed("frame rejected: " + result.reason, result.framing)
    try:
        doc = mrz.parse(result.text, today=today)
    except mrz.MRZError as e:
        where = f" (line {e.line})" if e.line else ""
        log.info("scanner zone unreadable (%s)%s", result.framing, where)
        return ReadFailed("unreadable zone" + where, result.framing)
    if not doc.valid:
        failed = sorted(name for name, ok in doc.checks.items() if not ok)
        reason = "check digits do not match: " + ", ".join(failed) if failed else "impossible field values"
        log.info("scanner zone invalid (%s): %s", result.framing, reason)
        return ReadFailed(reason, result.framing)
    log.info("scanner document read (%s, %s)", result.framing, doc.format)
    return DocumentRead(doc, result.framing)


def _describe(e: BaseException) -> str:
    """An exception as a short sentence, with its errno name when there is one."""
    no = getattr(e, "errno", None)
    if isinstance(no, int) and no in errno.errorcode:
        return f"{os.strerror(no)} ({errno.errorcode[no]})"
    return str(e) or type(e).__name__
