"""Signing a bundle: the list signers' TUF targets metadata over the files ``safar list build`` wrote.

``BUNDLE/targets.json`` gives the length and sha256 of ``manifest.json`` and of every set
file, version = the list version, expiry = the day after valid_until, and the deployment;
a threshold of the root's targets keys must sign it.
"""

from __future__ import annotations

from pathlib import Path

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, Root, TargetFile, Targets
from tuf.api.serialization import DeserializationError

from firmware.banlist.errors import BundleError
from firmware.banlist.manifest import MANIFEST_NAME, parse_manifest
from firmware.durable import atomic_write
from firmware.update.trust import DEPLOYMENT_FIELD, describe_keys, expiry_for
from host_tools.signing.errors import SigningError

TARGETS_FILE = "targets.json"


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
    """The targets metadata a bundle was signed with, or None for an unsigned bundle."""
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
    md.sign(signer, append=True)
    atomic_write(bundle_dir / TARGETS_FILE, md.to_bytes())
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
