"""`safar diag`: one report on scanner, screen, storage, list, clock, power, heat, watchdog, I/O board.

Locally::

    safar diag [--json] [--root DIR] [--state DIR] [--scanner PORT] [--fb fb0] [--ioboard PORT]

Remotely, from a workstation over the kiosk's service serial console::

    safar diag --port /dev/ttyUSB0 [--json]        (workstation)
    safar diag --serve /dev/ttyGS0 [--state DIR]   (kiosk side, answers requests)

Remote line protocol (ASCII, one request per line): the workstation sends
``DIAG\\n``; the kiosk answers one line of JSON (the same object ``--json``
prints) and then ``END\\n``.  Any other non-empty line gets ``ERR unknown
request\\n``.  The workstation ignores lines before the JSON, so a stray
console banner does not break it.

Exit codes: 0 every check passed; 1 the worst result is a warning; 2 at least
one check failed; 3 no report (bad arguments, remote kiosk unreachable).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from firmware.diag.checks import DEFAULT_STATE, SEVERITY, CheckResult, DiagContext, run_all, worst

EXIT_NO_REPORT = 3
REMOTE_BAUD = 115200


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit 2, which means "a check failed" here
        raise _UsageError(message)


def report_dict(results: Sequence[CheckResult]) -> dict[str, Any]:
    """The JSON report: checks in order and the worst status."""
    return {"worst": worst(results), "checks": [r.to_dict() for r in results]}


def exit_code(results: Sequence[CheckResult]) -> int:
    """0 all pass, 1 worst is a warning, 2 something failed."""
    return SEVERITY[worst(results)]


def format_table(results: Sequence[CheckResult]) -> str:
    """`PASS name: message` lines and a summary line, for a technician's terminal."""
    width = max((len(r.name) for r in results), default=0) + 1
    lines = [f"{r.status.upper()} {(r.name + ':'):<{width}} {r.message}" for r in results]
    fails = sum(r.status == "fail" for r in results)
    warns = sum(r.status == "warn" for r in results)
    lines.append(f"-- {worst(results).upper()}: {len(results)} checks, {fails} failed, {warns} warnings")
    return "\n".join(lines) + "\n"


def _output(results: Sequence[CheckResult], as_json: bool, out: TextIO) -> int:
    if as_json:
        out.write(json.dumps(report_dict(results), indent=2, sort_keys=True) + "\n")
    else:
        out.write(format_table(results))
    out.flush()
    return exit_code(results)


# -- remote ---------------------------------------------------------------------

def handle_request(line: bytes, ctx: DiagContext) -> bytes | None:
    """The kiosk side's answer to one request line (None for a blank line)."""
    text = line.decode("ascii", "replace").strip()
    if not text:
        return None
    if text.upper() != "DIAG":
        return b"ERR unknown request\n"
    body = json.dumps(report_dict(run_all(context=ctx)), sort_keys=True, separators=(",", ":"))
    return body.encode() + b"\nEND\n"


def serve_diag(port_path: str, ctx: DiagContext, max_requests: int | None = None) -> int:
    """Answer DIAG requests on the service serial port; returns after `max_requests` (forever if None)."""
    import serial

    served = 0
    with serial.Serial(port_path, REMOTE_BAUD, timeout=1.0) as ser:
        buf = b""
        while max_requests is None or served < max_requests:
            chunk = ser.read(ser.in_waiting or 1)
            if not chunk:
                continue
            buf += chunk
            if len(buf) > 4096 and b"\n" not in buf:  # noise, not a request: keep memory bounded
                buf = b""
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                answer = handle_request(line, ctx)
                if answer is not None:
                    ser.write(answer)
                    ser.flush()
                    if answer.endswith(b"END\n"):
                        served += 1
    return served


def fetch_remote(port_path: str, timeout: float = 60.0) -> list[CheckResult]:
    """Ask the kiosk on `port_path` for its report; raises OSError/ValueError/TimeoutError if none comes."""
    import serial

    deadline = time.monotonic() + timeout
    with serial.Serial(port_path, REMOTE_BAUD, timeout=0.2) as ser:
        ser.reset_input_buffer()
        ser.write(b"\nDIAG\n")  # the leading newline ends any half-typed line on the console
        ser.flush()
        buf = b""
        report: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            buf += ser.read(ser.in_waiting or 1)
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.strip()
                if line == b"END" and report is not None:
                    return [CheckResult.from_dict(c) for c in report["checks"]]
                if line.startswith(b"{"):
                    data = json.loads(line)
                    if not isinstance(data, dict) or not isinstance(data.get("checks"), list):
                        raise ValueError("the kiosk sent a JSON line that is not a diagnostics report")
                    report = data
                elif line.startswith(b"ERR"):
                    raise ValueError(f"the kiosk refused the request: {line.decode('ascii', 'replace')}")
    raise TimeoutError(f"no diagnostics report from {port_path} within {timeout:g} s")


# -- command line -----------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="safar diag", description="Hardware and list diagnostics. Exit code: 0 all pass, "
                "1 worst is a warning, 2 a check failed, 3 no report.")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--root", default="/", help="read /sys, /proc, /dev, /etc, /run under DIR (testing)")
    p.add_argument("--state", default=DEFAULT_STATE, help=f"kiosk state directory (default {DEFAULT_STATE})")
    p.add_argument("--scanner", metavar="PORT", help="scanner serial port (default: /dev/safar-scanner, "
                   "then /dev/serial/by-id/*)")
    p.add_argument("--config", metavar="FILE", help="kiosk settings to judge the list by (its [matching] "
                   "false-alarm limits); default: the built-in limits")
    p.add_argument("--fb", default="fb0", help="framebuffer device name (default fb0)")
    p.add_argument("--ioboard", metavar="PORT", help="I/O board port (default /dev/safar-ioboard)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--port", metavar="PORT", help="workstation: fetch the report from a kiosk over this "
                      "serial port")
    mode.add_argument("--serve", metavar="PORT", help="kiosk: answer DIAG requests on this serial port")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for a remote report (default 60)")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    except _UsageError as e:
        sys.stderr.write(f"safar diag: {e}\n")
        return EXIT_NO_REPORT
    except SystemExit as e:  # --help
        return int(e.code or 0)

    if args.port:
        try:
            results = fetch_remote(args.port, args.timeout)
        except (OSError, ValueError, TimeoutError) as e:
            sys.stderr.write(f"safar diag: no report from {args.port}: {e}\n")
            return EXIT_NO_REPORT
        return _output(results, args.json, sys.stdout)

    from firmware.kiosk.config import ConfigError, limits_from

    try:
        limits = limits_from(args.config)
    except ConfigError as e:
        sys.stderr.write(f"safar diag: {e}\n")
        return EXIT_NO_REPORT
    ctx = DiagContext(root=args.root, state_dir=args.state, scanner_port=args.scanner, fb=args.fb,
                      ioboard_port=args.ioboard, false_alarm_limits=limits)
    if args.serve:
        try:
            serve_diag(args.serve, ctx)
        except KeyboardInterrupt:
            return 0
        except OSError as e:
            sys.stderr.write(f"safar diag: cannot serve on {args.serve}: {e}\n")
            return EXIT_NO_REPORT
        return 0
    return _output(run_all(context=ctx), args.json, sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
