"""``safar update status|install|usb|poll|provision``: the signed list on a kiosk.

    safar update status [--state DIR] [--deep] [--json]      exit 0 a usable list, 1 none
    safar update install SOURCE [--state DIR]                a repository or a folder with SAFAR-LISTS/
    safar update usb [--state DIR] [--root /]                every stick under /media, /run/media, /mnt
    safar update poll URL [--state DIR] [--cache DIR]        a web repository
    safar update provision ROOT.json [--state DIR] [--force] [--built DATE]
                                                             the kiosk image's trusted root

Output names versions, dates, key names and reasons, never list content. A refusal is
one line on stderr, ``refused [CODE]: reason`` (codes: ``firmware.update.errors``), exit 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pwd
import sys
from collections.abc import Callable
from pathlib import Path

from firmware.cliutil import command_parser, iso_date, run_cli, subcommands
from firmware.core.budget import DEFAULT_POSSIBLE, DEFAULT_STRONG
from firmware.update.audit import audit_entries
from firmware.update.errors import UpdateError
from firmware.update.installed_list import installed
from firmware.update.installer import install
from firmware.update.layout import DEFAULT_STATE, StateLayout
from firmware.update.provisioning import provision
from firmware.usb import USB_FOLDER

DOC = "docs/trust.md"


def kiosk_limits(path: str) -> tuple[float, float]:
    """``--config FILE``: the false-alarm limits of the kiosk's settings; a bad file is a usage error (exit 2)."""
    # the kiosk's own settings decide which lists it uses (imported here: the CLI is the shell)
    from firmware.app.config import ConfigError, limits_from

    try:
        return limits_from(path)
    except ConfigError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_limits_argument(parser: argparse.ArgumentParser) -> None:
    """``--config``, for every command that judges whether a list may be installed."""
    parser.add_argument("--config", dest="limits", metavar="FILE", type=kiosk_limits,
                        default=(DEFAULT_STRONG, DEFAULT_POSSIBLE),
                        help="kiosk settings whose [matching] false-alarm limits the list must meet (default: the "
                        f"built-in limits, {DEFAULT_STRONG:g} strong and {DEFAULT_POSSIBLE:g} possible per traveller)")


def add_state_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE, metavar="DIR",
                        help=f"kiosk state directory (default {DEFAULT_STATE})")


def _parser() -> argparse.ArgumentParser:
    p = command_parser("safar update", "The signed list on a kiosk: its status, installing one from a folder, "
                       "a USB stick or a web server, and provisioning the trusted root. A refusal prints "
                       "refused [CODE]: reason and exits 1.", doc=DOC)
    sub = subcommands(p)

    s = sub.add("status", "the installed list, its signatures and the last audit entries")
    add_state_argument(s)
    s.add_argument("--deep", action="store_true", help="also re-hash every filter file")
    s.add_argument("--json", action="store_true", help="print the status as JSON")

    i = sub.add("install", "verify and install a repository")
    add_state_argument(i)
    add_limits_argument(i)
    i.add_argument("source", type=Path, help=f"a published repository, or a folder holding {USB_FOLDER}/")

    u = sub.add("usb", "install from mounted USB sticks")
    add_state_argument(u)
    add_limits_argument(u)
    u.add_argument("--root", type=Path, default=Path("/"), metavar="DIR",
                   help="look for sticks under DIR/media, DIR/run/media, DIR/mnt (default /)")

    w = sub.add("poll", "check a web repository once and install a newer list")
    add_state_argument(w)
    add_limits_argument(w)
    w.add_argument("url", help="the repository's base URL (BASE/metadata/, BASE/targets/)")
    w.add_argument("--cache", type=Path, default=None, metavar="DIR",
                   help="download directory (default: STATE/download)")
    w.add_argument("--poll-period", type=float, default=24.0, metavar="HOURS",
                   help="how often this kiosk polls: warn when the timestamp runs out before the next poll "
                        "(default 24)")

    v = sub.add("provision", "make ROOT.json this kiosk's trusted root")
    add_state_argument(v)
    v.add_argument("root", type=Path, help="the deployment's root metadata (ROOT.json, shipped in the kiosk image)")
    v.add_argument("--force", action="store_true",
                   help="replace a different trusted root, or trust files no copy of is readable")
    v.add_argument("--built", type=iso_date, default=None, metavar="DATE",
                   help="the kiosk image's build date (YYYY-MM-DD): lists that expired before it are refused "
                   "even with no clock (default: the date ROOT.json was last modified)")
    return p


def _refusal(e: BaseException) -> str:
    return f"refused [{e.code}]: {e}" if isinstance(e, UpdateError) else str(e)


def main(argv: list[str] | None = None) -> int:
    return run_cli(_parser(), {"status": _status, "install": _as_owner(_install), "usb": _as_owner(_usb),
                               "poll": _as_owner(_poll), "provision": _as_owner(_provision)},
                   argv, errors=(UpdateError,), describe=_refusal)


def _as_owner(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Root writing into the kiosk user's state directory would leave files (trust/ is 0750)
    the kiosk cannot read: it would go out of service. Refused, saying what to run instead."""
    def run(args: argparse.Namespace) -> int:
        try:
            owner = args.state.stat().st_uid
        except OSError:
            owner = 0  # not made yet: whoever makes it owns it
        if os.geteuid() == 0 and owner != 0:
            try:
                name = pwd.getpwuid(owner).pw_name
            except KeyError:
                name = str(owner)
            print(f"safar update: {args.state} belongs to {name}: run this as that user "
                  f"(sudo -u {name} safar update {args.cmd} ...), or the kiosk could not read what it writes",
                  file=sys.stderr)
            return 1
        return command(args)

    return run


def _install(args: argparse.Namespace) -> int:
    print(json.dumps(install(args.state, args.source, false_alarm_limits=args.limits).to_dict(), indent=2))
    return 0


def _usb(args: argparse.Namespace) -> int:
    from firmware.update.sources import install_from_usb

    outcomes = install_from_usb(args.state, args.root, false_alarm_limits=args.limits)
    if not outcomes:
        print(f"safar update: no {USB_FOLDER}/ folder on any mounted stick", file=sys.stderr)
        return 1
    for o in outcomes:
        print(json.dumps(o.to_dict()))
    return 0 if any(not isinstance(o, UpdateError) for o in outcomes) else 1


def _poll(args: argparse.Namespace) -> int:
    from firmware.update.sources import poll_http

    cache = args.cache or StateLayout(args.state).download
    r = poll_http(args.state, args.url, cache, false_alarm_limits=args.limits,
                  poll_period=dt.timedelta(hours=args.poll_period))
    print(json.dumps({"action": r.action, "list_version": r.list_version, "warning": r.warning}))
    return 0


def _provision(args: argparse.Namespace) -> int:
    try:
        data = args.root.read_bytes()
    except OSError as e:
        print(f"safar update: cannot read {args.root}: {e.strerror}", file=sys.stderr)
        return 1
    built = args.built or dt.datetime.fromtimestamp(args.root.stat().st_mtime, dt.UTC).date()
    provision(args.state, data, force=args.force, built=built)
    print(f"provisioned {args.state}")
    return 0


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
