"""Diagnostics over a serial line: the kiosk answers report requests, the workstation fetches them.

Line protocol, ASCII at 115200 8N1, one request per line::

    workstation -> kiosk    DIAG
    kiosk -> workstation    {"checks": [...], "worst": "warn"}    the ``safar diag --json`` object, compact, one line
                            END
    any other non-empty line is answered with ``ERR unknown request``

The workstation ignores lines before the JSON, so a console banner does not break it.

Why not a request of ``firmware.serviceport``: that protocol moves a signed repository
in CRC-checked binary frames with sessions and resume, and the kiosk installs what it
receives. This one is read-only and plain text, so a technician can also type ``DIAG``
in any terminal emulator on the service console and read the answer; a report is a few
kilobytes, and a garbled one fails to parse and is simply asked for again.
"""

from __future__ import annotations

import json
from typing import Any

import serial

from firmware import untrusted_json
from firmware.diag.checks import CheckResult, DiagContext, run_all
from firmware.diag.report import report_dict, results_from

BAUD = 115200
REQUEST = b"DIAG"
END = b"END"
UNKNOWN = b"ERR unknown request\n"
MAX_REQUEST = 4096        # a longer line without a newline is noise, not a request
MAX_REPORT = 1024 * 1024  # far above any real report; bounds what a babbling port costs


class RemoteDiagError(Exception):
    """The kiosk on the other end sent no usable report: it refused, garbled it, or stayed silent."""


def answer(line: bytes, ctx: DiagContext) -> bytes | None:
    """The kiosk's answer to one request line (None for a blank line)."""
    request = line.strip()
    if not request:
        return None
    if request.upper() != REQUEST:
        return UNKNOWN
    body = json.dumps(report_dict(run_all(context=ctx)), sort_keys=True, separators=(",", ":"))
    return body.encode() + b"\n" + END + b"\n"


def serve(port_path: str, ctx: DiagContext, max_requests: int | None = None) -> int:
    """Answer requests on the service serial port; returns after `max_requests` reports (never if None)."""
    served = 0
    with serial.Serial(port_path, BAUD, timeout=1.0) as ser:
        buf = b""
        while max_requests is None or served < max_requests:
            chunk = ser.read(ser.in_waiting or 1)
            if not chunk:
                continue
            buf += chunk
            if len(buf) > MAX_REQUEST and b"\n" not in buf:
                buf = b""
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                reply = answer(line, ctx)
                if reply is None:
                    continue
                ser.write(reply)
                ser.flush()
                if reply is not UNKNOWN:
                    served += 1
    return served


def fetch(port_path: str, timeout: float = 60.0) -> list[CheckResult]:
    """The report of the kiosk on `port_path`.

    Raises:
        RemoteDiagError: no report within `timeout` seconds, a refusal, or a line that is not a report.
        OSError: the port cannot be opened (``serial.SerialException`` is one).
    """
    deadline = serial.Timeout(timeout)
    with serial.Serial(port_path, BAUD, timeout=0.2) as ser:
        ser.reset_input_buffer()
        ser.write(b"\n" + REQUEST + b"\n")  # the leading newline ends any half-typed line on the console
        ser.flush()
        buf = b""
        report: list[CheckResult] | None = None
        while not deadline.expired():
            buf += ser.read(ser.in_waiting or 1)
            if len(buf) > MAX_REPORT:
                raise RemoteDiagError(f"{port_path} sent more than {MAX_REPORT} bytes without a report")
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.strip()
                if line == END and report is not None:
                    return report
                if line.startswith(b"{"):
                    report = _parse_report(line)
                elif line.startswith(b"ERR"):
                    raise RemoteDiagError(f"the kiosk refused the request: {line.decode('ascii', 'replace')}")
    raise RemoteDiagError(f"no diagnostics report from {port_path} within {timeout:g} s")


def _parse_report(line: bytes) -> list[CheckResult]:
    try:
        data: Any = untrusted_json.loads(line, max_bytes=MAX_REPORT)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return results_from(data)
    except ValueError as e:
        raise RemoteDiagError(f"the kiosk sent a line that is not a diagnostics report ({e})") from None
