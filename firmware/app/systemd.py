"""sd_notify without libsystemd: READY=1 once the kiosk shows its first screen,
WATCHDOG=1 from the main loop (the unit's WatchdogSec restarts a hung kiosk)."""

from __future__ import annotations

import os
import socket
import time


class Notifier:
    def __init__(self, address: str | None = None) -> None:
        address = address if address is not None else os.environ.get("NOTIFY_SOCKET")
        self.address = address
        usec = os.environ.get("WATCHDOG_USEC")
        # Ping at half the watchdog period, as sd_watchdog_enabled(3) advises.
        self.interval = int(usec) / 2e6 if usec and usec.isdigit() else None
        self._last = 0.0

    def send(self, state: str) -> bool:
        """Sends one sd_notify message; False outside systemd (no NOTIFY_SOCKET), so the kiosk runs anywhere."""
        if not self.address:
            return False
        addr = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            try:
                s.sendto(state.encode(), addr)
            except OSError:
                return False
        return True

    def ready(self, status: str = "") -> None:
        """Tells systemd the kiosk is up, so the unit counts as started."""
        self.send("READY=1" + ("\nSTATUS=" + status if status else ""))

    def ping(self) -> None:
        """Kicks systemd's watchdog at most once an interval: a hung loop gets the kiosk restarted."""
        now = time.monotonic()
        if self.interval is not None and now - self._last >= self.interval:
            self._last = now
            self.send("WATCHDOG=1")

    def stopping(self) -> None:
        """Tells systemd the kiosk is stopping on purpose."""
        self.send("STOPPING=1")
