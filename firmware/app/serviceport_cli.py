"""`safar serviceport`: the kiosk side of the serial service port, run by a systemd unit
(``firmware/serviceport/server.py`` receives and installs; this reads the command line and
the kiosk's false-alarm limits)."""

from __future__ import annotations

import argparse
import sys

from firmware.app.update_cli import add_limits_argument, add_state_argument
from firmware.cliutil import command_parser, run_cli
from firmware.serviceport.server import WRITE_TIMEOUT, ServicePort


def _parser() -> argparse.ArgumentParser:
    ap = command_parser("safar serviceport", "The kiosk side of the serial service port: receives a list "
                        "repository from safar flash, resumably, and installs it exactly as from a USB stick. "
                        "Run by a systemd unit.", doc="docs/trust.md")
    ap.add_argument("--port", required=True, help="serial device of the service port (e.g. /dev/ttyGS0)")
    ap.add_argument("--baud", type=int, default=115200, help="baud rate (default 115200)")
    add_state_argument(ap)
    add_limits_argument(ap)
    return ap


def _serve(args: argparse.Namespace) -> int:
    import serial

    # a write timeout: a host that stops reading must not stop the port
    port = serial.Serial(args.port, args.baud, timeout=0.2, write_timeout=WRITE_TIMEOUT)
    print(f"service port on {args.port} at {args.baud} baud", file=sys.stderr)
    try:
        ServicePort(port, args.state, false_alarm_limits=args.limits).serve()
    except KeyboardInterrupt:
        return 0
    finally:
        port.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m firmware.app.serviceport_cli --port /dev/ttyGS0 [--state DIR]`` (a systemd unit)."""
    return run_cli(_parser(), _serve, argv, errors=(OSError,))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
