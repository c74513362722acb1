"""What the scanner link tells the kiosk loop.

Plain classes (no dataclasses) so they cost nothing to create per poll and their
``repr`` is under our control: a ``DocumentRead`` must never print personal data
into a log or a traceback.
"""

from __future__ import annotations

from typing import Any


class DocumentRead:
    """A zone was read and parsed into a valid ``firmware.core.mrz.Document``."""

    __slots__ = ("document", "framing")

    def __init__(self, document: Any, framing: str) -> None:
        self.document = document
        self.framing = framing

    def __repr__(self) -> str:
        fmt = getattr(self.document, "format", None)
        return f"DocumentRead(format={fmt}, framing={self.framing})"


class ReadFailed:
    """A frame arrived but gave no valid document; ``reason`` holds no MRZ content."""

    __slots__ = ("reason", "framing")

    def __init__(self, reason: str, framing: str) -> None:
        self.reason = reason
        self.framing = framing

    def __repr__(self) -> str:
        return f"ReadFailed(reason={self.reason!r}, framing={self.framing})"


class ScannerUnavailable:
    """The port cannot be opened or was lost (unplugged); sent once per outage."""

    __slots__ = ("detail",)

    def __init__(self, detail: str) -> None:
        self.detail = detail

    def __repr__(self) -> str:
        return f"ScannerUnavailable(detail={self.detail!r})"


class ScannerAvailable:
    """The port was (re)opened."""

    __slots__ = ("port",)

    def __init__(self, port: str) -> None:
        self.port = port

    def __repr__(self) -> str:
        return f"ScannerAvailable(port={self.port!r})"


Event = DocumentRead | ReadFailed | ScannerUnavailable | ScannerAvailable
