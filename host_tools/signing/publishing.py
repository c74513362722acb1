"""Publishing: a signed bundle laid out as a TUF repository for a web root or a USB stick.

``metadata/`` holds every root version, targets, snapshot and timestamp; ``targets/`` the
bundle's files. The publish key signs snapshot and timestamp, binding the targets version
so files of different lists cannot be mixed. The snapshot lives as long as the list; the
timestamp only days (``DEFAULT_TIMESTAMP_DAYS``), so a mirror cannot hold polling kiosks on
a stale list: whoever holds the publish key (on the web server, or the officials)
re-signs it with ``refresh_timestamp`` more often than it runs out.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, MetaFile, Root, Snapshot, Timestamp
from tuf.api.serialization import DeserializationError

from firmware import durable
from firmware.update.trust import DEPLOYMENT_FIELD
from firmware.usb import USB_FOLDER
from host_tools.signing.bundles import bundle_targets, read_bundle_targets, targets_report
from host_tools.signing.errors import SigningError
from host_tools.signing.roots import utcnow

# how long a timestamp vouches for its snapshot: kiosks poll far more often, and a mirror
# replaying an old one holds them for at most this long
DEFAULT_TIMESTAMP_DAYS = 7


def publish(bundle_dir: Path, out_dir: Path, roots: Sequence[bytes], publish_signer: CryptoSigner,
            *, usb: bool = False, timestamp_days: int = DEFAULT_TIMESTAMP_DAYS,
            now: dt.datetime | None = None) -> Path:
    """Lays out a repository (``metadata/`` and ``targets/``) from a signed bundle.

    ``roots``: every root version, oldest first (``root_chain``). The targets must
    carry a threshold of the newest root's targets keys and match the files. Snapshot
    (version = the list version, expiry = the list's) and timestamp (version = the list
    version, expiry ``timestamp_days`` after ``now``, at most the list's) are signed with
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
    _check_timestamp_key(publish_signer, root)
    targets_bytes = md.to_bytes()
    version = md.signed.version
    snapshot = Metadata(Snapshot(version=version, expires=md.signed.expires,
                                 meta={"targets.json": MetaFile.from_data(version, targets_bytes, ["sha256"])}))
    snapshot.sign(publish_signer)
    snapshot_bytes = snapshot.to_bytes()
    timestamp = _signed_timestamp(version, MetaFile.from_data(version, snapshot_bytes, ["sha256"]),
                                  _timestamp_expiry(md.signed.expires, timestamp_days, now), publish_signer)

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


def refresh_timestamp(repo_dir: Path, publish_signer: CryptoSigner, *, days: int = DEFAULT_TIMESTAMP_DAYS,
                      now: dt.datetime | None = None) -> Metadata[Timestamp]:
    """Re-signs a published repository's ``metadata/timestamp.json``: the same snapshot, the next
    version, expiry ``days`` after ``now`` (at most the snapshot's, which is the list's). Run
    it more often than ``days`` (a timer on the web server), or polling kiosks refuse the
    repository as stale."""
    metadata = Path(repo_dir) / "metadata"
    try:
        root = Metadata[Root].from_bytes((metadata / "root.json").read_bytes()).signed
        old = Metadata[Timestamp].from_bytes((metadata / "timestamp.json").read_bytes()).signed
        snapshot = Metadata[Snapshot].from_bytes((metadata / "snapshot.json").read_bytes()).signed
    except OSError as e:
        raise SigningError(f"{repo_dir} is not a published repository: {e}") from None
    except DeserializationError as e:
        raise SigningError(f"{metadata} holds invalid TUF metadata: {e}") from None
    _check_timestamp_key(publish_signer, root)
    timestamp = _signed_timestamp(old.version + 1, old.snapshot_meta,
                                  _timestamp_expiry(snapshot.expires, days, now), publish_signer)
    durable.atomic_write(metadata / "timestamp.json", timestamp.to_bytes())
    return timestamp


def _check_timestamp_key(signer: CryptoSigner, root: Root) -> None:
    if signer.public_key.keyid not in root.roles["timestamp"].keyids:
        raise SigningError("the publish key is not a snapshot/timestamp key of the newest root")


def _timestamp_expiry(list_expires: dt.datetime, days: int, now: dt.datetime | None) -> dt.datetime:
    """Days, never beyond the list: a timestamp must not outlive what it vouches for."""
    if days < 1:
        raise SigningError(f"a timestamp must be valid for at least a day, not {days}")
    return min((now or utcnow()) + dt.timedelta(days=days), list_expires)


def _signed_timestamp(version: int, snapshot_meta: MetaFile, expires: dt.datetime,
                      signer: CryptoSigner) -> Metadata[Timestamp]:
    timestamp = Metadata(Timestamp(version=version, expires=expires, snapshot_meta=snapshot_meta))
    timestamp.sign(signer)
    return timestamp


def _copy_atomic(src: Path, dst: Path) -> None:
    """Streams the copy (a set file can be large, ``durable.atomic_write`` takes bytes) and
    renames it into place; the caller fsyncs the directory once after all of them."""
    tmp = dst.with_name(f".{dst.name}.tmp")
    shutil.copyfile(src, tmp)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    durable.replace(tmp, dst)
