"""What the kiosk loop is given: its settings and its parts, each named by what the loop
asks of it (a ``Protocol``), so a pty scanner, a PNG display or a stand-in renderer fits
where the real one does.

The loop never reads the deployment's config file: the composition root
(``firmware/app/compose.py``) reads it and hands the loop a ``KioskSettings`` and a
``KioskParts``, for the service, the demo and the benchmark alike.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from firmware.kiosk.board import KioskBoard
from firmware.kiosk.screen import Button, Screen
from firmware.kiosk.state import ListStatus
from firmware.kiosk.status import KioskStatus
from firmware.scanner.events import Event

# (name, pass | warn | fail, a sentence for the technician): one diagnostics result
Check = tuple[str, str, str]


@dataclass(frozen=True)
class KioskSettings:
    """The deployment's choices the loop acts on (``firmware/app/config.py`` reads them).

    ``blank_after``: idle seconds with nobody in front before the screen goes dark (0: never);
    ``service_pin``: the PIN's salted hash, or None (no PIN: the button sequence means nothing);
    ``scanner_enabled``: a serial scanner is one of the readers (its up/down is reported)."""

    languages: tuple[str, ...]
    default_language: str
    result_seconds: int
    service_pin: str | None = None
    scanner_enabled: bool = True
    blank_after: float = 0.0


class ReaderLink(Protocol):
    """The scanner, the camera, or both (``firmware.camera.reader.Links``): events out."""

    @property
    def receiving(self) -> bool:
        """A frame is arriving (the screen says "reading")."""

    def read_events(self, timeout: float) -> list[Event]: ...

    def close(self) -> None: ...


class ListSource(Protocol):
    """Returns (status, banlist or None); called at start and every minute."""

    def __call__(self, today: dt.date) -> tuple[ListStatus, Any]: ...

    def distrust(self, directory: Path) -> None:
        """The list in ``directory`` failed its content check: it must not be given again."""


class Display(Protocol):
    @property
    def size(self) -> tuple[int, int]:
        """Width and height in pixels: the renderer lays every screen out for this."""

    def show(self, image: Any, name: str = ...) -> Any: ...

    def close(self) -> None:
        """Released by whoever opened it (``safar kiosk`` at its stop), never by the loop."""


class Drawn(Protocol):
    """A screen as drawn: the image and where its buttons are."""

    @property
    def image(self) -> Any: ...

    @property
    def buttons(self) -> Sequence[Button]: ...


class ScreenRenderer(Protocol):
    def render(self, screen: Screen, size: tuple[int, int], /) -> Drawn: ...


class Inputs(Protocol):
    """The touch screen and front buttons: raw (type, code, value) events since the last read."""

    def read(self) -> list[tuple[int, int, int]]: ...


class Translator(Protocol):
    """Raw input events to the kiosk's keys (``firmware.kiosk.screen``), given the buttons shown."""

    current_language: str

    def feed(self, events: Iterable[tuple[int, int, int]], buttons: Sequence[Button]) -> list[str]: ...


class Technician(Protocol):
    def present(self) -> bool:
        """A technician's key is in (service mode while it stays)."""


class FleetHealth(Protocol):
    """The fleet metrics (``firmware.fleet.health.KioskHealth``): counts and the kiosk's
    condition, never anything about a traveller."""

    def count_scan(self, result: str) -> None: ...

    def observe(self, now: float, status: KioskStatus) -> None: ...

    def close(self) -> None: ...


@dataclass
class KioskParts:
    """What the loop reads from and writes to. Each optional part left None is hardware the
    kiosk does without (no printer: no print button; no board: no staff call).

    ``print_slip(screen)``: prints the next steps for the screen's language and list (raises
    ``PrinterError`` or ``OSError``); ``checks()``: the diagnostics for the service screen;
    ``audit(action, result)``: an entry in the audit log (the service door);
    ``devices()``: more devices' up/down for the metrics (the camera); ``on_frame(screen,
    drawn)``: told of every frame shown (the demo's captions, the benchmark's latency)."""

    link: ReaderLink
    lists: ListSource
    display: Display
    renderer: ScreenRenderer
    inputs: Inputs | None = None
    translator: Translator | None = None
    technician: Technician | None = None
    print_slip: Callable[[Screen], None] | None = None
    board: KioskBoard | None = None
    health: FleetHealth | None = None
    checks: Callable[[], tuple[Check, ...]] | None = None
    audit: Callable[[str, str], None] | None = None
    devices: Callable[[], dict[str, bool | None]] | None = None
    clock: Callable[[], float] = time.monotonic
    today: Callable[[], dt.date] = dt.date.today
    on_frame: Callable[[Screen, Drawn], None] | None = None
