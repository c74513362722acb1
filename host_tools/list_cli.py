"""``safar list build|inspect|check``: the officials' and technicians' view of a ban list."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from firmware.banlist import BanList, BundleError, unpack_bundle
from firmware.banlist.manifest import MANIFEST_NAME, Manifest, parse_manifest
from firmware.banlist.unpack import read_manifest
from firmware.cliutil import command_parser, iso_date, run_cli, subcommands
from firmware.core import mrz
from firmware.core.budget import DEFAULT_POSSIBLE, DEFAULT_STRONG, lookup_bound, universe_for
from firmware.core.keys import WORST_LOOKUPS, birth_key, lookups_for
from firmware.core.match import Match
from host_tools.listbuild.bundle import CANARY_COUNT, write_bundle
from host_tools.listbuild.csvinput import ListFileError, ReadResult, parse_date, read_list_file

EXIT_MATCH = 3
EXIT_MATCH_AND_UNREADABLE = 4  # check --batch: some matched and some could not be read
STDERR_REJECTS = 50  # rejected rows shown on stderr; the report has them all
# passport shapes whose cost `inspect` shows (birth key: YYMMDD, '<<' unknown)
SHAPES = (("full birth date", "900515"), ("day unknown", "9005<<"), ("month unknown", "90<<15"),
          ("birth year only (the worst)", "00<<<<"))


def _parser() -> argparse.ArgumentParser:
    p = command_parser("safar list", __doc__ or "", doc="docs/list-format.md")
    sub = subcommands(p)

    b = sub.add("build", "build an unsigned bundle from the official list (CSV)")
    b.add_argument("csv", type=Path, help="the official list: CSV with a header row, UTF-8 or Windows-1251")
    b.add_argument("-o", "--out", type=Path, required=True, help="bundle directory to write")
    b.add_argument("--list-date", type=iso_date, default=None, help="date of the official list (default: today)")
    b.add_argument("--valid-until", type=iso_date, default=None,
                   help="last day the kiosks may use the list (default: list date + 200 days)")
    b.add_argument("--list-version", type=int, default=None, help="monotonic; default: YYYYMMDD of the list date")
    b.add_argument("--deployment", default="safar-tj",
                   help="repository name the kiosks are configured for (default safar-tj)")
    b.add_argument("--false-alarm-strong", type=float, default=DEFAULT_STRONG, metavar="R",
                   help="the most false strong answers (document key) per innocent traveller, for the worst "
                        f"passport shape (default {DEFAULT_STRONG:g})")
    b.add_argument("--false-alarm-possible", type=float, default=DEFAULT_POSSIBLE, metavar="R",
                   help="the most false possible answers (name key) per innocent traveller, for the worst "
                        f"passport shape (default {DEFAULT_POSSIBLE:g})")
    b.add_argument("--errors", type=Path, metavar="PATH",
                   help="the rejects report (always written; default: OUT.rejects.txt beside the bundle directory)")
    b.add_argument("--accept-rejects", action="store_true",
                   help="build the bundle although rows were rejected (they are not on the list)")
    b.add_argument("--ignore-column", action="append", default=[], metavar="NAME",
                   help="leave out a header column whose name is not a known column (repeatable)")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    i = sub.add("inspect", "show a bundle's manifest, sizes and per-traveller false-alarm bounds "
                "(exit 1 if a bound is over the bundle's budget)")
    i.add_argument("bundle", type=Path, help="bundle directory, an installed list, or a manifest.json")
    i.add_argument("--json", action="store_true", help="the same as JSON")
    c = sub.add("check", "spot-check one person (MRZ on stdin, or identity fields)")
    c.add_argument("bundle", type=Path, help="bundle directory or an installed list")
    c.add_argument("--surname", help="surname as on the list (with --given-names and --birth-date)")
    c.add_argument("--given-names", help="given names as on the list")
    c.add_argument("--birth-date", help="DD.MM.YYYY or YYYY-MM-DD (00 for unknown day or month)")
    c.add_argument("--nationality", default="TJK", help="ICAO nationality code (default TJK)")
    c.add_argument("--document-number", help="document number, if known")
    c.add_argument("--today", type=iso_date, default=None,
                   help="the date that decides which bans still count (default: today)")
    c.add_argument("--json", action="store_true", help="the answer as one JSON object")
    c.add_argument("--batch", action="store_true",
                   help="many MRZs on stdin, separated by blank lines; one JSON line each on stdout")
    return p


def main(argv: list[str]) -> int:
    handlers = {"build": _build, "inspect": _inspect, "check": _check}
    return run_cli(_parser(), handlers, argv, errors=(BundleError, ListFileError))


def default_report_path(out: Path) -> Path:
    """``OUT.rejects.txt`` beside the bundle directory (not inside: its files get signed)."""
    if out.name in ("", ".", ".."):
        out = out.resolve()
    return out.with_name(out.name + ".rejects.txt")


def _inside(path: Path, directory: Path) -> bool:
    return path.resolve().is_relative_to(directory.resolve())


def _write_report(path: Path, csv: Path, result: ReadResult | None, outcome: str, fatal: str | None) -> None:
    """The rejects report: comment lines (``#``), then ``line N: FIELD: reason`` per rejected row."""
    head = [f"# safar list build: rejected rows of {csv}"]
    if result is not None:
        s = result.summary()
        head.append(f"# {_rows(result.rows)} read, {s['accepted']} accepted, {s['rejected']} rejected, "
                    f"{s['duplicates']} duplicates")
    if fatal is not None:
        head.append("# the file was not read: " + fatal.replace("\n", "\n# "))
    head.append(f"# bundle: {outcome}")
    head.append("# one line per rejected row: 'line N: FIELD: reason' (N: line of the file, the header is "
                "line 1; no FIELD when the row has the wrong number of columns)")
    rows = [str(e) for e in result.errors] if result is not None else []
    path.write_text("\n".join(head + rows) + "\n", encoding="utf-8")


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _build(args: argparse.Namespace) -> int:
    list_date = args.list_date or dt.date.today()
    valid_until = args.valid_until or list_date + dt.timedelta(days=200)
    version = args.list_version if args.list_version is not None else int(list_date.strftime("%Y%m%d"))
    for flag, value in (("--false-alarm-strong", args.false_alarm_strong),
                        ("--false-alarm-possible", args.false_alarm_possible)):
        if not 0 < value < 0.5:
            print(f"safar list: {flag} is a probability per traveller: between 0 and 0.5, got {value:g}",
                  file=sys.stderr)
            return 2
    report: Path = args.errors or default_report_path(args.out)
    if report.resolve() == args.csv.resolve():
        print(f"safar list: the rejects report {report} would overwrite the list itself", file=sys.stderr)
        return 2
    if _inside(report, args.out):
        print(f"safar list: the rejects report {report} must not be inside the bundle directory "
              "(the bundle's files get signed)", file=sys.stderr)
        return 2
    result: ReadResult | None = None
    fatal: str | None = None
    try:
        result = read_list_file(args.csv, list_date, require_header=True, ignore_columns=args.ignore_column)
    except OSError as e:
        fatal = f"cannot read {args.csv}: {e.strerror}"
    except ListFileError as e:
        fatal = str(e)
    if fatal is not None or result is None:
        print(f"safar list: {fatal}", file=sys.stderr)
        return _refuse(args, report, None, fatal, "not written: the file could not be read")
    for warning in result.warnings:
        print(f"safar list: warning: {warning}", file=sys.stderr)
    if result.ignored_columns:
        print(f"safar list: {args.csv}: columns ignored as asked: {', '.join(result.ignored_columns)}",
              file=sys.stderr)
    for err in result.errors[:STDERR_REJECTS]:
        print(f"{args.csv}: {err}", file=sys.stderr)
    if len(result.errors) > STDERR_REJECTS:
        print(f"{args.csv}: ... and {len(result.errors) - STDERR_REJECTS} more rejected rows (all in the report)",
              file=sys.stderr)
    rejected = len(result.errors)
    if not result.entries:
        print(f"safar list: {args.csv}: no row was accepted ({result.rows} read); no bundle written",
              file=sys.stderr)
        return _refuse(args, report, result, None, "not written: no row was accepted")
    if rejected and not args.accept_rejects:
        print(f"safar list: {_rows(rejected)} rejected; no bundle written: they would be missing from the list. "
              "Correct them, or pass --accept-rejects to build the list without them", file=sys.stderr)
        return _refuse(args, report, result, None,
                       f"not written: {_rows(rejected)} rejected (--accept-rejects builds without them)")
    unmet = _unmet_budget(args, len(result.entries))
    if unmet is not None:
        print(f"safar list: {unmet}; no bundle written", file=sys.stderr)
        return _refuse(args, report, result, None, "not written: " + unmet)
    outcome = (f"written to {args.out}; {_rows(rejected)} rejected and left out (--accept-rejects)" if rejected
               else f"written to {args.out}")
    try:
        _write_report(report, args.csv, result, outcome, None)
    except OSError as e:
        print(f"safar list: cannot write the rejects report {report}: {e.strerror}; no bundle written",
              file=sys.stderr)
        return 1
    if rejected:
        print(f"safar list: {_rows(rejected)} rejected and left out (--accept-rejects); rejects report: {report}",
              file=sys.stderr)
    else:
        print(f"safar list: no row rejected; rejects report: {report}", file=sys.stderr)
    manifest = _write(args, result, version, list_date, valid_until)
    summary: dict[str, Any] = dict(result.summary())
    summary.update({"rejects_accepted": bool(rejected), "rejects_report": str(report),
                    "ignored_columns": result.ignored_columns,
                    "bundle": str(args.out), "list_version": version,
                    "bytes": sum(s["compressed_size"] for s in manifest["sets"]),
                    "false_alarm_per_traveller": {"strong": args.false_alarm_strong,
                                                  "possible": args.false_alarm_possible}})
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


def _write(args: argparse.Namespace, result: ReadResult, version: int, list_date: dt.date,
           valid_until: dt.date) -> dict[str, Any]:
    """The bundle itself (only once the rows are accepted or their rejects accepted)."""
    bar = None
    if not args.quiet and len(result.entries) > 100_000:
        from tqdm import tqdm
        bar = tqdm(total=len(result.entries), unit="record", desc="hashing keys", file=sys.stderr)
    manifest = write_bundle(result.entries, args.out, list_version=version, list_date=list_date,
                            valid_until=valid_until, deployment=args.deployment, strong=args.false_alarm_strong,
                            possible=args.false_alarm_possible, rejected_rows=len(result.errors),
                            progress=bar.update if bar else None)
    if bar:
        bar.close()
    return manifest


def _unmet_budget(args: argparse.Namespace, records: int) -> str | None:
    """Why no set of this size can meet the budgets (a universe beyond 2^62), checked on the
    most keys the records can store (a document key, and two name keys for a Ъ name)."""
    for flag, budget, keys in (("--false-alarm-strong", args.false_alarm_strong, records),
                               ("--false-alarm-possible", args.false_alarm_possible, 2 * records)):
        try:
            universe_for(keys + CANARY_COUNT, budget, WORST_LOOKUPS)
        except ValueError:
            return f"{flag} {budget:g} is too strict for {records} records (the set would need more than 2^62 values)"
    return None


def _refuse(args: argparse.Namespace, report: Path, result: ReadResult | None, fatal: str | None,
            outcome: str) -> int:
    """No bundle: write the report all the same, say where, and warn of an older bundle at ``--out``."""
    try:
        _write_report(report, args.csv, result, outcome, fatal)
        print(f"safar list: rejects report: {report}", file=sys.stderr)
    except OSError as e:
        print(f"safar list: cannot write the rejects report {report}: {e.strerror}", file=sys.stderr)
    if (args.out / MANIFEST_NAME).exists():
        print(f"safar list: {args.out} already holds an earlier bundle, left as it was: it is not this list, "
              "do not sign it",
              file=sys.stderr)
    return 1


def _load_manifest(path: Path) -> Manifest:
    if path.is_file():
        return parse_manifest(path.read_bytes())
    return read_manifest(path)


def inspect_info(path: Path) -> dict[str, Any]:
    """What ``inspect`` shows, as data: the manifest, each set's size against the
    information limit, and the per-traveller false-alarm bounds with their arithmetic."""
    man = _load_manifest(path)
    sets = []
    bounds: dict[str, dict[str, Any]] = {}
    for kind, answer, budget in (("document", "strong", man.budget_strong), ("name", "possible", man.budget_possible)):
        s = man.set_of(kind)
        per_lookup = lookup_bound(s.keys, s.universe)
        limit = math.log2(1 / per_lookup)
        bits = s.compressed_size * 8 / max(1, s.keys)
        counts = man.raw["sets"][man.sets.index(s)].get("keys_per_end_year") or []
        sets.append({"kind": kind, "file": s.file, "keys": s.keys, "universe": s.universe,
                     "per_lookup": per_lookup, "compressed_size": s.compressed_size, "size": s.size,
                     "bits_per_key": round(bits, 2), "information_limit_bits": round(limit, 2),
                     "over_limit": round(bits / limit, 3),
                     "ban_end_years": dict(zip([str(y or "none") for y in s.end_years], counts, strict=False))})
        bounds[answer] = {"set": kind, "budget": budget, "per_lookup_bound": per_lookup,
                          "worst_lookups": WORST_LOOKUPS, "per_traveller_bound": WORST_LOOKUPS * per_lookup,
                          "by_shape": {label: {"lookups": lookups_for(b), "bound": lookups_for(b) * per_lookup}
                                       for label, b in SHAPES}}
    info = dict(man.summary())
    info.update({"format_version": man.raw["format_version"], "hash_scheme": man.raw["hash_scheme"],
                 "created": man.raw.get("created"), "rejected_rows": man.raw.get("rejected_rows"),
                 "key_counts": man.raw.get("key_counts"), "false_alarm": bounds, "sets": sets,
                 "bytes": sum(s.compressed_size for s in man.sets), "expanded_bytes": man.total_size,
                 "canaries": len(man.canaries)})
    return info


def _inspect(args: argparse.Namespace) -> int:
    info = inspect_info(args.bundle)
    over = any(b["per_traveller_bound"] > b["budget"] for b in info["false_alarm"].values())
    if args.json:
        print(json.dumps(info, indent=2))
        return 1 if over else 0
    print(f"list version {info['list_version']}, list date {info['list_date']}, valid until {info['valid_until']}, "
          f"deployment {info['deployment']!r}")
    print(f"records {info['records']} ({info['rejected_rows'] or 0} rows rejected at build); "
          f"keys {info['key_counts']}; {info['bytes']} bytes on the wire, {info['expanded_bytes']} expanded")
    print("false alarms per innocent traveller (upper bounds; a lookup of n keys among U values hits with at "
          "most n/U + n/2^64):")
    for answer, b in info["false_alarm"].items():
        s = next(x for x in info["sets"] if x["kind"] == b["set"])
        ok = "within" if b["per_traveller_bound"] <= b["budget"] else "OVER"
        print(f"  {answer:<8} ({b['set']} set) n = {s['keys']}, U = {s['universe']}: one lookup "
              f"{b['per_lookup_bound']:.3g}; x {b['worst_lookups']} lookups (a birth year alone) = "
              f"{b['per_traveller_bound']:.3g}, {ok} the budget of {b['budget']:g}")
        print("           " + "; ".join(f"{label}: {v['lookups']} lookups, {v['bound']:.2g}"
                                        for label, v in b["by_shape"].items()))
    for s in info["sets"]:
        ends = ", ".join(f"{y}: {n}" for y, n in s["ban_end_years"].items())
        print(f"  {s['file']:<14} {s['keys']:>10} keys {s['compressed_size']:>11} bytes = "
              f"{s['bits_per_key']} bits/key, {s['over_limit']}x the limit log2(1/eps) = "
              f"{s['information_limit_bits']}; expanded {s['size']} bytes; ban ends {ends}")
    return 1 if over else 0


def _open_for_check(path: Path, tmp: str) -> BanList:
    """An installed (expanded) list opens directly; a transport bundle is expanded first."""
    man = _load_manifest(path)
    if path.is_dir() and all((path / f.name).exists() for f in man.sets):
        return BanList.open(path)
    unpack_bundle(path, Path(tmp))
    return BanList.open(tmp)


def _check(args: argparse.Namespace) -> int:
    today = args.today or dt.date.today()
    if args.batch and (args.surname or args.given_names or args.birth_date or args.document_number):
        print("safar list check: --batch reads MRZs from stdin; it takes no --surname, --given-names, "
              "--birth-date or --document-number", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="safar-check-") as tmp:
        banlist = _open_for_check(args.bundle, tmp)
        with banlist:
            if args.batch:
                return _check_batch(banlist, today)
            if args.surname or args.birth_date:
                if not (args.surname and args.given_names and args.birth_date):
                    print("safar list check: give --surname, --given-names and --birth-date together, "
                          "or an MRZ on stdin", file=sys.stderr)
                    return 2
                try:
                    y, m, d = parse_date(args.birth_date, allow_unknown=True)
                except ValueError as e:
                    print(f"safar list check: --birth-date: {e}", file=sys.stderr)
                    return 2
                result = banlist.match_fields(args.surname, args.given_names, args.nationality,
                                              args.document_number, birth_key(y, m, d), today)
            else:
                text = sys.stdin.read()
                try:
                    doc = mrz.parse(text, today=(today.year, today.month, today.day))
                except mrz.MRZError as e:
                    print(f"safar list check: MRZ unreadable: {e}", file=sys.stderr)
                    return 1
                if not doc.valid:  # never matched on a guess: the MRZ must be read again
                    problems = "; ".join(_safe_problem(p, doc.format) for p in doc.problems)
                    print(f"safar list check: MRZ not valid ({problems}); read it again", file=sys.stderr)
                    return 1
                result = banlist.match(doc, today)
            _print_result(result, banlist, args.json)
            return EXIT_MATCH if result.found else 0


def _stdin_lines() -> Iterator[str]:
    """Lines of stdin without their ends; CR LF, CR and LF all end a line; bytes that are
    not UTF-8 become U+FFFD (and so an error entry, not a crash)."""
    buffer = getattr(sys.stdin, "buffer", None)
    source: Iterator[str] = ((raw.decode("utf-8", "replace") for raw in buffer) if buffer is not None
                             else iter(sys.stdin))
    for text in source:
        if text.endswith("\n"):
            text = text[:-1]
        if text.endswith("\r"):
            text = text[:-1]
        yield from text.split("\r")


def _mrz_blocks(lines: Iterator[str]) -> Iterator[tuple[int, list[str]]]:
    """(line number of the first line, the lines) of each run of non-blank lines."""
    block: list[str] = []
    start = 0
    for number, line in enumerate(lines, 1):
        if line.strip():
            if not block:
                start = number
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


_CHECK_PROBLEM = re.compile(r"^check digit at line \d+, column \d+ does not match$")
_AT_PROBLEM = re.compile(r"^line (\d+), column (\d+): ")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_GENERIC_PROBLEM = {"birth_date": "not a possible date", "expiry_date": "not a possible date",
                    "sex": "not F, M, X or <", "document_code": "not a travel-document code"}


def _field_place(fmt: str | None, name: str) -> str:
    """'line L, columns A-B' of a field in the zone, or '' when not known."""
    span = mrz.field_span(fmt, name) if fmt else None
    if span is None:
        return ""
    line, start, end = span
    return f"line {line + 1}, columns {start + 1}-{end}"


def _safe_problem(problem: str, fmt: str | None) -> str:
    """A ``Document.problems`` entry with the field and the place, never the characters read."""
    name, sep, rest = problem.partition(": ")
    if not sep or not _FIELD_NAME.match(name):
        return "impossible field value"
    if _CHECK_PROBLEM.match(rest):
        return problem
    at = _AT_PROBLEM.match(rest)
    if at:
        return f"{name}: line {at.group(1)}, column {at.group(2)}: a character that does not belong in this field"
    place = _field_place(fmt, name)
    quotes = any(c.isdigit() or c in "'\"" for c in rest)
    detail = _GENERIC_PROBLEM.get(name, "impossible value") if quotes else rest
    return f"{name} ({place}): {detail}" if place else f"{name}: {detail}"


def _safe_mrz_error(e: mrz.MRZError) -> str:
    """An ``MRZError`` as its place and reason, never the characters read."""
    reason = e.reason
    if e.code == "charset":
        reason = "a character outside the MRZ character set (A-Z, 0-9 and <)"
    elif any(c in "'\"" for c in reason):
        reason = "unreadable MRZ"
    line, column = e.line, e.column
    if line is None:
        return reason
    return f"line {line}, column {column}: {reason}" if column is not None else f"line {line}: {reason}"


def _check_batch(banlist: BanList, today: dt.date) -> int:
    """One JSON line per MRZ on stdin, in order; a summary on stderr. Nothing read is echoed."""
    counts = {"strong": 0, "possible": 0, "none": 0, "unreadable": 0}
    list_date, version = banlist.list_date.isoformat(), banlist.manifest.list_version
    ymd = (today.year, today.month, today.day)
    write = sys.stdout.write
    n = 0
    for n, (start, block) in enumerate(_mrz_blocks(_stdin_lines()), 1):
        out: dict[str, Any] = {"n": n, "line": start}
        try:
            doc = mrz.parse("\n".join(block), today=ymd)
        except mrz.MRZError as e:
            out["error"] = _safe_mrz_error(e)
        else:
            if not doc.valid:  # a failing check digit is never matched: the MRZ must be read again
                out["error"] = "; ".join(_safe_problem(p, doc.format) for p in doc.problems)
            else:
                result = banlist.match(doc, today)
                out.update({"kind": result.kind, "ban_end_year": result.ban_end_year,
                            "list_date": list_date, "list_version": version})
                if doc.repairs:  # type-forced repairs (a letter in a date), by place only
                    out["repaired"] = [[r["line"], r["column"]] for r in doc.repairs]
        counts["unreadable" if "error" in out else out["kind"]] += 1
        write(json.dumps(out) + "\n")
    sys.stdout.flush()
    if n == 0:
        print("safar list check: no MRZ on stdin", file=sys.stderr)
        return 1
    print(f"safar list check: {n} MRZs: {counts['strong']} strong, {counts['possible']} possible, "
          f"{counts['none']} none, {counts['unreadable']} unreadable "
          f"(list of {list_date}, version {version})", file=sys.stderr)
    matched = counts["strong"] + counts["possible"]
    if matched and counts["unreadable"]:
        return EXIT_MATCH_AND_UNREADABLE
    if matched:
        return EXIT_MATCH
    return 1 if counts["unreadable"] else 0


def _print_result(result: Match, banlist: BanList, as_json: bool) -> None:
    if as_json:
        out = result.to_dict()
        out["list_date"] = banlist.list_date.isoformat()
        out["list_version"] = banlist.manifest.list_version
        print(json.dumps(out))
        return
    words = {"none": "no match", "possible": "possible match (name and birth date)",
             "strong": "strong match (document and birth date)"}[result.kind]
    line = f"{words} in the list of {banlist.list_date.isoformat()} (version {banlist.manifest.list_version})"
    if result.found:
        line += f"; ban ends {result.ban_end_year}" if result.ban_end_year else "; no ban end date given"
    print(line)

