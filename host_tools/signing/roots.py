"""Root versions: who holds which role's keys, with which threshold, for which deployment.

Every change of keys or thresholds is a new root version N+1, signed by a threshold of
version N's root keys and of its own; a keys directory keeps the whole chain, which the
kiosks walk (docs/trust.md, "Key rotation without reflashing").
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, Root
from tuf.api.serialization import DeserializationError

from firmware.durable import atomic_write
from firmware.update.trust import DEPLOYMENT_FIELD, KEY_NAMES_FIELD
from host_tools.signing.errors import SigningError
from host_tools.signing.keyfiles import (
    NAME_CHARS,
    PUBLIC_FILE_MODE,
    KeyInfo,
    Passphrases,
    check_name,
    check_new_passphrase,
    load_signer,
    make_keys_dir,
    signer_of,
    write_key_pair,
)

KEY_ROLES = ("root", "targets", "publish")
# the publish key signs both of these
PUBLISH_ROLES = ("snapshot", "timestamp")
DEFAULT_ROOT_DAYS = 3650
_PENDING = "*.root.json.partial"
# a passphrase for every key alike (tests), one per key label, e.g. 'root-1' (each holder
# their own), or None (unencrypted: demos)
KeyPassphrases = bytes | Callable[[str], bytes] | None


def utcnow() -> dt.datetime:
    """Now in UTC to the second: metadata dates without microseconds read the same everywhere."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def new_root(deployment: str, keys: dict[str, list[KeyInfo]], thresholds: dict[str, int],
             expires: dt.datetime, version: int = 1) -> Root:
    """Root metadata naming every role's keys and thresholds and the deployment.

    ``keys`` maps 'root', 'targets', 'publish' to their keys; the publish keys serve the
    snapshot and timestamp roles."""
    if not deployment or not set(deployment) <= NAME_CHARS | {"."}:
        raise SigningError(f"deployment {deployment!r}: use lowercase letters, digits, '.', '-', '_'")
    root = Root(version=version, expires=expires, consistent_snapshot=False,
                unrecognized_fields={DEPLOYMENT_FIELD: deployment, KEY_NAMES_FIELD: {}})
    for role in KEY_ROLES:
        for info in keys.get(role, []):
            add_role_key(root, role, info)
        set_threshold(root, role, thresholds.get(role, 1))
    return root


def tuf_roles(role: str) -> tuple[str, ...]:
    """The TUF roles a Safar key role signs (publish signs snapshot and timestamp)."""
    if role == "publish":
        return PUBLISH_ROLES
    if role in ("root", "targets"):
        return (role,)
    raise SigningError(f"unknown role {role!r}; roles are {', '.join(KEY_ROLES)}")


def add_role_key(root: Root, role: str, info: KeyInfo) -> None:
    """Adds a key to its roles and records its holder's name, which messages show."""
    for r in tuf_roles(role):
        root.add_key(info.key, r)
    root.unrecognized_fields.setdefault(KEY_NAMES_FIELD, {})[info.keyid] = f"{role}-{info.name}"


def remove_role_key(root: Root, role: str, keyid: str) -> None:
    """Removes a key from its roles; SigningError when it does not hold them."""
    for r in tuf_roles(role):
        if keyid not in root.roles[r].keyids:
            raise SigningError(f"key {keyid[:16]} is not a {role} key")
        root.revoke_key(keyid, r)
    if not any(keyid in r.keyids for r in root.roles.values()):
        root.unrecognized_fields.get(KEY_NAMES_FIELD, {}).pop(keyid, None)


def set_threshold(root: Root, role: str, threshold: int) -> None:
    """How many keys of ``role`` must sign; SigningError when more than there are."""
    for r in tuf_roles(role):
        count = len(root.roles[r].keyids)
        if not 1 <= threshold <= count:
            raise SigningError(f"{role} threshold {threshold} impossible with {count} key(s)")
        root.roles[r].threshold = threshold


def keyid_named(root: Root, role: str, name: str) -> str:
    """The keyid of the key ``ROLE-NAME`` in ``root``."""
    label = f"{role}-{name}"
    for keyid, n in root.unrecognized_fields.get(KEY_NAMES_FIELD, {}).items():
        if n == label:
            return str(keyid)
    raise SigningError(f"root version {root.version} has no key named {label!r}")


