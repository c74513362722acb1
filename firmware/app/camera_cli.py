"""`safar camera read IMAGE...`: read the MRZ in camera images and print it as JSON.

For technicians and tests, on a workstation or on a kiosk with specimen documents: like
`safar mrz parse`, it prints what it read. Each image is read alone (the kiosk also asks
several frames to agree, docs/camera.md). Exit codes: 0 every image read valid, 1 one
did not, 2 usage (a missing or unreadable image). ``--debug DIR`` also writes, for each image, the
frame with the zone found, each line as cut out, its character cells and the model's best readings
as PNG files (firmware/camera/debug.py): for mounting a camera, with specimen documents.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from firmware.camera.sources import CameraError, FileSource
from firmware.cliutil import command_parser, iso_date, run_cli, subcommands
from firmware.core import mrz


def _read(args: argparse.Namespace) -> int:
    from firmware.camera.reader import read_frame
    from firmware.camera.recognise import LineReader

    today = args.today or dt.date.today()
    reader = LineReader()
    results, every_one = [], True
    for path in args.images:
        image = FileSource(path).frame()
        result = read_frame(image, reader, (today.year, today.month, today.day))
        entry: dict[str, object] = {"image": str(path)}
        if result.confidence:  # per line, its least sure character's probability (the model's, repairs counted)
            entry["line_confidence"] = list(result.confidence)
        if args.debug is not None:
            from firmware.camera import debug

            files = debug.write(args.debug, path.stem, image, reader, result.text)
            entry["debug"] = [str(f) for f in files]
        if result.text is None:
            entry["error"] = result.reason
            every_one = False
        else:
            entry["mrz"] = mrz.parse(result.text, today=(today.year, today.month, today.day)).to_dict()
        results.append(entry)
    json.dump(results if len(results) > 1 else results[0], sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0 if every_one else 1


def _parser() -> argparse.ArgumentParser:
    parser = command_parser("safar camera", (__doc__ or "").splitlines()[0], doc="docs/camera.md")
    sub = subcommands(parser)
    p = sub.add("read", "read the MRZ in images (one frame each) and print it as JSON")
    p.add_argument("images", nargs="+", type=Path, help="image files (PNG, JPEG, ...)")
    p.add_argument("--debug", type=Path, metavar="DIR",
                   help="also write what the reader saw as PNG files there: the zone, the lines, the cells, the "
                        "readings (never written unless asked)")
    p.add_argument("--today", type=iso_date, help="reference date YYYY-MM-DD for the century rules (default: today)")
    return parser


def main(argv: list[str]) -> int:
    return run_cli(_parser(), {"read": _read}, argv, errors=(CameraError,), error_code=2)
