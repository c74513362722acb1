"""A service-port transport over a file descriptor (a pty), as the kiosk's pyserial port behaves:
``read`` returns b"" after a short timeout, ``write`` raises ``WriteTimeout`` (an ``OSError``,
like pyserial's ``SerialTimeoutException``) when the other side takes nothing for a while."""

from __future__ import annotations

import errno
import os
import select

from firmware.deadline import Deadline


class WriteTimeout(OSError):
    """The other side took no bytes within the write timeout (it stopped reading)."""


class FdTransport:
    def __init__(self, fd: int, timeout: float = 0.2, write_timeout: float = 5.0) -> None:
        self.fd = fd
        self.timeout = timeout
        self.write_timeout = write_timeout
        if fd >= 0:  # a blocking write of more than the tty buffers would wait for a reader for ever
            os.set_blocking(fd, False)

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
        deadline = Deadline(self.write_timeout)
        while view:
            _, ready, _ = select.select([], [self.fd], [], deadline.remaining())
            if not ready:
                raise WriteTimeout(errno.ETIMEDOUT, f"no bytes taken within {self.write_timeout:g} s")
            try:
                n = os.write(self.fd, view)
            except BlockingIOError:
                continue
            view = view[n:]
            deadline.restart()  # a slow reader is still a reader
        return len(data)
