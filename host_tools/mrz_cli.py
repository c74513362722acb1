"""`safar mrz parse|generate`: read a zone and print it as JSON, or write one.

For officials and technicians on a workstation: it prints what it was asked to read.
Exit codes: 0 valid, 1 invalid or unreadable, 2 usage (and a zone that cannot be written).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys

from firmware.cliutil import command_parser, run_cli, subcommands
from firmware.core import mrz

# a zone generate cannot write (a field too long, a character to transliterate) is a usage error
EXIT_USAGE = 2


def _reference_date(text: str) -> tuple[int, int, int]:
    try:
        d = datetime.date.fromisoformat(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from e
    return (d.year, d.month, d.day)


def _today() -> tuple[int, int, int]:
    d = datetime.date.today()
    return (d.year, d.month, d.day)


def _parse(args: argparse.Namespace) -> int:
    data: str | bytes
    if args.lines:
        data = "\n".join(args.lines)
    else:
        data = sys.stdin.buffer.read()
    try:
        doc = mrz.parse(data, today=args.today or _today(), repair=not args.no_repair)
    except mrz.MRZError as e:
        print(json.dumps(e.to_dict(), ensure_ascii=False, indent=2))
        return 1
    print(json.dumps(doc.to_dict(), ensure_ascii=False, indent=2))
    return 0 if doc.valid else 1


def _generate(args: argparse.Namespace) -> int:
    lines = mrz.generate(
        args.format, args.code, args.issuing_state or args.nationality, args.surname, args.given_names,
        args.number, args.nationality, args.birth, args.sex, args.expiry, args.optional,
    )
    print("\n".join(lines))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = command_parser("safar mrz", (__doc__ or "").splitlines()[0], doc="docs/architecture.md")
    sub = subcommands(parser)
    p = sub.add("parse", "parse MRZ lines (arguments, or stdin) and print JSON")
    p.add_argument("lines", nargs="*", help="the MRZ lines; read from stdin when none are given")
    p.add_argument("--today", type=_reference_date,
                   help="reference date YYYY-MM-DD for the century rules (default: today)")
    p.add_argument("--no-repair", action="store_true", help="do not repair OCR confusions")
    g = sub.add("generate", "write the lines of a valid zone")
    g.add_argument("--format", default="TD3", choices=mrz.FORMATS, help="the zone's format (default TD3)")
    g.add_argument("--code", default="P", help="document code, e.g. P (passport), I (identity card), V (visa)")
    g.add_argument("--issuing-state", help="issuing state or organisation, 3 letters (default: the nationality)")
    g.add_argument("--surname", required=True, help="the primary identifier, in Latin letters")
    g.add_argument("--given-names", default="", help="the secondary identifier, in Latin letters")
    g.add_argument("--number", required=True,
                   help="document number (TD1 and TD2 take more than 9 characters, the 8th-edition way)")
    g.add_argument("--nationality", default="TJK", help="nationality, 3 letters (default TJK)")
    g.add_argument("--birth", required=True, help="date of birth YYMMDD ('<' for unknown parts)")
    g.add_argument("--sex", default="<", choices=("F", "M", "X", "<"), help="F, M, X or < (default <)")
    g.add_argument("--expiry", required=True, help="date of expiry YYMMDD")
    g.add_argument("--optional", default="", help="optional data (TD3: the personal number)")
    return parser


def main(argv: list[str]) -> int:
    return run_cli(_parser(), {"parse": _parse, "generate": _generate}, argv,
                   errors=(ValueError,), error_code=EXIT_USAGE)
