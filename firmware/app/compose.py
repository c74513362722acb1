"""The composition root: the one place the kiosk is wired, for ``safar kiosk``, the demo
(``host_tools/demo.py``) and the kiosk benchmark (``benchmarks/bench_kiosk.py``) alike.

They differ only in the ``Devices`` they pass: the service opens the deployment's
(``devices_from``: the scanner and camera, the framebuffer, evdev input, the slip printer,
the I/O board, the metrics textfile); the demo a scanner emulator's pty, PNG files and a
printer into a file; the benchmark stand-ins. Everything else is made here from the
settings, the same for all of them: the installed list, the renderer with the
deployment's ``Branding`` (``kiosk_ui`` never sees the config), the touch translator, the
next-steps slip, the service screen's checks, the audit log, the devices' up/down.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from firmware.app.config import ConfigError, KioskConfig
from firmware.kiosk.board import KioskBoard
from firmware.kiosk.lists import InstalledList
from firmware.kiosk.loop import Kiosk
from firmware.kiosk.parts import (
    Check,
    Display,
    Drawn,
    FleetHealth,
    Inputs,
    KioskParts,
    KioskSettings,
    ReaderLink,
    ScreenRenderer,
)
from firmware.kiosk.screen import Screen
from firmware.kiosk.technician import TechnicianKey
from firmware.update.audit import audit
from firmware.update.layout import StateLayout

if TYPE_CHECKING:
    from firmware.camera.reader import CameraLink


class TouchInputs(Inputs, Protocol):
    def touch_range(self) -> tuple[int, int] | None:
        """The touch panel's axis range, or None (buttons only)."""


class SlipOutput(Protocol):
    """Where a drawn slip goes: the ESC/POS printer (``firmware.printer.escpos.SlipPrinter``)."""

    def print_image(self, image: Any) -> None: ...


@dataclass
class Devices:
    """The hardware the kiosk talks to; a part left None is hardware it does without.

    ``camera``: the camera link when ``link`` includes it (its health on the service screen,
    its up/down in the metrics); ``renderer``: None is ``kiosk_ui``'s renderer with the
    deployment's branding (the benchmark's loop phase passes one that draws nothing)."""

    link: ReaderLink
    display: Display
    camera: CameraLink | None = None
    inputs: TouchInputs | None = None
    printer: SlipOutput | None = None
    board: KioskBoard | None = None
    health: FleetHealth | None = None
    renderer: ScreenRenderer | None = None


def settings_from(config: KioskConfig) -> KioskSettings:
    """The part of the deployment's settings the loop acts on."""
    return KioskSettings(languages=tuple(config.languages), default_language=config.default_language,
                         result_seconds=config.result_seconds, service_pin=config.service_pin,
                         scanner_enabled=config.scanner_enabled,
                         blank_after=60.0 * config.ioboard_blank_after_minutes)


def build(config: KioskConfig, state_dir: Path, devices: Devices, *, clock: Callable[[], float] = time.monotonic,
          today: Callable[[], dt.date] = dt.date.today,
          on_frame: Callable[[Screen, Drawn], None] | None = None) -> Kiosk:
    """The kiosk over ``devices``, with the installed list in ``state_dir``. ``clock``,
    ``today``: the loop's clocks; ``on_frame``: told of every frame (the demo's captions)."""
    check_text_layout(config)
    renderer = devices.renderer
    if renderer is None:
        from kiosk_ui.render import Renderer  # Pillow and segno only once the kiosk runs

        renderer = Renderer(config.branding)
    translator = None
    if devices.inputs is not None:
        from kiosk_ui.input import EventTranslator

        translator = EventTranslator(config.languages, devices.display.size, devices.inputs.touch_range())
    camera = devices.camera
    parts = KioskParts(
        link=devices.link, lists=InstalledList(state_dir, config.false_alarm_limits), display=devices.display,
        renderer=renderer, inputs=devices.inputs, translator=translator,
        technician=TechnicianKey(config.service_key_sha256) if config.service_key_sha256 else None,
        print_slip=slip_printing(config, devices.printer) if devices.printer is not None else None,
        board=devices.board, health=devices.health, checks=service_checks(config, state_dir, devices),
        audit=lambda action, result: audit(StateLayout(state_dir), dt.datetime.now(dt.UTC), action, result),
        devices=(lambda: {"camera": camera.health()[1] != "fail"}) if camera is not None else None,
        clock=clock, today=today, on_frame=on_frame)
    return Kiosk(settings_from(config), parts)


