"""`safar mrz parse|generate`: read a zone and print it as JSON, or write one.

For officials and technicians on a workstation: it prints what it was asked to read.
Exit codes: 0 valid, 1 invalid or unreadable, 2 usage.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys

from firmware.core import mrz


def _today(text: str | None) -> tuple[int, int, int]:
    d = datetime.date.fromisoformat(text) if text else datetime.date.today()
    return (d.year, d.month, d.day)


def _parse(args: argparse.Namespace) -> int:
    data: str | bytes
    if args.lines:
        data = "\n".join(args.lines)
    else:
        data = sys.stdin.buffer.read()
    try:
        doc = mrz.parse(data, today=_today(args.today), repair=not args.no_repair)
    except mrz.MRZError as e:
        print(json.dumps(e.to_dict(), ensure_ascii=False, indent=2))
        return 1
    print(json.dumps(doc.to_dict(), ensure_ascii=False, indent=2))
    return 0 if doc.valid else 1


def _generate(args: argparse.Namespace) -> int:
    try:
        lines = mrz.generate(
            args.format, args.code, args.issuing_state or args.nationality, args.surname, args.given_names,
            args.number, args.nationality, args.birth, args.sex, args.expiry, args.optional,
        )
    except ValueError as e:
        print("safar mrz generate: %s" % e, file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="safar mrz", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("parse", help="parse MRZ lines (arguments, or stdin) and print JSON")
    p.add_argument("lines", nargs="*", help="the MRZ lines; read from stdin when none are given")
    p.add_argument("--today", help="reference date YYYY-MM-DD for the century rules (default: today)")
    p.add_argument("--no-repair", action="store_true", help="do not repair OCR confusions")
    p.set_defaults(func=_parse)
    g = sub.add_parser("generate", help="write the lines of a valid zone")
    g.add_argument("--format", default="TD3", choices=mrz.FORMATS)
    g.add_argument("--code", default="P")
    g.add_argument("--issuing-state")
    g.add_argument("--surname", required=True)
    g.add_argument("--given-names", default="")
    g.add_argument("--number", required=True)
    g.add_argument("--nationality", default="TJK")
    g.add_argument("--birth", required=True, help="YYMMDD ('<' for unknown parts)")
    g.add_argument("--sex", default="<")
    g.add_argument("--expiry", required=True, help="YYMMDD")
    g.add_argument("--optional", default="")
    g.set_defaults(func=_generate)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    return int(args.func(args))
