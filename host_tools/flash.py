"""``safar flash --port PORT REPOSITORY``: send a published list repository to a kiosk's service port.

REPOSITORY is what ``safar bundle publish`` wrote (``metadata/`` + ``targets/``), or a
folder holding ``SAFAR-LISTS/``. Every frame is checksummed; each DATA frame is
acknowledged with the offset the kiosk has; after a pulled cable, running the same
command again resumes where the kiosk's files end. The kiosk verifies and installs the
list exactly as from a USB stick and answers with the result (exit 0 installed or
unchanged, 1 refused or failed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from firmware.cliutil import command_parser, run_cli
from firmware.deadline import Deadline
from firmware.serviceport import protocol as p
from firmware.serviceport.transport import Transport
from firmware.update import UpdateError, find_repository
from firmware.update.repository import METADATA, TARGETS
from firmware.usb import USB_FOLDER


class FlashError(Exception):
    """The kiosk did not answer, or answered with an error."""


class KioskRefused(FlashError):
    """The kiosk answered with an ERROR frame: sending the same frame again cannot help."""


def repository_files(repo: Path) -> list[dict[str, Any]]:
    """The repository's files with sizes and hashes: the manifest the kiosk checks each received file against."""
    files = []
    for sub in (METADATA, TARGETS):
        for path in sorted((repo / sub).iterdir()):
            if not path.is_file() or path.name.endswith((".tmp", ".part")):
                continue
            h = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
            files.append({"name": f"{sub}/{path.name}", "length": path.stat().st_size, "sha256": h.hexdigest(),
                          "path": path})
    return files


class _Link:
    def __init__(self, transport: Transport) -> None:
        self.t = transport
        self.decoder = p.Decoder()
        self.pending: list[p.ServiceFrame] = []

    def send(self, frame: bytes) -> None:
        self.t.write(frame)

    def wait(self, want: int, timeout: float, match: Callable[[dict[str, Any]], bool] | None = None,
             asked: int | None = None) -> dict[str, Any]:
        """The first ``want`` frame that ``match``es; an ERROR naming the frame ``asked`` (its CRC) is a refusal.

        Answers to someone else's frames (garbage on the line before we came, an earlier
        run's requests) are passed over: they say nothing about ours."""
        deadline = Deadline(timeout)
        while not deadline.expired():
            if not self.pending:
                self.pending = self.decoder.feed(self.t.read(4096), time.monotonic())
                continue
            frame = self.pending.pop(0)
            if frame.type not in (p.ERROR, want):
                continue
            try:
                msg = frame.json()
            except p.ServicePortError:
                continue
            if frame.type == p.ERROR:
                if msg.get("refused") == asked:
                    raise KioskRefused(f"the kiosk says: {msg.get('reason')}")
            elif match is None or match(msg):
                return msg
        raise FlashError(f"no {p.NAMES[want]} from the kiosk within {timeout:g} s")

    def request(self, frame: bytes, want: int, timeout: float, tries: int = 3,
                match: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
        for attempt in range(tries):
            self.send(frame)
            try:
                return self.wait(want, timeout, match, asked=p.frame_crc(frame))
            except KioskRefused:
                raise
            except FlashError:
                if attempt == tries - 1:
                    raise
        raise AssertionError("unreachable")


def flash(transport: Transport, source: Path, *, timeout: float = 5.0, commit_timeout: float = 1800.0,
          progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Sends the repository in ``source``; returns {"info", "sent", "resumed", "total", "result"}."""
    try:
        repo = find_repository(Path(source))
    except UpdateError as e:
        raise FlashError(str(e)) from None
    files = repository_files(repo)
    link = _Link(transport)
    info = link.request(p.encode_json(p.HELLO, {}), p.INFO, timeout)
    chunk = min(int(info.get("chunk") or p.CHUNK), p.CHUNK)
    announce = [{k: f[k] for k in ("name", "length", "sha256")} for f in files]
    ready = link.request(p.encode_json(p.BEGIN, {"files": announce}), p.READY, timeout)
    offsets: dict[str, int] = {str(k): int(v) for k, v in ready.get("offsets", {}).items()}
    total = sum(f["length"] for f in files)
    resumed = sum(min(offsets.get(f["name"], 0), f["length"]) for f in files)
    done, sent = resumed, 0
    for f in files:
        name, length = f["name"], f["length"]
        offset = offsets.get(name, 0)
        def same_file(msg: dict[str, Any], n: str = name) -> bool:
            return msg.get("name") == n

        with open(f["path"], "rb") as fh:
            while offset < length:
                fh.seek(offset)
                data = fh.read(min(chunk, length - offset))
                ack = link.request(p.pack_data(name, offset, data), p.ACK, timeout, tries=5, match=same_file)
                sent += len(data)
                new = int(ack["offset"])
                done += new - offset
                offset = new
                if progress:
                    progress(done, total)
    result = link.request(p.encode_json(p.COMMIT, {}), p.RESULT, commit_timeout, tries=1)
    return {"info": info, "sent": sent, "resumed": resumed, "total": total, "result": result}


def _parser() -> argparse.ArgumentParser:
    ap = command_parser("safar flash", "Send a published list repository to a kiosk's service port, resumably "
                        "(run it again after a pulled cable). The kiosk verifies and installs the list exactly "
                        "as from a USB stick. Exit 0 installed or unchanged, 1 refused or failed.", doc="docs/trust.md")
    ap.add_argument("--port", required=True, help="serial port (e.g. /dev/ttyUSB0) or a pyserial URL")
    ap.add_argument("--baud", type=int, default=115200, help="baud rate (default 115200)")
    ap.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for each answer (default 5)")
    ap.add_argument("repository", type=Path, help=f"what safar bundle publish wrote, or a folder holding {USB_FOLDER}/")
    return ap


def _flash(args: argparse.Namespace) -> int:
    import serial

    try:
        # a write timeout: a kiosk that stops reading fails the command instead of hanging it
        port = serial.serial_for_url(args.port, baudrate=args.baud, timeout=0.1, write_timeout=args.timeout)
    except (serial.SerialException, ValueError) as e:
        raise FlashError(f"cannot open {args.port}: {e}") from None
    last = [0.0]

    def show(done: int, total: int) -> None:
        if time.monotonic() - last[0] > 1 or done == total:
            last[0] = time.monotonic()
            print(f"\r{done}/{total} bytes ({100 * done // max(total, 1)}%)", end="", file=sys.stderr)

    try:
        out = flash(port, args.repository, timeout=args.timeout, progress=show)
    finally:
        port.close()
        if last[0]:
            print(file=sys.stderr)  # ends the progress line
    print(json.dumps(out, indent=2, default=str))
    return 0 if out["result"].get("ok") else 1


def main(argv: list[str] | None = None) -> int:
    return run_cli(_parser(), _flash, argv, errors=(FlashError, OSError))
