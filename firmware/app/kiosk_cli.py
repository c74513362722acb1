"""`safar kiosk`: the kiosk under systemd (Type=notify, WatchdogSec).

Reads the deployment config, opens the scanner, the display and the installed
list, and runs the loop until SIGTERM. Logs go to stderr (the journal) and hold
events and counts only.

The kiosk is wired by the composition root (``firmware/app/compose.py``) over the
devices the config names.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import signal
import sys
from pathlib import Path

from firmware.app.config import EXAMPLE, ConfigError, KioskConfig
from firmware.app.systemd import Notifier
from firmware.cliutil import command_parser, run_cli
from firmware.kiosk.technician import hash_pin
from firmware.update.layout import DEFAULT_STATE

DEFAULT_CONFIG = Path("/etc/safar/kiosk.toml")


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
    from firmware.app.compose import build, devices_from  # Pillow, segno, numpy: not for --hash-pin or --help

    kiosk = build(config, args.state, devices_from(config, args.state, args.png))
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
    kiosk.display.close()
    return 0


def main(argv: list[str]) -> int:
    return run_cli(parser(), _run, argv, errors=(ConfigError,))
