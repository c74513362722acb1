"""Byte transports for the service port: anything with ``read(n)`` (returns b"" after a short
timeout) and ``write(data)``. A pyserial ``Serial`` opened with ``timeout=`` is one;
``FdTransport`` wraps a file descriptor (a pty in tests, a raw tty)."""

from __future__ import annotations

import errno
import os
import select
from typing import Protocol


class Transport(Protocol):
    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes, /) -> int | None: ...


class FdTransport:
    def __init__(self, fd: int, timeout: float = 0.2) -> None:
        self.fd = fd
        self.timeout = timeout

    def read(self, size: int = 1) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], self.timeout)
        if not ready:
            return b""
        try:
            return os.read(self.fd, size)
        except OSError as e:
            if e.errno in (errno.EIO, errno.EAGAIN):  # pty: the other side is closed
                return b""
            raise

    def write(self, data: bytes, /) -> int:
        view = memoryview(data)
        while view:
            select.select([], [self.fd], [], 5.0)
            n = os.write(self.fd, view)
            view = view[n:]
        return len(data)
