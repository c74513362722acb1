"""The I/O board played on a pty by the real protocol code, for the driver's and the kiosk's tests.

``FakeBoard`` runs ``BoardState`` on CPython; ``MicroPythonBoard`` runs the same
``protocol.py`` under the MicroPython WebAssembly port (``tests/mpy/board.mjs``), the
interpreter family the Pico runs it on. Both do each turn what the firmware's main loop
does (``firmware/ioboard/board/main.py``), minus the pins.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import threading
import time
import tty
from pathlib import Path
from typing import Any

from firmware.ioboard.protocol import BoardState, LineReader, encode

REPO = Path(__file__).resolve().parent.parent


class FakeBoard:
    """The board's main loop on a pty master: commands in, replies and events out.

    `before_reply` bytes are written ahead of the next reply (noise, events);
    `silent` makes it swallow commands; `inputs` are the raw (tamper, presence)
    levels it samples each pass, so debounced EVT lines come from BoardState.
    """

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.state: Any = BoardState(self._now())
        self.reader = LineReader()  # what the board received, for the tests to look at
        self._board_reader = LineReader()  # the board's own
        self.before_reply: list[bytes] = []
        self.silent = False
        self.inputs = (0, 0)
        self.heartbeats = False
        self.received: list[bytes] = []
        self.pi_resets: list[int] = []  # when (board ms) its watchdog pulled the Pi's RUN line
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _now() -> int:
        return int(time.monotonic() * 1000)

    def start(self) -> FakeBoard:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        os.close(self.master)
        os.close(self.slave)

    def commands(self, name: bytes) -> list[bytes]:
        """The lines received that carry command ``name`` (b"KICK", b"BUZZ", ...)."""
        return [line for line in list(self.received) if line.split(b" ")[0] == name]

    def send(self, data: bytes) -> None:
        with self._lock:
            os.write(self.master, data)

    def _run(self) -> None:
        while not self._stop.is_set():
            now = self._now()
            ready, _, _ = select.select([self.master], [], [], 0.005)
            data = b""
            if ready:
                try:
                    data = os.read(self.master, 256)
                except OSError:
                    return
                self.received += self.reader.feed(data)
                if self.silent:
                    data = b""
            replies, events, reset = self._turn(data, now)
            if reset:
                self.pi_resets.append(now)
            if replies:
                replies = b"".join(self.before_reply) + replies
                self.before_reply = []
            if replies or events:
                self.send(replies + events)

    def _turn(self, data: bytes, now: int) -> tuple[bytes, bytes, bool]:
        """One pass of the board's loop: (reply bytes, event bytes, whether it reset the Pi)."""
        replies = b"".join(b"".join(self.state.handle_line(line, now)) for line in self._board_reader.feed(data))
        reset = self.state.tick(now)
        events = self.state.set_inputs(self.inputs[0], self.inputs[1], now)
        if self.heartbeats:
            events += self.state.heartbeat(now)
        return replies, b"".join(encode(e) for e in events), reset


class _Mirror:
    """What the MicroPython board last reported of its state (leds, wdt_s, tamper, presence)."""

    def __init__(self) -> None:
        self.leds = {"green": "off", "amber": "off", "red": "off"}
        self.wdt_s = 0
        self.tamper = 0
        self.presence = 0


class MicroPythonBoard(FakeBoard):
    """``protocol.py`` under MicroPython (Node + the WebAssembly port) behind the pty."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None or not (REPO / "node_modules" / "@micropython").exists():
            raise RuntimeError("Node.js and the npm package @micropython/micropython-webassembly-pyscript "
                               "are needed: run ./dev test")
        super().__init__()
        self.state = _Mirror()
        self.implementation = ""
        self._engine = subprocess.Popen([node, str(REPO / "tests" / "mpy" / "board.mjs"), str(REPO)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO)

    def stop(self) -> None:
        super().stop()
        assert self._engine.stdin is not None
        self._engine.stdin.close()
        try:
            self._engine.wait(5)
        except subprocess.TimeoutExpired:
            self._engine.kill()

    def _turn(self, data: bytes, now: int) -> tuple[bytes, bytes, bool]:
        assert self._engine.stdin is not None and self._engine.stdout is not None
        request = {"rx": data.hex(), "now": now, "tamper": self.inputs[0], "presence": self.inputs[1],
                   "hb": self.heartbeats}
        self._engine.stdin.write(json.dumps(request).encode() + b"\n")
        self._engine.stdin.flush()
        line = self._engine.stdout.readline()
        if not line:
            raise RuntimeError("the MicroPython board process ended")
        answer = json.loads(line)
        self.implementation = answer["impl"]
        self.state.leds, self.state.wdt_s = answer["leds"], answer["wdt"]
        self.state.tamper, self.state.presence = answer["tamper"], answer["presence"]
        # Replies and events come back as one stream, in the order the board wrote them.
        return bytes.fromhex(answer["tx"]), b"", answer["reset"]
