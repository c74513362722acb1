"""The one ``safar`` command.

Each subcommand lives in the module of its own concern and is imported only when
called, so ``safar kiosk`` on the device never loads workstation code (numpy, the
list builder) and ``safar --help`` stays instant.  A subcommand module exposes
``main(argv: list[str]) -> int`` and parses its own arguments.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import os
import sys

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("host_tools.demo", "run the demo kiosk: emulated scanner, demo signed list, screens as PNG"),
    "kiosk": ("firmware.app.kiosk_cli", "run the kiosk (under systemd on the device)"),
    "mrz": ("host_tools.mrz_cli", "parse (and generate) machine-readable zones"),
    "scanner-emulator": ("host_tools.scanner_emulator", "emulate an MRZ scanner on a pty or a real port"),
    "keys": ("host_tools.keys_cli",
             "officials' signing keys and root versions: init, add, rotate, remove, renew, sign-root, show"),
    "bundle": ("host_tools.bundle_cli", "sign, co-sign, verify and publish ban-list bundles (USB folder or web root)"),
    "flash": ("host_tools.flash", "send a published list to a kiosk over its serial service port"),
    "update": ("firmware.app.update_cli", "the kiosk's signed list: status, install, usb, poll, provision"),
    "serviceport": ("firmware.app.serviceport_cli", "kiosk side of the serial service port (receives lists)"),
    "diag": ("firmware.app.diag_cli", "hardware and list diagnostics (exit 0 pass, 1 warn, 2 fail)"),
    "camera": ("firmware.app.camera_cli", "read the MRZ in camera images (the camera reader, one frame each)"),
    "list": ("host_tools.list_cli", "build, inspect and spot-check ban-list bundles"),
}

USAGE = (
    "usage: safar COMMAND [ARGS...]\n"
    "       safar --version\n\n"
    "commands:\n"
    + "".join(f"  {name:<18} {text}\n" for name, (_, text) in COMMANDS.items())
    + "\nsafar COMMAND --help shows a command's arguments and the document that describes it.\n"
)

# What a shell reports for a program that SIGPIPE ended (128 + 13), as `... | head` expects.
EXIT_BROKEN_PIPE = 141


def version() -> str:
    """The installed distribution's version; a source tree that was never installed has none."""
    try:
        return importlib.metadata.version("safar")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def main(argv: list[str] | None = None) -> int:
    """The console script: runs one subcommand and returns its exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        code = _dispatch(args)
        # A reader that left early (``| head``) must show up here, not as a traceback at interpreter exit.
        sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    return code


def _dispatch(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        return 0 if args else 2
    if args[0] == "--version":
        print(f"safar {version()}")
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        sys.stderr.write(f"safar: unknown command {name!r}\n\n{USAGE}")
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(rest) or 0)


def _discard_stdout() -> None:
    """Points stdout at devnull so the interpreter's last flush cannot fail again (the Python docs' recipe)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
