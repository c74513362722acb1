"""``safar bundle sign|cosign|verify|publish|refresh-timestamp``: signed ban-list bundles and repositories.

A bundle is what ``safar list build`` writes (manifest.json + *.gcs). ``sign`` adds
TUF targets metadata (``BUNDLE/targets.json``: length and sha256 of every file, version =
list version, expiry = valid_until, the deployment) signed by one list signer; each
further signer runs ``cosign``. ``publish`` lays out a repository (``metadata/`` and
``targets/``) for a web root or, with ``--usb``, a USB stick's ``SAFAR-LISTS/`` folder;
its timestamp runs out in ``--timestamp-days`` (default 7), and ``refresh-timestamp``
re-signs it (run it on a timer: polling kiosks refuse a repository whose timestamp ran out).
``verify`` checks a bundle or a repository against a root and says what is valid or not
(exit 0 when everything is, 1 otherwise).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Root

from firmware.banlist.errors import BundleError
from firmware.banlist.manifest import MANIFEST_NAME, parse_manifest
from firmware.cliutil import command_parser, iso_date, run_cli, subcommands
from firmware.update import find_repository, read_repository
from firmware.update.errors import UpdateError
from firmware.update.trust import DEPLOYMENT_FIELD, Floors, TargetCheck, as_utc, summary, verify_release
from firmware.usb import USB_FOLDER
from host_tools import signing
from host_tools.signing import SigningError


def _parser() -> argparse.ArgumentParser:
    p = command_parser("safar bundle", __doc__ or "", doc="docs/trust.md")
    sub = subcommands(p)

    passphrase = "file holding the passphrase of the key (first line)"
    for name, text in (("sign", "sign a bundle's targets (first signer, or after the files changed)"),
                       ("cosign", "add another list signer's signature")):
        s = sub.add(name, text)
        s.add_argument("bundle", type=Path, help="bundle directory (as safar list build wrote it)")
        s.add_argument("--key", type=Path, required=True, help="your targets private key (.pem)")
        s.add_argument("--root", type=Path, help="root.json (or keys DIR): check the key is a targets key")
        s.add_argument("--passphrase-file", type=Path, help=passphrase)
    v = sub.add("verify", "check a bundle or a repository against a root (exit 0 when all is valid, 1 otherwise)")
    v.add_argument("bundle", type=Path, help=f"bundle directory, repository, or a folder holding {USB_FOLDER}/")
    v.add_argument("--root", type=Path, required=True, help="the root.json the kiosks trust (or keys DIR)")
    v.add_argument("--now", type=iso_date, default=None, help="judge expiry as of this date (default: today)")
    v.add_argument("--json", action="store_true", help="the report as JSON")
    u = sub.add("publish", "lay out a repository (metadata/ and targets/)")
    u.add_argument("bundle", type=Path, help="the signed bundle directory")
    u.add_argument("out", type=Path, help="web root, or the USB stick's mount point with --usb")
    u.add_argument("--usb", action="store_true", help=f"write into OUT/{USB_FOLDER}/")
    u.add_argument("--passphrase-file", type=Path, help=passphrase)
    r = sub.add("refresh-timestamp", "re-sign a published repository's timestamp (the same list, a later expiry)")
    r.add_argument("repository", type=Path, help=f"the published repository (web root, or OUT/{USB_FOLDER})")
    r.add_argument("--passphrase-file", type=Path, help=passphrase)
    for command in (u, r):
        command.add_argument("--keys", type=Path, required=command is u,
                             help="keys directory (root versions, publish key)")
        command.add_argument("--key", type=Path, help="publish private key (default: DIR/keys/publish-*.pem)")
        command.add_argument("--timestamp-days", type=int, default=signing.DEFAULT_TIMESTAMP_DAYS,
                             help="days until the timestamp runs out (at most the list's validity; "
                                  f"default {signing.DEFAULT_TIMESTAMP_DAYS}); re-sign it before then")
    return p


def main(argv: list[str]) -> int:
    handlers = {"sign": _sign, "cosign": _sign, "verify": _verify, "publish": _publish,
                "refresh-timestamp": _refresh_timestamp}
    return run_cli(_parser(), handlers, argv, errors=(SigningError,))


def _sign(args: argparse.Namespace) -> int:
    root = signing.read_root(args.root).signed if args.root else None
    signer = signing.load_signer(args.key, None, args.passphrase_file)
    md = signing.sign_bundle(args.bundle, signer, cosign=args.cmd == "cosign", root=root)
    print(f"{args.bundle / signing.TARGETS_FILE}: list version {md.signed.version}, "
          f"{len(md.signed.targets)} files, {len(md.signatures)} signature(s)")
    if root is not None:
        ok, lines = signing.targets_report(md, root)
        print("\n".join(lines))
        if not ok:
            print("more signatures are needed: the next signer runs 'safar bundle cosign'")
    return 0


def _publish_signer(args: argparse.Namespace) -> CryptoSigner:
    key = args.key
    if key is None:
        if args.keys is None:
            raise SigningError("give --key (the publish private key) or --keys DIR")
        found = sorted((args.keys / "keys").glob("publish-*.pem"))
        if not found:
            raise SigningError(f"no publish key in {args.keys / 'keys'}; give --key")
        key = found[0]
    return signing.load_signer(key, None, args.passphrase_file)


def _publish(args: argparse.Namespace) -> int:
    repo = signing.publish(args.bundle, args.out, signing.root_chain(args.keys), _publish_signer(args),
                           usb=args.usb, timestamp_days=args.timestamp_days)
    print(f"published to {repo}")
    return 0


def _refresh_timestamp(args: argparse.Namespace) -> int:
    md = signing.refresh_timestamp(args.repository, _publish_signer(args), days=args.timestamp_days)
    print(f"{args.repository}: timestamp version {md.signed.version}, valid until "
          f"{md.signed.expires.strftime('%Y-%m-%d %H:%M')} UTC")
    return 0


def _verify(args: argparse.Namespace) -> int:
    now = args.now or dt.date.today()
    root_bytes = signing.read_root_bytes(args.root)
    trusted = signing.read_root(args.root).signed
    try:
        repo = find_repository(args.bundle)
    except UpdateError:
        return _verify_bundle(args, trusted, now)
    lines: list[str] = []
    ok = True
    try:
        meta, manifest = read_repository(repo, trusted.version)
        release = verify_release(root_bytes, meta, manifest, Floors(), as_utc(now))
        lines.append(f"ok       metadata: root v{release.root.version}, list version {release.list_version}, "
                     f"deployment {release.deployment!r}")
        lines.append(f"ok       signed by {', '.join(release.signed_by)}")
        lines.append(_timestamp_line(release.timestamp_expires, release.reference_time))
        lines.append(f"ok       {MANIFEST_NAME}: list of {release.manifest.list_date}, valid until "
                     f"{release.manifest.valid_until}")
        for name in release.files():
            try:
                check = release.checker(name)
                with open(repo / "targets" / name, "rb") as f:
                    while chunk := f.read(min(1 << 20, check.length + 1 - check.seen)):
                        check.update(chunk)
                check.finish()
                lines.append(f"ok       {name}: {check.length} bytes, sha256 matches")
            except (UpdateError, OSError) as e:
                ok = False
                lines.append(f"INVALID  {name}: {e}")
        info = dict(summary(release))
    except UpdateError as e:
        ok = False
        lines.append(f"INVALID  {e.file or 'repository'}: {e.reason} [{e.code}]")
        info = {"error": e.to_dict()}
    return _report(args, ok, lines, info)


def _timestamp_line(expires: dt.datetime, reference: dt.datetime) -> str:
    """An expired timestamp is no fault of a stick's repository: only polling kiosks judge it."""
    when = f"{expires.strftime('%Y-%m-%d %H:%M')} UTC"
    if expires > reference:
        return f"ok       timestamp: valid until {when}"
    return (f"note     timestamp: expired {when}; kiosks polling this repository refuse it "
            "('safar bundle refresh-timestamp'), from a USB stick or the serial port it installs")


