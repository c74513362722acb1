"""The I/O board played on a pty by the real protocol code, for the driver's and the kiosk's tests."""

from __future__ import annotations

import os
import select
import threading
import time
import tty

from firmware.ioboard.protocol import BoardState, LineReader, encode


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
        self.state = BoardState(self._now())
        self.reader = LineReader()
        self.before_reply: list[bytes] = []
        self.silent = False
        self.inputs = (0, 0)
        self.heartbeats = False
        self.received: list[bytes] = []
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

    def send(self, data: bytes) -> None:
        with self._lock:
            os.write(self.master, data)

    def _run(self) -> None:
        while not self._stop.is_set():
            now = self._now()
            ready, _, _ = select.select([self.master], [], [], 0.005)
            if ready:
                try:
                    data = os.read(self.master, 256)
                except OSError:
                    return
                for line in self.reader.feed(data):
                    self.received.append(line)
                    if self.silent:
                        continue
                    out = b"".join(self.before_reply)
                    self.before_reply = []
                    out += b"".join(self.state.handle_line(line, now))
                    self.send(out)
            events = self.state.set_inputs(self.inputs[0], self.inputs[1], now)
            if self.heartbeats:
                events += self.state.heartbeat(now)
            if events:
                self.send(b"".join(encode(e) for e in events))
