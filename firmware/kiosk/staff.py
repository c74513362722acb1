"""The "call staff" signal: the I/O board's amber lamp blinks and its buzzer beeps once.

A screen may say "a member of staff has been called" only when the signal really went
out, so ``call()`` answers whether the board acknowledged it. Without a board in the
config there is no signal, and the screens say "ask at the desk" instead.

The board is opened for each call and closed again: the kiosk does not hold it between
calls (issue 15 brings the board into the loop for its other jobs).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import serial

from firmware.ioboard.driver import IOBoard, IOBoardError

log = logging.getLogger("safar.kiosk")

LAMP = "amber"  # the staff lamp: blinking while a traveller waits
BEEP_MS = 300  # one short, unalarming beep


class StaffSignal:
    def __init__(self, port: str, timeout: float = 1.0) -> None:
        self.port = port
        self.timeout = timeout

    def call(self) -> bool:
        """Blinks the staff lamp and beeps; False (and a log line) when the board did not answer."""
        def signal(board: IOBoard) -> None:
            board.led(LAMP, "blink")
            board.buzz(BEEP_MS)

        return self._send(signal)

    def clear(self) -> bool:
        """The traveller has gone: the lamp off."""
        return self._send(lambda board: board.led(LAMP, "off"))

    def _send(self, commands: Callable[[IOBoard], object]) -> bool:
        try:
            with IOBoard(self.port, timeout=self.timeout) as board:
                commands(board)
            return True
        except (IOBoardError, serial.SerialException, OSError) as e:
            log.warning("staff signal: the I/O board on %s did not answer: %s", self.port, e)
            return False