def _verify_bundle(args: argparse.Namespace, root: Root, now: dt.date) -> int:
    """A bundle directory before publishing: signatures against the newest root, files, manifest."""
    bundle: Path = args.bundle
    lines: list[str] = []
    deployment = root.unrecognized_fields.get(DEPLOYMENT_FIELD)
    md = signing.read_bundle_targets(bundle)
    if md is None:
        return _report(args, False, [f"INVALID  {bundle}: not signed (no {signing.TARGETS_FILE}) and not a "
                                     "repository"], {"ok": False})
    ok, sig_lines = signing.targets_report(md, root)
    lines += [("ok       " if ok else "INVALID  ") + sig_lines[0]] + ["         " + s.strip() for s in sig_lines[1:]]
    t = md.signed
    if t.unrecognized_fields.get(DEPLOYMENT_FIELD) != deployment:
        ok = False
        lines.append(f"INVALID  deployment {t.unrecognized_fields.get(DEPLOYMENT_FIELD)!r}, the root is for "
                     f"{deployment!r}")
    else:
        lines.append(f"ok       deployment {deployment!r}")
    if t.is_expired(as_utc(now)):
        ok = False
        lines.append(f"INVALID  expired ({t.expires.date().isoformat()})")
    for name, info in sorted(t.targets.items()):
        try:
            TargetCheck.of_bytes(name, info, (bundle / name).read_bytes())
            lines.append(f"ok       {name}: {info.length} bytes, sha256 matches")
        except (UpdateError, OSError) as e:
            ok = False
            lines.append(f"INVALID  {name}: {e}")
    try:
        man = parse_manifest((bundle / MANIFEST_NAME).read_bytes())
        if man.list_version != t.version:
            ok = False
            lines.append(f"INVALID  manifest list version {man.list_version} != targets version {t.version}")
        missing = [f.file for f in man.sets if f.file not in t.targets]
        if missing:
            ok = False
            lines.append(f"INVALID  not signed: {', '.join(missing)}")
    except (OSError, BundleError) as e:
        ok = False
        lines.append(f"INVALID  {MANIFEST_NAME}: {e}")
    return _report(args, ok, lines, {"list_version": t.version, "signatures": len(md.signatures)})


def _report(args: argparse.Namespace, ok: bool, lines: list[str], info: dict[str, object]) -> int:
    if args.json:
        print(json.dumps({"ok": ok, "lines": lines, **info}, indent=2, default=str))
    else:
        print("\n".join(lines))
        print("VALID" if ok else "NOT VALID")
    return 0 if ok else 1