def devices_from(config: KioskConfig, state_dir: Path, png_dir: Path | None = None,
                 size: tuple[int, int] | None = None) -> Devices:
    """The deployment's devices, as its settings name them (``png_dir``: frames as PNG files
    there instead of the framebuffer, at ``size``)."""
    from kiosk_ui.display import FramebufferDisplay, PngDisplay
    from kiosk_ui.input import EvdevInput

    display: Display
    if png_dir is not None or config.display_backend == "png":
        display = PngDisplay(png_dir or Path(config.display_output), size or config.display_size)
    else:
        display = FramebufferDisplay(config.display_device)
    link, camera = readers(config)
    printer = None
    if config.printer_enabled:
        from firmware.printer.escpos import SlipPrinter

        printer = SlipPrinter(config.printer_device, config.printer_baudrate)
    return Devices(link=link, display=display, camera=camera,
                   inputs=EvdevInput(config.input_devices) if config.input_devices else None, printer=printer,
                   board=io_board(config), health=fleet_health(config, state_dir))


def io_board(config: KioskConfig) -> KioskBoard | None:
    if config.ioboard_port is None:
        return None
    return KioskBoard(config.ioboard_port, watchdog_seconds=config.ioboard_watchdog_seconds,
                      cue_ms=config.ioboard_cue_ms, quiet_hours=config.ioboard_quiet_hours)


def fleet_health(config: KioskConfig, state_dir: Path) -> FleetHealth | None:
    if not config.metrics_enabled:
        return None
    from firmware.fleet.health import KioskHealth

    return KioskHealth(Path(config.metrics_textfile), state_dir, result_totals=config.metrics_result_totals)


def readers(config: KioskConfig) -> tuple[ReaderLink, CameraLink | None]:
    """The loop's link: the scanner, the camera, or both (the first good read wins); and the
    camera link (for the service screen), or None."""
    from firmware.scanner.link import PortSettings, ScannerLink

    scanner = ScannerLink(config.scanner_port, PortSettings.parse(config.scanner_settings)) \
        if config.scanner_enabled else None
    if config.camera_source is None:
        assert scanner is not None  # the config refuses a kiosk with neither
        return scanner, None
    from firmware.camera.reader import CameraLink, Links
    from firmware.camera.recognise import LineReader
    from firmware.camera.sources import opener

    def today() -> tuple[int, int, int]:
        d = dt.date.today()
        return (d.year, d.month, d.day)

    camera = CameraLink(opener(config.camera_source, config.camera_files, config.camera_size), LineReader(),
                        frames_to_agree=config.camera_frames_to_agree, read_timeout=config.camera_read_timeout,
                        today=today)
    return (Links(scanner, camera) if scanner is not None else camera), camera


def check_text_layout(config: KioskConfig) -> None:
    """Right-to-left languages (Dari) need Pillow's raqm layout, which loads the system's
    FriBiDi: without it a Dari screen could not be drawn, so the kiosk does not start."""
    from PIL import features

    from kiosk_ui.i18n import RTL_LANGUAGES

    rtl = [lang for lang in config.languages if lang in RTL_LANGUAGES]
    if rtl and not features.check("raqm"):
        raise ConfigError(config.file, "languages", f"{', '.join(rtl)} is written right to left and needs "
                          "Pillow's raqm text layout, which is not available (install libfribidi0)")


def slip_printing(config: KioskConfig, printer: SlipOutput) -> Callable[[Screen], None]:
    """Prints the next-steps slip for a screen (its language and list; never the traveller)."""
    from kiosk_ui.i18n import RTL_LANGUAGES, Texts
    from kiosk_ui.slip import render_slip

    texts, branding = Texts(), config.branding

    def print_slip(screen: Screen) -> None:
        printer.print_image(render_slip(branding, texts, screen.lang, screen.list_date or "?",
                                        screen.valid_until or "?", config.printer_dots,
                                        rtl=screen.lang in RTL_LANGUAGES))

    return print_slip


def service_checks(config: KioskConfig, state_dir: Path, devices: Devices) -> Callable[[], tuple[Check, ...]]:
    """The diagnostics for the service screen: the list judged by the kiosk's own false-alarm
    limits, the slip printer's check when one is configured, and the kiosk's own view of the
    devices it holds (the board's port is the kiosk's: diag would only find it busy)."""
    printer = (config.printer_device, config.printer_baudrate) if devices.printer is not None else None
    own = tuple(part.health for part in (devices.camera, devices.board) if part is not None)

    def checks() -> tuple[Check, ...]:
        from firmware.diag import run_all  # the diagnostics only when a technician asks

        found = tuple((r.name, r.status, r.message) for r in run_all(
            state_dir=str(state_dir), scanner_port=config.scanner_port,
            false_alarm_limits=config.false_alarm_limits, printer=printer))
        if devices.board is not None:
            found = tuple(c for c in found if c[0] != "ioboard")
        return found + tuple(health() for health in own)

    return checks
