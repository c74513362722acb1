"""Keys, root versions, signed bundles and published repositories (the workstation side of
``firmware.update.trust``), with python-tuf's Metadata API and Ed25519 keys.

Roles (docs/trust.md):

* ``root`` - the officials' root keys (threshold, e.g. 2 of 3): sign root versions,
  which name every role's keys and thresholds, and the deployment;
* ``targets`` - the list signers (e.g. border service, migration service, partner;
  threshold e.g. 2 of 3): sign ``targets.json``, which gives the length and sha256 of
  every file of a bundle;
* ``snapshot`` and ``timestamp`` - one *publish* key held by the technician who lays
  out a repository: binds the targets version so files cannot be mixed and matched.

A keys directory (``safar keys init DIR``)::

    DIR/root.json                 newest root: ship it in the kiosk image
    DIR/root/N.root.json          every root version (the chain the kiosks walk)
    DIR/keys/ROLE-NAME.pem        Ed25519 private key, PKCS#8 PEM, passphrase-encrypted
    DIR/keys/ROLE-NAME.pub.json   its public key, keyid and name
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner, SSlibKey
from tuf.api.serialization import DeserializationError
from tuf.api.metadata import MetaFile, Metadata, Root, Snapshot, TargetFile, Targets, Timestamp

from firmware.banlist.errors import BundleError
from firmware.banlist.manifest import MANIFEST_NAME, parse_manifest
from firmware.update.trust import DEPLOYMENT_FIELD, KEY_NAMES_FIELD, describe_keys, expiry_for

PASSPHRASE_ENV = "SAFAR_PASSPHRASE"
TARGETS_FILE = "targets.json"
USB_FOLDER = "SAFAR-LISTS"
KEY_ROLES = ("root", "targets", "publish")
# the publish key signs both of these
PUBLISH_ROLES = ("snapshot", "timestamp")
DEFAULT_ROOT_DAYS = 3650
_NAME_OK = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


class SigningError(Exception):
    """A workstation-side refusal, with a sentence for the technician."""


# ---------------------------------------------------------------- keys


@dataclass
class KeyInfo:
    role: str
    name: str
    key: SSlibKey
    private: Ed25519PrivateKey | None = None  # only right after generation

    @property
    def keyid(self) -> str:
        return self.key.keyid


def check_name(name: str) -> str:
    if not name or len(name) > 40 or not set(name) <= _NAME_OK:
        raise SigningError(f"key name {name!r}: use 1-40 lowercase letters, digits, '-' or '_'")
    return name


def public_key_of(private: Ed25519PrivateKey) -> SSlibKey:
    return SSlibKey.from_crypto(private.public_key(), scheme="ed25519")


def read_passphrase(passphrase_file: Path | None = None, prompt: str = "passphrase: ",
                    confirm: bool = False) -> bytes:
    """From ``--passphrase-file``, else env ``SAFAR_PASSPHRASE``, else a prompt (getpass)."""
    if passphrase_file is not None:
        try:
            text = passphrase_file.read_text(encoding="utf-8")
        except OSError as e:
            raise SigningError(f"cannot read the passphrase file {passphrase_file}: {e.strerror}") from None
        text = text.rstrip("\r\n")
    elif os.environ.get(PASSPHRASE_ENV):
        text = os.environ[PASSPHRASE_ENV]
    else:
        if not sys.stdin.isatty():
            raise SigningError(f"no passphrase: give --passphrase-file or set {PASSPHRASE_ENV}")
        text = getpass.getpass(prompt)
        if confirm and getpass.getpass("again: ") != text:
            raise SigningError("the passphrases differ")
    if not text:
        raise SigningError("the passphrase is empty")
    return text.encode("utf-8")


def write_key_pair(keys_dir: Path, role: str, name: str, passphrase: bytes | None) -> KeyInfo:
    """A new Ed25519 key: ``ROLE-NAME.pem`` (encrypted unless passphrase is None, for demos)
    and ``ROLE-NAME.pub.json``. Never overwrites a key."""
    check_name(name)
    keys_dir.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    path = keys_dir / f"{role}-{name}.pem"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SigningError(f"{path} exists; keys are never overwritten") from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    info = KeyInfo(role, name, public_key_of(private), private)
    write_public(keys_dir, info)
    return info


def write_public(keys_dir: Path, info: KeyInfo) -> None:
    doc = {"role": info.role, "name": info.name, "keyid": info.keyid, "key": info.key.to_dict()}
    (keys_dir / f"{info.role}-{info.name}.pub.json").write_text(json.dumps(doc, indent=2) + "\n")


def read_public(path: Path) -> KeyInfo:
    try:
        doc = json.loads(path.read_text())
        return KeyInfo(doc["role"], doc["name"], SSlibKey.from_dict(doc["keyid"], dict(doc["key"])))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise SigningError(f"{path}: not a Safar public key file ({e})") from None


def load_private_key(path: Path, passphrase: bytes | None = None,
                     passphrase_file: Path | None = None) -> Ed25519PrivateKey:
    """Reads a PEM private key; asks for the passphrase (file, env, prompt) only if it is encrypted."""
    try:
        pem = Path(path).read_bytes()
    except OSError as e:
        raise SigningError(f"cannot read the key {path}: {e.strerror}") from None
    encrypted = b"ENCRYPTED" in pem.split(b"\n", 1)[0]
    if encrypted and passphrase is None:
        passphrase = read_passphrase(passphrase_file, f"passphrase for {Path(path).name}: ")
    try:
        key = serialization.load_pem_private_key(pem, passphrase if encrypted else None)
    except (ValueError, TypeError) as e:
        raise SigningError(f"cannot open the key {path}: wrong passphrase or not a PEM key ({e})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path} is not an Ed25519 key")
    return key


def signer_of(private: Ed25519PrivateKey) -> CryptoSigner:
    return CryptoSigner(private, public_key_of(private))


def load_signer(path: Path, passphrase: bytes | None = None, passphrase_file: Path | None = None) -> CryptoSigner:
    return signer_of(load_private_key(path, passphrase, passphrase_file))


# ---------------------------------------------------------------- root


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def new_root(deployment: str, keys: dict[str, list[KeyInfo]], thresholds: dict[str, int],
             expires: dt.datetime, version: int = 1) -> Root:
    """Root metadata naming every role's keys and thresholds and the deployment.

    ``keys`` maps 'root', 'targets', 'publish' to their keys; the publish keys serve the
    snapshot and timestamp roles."""
    if not deployment or not set(deployment) <= _NAME_OK | set("."):
        raise SigningError(f"deployment {deployment!r}: use lowercase letters, digits, '.', '-', '_'")
    root = Root(version=version, expires=expires, consistent_snapshot=False,
                unrecognized_fields={DEPLOYMENT_FIELD: deployment, KEY_NAMES_FIELD: {}})
    for role in KEY_ROLES:
        for info in keys.get(role, []):
            add_role_key(root, role, info)
        set_threshold(root, role, thresholds.get(role, 1))
    return root


def tuf_roles(role: str) -> tuple[str, ...]:
    if role == "publish":
        return PUBLISH_ROLES
    if role in ("root", "targets"):
        return (role,)
    raise SigningError(f"unknown role {role!r}; roles are {', '.join(KEY_ROLES)}")


def add_role_key(root: Root, role: str, info: KeyInfo) -> None:
    for r in tuf_roles(role):
        root.add_key(info.key, r)
    root.unrecognized_fields.setdefault(KEY_NAMES_FIELD, {})[info.keyid] = f"{role}-{info.name}"


def remove_role_key(root: Root, role: str, keyid: str) -> None:
    for r in tuf_roles(role):
        if keyid not in root.roles[r].keyids:
            raise SigningError(f"key {keyid[:16]} is not a {role} key")
        root.revoke_key(keyid, r)
    if not any(keyid in r.keyids for r in root.roles.values()):
        root.unrecognized_fields.get(KEY_NAMES_FIELD, {}).pop(keyid, None)


def set_threshold(root: Root, role: str, threshold: int) -> None:
    for r in tuf_roles(role):
        count = len(root.roles[r].keyids)
        if not 1 <= threshold <= count:
            raise SigningError(f"{role} threshold {threshold} impossible with {count} key(s)")
        root.roles[r].threshold = threshold


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
    return Metadata[Root].from_bytes(root_chain(keys_dir)[-1])


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
    (keys_dir / "root").mkdir(parents=True, exist_ok=True)
    if not ok:
        if not allow_partial:
            raise SigningError(f"root version {version} lacks signatures ({detail})")
        path = keys_dir / "root" / f"{version}.root.json.partial"
        path.write_bytes(md.to_bytes())
        return path
    data = md.to_bytes()
    path = keys_dir / "root" / f"{version}.root.json"
    path.write_bytes(data)
    (keys_dir / "root.json").write_bytes(data)
    partial = keys_dir / "root" / f"{version}.root.json.partial"
    if partial.exists():
        partial.unlink()
    return path


def root_keys_in(keys_dir: Path) -> list[Path]:
    return sorted((keys_dir / "keys").glob("root-*.pem"))


def init_keys(keys_dir: Path, deployment: str, *, root_names: Sequence[str] = ("1", "2", "3"),
              root_threshold: int = 2, targets_names: Sequence[str] = ("border", "migration", "partner"),
              targets_threshold: int = 2, publish_names: Sequence[str] = ("1",),
              passphrase: bytes | None = None, days: int = DEFAULT_ROOT_DAYS) -> Metadata[Root]:
    """Generates every key and root version 1, signed by all root keys."""
    if (keys_dir / "root").exists() and any((keys_dir / "root").iterdir()):
        raise SigningError(f"{keys_dir} already holds a root; use 'safar keys add' or 'rotate'")
    for names in (root_names, targets_names, publish_names):
        if len(set(names)) != len(names) or not names:
            raise SigningError("each role needs at least one key, with distinct names")
    thresholds = {"root": root_threshold, "targets": targets_threshold, "publish": 1}
    for role, names in (("root", root_names), ("targets", targets_names)):
        if not 1 <= thresholds[role] <= len(names):
            raise SigningError(f"{role} threshold {thresholds[role]} impossible with {len(names)} key(s)")
    keys: dict[str, list[KeyInfo]] = {}
    privates: list[Ed25519PrivateKey] = []
    kdir = keys_dir / "keys"
    for role, names in (("root", root_names), ("targets", targets_names), ("publish", publish_names)):
        keys[role] = []
        for name in names:
            info = write_key_pair(kdir, role, check_name(name), passphrase)
            keys[role].append(info)
            if role == "root" and info.private is not None:
                privates.append(info.private)
    root = new_root(deployment, keys, thresholds, utcnow() + dt.timedelta(days=days))
    md = Metadata(root)
    for p in privates:
        md.sign(signer_of(p), append=True)
    write_root_version(keys_dir, md)
    return md


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


def load_root_signers(paths: Iterable[Path], passphrase: bytes | None,
                      passphrase_file: Path | None = None) -> list[CryptoSigner]:
    out = []
    for path in paths:
        try:
            out.append(load_signer(path, passphrase, passphrase_file))
        except SigningError as e:
            print(f"skipping {path.name}: {e}", file=sys.stderr)
    return out


# ---------------------------------------------------------------- bundles


def bundle_targets(bundle_dir: Path) -> Targets:
    """Targets metadata for a bundle as ``safar list build`` wrote it: version = list
    version, expiry = the day after valid_until (UTC), the deployment, and length +
    sha256 of manifest.json and every filter file."""
    try:
        manifest = parse_manifest((bundle_dir / MANIFEST_NAME).read_bytes())
    except FileNotFoundError:
        raise SigningError(f"{bundle_dir} has no manifest.json (is it a 'safar list build' bundle?)") from None
    except BundleError as e:
        raise SigningError(f"the bundle's manifest is invalid: {e}") from None
    files = {MANIFEST_NAME: bundle_dir / MANIFEST_NAME}
    for entry in manifest.sets:
        files[entry.file] = bundle_dir / entry.file
    targets: dict[str, TargetFile] = {}
    for name, path in files.items():
        if not path.is_file():
            raise SigningError(f"{path} is missing")
        targets[name] = TargetFile.from_file(name, str(path), ["sha256"])
        if name != MANIFEST_NAME:
            entry = next(e for e in manifest.sets if e.file == name)
            if targets[name].length != entry.compressed_size:
                raise SigningError(f"{name} is {targets[name].length} bytes, the manifest declares "
                                   f"{entry.compressed_size}")
    return Targets(version=manifest.list_version, expires=expiry_for(manifest.valid_until), targets=targets,
                   unrecognized_fields={DEPLOYMENT_FIELD: manifest.deployment})


def read_bundle_targets(bundle_dir: Path) -> Metadata[Targets] | None:
    path = bundle_dir / TARGETS_FILE
    if not path.exists():
        return None
    try:
        return Metadata[Targets].from_bytes(path.read_bytes())
    except DeserializationError as e:
        raise SigningError(f"{path} is not TUF targets metadata: {e}") from None


def sign_bundle(bundle_dir: Path, signer: CryptoSigner, *, cosign: bool = False,
                root: Root | None = None) -> Metadata[Targets]:
    """Signs a bundle's targets (writes ``BUNDLE/targets.json``).

    ``cosign=False`` (``safar bundle sign``): (re)creates the targets from the files,
    keeping the existing signatures only if the files did not change.
    ``cosign=True``: adds a signature to an existing targets.json, refusing if the
    files no longer match it. With ``root``, the key must be one of its targets keys."""
    bundle_dir = Path(bundle_dir)
    if root is not None and signer.public_key.keyid not in root.roles["targets"].keyids:
        raise SigningError(f"key {signer.public_key.keyid[:16]} is not a targets key of root version {root.version}")
    fresh = bundle_targets(bundle_dir)
    md = read_bundle_targets(bundle_dir)
    if md is not None and md.signed.type != Targets.type:
        raise SigningError(f"{bundle_dir / TARGETS_FILE} is not targets metadata")
    same = md is not None and md.signed.targets == fresh.targets and md.signed.version == fresh.version \
        and md.signed.expires == fresh.expires and md.signed.unrecognized_fields == fresh.unrecognized_fields
    if cosign:
        if md is None:
            raise SigningError(f"{bundle_dir} is not signed yet; the first signer runs 'safar bundle sign'")
        if not same:
            raise SigningError("the bundle's files changed since it was signed; it must be signed again "
                               "('safar bundle sign'), and every co-signer sign again")
    if md is None or not same:
        md = Metadata(fresh)
    assert md is not None
    md.sign(signer, append=True)
    tmp = bundle_dir / (TARGETS_FILE + ".tmp")
    tmp.write_bytes(md.to_bytes())
    os.replace(tmp, bundle_dir / TARGETS_FILE)
    return md


def targets_report(md: Metadata[Targets], root: Root) -> tuple[bool, list[str]]:
    """Human lines about the signatures of a targets file under ``root``."""
    result = root.get_verification_result("targets", md.signed_bytes, md.signatures)
    lines = [f"signatures: {len(result.signed)} valid of {result.threshold} required"]
    for name in describe_keys(root, result.signed):
        lines.append(f"  valid   {name}")
    trusted = set(root.roles["targets"].keyids)
    for kid in md.signatures:
        if kid in trusted and kid not in result.signed:
            lines.append(f"  INVALID {describe_keys(root, [kid])[0]} (signature does not verify)")
        elif kid not in trusted:
            lines.append(f"  unknown {kid[:16]} (not a targets key of root version {root.version})")
    for name in describe_keys(root, result.unsigned):
        if not any(name.endswith(f"({k[:8]})") for k in md.signatures):
            lines.append(f"  missing {name}")
    return result.verified, lines


# ---------------------------------------------------------------- repositories


def publish(bundle_dir: Path, out_dir: Path, roots: Sequence[bytes], publish_signer: CryptoSigner,
            *, usb: bool = False) -> Path:
    """Lays out a repository (``metadata/`` and ``targets/``) from a signed bundle.

    ``roots``: every root version, oldest first (``root_chain``). The targets must
    carry a threshold of the newest root's targets keys and match the files. Snapshot
    and timestamp (versions = the list version, expiry = the list's) are signed with
    the publish key. Files are written targets first, timestamp.json last, so a
    kiosk polling a web root sees either the old or the new timestamp. ``usb=True``
    puts it in ``OUT_DIR/SAFAR-LISTS/``. Returns the repository directory."""
    bundle_dir = Path(bundle_dir)
    md = read_bundle_targets(bundle_dir)
    if md is None:
        raise SigningError(f"{bundle_dir} is not signed ('safar bundle sign')")
    fresh = bundle_targets(bundle_dir)
    if md.signed.targets != fresh.targets:
        raise SigningError("the bundle's files changed since it was signed")
    root = Metadata[Root].from_bytes(roots[-1]).signed
    ok, lines = targets_report(md, root)
    if not ok:
        raise SigningError("the bundle is not signed by enough targets keys:\n" + "\n".join(lines))
    if md.signed.unrecognized_fields.get(DEPLOYMENT_FIELD) != root.unrecognized_fields.get(DEPLOYMENT_FIELD):
        raise SigningError(f"the bundle is for deployment {md.signed.unrecognized_fields.get(DEPLOYMENT_FIELD)!r}, "
                           f"the root for {root.unrecognized_fields.get(DEPLOYMENT_FIELD)!r}")
    if publish_signer.public_key.keyid not in root.roles["timestamp"].keyids:
        raise SigningError("the publish key is not a snapshot/timestamp key of the newest root")
    targets_bytes = md.to_bytes()
    version = md.signed.version
    snapshot = Metadata(Snapshot(version=version, expires=md.signed.expires,
                                 meta={"targets.json": MetaFile.from_data(version, targets_bytes, ["sha256"])}))
    snapshot.sign(publish_signer)
    snapshot_bytes = snapshot.to_bytes()
    timestamp = Metadata(Timestamp(version=version, expires=md.signed.expires,
                                   snapshot_meta=MetaFile.from_data(version, snapshot_bytes, ["sha256"])))
    timestamp.sign(publish_signer)

    repo = Path(out_dir) / USB_FOLDER if usb else Path(out_dir)
    (repo / "metadata").mkdir(parents=True, exist_ok=True)
    (repo / "targets").mkdir(parents=True, exist_ok=True)
    for name in md.signed.targets:
        _copy_atomic(bundle_dir / name, repo / "targets" / name)
    for i, data in enumerate(roots, start=1):
        _write_atomic(repo / "metadata" / f"{i}.root.json", data)
    _write_atomic(repo / "metadata" / "root.json", roots[-1])
    _write_atomic(repo / "metadata" / "targets.json", targets_bytes)
    _write_atomic(repo / "metadata" / "snapshot.json", snapshot_bytes)
    _write_atomic(repo / "metadata" / "timestamp.json", timestamp.to_bytes())
    for old in (repo / "targets").iterdir():
        if old.name not in md.signed.targets:
            old.unlink()
    return repo


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _copy_atomic(src: Path, dst: Path) -> None:
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.copyfile(src, tmp)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, dst)


# ---------------------------------------------------------------- demo


def make_demo_repository(work_dir: Path, bundle_dir: Path, deployment: str = "safar-demo") -> tuple[Path, bytes]:
    """Throwaway demo keys (unencrypted, no prompt) in ``work_dir/keys``, the bundle copied
    to ``work_dir/bundle`` and signed by 2 of 3 targets keys (border, migration), and a
    repository in ``work_dir/repository``. Returns (repository dir, root.json bytes):
    ``provision(state, root)`` then ``install(state, repository)``. The bundle must have
    been built for ``deployment`` (``write_bundle(..., deployment=...)``)."""
    work_dir, bundle_dir = Path(work_dir), Path(bundle_dir)
    try:
        built_for = parse_manifest((bundle_dir / MANIFEST_NAME).read_bytes()).deployment
    except (OSError, BundleError) as e:
        raise SigningError(f"{bundle_dir} is not a bundle: {e}") from None
    if built_for != deployment:
        raise SigningError(f"the bundle was built for deployment {built_for!r}, not {deployment!r}: "
                           f"pass deployment={built_for!r} or build it with deployment={deployment!r}")
    keys_dir = work_dir / "keys"
    if keys_dir.exists():
        shutil.rmtree(keys_dir)
    init_keys(keys_dir, deployment, root_names=("1",), root_threshold=1, passphrase=None, days=365)
    signed = work_dir / "bundle"
    if signed.exists():
        shutil.rmtree(signed)
    signed.mkdir(parents=True)
    manifest = parse_manifest((bundle_dir / MANIFEST_NAME).read_bytes())
    for name in [MANIFEST_NAME] + [f.file for f in manifest.sets]:
        shutil.copyfile(bundle_dir / name, signed / name)
    kdir = keys_dir / "keys"
    sign_bundle(signed, load_signer(kdir / "targets-border.pem"))
    sign_bundle(signed, load_signer(kdir / "targets-migration.pem"), cosign=True)
    repo = work_dir / "repository"
    if repo.exists():
        shutil.rmtree(repo)
    publish(signed, repo, root_chain(keys_dir), load_signer(kdir / "publish-1.pem"))
    return repo, (keys_dir / "root.json").read_bytes()


def describe_root(root: Root) -> dict[str, Any]:
    names = root.unrecognized_fields.get(KEY_NAMES_FIELD, {})
    return {"version": root.version, "expires": root.expires.isoformat(),
            "deployment": root.unrecognized_fields.get(DEPLOYMENT_FIELD),
            "roles": {r: {"threshold": root.roles[r].threshold,
                          "keys": [names.get(k, k[:16]) for k in root.roles[r].keyids]}
                      for r in ("root", "targets", "snapshot", "timestamp")}}