def root_chain(keys_dir: Path) -> list[bytes]:
    """Every root version of a keys directory, oldest first, without gaps."""
    found: dict[int, bytes] = {}
    for path in (keys_dir / "root").glob("*.root.json"):
        try:
            found[int(path.name.split(".")[0])] = path.read_bytes()
        except ValueError:
            continue
    if not found:
        raise SigningError(f"no root versions in {keys_dir / 'root'} (run 'safar keys init')")
    versions = sorted(found)
    if versions != list(range(1, versions[-1] + 1)):
        raise SigningError(f"root versions in {keys_dir / 'root'} have gaps: {versions}")
    return [found[v] for v in versions]


def current_root(keys_dir: Path) -> Metadata[Root]:
    """The newest root version in the keys directory: the one the next change starts from."""
    return Metadata[Root].from_bytes(root_chain(keys_dir)[-1])


def read_root_bytes(path: Path) -> bytes:
    """The root as stored in a keys directory (its ``root.json``) or in a root.json file itself."""
    try:
        return (path / "root.json").read_bytes() if path.is_dir() else path.read_bytes()
    except OSError as e:
        raise SigningError(f"cannot read the root {path}: {e.strerror}") from None


def read_root(path: Path) -> Metadata[Root]:
    """``read_root_bytes``, parsed."""
    try:
        md = Metadata[Root].from_bytes(read_root_bytes(path))
    except DeserializationError as e:
        raise SigningError(f"{path} is not TUF root metadata: {e}") from None
    if md.signed.type != Root.type:
        raise SigningError(f"{path} is {md.signed.type} metadata, not a root")
    return md


def pending_root_versions(keys_dir: Path) -> list[Path]:
    """Root versions written without enough signatures yet (``safar keys sign-root``)."""
    return sorted((keys_dir / "root").glob(_PENDING))


def root_signatures_ok(new: Metadata[Root], previous: Root | None) -> tuple[bool, str]:
    """Is ``new`` signed by a threshold of its own root keys and of ``previous`` (if any)?"""
    own = new.signed.get_verification_result("root", new.signed_bytes, new.signatures)
    parts = [f"new root: {len(own.signed)} of {own.threshold}"]
    ok = own.verified
    if previous is not None:
        old = previous.get_verification_result("root", new.signed_bytes, new.signatures)
        parts.append(f"previous root: {len(old.signed)} of {old.threshold}")
        ok = ok and old.verified
    return ok, "; ".join(parts)


def write_root_version(keys_dir: Path, md: Metadata[Root], allow_partial: bool = False) -> Path:
    """Stores root version N as ``root/N.root.json`` and, when fully signed, ``root.json``."""
    version = md.signed.version
    previous = None
    if version > 1:
        chain = root_chain(keys_dir)
        if len(chain) != version - 1:
            raise SigningError(f"root version {version} does not follow version {len(chain)}")
        previous = Metadata[Root].from_bytes(chain[-1]).signed
    ok, detail = root_signatures_ok(md, previous)
    make_keys_dir(keys_dir / "root")
    if not ok:
        if not allow_partial:
            raise SigningError(f"root version {version} lacks signatures ({detail})")
        path = keys_dir / "root" / f"{version}.root.json.partial"
        atomic_write(path, md.to_bytes(), mode=PUBLIC_FILE_MODE)
        return path
    data = md.to_bytes()
    path = keys_dir / "root" / f"{version}.root.json"
    atomic_write(path, data, mode=PUBLIC_FILE_MODE)
    atomic_write(keys_dir / "root.json", data, mode=PUBLIC_FILE_MODE)
    partial = keys_dir / "root" / f"{version}.root.json.partial"
    if partial.exists():
        partial.unlink()
    return path


def root_keys_in(keys_dir: Path) -> list[Path]:
    """The root keys' private files in ``keys_dir``."""
    return sorted((keys_dir / "keys").glob("root-*.pem"))


