"""`safar kiosk`: the kiosk under systemd (Type=notify, WatchdogSec).

Reads the deployment config, opens the scanner, the display and the installed
list, and runs the loop until SIGTERM. Logs go to stderr (the journal) and hold
events and counts only.

This is the composition root: the one place that hands the config's ``Branding``
to the renderer and wires the link, display and input into the loop; ``kiosk_ui``
itself never sees the config.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from firmware.cliutil import command_parser, run_cli
from firmware.kiosk.board import KioskBoard
from firmware.kiosk.config import EXAMPLE, ConfigError, KioskConfig
from firmware.kiosk.lists import InstalledList
from firmware.kiosk.loop import Kiosk
from firmware.kiosk.printer import SlipPrinter
from firmware.kiosk.screen import Screen
from firmware.kiosk.systemd import Notifier
from firmware.kiosk.technician import TechnicianKey, hash_pin
from firmware.scanner.link import PortSettings, ScannerLink
from firmware.update.audit import audit
from firmware.update.layout import DEFAULT_STATE, StateLayout

DEFAULT_CONFIG = Path("/etc/safar/kiosk.toml")


def build(config: KioskConfig, state_dir: Path, png_dir: Path | None = None,
          size: tuple[int, int] | None = None) -> tuple[Kiosk, Any]:
    # Pillow, segno and numpy only once the kiosk runs, not for --hash-pin or --help.
    from kiosk_ui.display import FramebufferDisplay, PngDisplay
    from kiosk_ui.input import EvdevInput, EventTranslator
    from kiosk_ui.render import Renderer

    check_text_layout(config)
    display: Any
    if png_dir is not None or config.display_backend == "png":
        display = PngDisplay(png_dir or Path(config.display_output), size or config.display_size)
    else:
        display = FramebufferDisplay(config.display_device)
    link, camera = readers(config)
    technician = TechnicianKey(config.service_key_sha256) if config.service_key_sha256 else None
    inputs = translator = None
    if config.input_devices:
        inputs = EvdevInput(config.input_devices)
        translator = EventTranslator(config.languages, display.size, inputs.touch_range())
    printer = (config.printer_device, config.printer_baudrate) if config.printer_enabled else None
    board = io_board(config)
    own_checks = tuple(part.health for part in (camera, board) if part is not None)

    def checks() -> tuple[tuple[str, str, str], ...]:
        # The kiosk holds the board's port: its own view of the board replaces diag's "port busy".
        found = service_checks(state_dir, config.scanner_port, config.false_alarm_limits, printer)
        if board is not None:
            found = tuple(c for c in found if c[0] != "ioboard")
        return found + tuple(health() for health in own_checks)

    kiosk = Kiosk(config, link, InstalledList(state_dir, config.false_alarm_limits), display,
                  Renderer(config.branding), display.size, inputs=inputs, translator=translator,
                  checks=checks, technician=technician, print_slip=slip_printer(config), board=board,
                  health=fleet_health(config, state_dir),
                  audit=lambda action, result: audit(StateLayout(state_dir), dt.datetime.now(dt.UTC),
                                                     action, result),
                  blank_after=60.0 * config.ioboard_blank_after_minutes,
                  devices=(lambda: {"camera": camera.health()[1] != "fail"}) if camera is not None else None)
    return kiosk, display


def io_board(config: KioskConfig) -> KioskBoard | None:
    if config.ioboard_port is None:
        return None
    return KioskBoard(config.ioboard_port, watchdog_seconds=config.ioboard_watchdog_seconds,
                      cue_ms=config.ioboard_cue_ms, quiet_hours=config.ioboard_quiet_hours)


def fleet_health(config: KioskConfig, state_dir: Path) -> Any:
    if not config.metrics_enabled:
        return None
    from firmware.kiosk.health import KioskHealth

    return KioskHealth(Path(config.metrics_textfile), state_dir, result_totals=config.metrics_result_totals)


def readers(config: KioskConfig) -> tuple[Any, Any]:
    """The loop's link: the scanner, the camera, or both (the first good read wins); and the
    camera link (for the service screen), or None."""
    scanner = ScannerLink(config.scanner_port, PortSettings.parse(config.scanner_settings)) \
        if config.scanner_enabled else None
    if config.camera_source is None:
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


def slip_printer(config: KioskConfig) -> Callable[[Screen], None] | None:
    """Prints the next-steps slip for a screen (its language and list; never the traveller)."""
    if not config.printer_enabled:
        return None
    from kiosk_ui.i18n import RTL_LANGUAGES, Texts
    from kiosk_ui.slip import render_slip

    printer, texts, branding = SlipPrinter(config.printer_device, config.printer_baudrate), Texts(), config.branding

    def print_slip(screen: Screen) -> None:
        printer.print_image(render_slip(branding, texts, screen.lang, screen.list_date or "?",
                                        screen.valid_until or "?", config.printer_dots,
                                        rtl=screen.lang in RTL_LANGUAGES))

    return print_slip


def service_checks(state_dir: Path, port: str, false_alarm_limits: tuple[float, float],
                   printer: tuple[str, int | None] | None = None) -> tuple[tuple[str, str, str], ...]:
    """The diagnostics for the service screen: (name, status, sentence), the list judged
    by the kiosk's own false-alarm limits, the slip printer's check when one is configured."""
    from firmware.diag import run_all  # the diagnostics only when a technician asks

    return tuple((r.name, r.status, r.message) for r in run_all(state_dir=str(state_dir), scanner_port=port,
                                                                false_alarm_limits=false_alarm_limits,
                                                                printer=printer))


def parser() -> argparse.ArgumentParser:
    p = command_parser("safar kiosk", "Run the kiosk (under systemd on the device).", doc="docs/kiosk.md")
    p.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                   help=f"deployment settings (default {DEFAULT_CONFIG})")
    p.add_argument("--state", type=Path, default=DEFAULT_STATE, help=f"state directory (default {DEFAULT_STATE})")
    p.add_argument("--png", type=Path, help="write frames as PNG files here instead of the framebuffer")
    p.add_argument("--example-config", action="store_true", help="print an example config and exit")
    p.add_argument("--hash-pin", action="store_true",
                   help="read a service PIN (4-8 digits) and print its service_pin line")
    return p


def _hash_pin() -> int:
    pin = getpass.getpass("service PIN: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    try:
        line = f'service_pin = "{hash_pin(pin)}"'
    except ValueError as e:
        print(f"safar kiosk: {e}", file=sys.stderr)
        return 2
    print(line)
    return 0


def _run(args: argparse.Namespace) -> int:
    if args.hash_pin:
        return _hash_pin()
    if args.example_config:
        sys.stdout.write(EXAMPLE)
        return 0
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    config = KioskConfig.load(args.config)
    placeholders = config.placeholders()
    if placeholders:
        # A traveller must never be sent to a made-up number or a domain anyone may register.
        key, why = placeholders[0]
        raise ConfigError(config.file, key, f"still a placeholder: {why} ({len(placeholders)} in all; "
                          "configure the real contacts and links: docs/next-steps.md)")
    kiosk, display = build(config, args.state, args.png)
    notifier = Notifier()
    stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    kiosk.start()  # the list, read back in full before the first frame
    kiosk.step(0.0)
    notifier.ready(f"showing {kiosk.state.kind}")
    try:
        while not stop:
            kiosk.step(0.1)
            notifier.ping()
    except KeyboardInterrupt:
        pass
    notifier.stopping()
    kiosk.close()
    display.close()
    return 0


def main(argv: list[str]) -> int:
    return run_cli(parser(), _run, argv, errors=(ConfigError,))
