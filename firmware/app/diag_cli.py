"""`safar diag`: one report on scanner, screen, storage, list, clock, power, heat, watchdog, I/O board
and, when the config enables it, the slip printer.

Locally::

    safar diag [--json] [--root DIR] [--state DIR] [--scanner PORT] [--fb fb0] [--ioboard PORT] [--config FILE]

Remotely, from a workstation over the kiosk's service serial console
(``firmware.diag.remote``)::

    safar diag --port /dev/ttyUSB0 [--json]        (workstation)
    safar diag --serve /dev/ttyGS0 [--state DIR]   (kiosk side, answers requests)

Exit codes: 0 every check passed; 1 the worst result is a warning; 2 at least
one check failed; 3 no report (bad arguments, remote kiosk unreachable).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from firmware.cliutil import command_parser, run_cli
from firmware.diag import remote
from firmware.diag.checks import CheckResult, DiagContext, run_all
from firmware.diag.report import exit_code, format_table, report_dict
from firmware.update.layout import DEFAULT_STATE

EXIT_NO_REPORT = 3


class NoReport(Exception):
    """``safar diag`` cannot give a report at all (exit code 3, not a check's verdict)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse would exit 2, which here means "a check failed"
        self.print_usage(sys.stderr)
        self.exit(EXIT_NO_REPORT, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = command_parser("safar diag", "Hardware and list diagnostics. Exit code: 0 all pass, 1 worst is a warning, "
                       "2 a check failed, 3 no report.", doc="docs/diag.md", parser_class=_Parser)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--root", default="/", metavar="DIR", help="read /sys, /proc, /dev, /etc, /run under DIR (testing)")
    p.add_argument("--state", default=str(DEFAULT_STATE), metavar="DIR",
                   help=f"kiosk state directory (default {DEFAULT_STATE})")
    p.add_argument("--scanner", metavar="PORT", help="scanner serial port (default: /dev/safar-scanner, "
                   "then /dev/serial/by-id/*)")
    p.add_argument("--config", metavar="FILE", help="kiosk settings to judge the list by (its [matching] "
                   "false-alarm limits) and the slip printer to check (its [printer] section, when enabled); "
                   "default: the built-in limits and no printer")
    p.add_argument("--fb", default="fb0", metavar="NAME", help="framebuffer device name (default fb0)")
    p.add_argument("--ioboard", metavar="PORT", help="I/O board port (default /dev/safar-ioboard)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--port", metavar="PORT", help="workstation: fetch the report from a kiosk over this "
                      "serial port")
    mode.add_argument("--serve", metavar="PORT", help="kiosk: answer diagnostics requests on this serial port")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S",
                   help="seconds to wait for a remote report (default 60)")
    return p


def _print(results: Sequence[CheckResult], as_json: bool, out: TextIO) -> int:
    if as_json:
        out.write(json.dumps(report_dict(results), indent=2, sort_keys=True) + "\n")
    else:
        out.write(format_table(results))
    out.flush()
    return exit_code(results)


def _context(args: argparse.Namespace) -> DiagContext:
    from firmware.app.config import ConfigError, KioskConfig, limits_from

    try:
        config = KioskConfig.load(args.config) if args.config else None
    except ConfigError as e:
        raise NoReport(str(e)) from e
    limits = limits_from(None) if config is None else config.false_alarm_limits
    printer = None
    if config is not None and config.printer_enabled:
        printer = (config.printer_device, config.printer_baudrate)
    camera = None
    if config is not None and config.camera_source is not None:
        from firmware.camera.sources import opener

        camera = opener(config.camera_source, config.camera_files, config.camera_size)
    return DiagContext(root=args.root, state_dir=args.state, scanner_port=args.scanner, fb=args.fb,
                       ioboard_port=args.ioboard, false_alarm_limits=limits, printer=printer,
                       camera=camera)


def _diag(args: argparse.Namespace) -> int:
    if args.port:
        try:
            results = remote.fetch(args.port, args.timeout)
        except (remote.RemoteDiagError, OSError) as e:
            raise NoReport(f"no report from {args.port}: {e}") from e
        return _print(results, args.json, sys.stdout)
    ctx = _context(args)
    if args.serve:
        try:
            remote.serve(args.serve, ctx)
        except KeyboardInterrupt:
            return 0
        except OSError as e:
            raise NoReport(f"cannot serve on {args.serve}: {e}") from e
        return 0
    return _print(run_all(context=ctx), args.json, sys.stdout)


def main(argv: list[str] | None = None) -> int:
    return run_cli(_parser(), _diag, argv, errors=(NoReport,), error_code=EXIT_NO_REPORT)


if __name__ == "__main__":
    sys.exit(main())