def init_keys(keys_dir: Path, deployment: str, *, root_names: Sequence[str] = ("1", "2", "3"),
              root_threshold: int = 2, targets_names: Sequence[str] = ("border", "migration", "partner"),
              targets_threshold: int = 2, publish_names: Sequence[str] = ("1",),
              passphrase: KeyPassphrases = None, days: int = DEFAULT_ROOT_DAYS,
              check_chosen: Callable[[Mapping[str, bytes | None]], None] | None = None) -> Metadata[Root]:
    """Generates every key and root version 1, signed by all root keys. Every passphrase is
    chosen (and checked, also by ``check_chosen`` with all of them by key label) before the first
    key is written: a refusal leaves no key behind."""
    if (keys_dir / "root").exists() and any((keys_dir / "root").iterdir()):
        raise SigningError(f"{keys_dir} already holds a root; use 'safar keys add' or 'rotate'")
    for names in (root_names, targets_names, publish_names):
        if len(set(names)) != len(names) or not names:
            raise SigningError("each role needs at least one key, with distinct names")
    thresholds = {"root": root_threshold, "targets": targets_threshold, "publish": 1}
    for role, names in (("root", root_names), ("targets", targets_names)):
        if not 1 <= thresholds[role] <= len(names):
            raise SigningError(f"{role} threshold {thresholds[role]} impossible with {len(names)} key(s)")
    made = [(role, check_name(name)) for role, names in
            (("root", root_names), ("targets", targets_names), ("publish", publish_names)) for name in names]
    kdir = keys_dir / "keys"
    for role, name in made:
        if (kdir / f"{role}-{name}.pem").exists():
            raise SigningError(f"{kdir / f'{role}-{name}.pem'} exists; keys are never overwritten")
    chosen = {(role, name): _passphrase_of(passphrase, f"{role}-{name}") for role, name in made}
    if check_chosen is not None:
        check_chosen({f"{role}-{name}": chosen[role, name] for role, name in made})
    keys: dict[str, list[KeyInfo]] = {role: [] for role in KEY_ROLES}
    privates: list[Ed25519PrivateKey] = []
    for role, name in made:
        info = write_key_pair(kdir, role, name, chosen[role, name])
        keys[role].append(info)
        if role == "root" and info.private is not None:
            privates.append(info.private)
    root = new_root(deployment, keys, thresholds, utcnow() + dt.timedelta(days=days))
    md = Metadata(root)
    for p in privates:
        md.sign(signer_of(p), append=True)
    write_root_version(keys_dir, md)
    return md


def _passphrase_of(passphrase: KeyPassphrases, label: str) -> bytes | None:
    if passphrase is None:
        return None
    return check_new_passphrase(label, passphrase(label) if callable(passphrase) else passphrase)


def next_root_version(keys_dir: Path, days: int | None = None) -> Metadata[Root]:
    """An unsigned copy of the newest root with version + 1 (and a fresh expiry if ``days``)."""
    cur = current_root(keys_dir).signed
    root = Root.from_dict(json.loads(json.dumps(cur.to_dict())))
    root.version = cur.version + 1
    if days is not None:
        root.expires = utcnow() + dt.timedelta(days=days)
    return Metadata(root)


def sign_root_version(keys_dir: Path, md: Metadata[Root], signers: Iterable[CryptoSigner]) -> None:
    """Adds root signatures; only keys of the previous or the new root count."""
    previous = current_root(keys_dir).signed if md.signed.version > 1 else None
    allowed = set(md.signed.roles["root"].keyids) | (set(previous.roles["root"].keyids) if previous else set())
    for s in signers:
        if s.public_key.keyid in allowed:
            md.sign(s, append=True)


def load_root_signers(paths: Iterable[Path], passphrases: Passphrases) -> list[CryptoSigner]:
    """The root keys at hand: a key whose passphrase is not given (its holder is absent) is skipped."""
    out = []
    for path in paths:
        try:
            out.append(load_signer(path, passphrases=passphrases))
        except SigningError as e:
            print(f"skipping {path.name}: {e}", file=sys.stderr)
    return out


def describe_root(root: Root) -> dict[str, Any]:
    """A root's version, expiry, deployment and keys by holder: what `safar keys show` prints."""
    names = root.unrecognized_fields.get(KEY_NAMES_FIELD, {})
    return {"version": root.version, "expires": root.expires.isoformat(),
            "deployment": root.unrecognized_fields.get(DEPLOYMENT_FIELD),
            "roles": {r: {"threshold": root.roles[r].threshold,
                          "keys": [names.get(k, k[:16]) for k in root.roles[r].keyids]}
                      for r in ("root", "targets", "snapshot", "timestamp")}}
