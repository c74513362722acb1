"""A time limit as an object (pyserial's ``Timeout``), for every blocking I/O path.

Why one type: "start + timeout", "end - now" and "now >= end" written out at each call
site drift apart (one clamps at zero, one forgets to; one reads the wall clock). Here
the arithmetic is written once, on an injected monotonic clock, so a test can step time.
This is the only module that adds a timeout to a clock reading
(``tests/test_architecture.py`` checks it).
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Deadline:
    """``seconds`` from now on ``clock``: ``expired()``, ``remaining()`` (never below 0), ``restart()``."""

    __slots__ = ("seconds", "_clock", "_end")

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        """Seconds left, 0.0 once expired: a wait for this long never blocks past the deadline."""
        return max(0.0, self._end - self._clock())

    def expired(self) -> bool:
        """Whether the time is up (at the end instant it is)."""
        return self._clock() >= self._end

    def restart(self) -> None:
        """The same length again from now (progress was made: a slow peer is still a peer)."""
        self._end = self._clock() + self.seconds

    def __repr__(self) -> str:
        return f"Deadline({self.seconds:g} s, {self.remaining():.3f} s left)"
