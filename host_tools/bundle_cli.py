"""``safar bundle sign|cosign|verify|publish``: signed ban-list bundles and repositories.

A bundle is what ``safar list build`` writes (manifest.json + *.gcs). ``sign`` adds
TUF targets metadata (``BUNDLE/targets.json``: length and sha256 of every file, version =
list version, expiry = valid_until, the deployment) signed by one list signer; each
further signer runs ``cosign``. ``publish`` lays out a repository (``metadata/`` and
``targets/``) for a web root or, with ``--usb``, a USB stick's ``SAFAR-LISTS/`` folder.
``verify`` checks a bundle or a repository against a root and says what is valid or not
(exit 0 when everything is, 1 otherwise).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from tuf.api.metadata import Metadata, Root

from firmware.banlist.errors import BundleError
from firmware.banlist.manifest import MANIFEST_NAME, parse_manifest
from firmware.update.errors import UpdateError
from firmware.update.install import find_repository, read_repository
from firmware.update.trust import DEPLOYMENT_FIELD, Floors, TargetCheck, as_utc, summary, verify_release
from host_tools import signing
from host_tools.signing import SigningError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="safar bundle", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, text in (("sign", "sign a bundle's targets (first signer, or after the files changed)"),
                       ("cosign", "add another list signer's signature")):
        s = sub.add_parser(name, help=text)
        s.add_argument("bundle", type=Path)
        s.add_argument("--key", type=Path, required=True, help="your targets private key (.pem)")
        s.add_argument("--root", type=Path, help="root.json (or keys DIR): check the key is a targets key")
        s.add_argument("--passphrase-file", type=Path)
    v = sub.add_parser("verify", help="check a bundle or a repository against a root")
    v.add_argument("bundle", type=Path, help="bundle directory, repository, or a folder holding SAFAR-LISTS/")
    v.add_argument("--root", type=Path, required=True, help="the root.json the kiosks trust (or keys DIR)")
    v.add_argument("--now", type=_date, default=None, help="judge expiry as of this date (default: today)")
    v.add_argument("--json", action="store_true")
    u = sub.add_parser("publish", help="lay out a repository (metadata/ and targets/)")
    u.add_argument("bundle", type=Path)
    u.add_argument("out", type=Path, help="web root, or the USB stick's mount point with --usb")
    u.add_argument("--keys", type=Path, required=True, help="keys directory (root versions, publish key)")
    u.add_argument("--key", type=Path, help="publish private key (default: DIR/keys/publish-*.pem)")
    u.add_argument("--usb", action="store_true", help="write into OUT/SAFAR-LISTS/")
    u.add_argument("--passphrase-file", type=Path)
    return p


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        if args.cmd in ("sign", "cosign"):
            return _sign(args)
        if args.cmd == "verify":
            return _verify(args)
        return _publish(args)
    except SigningError as e:
        print(f"safar bundle: {e}", file=sys.stderr)
        return 1


def _root_bytes(path: Path) -> bytes:
    try:
        return (path / "root.json").read_bytes() if path.is_dir() else path.read_bytes()
    except OSError as e:
        raise SigningError(f"cannot read the root {path}: {e.strerror}") from None


def _root(path: Path) -> Root:
    try:
        return Metadata[Root].from_bytes(_root_bytes(path)).signed
    except ValueError as e:
        raise SigningError(f"{path} is not TUF root metadata: {e}") from None


def _sign(args: argparse.Namespace) -> int:
    root = _root(args.root) if args.root else None
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


def _publish(args: argparse.Namespace) -> int:
    key = args.key
    if key is None:
        found = sorted((args.keys / "keys").glob("publish-*.pem"))
        if not found:
            raise SigningError(f"no publish key in {args.keys / 'keys'}; give --key")
        key = found[0]
    signer = signing.load_signer(key, None, args.passphrase_file)
    repo = signing.publish(args.bundle, args.out, signing.root_chain(args.keys), signer, usb=args.usb)
    print(f"published to {repo}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    now = args.now or dt.date.today()
    root_bytes = _root_bytes(args.root)
    try:
        repo = find_repository(args.bundle)
    except UpdateError:
        return _verify_bundle(args, root_bytes, now)
    lines: list[str] = []
    ok = True
    try:
        trusted = Metadata[Root].from_bytes(root_bytes).signed
        meta, manifest = read_repository(repo, trusted.version)
        release = verify_release(root_bytes, meta, manifest, Floors(), as_utc(now))
        lines.append(f"ok       metadata: root v{release.root.version}, list version {release.list_version}, "
                     f"deployment {release.deployment!r}")
        lines.append(f"ok       signed by {', '.join(release.signed_by)}")
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


def _verify_bundle(args: argparse.Namespace, root_bytes: bytes, now: dt.date) -> int:
    """A bundle directory before publishing: signatures against the newest root, files, manifest."""
    bundle: Path = args.bundle
    lines: list[str] = []
    root = Metadata[Root].from_bytes(root_bytes).signed
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
