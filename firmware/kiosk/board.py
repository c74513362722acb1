"""The I/O board as the kiosk uses it: the panel lamps follow the screen, a short cue
sounds when an answer appears, the presence sensor wakes a blanked screen, the tamper
switch takes the kiosk out of service, the staff lamp answers "call staff", and the
loop kicks the board's Pi watchdog.

The board is a helper, never a dependency: unplugged, silent or refusing, it is closed,
retried every ``RECONNECT_SECONDS``, and the kiosk goes on serving travellers; the
service screen (``health()``) and the fleet metrics say it is down.

The watchdog is kicked from the loop's own turn (``poll``), not from a thread, so a hung
loop stops the kicks and the board resets the Pi after ``watchdog_seconds``. systemd's
shorter WatchdogSec restarts a hung kiosk first; the board is for a Pi that no restart
helps. A clean stop (``close``) disarms it, so ``systemctl stop`` never reboots the Pi.

What the lamps show is the same for every answer (``lamps_for``): the hall must not learn
from a light or a sound which traveller matched.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import serial

from firmware.ioboard.driver import BoardEvent, IOBoard, IOBoardError
from firmware.kiosk.kinds import KINDS, KindName

log = logging.getLogger("safar.kiosk")

KICK_SECONDS = 5.0  # well inside the shortest watchdog the board accepts (5 s is its minimum)
RECONNECT_SECONDS = 10.0  # a board that went away is looked for again this often
SILENT_SECONDS = 15.0  # nothing from the board (replies or its 5 s heartbeat) for this long: ping it
STAFF_BEEP_MS = 300  # the call-staff beep: one, short
LAMPS = ("green", "amber", "red")


def lamps_for(kind: KindName, staff_called: bool = False) -> dict[str, str]:
    """The panel lamps for a screen, one lit (its kind's ``lamp``): green steady = ready, green
    blinking = reading, amber steady = a traveller is reading an answer (any answer), amber
    blinking = staff called, red steady = out of service, red blinking = service mode."""
    lamps = dict.fromkeys(LAMPS, "off")
    colour, mode = KINDS[kind].lamp
    lamps[colour] = mode
    if staff_called:
        lamps["amber"] = "blink"
    return lamps


def parse_quiet_hours(text: str) -> tuple[int, int]:
    """"22:00-07:00" -> (1320, 420), minutes after midnight; ValueError says what is wrong."""
    try:
        start, end = text.split("-")
        out = []
        for part in (start, end):
            hours, minutes = part.strip().split(":")
            if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
                raise ValueError
            h, m = int(hours), int(minutes)
            if h > 23 or m > 59:
                raise ValueError
            out.append(h * 60 + m)
    except ValueError:
        raise ValueError(f"{text!r} is not a time range like \"22:00-07:00\"") from None
    if out[0] == out[1]:
        raise ValueError(f"{text!r} starts and ends at the same time")
    return out[0], out[1]


def in_quiet_hours(quiet: tuple[int, int] | None, at: dt.datetime) -> bool:
    if quiet is None:
        return False
    minute = at.hour * 60 + at.minute
    start, end = quiet
    return start <= minute < end if start < end else (minute >= start or minute < end)


def _open(port: str, timeout: float) -> IOBoard:
    return IOBoard(port, timeout=timeout)


class KioskBoard:
    """``watchdog_seconds`` 0 leaves the board's Pi watchdog disarmed; ``cue_ms`` 0 is no
    cue; ``quiet_hours`` (minutes after midnight, local time) silences the cue, never the
    staff beep (a traveller asked for staff)."""

    def __init__(self, port: str, watchdog_seconds: int = 120, cue_ms: int = 80,
                 quiet_hours: tuple[int, int] | None = None, timeout: float = 0.5,
                 opener: Callable[[str, float], Any] = _open,
                 wall: Callable[[], dt.datetime] = dt.datetime.now) -> None:
        self.port = port
        self.watchdog_seconds = watchdog_seconds
        self.cue_ms = cue_ms
        self.quiet_hours = quiet_hours
        self.timeout = timeout
        self.opener = opener
        self.wall = wall
        self.tamper: bool | None = None  # None: not known (no board yet)
        self.presence: bool | None = None
        self.problem: str | None = "not connected yet"
        self.kicks = 0
        self.resets: int | None = None  # how often the board has reset the Pi since it powered up
        self._board: Any = None
        self._next_connect = float("-inf")
        self._last_kick = float("-inf")
        self._last_heard = 0.0
        self._lamps = lamps_for("out_of_service")
        self._lamps_sent: dict[str, str] = {}

    @property
    def up(self) -> bool:
        return self._board is not None

    def poll(self, now: float) -> list[BoardEvent]:
        """One loop turn: connect if due, collect events, lamps, the watchdog kick.
        Tamper and presence levels learnt from STATUS at connect come back as events too."""
        events: list[BoardEvent] = []
        if self._board is None:
            if now < self._next_connect:
                return events
            events += self._connect(now)
            if self._board is None:
                return events
        got = self._do(lambda b: b.events(), now, heard=False)
        for event in got or ():
            if event.kind == "BOOT":
                # The board restarted: its watchdog is disarmed and its lamps are dark.
                log.warning("I/O board restarted")
                self._lamps_sent = {}
                self._arm(now)
            events.append(event)
        if got:
            self._last_heard = now
        if self._board is not None and now - self._last_heard >= SILENT_SECONDS:
            self._do(lambda b: b.ping(), now)  # quiet for a while (no heartbeat?): does it still answer?
        self._send_lamps(now)
        if self._board is not None and self.watchdog_seconds and now - self._last_kick >= KICK_SECONDS:
            if self._do(lambda b: b.kick(), now, allow_refusal=True) is not None:
                self._last_kick = now
                self.kicks += 1
        for event in events:
            if event.kind == "TAMPER":
                self.tamper = bool(event.value)
            elif event.kind == "PRESENCE":
                self.presence = bool(event.value)
        return events

    def show(self, kind: KindName, staff_called: bool, now: float) -> None:
        """The lamps for the screen shown (sent only when they change)."""
        self._lamps = lamps_for(kind, staff_called)
        self._send_lamps(now)

    def cue(self, now: float) -> bool:
        """The answer-is-on-screen cue: short, the same for every answer, not at night."""
        if not self.cue_ms or self._board is None or in_quiet_hours(self.quiet_hours, self.wall()):
            return False
        return self._do(lambda b: b.buzz(self.cue_ms), now) is not None

    def call(self, now: float = 0.0) -> bool:
        """Call staff: the staff lamp blinks and one beep; True only when the board acknowledged."""
        if self._board is None:
            return False
        self._lamps = dict(self._lamps, amber="blink")
        self._send_lamps(now)
        return self._lamps_sent.get("amber") == "blink" and self._do(lambda b: b.buzz(STAFF_BEEP_MS), now) is not None

    def close(self) -> None:
        """A clean stop: the watchdog disarmed (nobody is there to kick it), red lamp on."""
        if self._board is None:
            return
        try:
            if self.watchdog_seconds:
                self._board.disarm_watchdog()
            for name, mode in lamps_for("out_of_service").items():
                self._board.led(name, mode)
        except (IOBoardError, serial.SerialException, OSError) as e:
            log.warning("I/O board on %s: could not disarm its watchdog at stop: %s", self.port, e)
        finally:
            self._board.close()
            self._board = None

    def health(self) -> tuple[str, str, str]:
        """(name, pass|warn|fail, sentence) for the service screen and the fleet metrics."""
        if self._board is None:
            return ("ioboard", "fail", f"The I/O board on {self.port} is not answering ({self.problem}): no "
                    "lamps, cue, tamper switch, presence sensor or Pi watchdog. Travellers are still served; "
                    "check its USB cable.")
        watchdog = f"Pi watchdog armed ({self.watchdog_seconds} s)" if self.watchdog_seconds else "Pi watchdog off"
        text = f"I/O board on {self.port} answers; {watchdog}"
        if self.resets:
            text += f"; it has reset the Pi {self.resets} times since it powered up"
        if self.tamper:
            return ("ioboard", "fail", "The enclosure is open (tamper switch); " + text + ".")
        return ("ioboard", "warn" if self.resets else "pass", text + ".")

    # -- machinery -------------------------------------------------------------------

    def _connect(self, now: float) -> list[BoardEvent]:
        self._next_connect = now + RECONNECT_SECONDS
        try:
            board = self.opener(self.port, self.timeout)
        except (IOBoardError, serial.SerialException, OSError) as e:
            self._note_problem(str(e))
            return []
        self._board = board
        self._lamps_sent = {}
        status = self._do(lambda b: b.status(), now)
        if status is None:
            return []
        log.info("I/O board on %s connected", self.port)
        self.problem = None
        self._last_heard = now
        self.resets = status.get("resets")
        self._arm(now)
        return [BoardEvent("TAMPER", status.get("tamper", 0)), BoardEvent("PRESENCE", status.get("presence", 0))]

    def _arm(self, now: float) -> None:
        if self.watchdog_seconds and self._do(lambda b: b.arm_watchdog(self.watchdog_seconds), now) is not None:
            self._last_kick = now

    def _send_lamps(self, now: float) -> None:
        for name in LAMPS:
            if self._board is None:
                return
            if self._lamps_sent.get(name) != self._lamps[name] and self._do(self._lamp(name), now) is not None:
                self._lamps_sent[name] = self._lamps[name]

    def _lamp(self, name: str) -> Callable[[Any], Any]:
        mode = self._lamps[name]
        return lambda board: board.led(name, mode)

    def _do(self, command: Callable[[Any], Any], now: float, allow_refusal: bool = False,
            heard: bool = True) -> Any:
        """Runs one command; the board lost on any failure. Returns None on failure, the
        command's result (True when it has none) otherwise. ``heard``: a success means the
        board answered (reading no events does not)."""
        board = self._board
        if board is None:
            return None
        try:
            result = command(board)
        except IOBoardError as e:
            if e.reason not in ("timeout", "") and allow_refusal:
                log.warning("I/O board refused a command: %s", e.reason)
                self._arm(now)  # e.g. "not-armed" after a board restart whose BOOT line was lost
                return None
            self._lost(now, str(e))
            return None
        except (serial.SerialException, OSError) as e:
            self._lost(now, str(e))
            return None
        if heard:
            self._last_heard = now
        return True if result is None else result

    def _lost(self, now: float, why: str) -> None:
        board, self._board = self._board, None
        self._lamps_sent = {}
        self._next_connect = now + RECONNECT_SECONDS
        self._note_problem(why)
        if board is not None:
            try:
                board.close()
            except OSError:
                pass

    def _note_problem(self, why: str) -> None:
        if why != self.problem:
            log.warning("I/O board on %s unavailable: %s (the kiosk goes on without it)", self.port, why)
        self.problem = why
