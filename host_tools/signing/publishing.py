"""Publishing: a signed bundle laid out as a TUF repository for a web root or a USB stick.

``metadata/`` holds every root version, targets, snapshot and timestamp; ``targets/`` the
bundle's files. The publish key signs snapshot and timestamp, binding the targets version
so files of different lists cannot be mixed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, MetaFile, Root, Snapshot, Timestamp

from firmware.update import durable
from firmware.update.trust import DEPLOYMENT_FIELD
from firmware.usb import USB_FOLDER
from host_tools.signing.bundles import bundle_targets, read_bundle_targets, targets_report
from host_tools.signing.errors import SigningError


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
    metadata, targets = repo / "metadata", repo / "targets"
    metadata.mkdir(parents=True, exist_ok=True)
    targets.mkdir(parents=True, exist_ok=True)
    for name in md.signed.targets:
        _copy_atomic(bundle_dir / name, targets / name)
    durable.fsync_dir(targets)
    for i, data in enumerate(roots, start=1):
        durable.atomic_write(metadata / f"{i}.root.json", data)
    durable.atomic_write(metadata / "root.json", roots[-1])
    durable.atomic_write(metadata / "targets.json", targets_bytes)
    durable.atomic_write(metadata / "snapshot.json", snapshot_bytes)
    durable.atomic_write(metadata / "timestamp.json", timestamp.to_bytes())
    for old in targets.iterdir():
        if old.name not in md.signed.targets:
            old.unlink()
    return repo


def _copy_atomic(src: Path, dst: Path) -> None:
    """Streams the copy (a set file can be large, ``durable.atomic_write`` takes bytes) and
    renames it into place; the caller fsyncs the directory once after all of them."""
    tmp = dst.with_name(f".{dst.name}.tmp")
    shutil.copyfile(src, tmp)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    durable.replace(tmp, dst)
