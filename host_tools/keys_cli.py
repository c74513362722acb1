"""``safar keys init|add|rotate|remove|renew|sign-root|passwd|show``: the officials' keys and root versions.

Private keys are Ed25519, PKCS#8 PEM, each encrypted with its holder's own passphrase
(at least 12 characters): ``--passphrase-file ROLE-NAME=FILE`` for one key (repeat), else
``--passphrase-file FILE`` for every key, else env ``SAFAR_PASSPHRASE``, else a prompt that
names the key; ``safar keys passwd`` gives one key a new passphrase. Every change of keys or thresholds is a new
root version, signed by a threshold of the previous root's keys and of its own; kiosks
pick it up with the next list, without reflashing. When not enough root keys are at hand,
the new version is written as ``root/N.root.json.partial`` and the other holders add
their signatures with ``safar keys sign-root`` (exit code 3 until it is complete).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path

from tuf.api.metadata import Metadata, Root

from firmware.cliutil import command_parser, run_cli, subcommands
from host_tools import signing
from host_tools.signing import SigningError
from host_tools.signing.keyfiles import Passphrases, change_passphrase, check_name, holders_sharing

EXIT_PARTIAL = 3


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _parser() -> argparse.ArgumentParser:
    p = command_parser("safar keys", __doc__ or "", doc="docs/trust.md")
    sub = subcommands(p)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("dir", type=Path, help="keys directory")
        sp.add_argument("--passphrase-file", action="append", metavar="[ROLE-NAME=]FILE",
                        help="file holding the passphrase of the key ROLE-NAME (repeat, one per holder), or "
                             "without ROLE-NAME= of every key")

    def root_signing(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--root-key", type=Path, action="append", default=None,
                        help="root private key to sign the new root version with (repeat; default: every "
                             "root-*.pem in DIR/keys)")
        sp.add_argument("--days", type=int, default=None, help="new root expiry in days from now")

    def new_root_version(name: str, text: str, *, changes_a_role: bool = True) -> argparse.ArgumentParser:
        """A command that writes the next root version (signed by root keys), maybe changing one role's keys."""
        sp = sub.add(name, text)
        common(sp)
        root_signing(sp)
        if changes_a_role:
            sp.add_argument("--role", required=True, choices=signing.KEY_ROLES, help="the role whose keys change")
            sp.add_argument("--threshold", type=int, help="the role's new threshold (default: unchanged)")
        return sp

    i = sub.add("init", "generate root, targets and publish keys and root version 1")
    common(i)
    i.add_argument("--deployment", required=True, help="deployment name, e.g. safar-tj (lists must match it)")
    i.add_argument("--root-names", type=_names, default=["1", "2", "3"],
                   help="comma-separated root key names (default 1,2,3)")
    i.add_argument("--root-threshold", type=int, default=2,
                   help="root signatures a new root version needs (default 2)")
    i.add_argument("--targets-names", type=_names, default=["border", "migration", "partner"],
                   help="comma-separated list signers (default border,migration,partner)")
    i.add_argument("--targets-threshold", type=int, default=2,
                   help="list signers' signatures a bundle needs (default 2)")
    i.add_argument("--publish-names", type=_names, default=["1"],
                   help="comma-separated snapshot/timestamp key names (default 1)")
    i.add_argument("--days", type=int, default=signing.DEFAULT_ROOT_DAYS,
                   help=f"root expiry in days (default {signing.DEFAULT_ROOT_DAYS})")
    i.add_argument("--no-passphrase", action="store_true", help="unencrypted keys (demos and tests only)")
    i.add_argument("--allow-shared-passphrase", action="store_true",
                   help="let two holders of a role have the same passphrase (then one person can open both keys)")

    a = new_root_version("add", "new key for a role (new root version)")
    a.add_argument("--name", required=True, help="name of the new key")
    r = new_root_version("rotate", "replace a role's key by a new one (new root version)")
    r.add_argument("--replace", required=True, help="name of the key to retire")
    r.add_argument("--name", help="name of the new key (default: NAME-vN)")
    d = new_root_version("remove", "retire a role's key without replacement (new root version)")
    d.add_argument("--name", required=True, help="name of the key to retire")
    new_root_version("renew", "same keys, later expiry (new root version)", changes_a_role=False)

    s = sub.add("sign-root", "add a root key holder's signature to a pending root version")
    common(s)
    s.add_argument("--key", type=Path, required=True, help="your root private key (.pem)")

    pw = sub.add("passwd", "give one key a new passphrase (its holder's own)")
    common(pw)
    pw.add_argument("--name", required=True, metavar="ROLE-NAME", help="the key, e.g. root-1 or targets-border")
    pw.add_argument("--new-passphrase-file", type=Path,
                    help="file holding the new passphrase (default: a prompt, twice)")

    sh = sub.add("show", "roles, keys, thresholds and expiry of a root")
    sh.add_argument("dir", type=Path, help="keys directory or a root.json")
    return p


