"""The one `safar` command.

Each subcommand lives in the module of its own concern and is imported only when
called, so `safar kiosk` on the device never loads workstation code (numpy, the
list builder) and `safar --help` stays instant.  A subcommand module exposes
``main(argv: list[str]) -> int`` and parses its own arguments.
"""

from __future__ import annotations

import importlib
import sys

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("host_tools.demo", "run the demo kiosk: emulated scanner, demo signed list, screens as PNG"),
    "kiosk": ("firmware.kiosk.service", "run the kiosk (under systemd on the device)"),
    "mrz": ("host_tools.mrz_cli", "parse (and generate) machine-readable zones"),
    "scanner-emulator": ("host_tools.scanner_emulator", "emulate an MRZ scanner on a pty or a real port"),
    "keys": ("host_tools.keys_cli", "officials' signing keys and root versions: init, add, rotate, remove, renew, sign-root, show"),
    "bundle": ("host_tools.bundle_cli", "sign, co-sign, verify and publish ban-list bundles (USB folder or web root)"),
    "flash": ("host_tools.flash", "send a published list to a kiosk over its serial service port"),
    "update": ("firmware.update.cli", "the kiosk's signed list: status, install, usb, poll, provision"),
    "serviceport": ("firmware.serviceport.server", "kiosk side of the serial service port (receives lists)"),
    "diag": ("firmware.diag.cli", "hardware and list diagnostics (exit 0 pass, 1 warn, 2 fail)"),
    "list": ("host_tools.list_cli", "build, inspect and spot-check ban-list bundles"),
}

USAGE = "usage: safar COMMAND [ARGS...]\n\ncommands:\n" + "".join(
    f"  {name:<18} {text}\n" for name, (_, text) in COMMANDS.items()
)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        sys.stderr.write(f"safar: unknown command {name!r}\n\n{USAGE}")
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    code = module.main(rest)
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
