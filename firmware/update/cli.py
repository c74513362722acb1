"""``safar update status|install|usb|poll|provision``: the signed list on a kiosk.

    safar update status [--state DIR] [--deep] [--json]      exit 0 a usable list, 1 none
    safar update install SOURCE [--state DIR]                a repository or a folder with SAFAR-LISTS/
    safar update usb [--state DIR] [--root /]                every stick under /media, /run/media, /mnt
    safar update poll URL [--state DIR] [--cache DIR]        a web repository
    safar update provision ROOT.json [--state DIR] [--force] the kiosk image's trusted root

Output names versions, dates, key names and reasons, never list content.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from firmware.update.errors import UpdateError
from firmware.update.install import DEFAULT_STATE, audit_entries, install, installed, provision


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="safar update", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def state(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--state", type=Path, default=DEFAULT_STATE, help=f"state directory ({DEFAULT_STATE})")

    s = sub.add_parser("status", help="the installed list, its signatures and the last audit entries")
    state(s)
    s.add_argument("--deep", action="store_true", help="also re-hash every filter file")
    s.add_argument("--json", action="store_true")
    def config(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--config", type=Path, help="kiosk settings whose [matching] false-alarm limits the list "
                        "must meet (default: the built-in limits, 1e-7 strong and 1e-6 possible per traveller)")

    i = sub.add_parser("install", help="verify and install a repository")
    state(i)
    config(i)
    i.add_argument("source", type=Path)
    u = sub.add_parser("usb", help="install from mounted USB sticks")
    state(u)
    config(u)
    u.add_argument("--root", type=Path, default=Path("/"))
    w = sub.add_parser("poll", help="check a web repository once and install a newer list")
    state(w)
    config(w)
    w.add_argument("url")
    w.add_argument("--cache", type=Path, default=None, help="download directory (default: STATE/download)")
    v = sub.add_parser("provision", help="make ROOT.json this kiosk's trusted root")
    state(v)
    v.add_argument("root", type=Path)
    v.add_argument("--force", action="store_true", help="replace a different trusted root")
    return p


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        if args.cmd == "status":
            return _status(args)
        # the kiosk's own settings decide which lists it uses (imported here: the CLI is the shell)
        from firmware.kiosk.config import ConfigError, limits_from

        try:
            limits = limits_from(getattr(args, "config", None))
        except ConfigError as e:
            print(f"safar update: {e}", file=sys.stderr)
            return 2
        if args.cmd == "install":
            print(json.dumps(install(args.state, args.source, false_alarm_limits=limits).to_dict(), indent=2))
            return 0
        if args.cmd == "usb":
            from firmware.update.sources import install_from_usb
            outcomes = install_from_usb(args.state, args.root, false_alarm_limits=limits)
            if not outcomes:
                print("safar update: no SAFAR-LISTS/ folder on any mounted stick", file=sys.stderr)
                return 1
            for o in outcomes:
                print(json.dumps(o.to_dict()))
            return 0 if any(not isinstance(o, UpdateError) for o in outcomes) else 1
        if args.cmd == "poll":
            from firmware.update.sources import poll_http
            r = poll_http(args.state, args.url, args.cache or args.state / "download", false_alarm_limits=limits)
            print(json.dumps({"action": r.action, "list_version": r.list_version}))
            return 0
        try:
            data = args.root.read_bytes()
        except OSError as e:
            print(f"safar update: cannot read {args.root}: {e.strerror}", file=sys.stderr)
            return 1
        provision(args.state, data, force=args.force)
        print(f"provisioned {args.state}")
        return 0
    except UpdateError as e:
        print(f"safar update: refused [{e.code}]: {e}", file=sys.stderr)
        return 1


def _status(args: argparse.Namespace) -> int:
    with installed(args.state, verify_hashes=args.deep) as inst:
        info = inst.to_dict()
    info["audit"] = audit_entries(args.state, 5)
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        if info["ok"]:
            print(f"list version {info['list_version']} of {info['list_date']}, valid until {info['valid_until']}, "
                  f"deployment {info['deployment']!r}, root v{info['root_version']}")
            print(f"signed by {', '.join(info['signed_by'])}")
        else:
            print(f"no usable list: {info['reason']}")
        if info["warning"]:
            print(f"warning: {info['warning']}")
        for e in info["audit"]:
            print(f"  {e.get('time')} {e.get('action')} {e.get('result')} "
                  f"{e.get('to_version') or e.get('installed_version') or ''} {e.get('reason') or ''}".rstrip())
    return 0 if info["ok"] else 1