def main(argv: list[str]) -> int:
    handlers = {"init": _init, "add": _add, "rotate": _rotate, "remove": _remove, "renew": _renew,
                "sign-root": _sign_root, "passwd": _passwd, "show": _show}
    return run_cli(_parser(), handlers, argv, errors=(SigningError,))


def _init(args: argparse.Namespace) -> int:
    passphrases = Passphrases.from_entries(args.passphrase_file)
    made = [f"{role}-{name}" for role, names in
            (("root", args.root_names), ("targets", args.targets_names), ("publish", args.publish_names))
            for name in names]
    unknown = sorted(set(passphrases.own) - set(made))
    if unknown:
        raise SigningError(f"a passphrase file is given for {', '.join(unknown)}, which init does not make")
    shared = [] if args.no_passphrase else passphrases.shared_by(made)
    own = [label for label in made if label not in shared]  # each holder's own: files or prompts
    allowed: list[tuple[str, str]] = []

    def one_per_holder(chosen: Mapping[str, bytes | None]) -> None:
        pairs = holders_sharing(chosen, own)
        if pairs and not args.allow_shared_passphrase:
            a, b = pairs[0]
            raise SigningError(f"{a} and {b} have the same passphrase: it would open two {a.split('-')[0]} keys, "
                               "and a threshold of keys means separate people; give each holder their own "
                               "(or --allow-shared-passphrase)")
        allowed.extend(pairs)

    md = signing.init_keys(args.dir, args.deployment, root_names=args.root_names,
                           root_threshold=args.root_threshold, targets_names=args.targets_names,
                           targets_threshold=args.targets_threshold, publish_names=args.publish_names,
                           passphrase=None if args.no_passphrase else passphrases.to_set, days=args.days,
                           check_chosen=one_per_holder)
    print(json.dumps(signing.describe_root(md.signed), indent=2))
    for a, b in allowed:
        print(f"warning: {a} and {b} share one passphrase, as allowed", file=sys.stderr)
    if len(shared) > 1:
        print(f"warning: {', '.join(shared)} share one passphrase; a threshold of keys means separate people "
              f"only when each holder sets their own: safar keys passwd {args.dir} --name ROLE-NAME",
              file=sys.stderr)
    print(f"root version 1 written to {args.dir / 'root.json'}: ship it in the kiosk image. Give each "
          f"key holder their own .pem from {args.dir / 'keys'} and remove the others from this machine.",
          file=sys.stderr)
    return 0


def _finish_root(args: argparse.Namespace, md: Metadata[Root], new_private: list[signing.KeyInfo]) -> int:
    paths = args.root_key if args.root_key else signing.root_keys_in(args.dir)
    signers = signing.load_root_signers(paths, Passphrases.from_entries(args.passphrase_file))
    signers += [signing.signer_of(k.private) for k in new_private if k.private is not None and k.role == "root"]
    signing.sign_root_version(args.dir, md, signers)
    path = signing.write_root_version(args.dir, md, allow_partial=True)
    print(json.dumps(signing.describe_root(md.signed), indent=2))
    if path.name.endswith(".partial"):
        previous = signing.current_root(args.dir).signed
        _, detail = signing.root_signatures_ok(md, previous)
        print(f"root version {md.signed.version} needs more root signatures ({detail}); written to {path}. "
              f"Other root key holders: safar keys sign-root {args.dir} --key THEIR.pem", file=sys.stderr)
        return EXIT_PARTIAL
    print(f"root version {md.signed.version} complete: {path}", file=sys.stderr)
    return 0


