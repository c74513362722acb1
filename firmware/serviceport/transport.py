"""Byte transports for the service port: anything with ``read(n)`` (returns b"" after a short
timeout) and ``write(data)`` (raises an ``OSError`` when the other side takes nothing for a
write timeout, so a stalled peer cannot block either end for ever). A pyserial ``Serial``
opened with ``timeout=`` and ``write_timeout=`` is one (its ``SerialTimeoutException`` is an
``OSError``); the tests' ``FdTransport`` (tests/fd_transport.py) wraps a pty."""

from __future__ import annotations

from typing import Protocol


class Transport(Protocol):
    def read(self, size: int = 1) -> bytes:
        """Up to ``size`` bytes, b"" after the read timeout."""
        ...

    def write(self, data: bytes, /) -> int | None:
        """All of ``data``, or an OSError once the peer has taken nothing for the write timeout."""
        ...
