"""``safar list build|inspect|check``: the officials' and technicians' view of a ban list."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
import tempfile
from pathlib import Path

from firmware.banlist import BanList, BundleError, unpack_bundle
from firmware.banlist.manifest import MANIFEST_NAME, Manifest, parse_manifest
from firmware.banlist.unpack import read_manifest
from firmware.core import mrz
from firmware.core.bloom import expected_fp_rate
from firmware.core.keys import birth_key
from firmware.core.match import Match
from host_tools.listbuild.bundle import partition_keys, write_bundle
from host_tools.listbuild.csvinput import ListFileError, parse_date, read_list

EXIT_MATCH = 3
# probes per traveller: document and name keys at up to three date precisions
PROBES_PER_TRAVELLER = 6


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="safar list", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build an unsigned bundle from the official list (CSV)")
    b.add_argument("csv", type=Path)
    b.add_argument("-o", "--out", type=Path, required=True, help="bundle directory to write")
    b.add_argument("--list-date", type=_date, default=None, help="date of the official list (default: today)")
    b.add_argument("--valid-until", type=_date, default=None, help="default: list date + 200 days")
    b.add_argument("--list-version", type=int, default=None, help="monotonic; default: YYYYMMDD of the list date")
    b.add_argument("--deployment", default="safar-tj", help="repository name the kiosks are configured for")
    b.add_argument("--fp-rate", type=float, default=1e-4, help="false-positive rate per key lookup")
    b.add_argument("--errors", type=Path, help="also write every rejected row to this file")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    i = sub.add_parser("inspect", help="show a bundle's manifest, counts, sizes and false-positive rates")
    i.add_argument("bundle", type=Path)
    i.add_argument("--json", action="store_true")
    c = sub.add_parser("check", help="spot-check one person (MRZ on stdin, or identity fields)")
    c.add_argument("bundle", type=Path)
    c.add_argument("--surname")
    c.add_argument("--given-names")
    c.add_argument("--birth-date", help="DD.MM.YYYY or YYYY-MM-DD (00 for unknown day or month)")
    c.add_argument("--nationality", default="TJK")
    c.add_argument("--document-number")
    c.add_argument("--today", type=_date, default=None)
    c.add_argument("--json", action="store_true")
    return p


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        if args.cmd == "build":
            return _build(args)
        if args.cmd == "inspect":
            return _inspect(args)
        return _check(args)
    except (BundleError, ListFileError) as e:
        print(f"safar list: {e}", file=sys.stderr)
        return 1


def _build(args: argparse.Namespace) -> int:
    list_date = args.list_date or dt.date.today()
    valid_until = args.valid_until or list_date + dt.timedelta(days=200)
    version = args.list_version if args.list_version is not None else int(list_date.strftime("%Y%m%d"))
    if not 0 < args.fp_rate < 0.5:
        print("safar list: --fp-rate must be between 0 and 0.5", file=sys.stderr)
        return 2
    try:
        data = args.csv.read_bytes()
    except OSError as e:
        print(f"safar list: cannot read {args.csv}: {e.strerror}", file=sys.stderr)
        return 1
    result = read_list(data, str(args.csv), list_date)
    for err in result.errors[:50]:
        print(f"{args.csv}: {err}", file=sys.stderr)
    if len(result.errors) > 50:
        print(f"{args.csv}: ... and {len(result.errors) - 50} more rejected rows", file=sys.stderr)
    if args.errors:
        args.errors.write_text("".join(f"{args.csv}: {e}\n" for e in result.errors), encoding="utf-8")
    if not result.entries:
        print(f"safar list: {args.csv}: no row was accepted ({result.rows} read); no bundle written", file=sys.stderr)
        return 1
    total = sum(len(k) for k, _, _ in partition_keys(result.entries).values())
    bar = None
    if not args.quiet and total > 100_000:
        from tqdm import tqdm
        bar = tqdm(total=total, unit="key", desc="building filters", file=sys.stderr)
    manifest = write_bundle(result.entries, args.out, list_version=version, list_date=list_date,
                            valid_until=valid_until, deployment=args.deployment, fp_rate=args.fp_rate,
                            progress=bar.update if bar else None)
    if bar:
        bar.close()
    summary = dict(result.summary())
    summary.update({"bundle": str(args.out), "list_version": version, "filters": len(manifest["filters"]),
                    "bytes": sum(f["compressed_size"] for f in manifest["filters"])})
    print(json.dumps(summary, indent=2))
    return 0


def _load_manifest(path: Path) -> Manifest:
    if path.is_file():
        return parse_manifest(path.read_bytes())
    return read_manifest(path)


def _inspect(args: argparse.Namespace) -> int:
    man = _load_manifest(args.bundle)
    rows = []
    for f in man.filters:
        n_real = f.keys
        rate = expected_fp_rate(f.bits, f.hashes, n_real)
        rows.append({"file": f.file, "ban_end_year": f.end_year or None, "keys": f.keys, "bits": f.bits,
                     "hashes": f.hashes, "bits_per_key": round(f.bits / max(1, f.keys), 2),
                     "size": f.size, "compressed_size": f.compressed_size,
                     "fp_rate_per_lookup": rate})
    per_lookup = max((r["fp_rate_per_lookup"] for r in rows), default=0.0)
    lookups = PROBES_PER_TRAVELLER * len(rows)
    info = dict(man.summary())
    info.update({"format_version": man.raw["format_version"], "hash_scheme": man.raw["hash_scheme"],
                 "created": man.raw.get("created"), "key_counts": man.raw.get("key_counts"),
                 "fp_rate_configured": man.fp_rate,
                 "fp_rate_per_traveller": 1 - math.pow(1 - per_lookup, lookups),
                 "filters": rows, "canaries": len(man.canaries)})
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"list version {man.list_version}, list date {man.list_date}, valid until {man.valid_until}, "
          f"deployment {man.deployment!r}")
    print(f"records {man.records}; keys {info['key_counts']}; configured false-positive rate "
          f"{man.fp_rate:g} per lookup, about {info['fp_rate_per_traveller']:.2g} per traveller "
          f"({lookups} lookups)")
    for r in rows:
        print(f"  {r['file']:<20} ban end {r['ban_end_year'] or 'not given':<10} {r['keys']:>10} keys "
              f"{r['bits_per_key']:>6} bits/key k={r['hashes']:<2} {r['size']:>12} bytes "
              f"({r['compressed_size']} compressed) fp {r['fp_rate_per_lookup']:.3g}")
    return 0


def _open_for_check(path: Path, tmp: str) -> BanList:
    """An installed (expanded) list opens directly; a transport bundle is expanded first."""
    man = _load_manifest(path)
    if path.is_dir() and all((path / f.name).exists() for f in man.filters):
        return BanList.open(path)
    unpack_bundle(path, Path(tmp))
    return BanList.open(tmp)


def _check(args: argparse.Namespace) -> int:
    today = args.today or dt.date.today()
    with tempfile.TemporaryDirectory(prefix="safar-check-") as tmp:
        banlist = _open_for_check(args.bundle, tmp)
        with banlist:
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
                if not doc.valid:
                    failed = ", ".join(name for name, ok in doc.checks.items() if not ok)
                    print(f"safar list check: MRZ check digits fail ({failed}); checking anyway", file=sys.stderr)
                result = banlist.match(doc, today)
            _print_result(result, banlist, args.json)
            return EXIT_MATCH if result.found else 0


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


__all__ = ["main", "MANIFEST_NAME"]