def _new_key(args: argparse.Namespace, role: str, name: str) -> signing.KeyInfo:
    passphrase = Passphrases.from_entries(args.passphrase_file).to_set(f"{role}-{name}")
    return signing.write_key_pair(args.dir / "keys", role, name, passphrase)


def _next_version(args: argparse.Namespace, days: int | None) -> Metadata[Root]:
    """The next root version to change; refused while an earlier one waits for signatures."""
    if signing.pending_root_versions(args.dir):
        raise SigningError("a root version is pending signatures (safar keys sign-root); finish it first")
    return signing.next_root_version(args.dir, days)


def _add_new_key(args: argparse.Namespace, md: Metadata[Root], name: str) -> signing.KeyInfo:
    """Generates the key ``ROLE-NAME``, names it in the new root version, applies ``--threshold``."""
    info = _new_key(args, args.role, name)
    signing.add_role_key(md.signed, args.role, info)
    if args.threshold is not None:
        signing.set_threshold(md.signed, args.role, args.threshold)
    return info


def _add(args: argparse.Namespace) -> int:
    md = _next_version(args, args.days)
    return _finish_root(args, md, [_add_new_key(args, md, signing.check_name(args.name))])


def _rotate(args: argparse.Namespace) -> int:
    md = _next_version(args, args.days)
    old = signing.keyid_named(md.signed, args.role, args.replace)
    name = signing.check_name(args.name or f"{args.replace}-v{md.signed.version}")
    signing.remove_role_key(md.signed, args.role, old)
    return _finish_root(args, md, [_add_new_key(args, md, name)])


def _remove(args: argparse.Namespace) -> int:
    md = _next_version(args, args.days)
    signing.remove_role_key(md.signed, args.role, signing.keyid_named(md.signed, args.role, args.name))
    role = signing.tuf_roles(args.role)[0]
    threshold = args.threshold if args.threshold is not None else md.signed.roles[role].threshold
    signing.set_threshold(md.signed, args.role, threshold)
    return _finish_root(args, md, [])


def _renew(args: argparse.Namespace) -> int:
    md = _next_version(args, args.days if args.days is not None else signing.DEFAULT_ROOT_DAYS)
    return _finish_root(args, md, [])


def _sign_root(args: argparse.Namespace) -> int:
    pending = signing.pending_root_versions(args.dir)
    if not pending:
        raise SigningError(f"no root version is pending in {args.dir / 'root'}")
    md = Metadata[Root].from_bytes(pending[-1].read_bytes())
    signer = signing.load_signer(args.key, passphrases=Passphrases.from_entries(args.passphrase_file))
    before = len(md.signatures)
    signing.sign_root_version(args.dir, md, [signer])
    if len(md.signatures) == before and signer.public_key.keyid not in md.signatures:
        raise SigningError(f"{args.key} is not a root key of the previous or the pending root version")
    path = signing.write_root_version(args.dir, md, allow_partial=True)
    if path.name.endswith(".partial"):
        _, detail = signing.root_signatures_ok(md, signing.current_root(args.dir).signed)
        print(f"signed; still pending ({detail})", file=sys.stderr)
        return EXIT_PARTIAL
    print(f"root version {md.signed.version} complete: {path}", file=sys.stderr)
    return 0


def _passwd(args: argparse.Namespace) -> int:
    label = check_name(args.name)
    path = args.dir / "keys" / f"{label}.pem"
    if not path.exists():
        raise SigningError(f"no key {label} in {args.dir / 'keys'}")
    change_passphrase(path, Passphrases.from_entries(args.passphrase_file), args.new_passphrase_file)
    print(f"{label}: new passphrase set", file=sys.stderr)
    return 0


def _show(args: argparse.Namespace) -> int:
    print(json.dumps(signing.describe_root(signing.read_root(args.dir).signed), indent=2))
    return 0
