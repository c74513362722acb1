"""`safar kiosk`: the kiosk under systemd (Type=notify, WatchdogSec).

Reads the deployment config, opens the scanner, the display and the installed
list, and runs the loop until SIGTERM. Logs go to stderr (the journal) and hold
events and counts only.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from firmware.kiosk.config import ConfigError, KioskConfig
from firmware.kiosk.lists import InstalledList
from firmware.kiosk.loop import Kiosk
from firmware.kiosk.systemd import Notifier
from firmware.kiosk.technician import TechnicianKey
from firmware.scanner.link import PortSettings, ScannerLink


def build(config: KioskConfig, state_dir: Path, png_dir: Path | None = None,
          size: tuple[int, int] | None = None) -> tuple[Kiosk, Any]:
    from kiosk_ui.display import FramebufferDisplay, PngDisplay
    from kiosk_ui.render import Renderer

    display: Any
    if png_dir is not None or config.display_backend == "png":
        display = PngDisplay(png_dir or Path(config.display_output), size or config.display_size)
    else:
        display = FramebufferDisplay(config.display_device)
    link = ScannerLink(config.scanner_port, PortSettings.parse(config.scanner_settings))
    technician = TechnicianKey(config.service_key_sha256) if config.service_key_sha256 else None
    inputs = translator = None
    if config.input_devices:
        from kiosk_ui.input import EvdevInput, EventTranslator

        inputs = EvdevInput(config.input_devices)
        translator = EventTranslator(config.languages, display.size, inputs.touch_range())
    kiosk = Kiosk(config, link, InstalledList(state_dir, config.false_alarm_limits), display, Renderer(config), display.size,
                  inputs=inputs, translator=translator,
                  checks=lambda: service_checks(state_dir, config.scanner_port, config.false_alarm_limits),
                  technician=technician)
    return kiosk, display


def service_checks(state_dir: Path, port: str, false_alarm_limits: tuple[float, float]
                   ) -> tuple[tuple[str, str, str], ...]:
    """The diagnostics for the service screen: (name, status, sentence), the list judged
    by the kiosk's own false-alarm limits."""
    from firmware.diag import run_all

    return tuple((r.name, r.status, r.message) for r in run_all(state_dir=str(state_dir), scanner_port=port,
                                                                false_alarm_limits=false_alarm_limits))


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="safar kiosk", description="Run the kiosk (under systemd on the device).")
    p.add_argument("--config", default="/etc/safar/kiosk.toml", help="deployment settings (default /etc/safar/kiosk.toml)")
    p.add_argument("--state", default="/var/lib/safar", help="state directory (default /var/lib/safar)")
    p.add_argument("--png", type=Path, help="write frames as PNG files here instead of the framebuffer")
    p.add_argument("--example-config", action="store_true", help="print an example config and exit")
    p.add_argument("--hash-pin", action="store_true", help="read a service PIN (4-8 digits) and print its service_pin line")
    a = p.parse_args(argv)
    if a.hash_pin:
        import getpass

        from firmware.kiosk.technician import hash_pin

        pin = getpass.getpass("service PIN: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
        try:
            print('service_pin = "%s"' % hash_pin(pin))
        except ValueError as e:
            print("safar kiosk: %s" % e, file=sys.stderr)
            return 2
        return 0
    if a.example_config:
        from firmware.kiosk.config import EXAMPLE

        sys.stdout.write(EXAMPLE)
        return 0
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        config = KioskConfig.load(a.config)
    except ConfigError as e:
        print("safar kiosk: %s" % e, file=sys.stderr)
        return 1
    kiosk, display = build(config, Path(a.state), a.png)
    notifier = Notifier()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    kiosk.refresh_list()
    kiosk.step(0.0)
    notifier.ready("showing %s" % kiosk.state.kind)
    try:
        while not stop:
            kiosk.step(0.1)
            notifier.ping()
    except KeyboardInterrupt:
        pass
    notifier.stopping()
    kiosk.link.close()
    display.close()
    return 0
