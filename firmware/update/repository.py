"""A published list repository on disk (a folder, a USB stick, an HTTP download)::

    metadata/timestamp.json, snapshot.json, targets.json, <N>.root.json
    targets/manifest.json and the wire sets it names

Reading it is the only I/O before verification, so every read is capped: a FIFO, a
device or a huge file on a stick must not block or flood the kiosk.
"""

from __future__ import annotations

from pathlib import Path

from firmware.banlist.manifest import MANIFEST_NAME, MAX_MANIFEST_BYTES
from firmware.update.errors import IO, MALFORMED, MISSING, OVERSIZED, UpdateError
from firmware.update.trust import MAX_METADATA_BYTES, MAX_ROOT_STEPS, RepositoryMetadata
from firmware.usb import USB_FOLDER

METADATA = "metadata"
TARGETS = "targets"
TIMESTAMP = "timestamp.json"
SNAPSHOT = "snapshot.json"
TARGETS_FILE = "targets.json"


def root_file(version: int) -> str:
    """The file name TUF gives root version ``version`` in a repository's metadata."""
    return f"{version}.root.json"


def read_capped(path: Path, limit: int, name: str) -> bytes:
    """At most ``limit`` bytes of a regular file, or an ``UpdateError`` naming ``name``."""
    if path.exists() and not path.is_file():
        raise UpdateError(MALFORMED, f"{name} is not a regular file", name)
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise UpdateError(MISSING, f"{name} is missing", name) from None
    except OSError as e:
        raise UpdateError(IO, f"cannot read {name}: {e.strerror}", name) from None
    if len(data) > limit:
        raise UpdateError(OVERSIZED, f"{name} is larger than the limit of {limit} bytes", name)
    return data


def is_repository(path: Path) -> bool:
    """Whether ``path`` holds a published repository (its timestamp is the entry point)."""
    return (path / METADATA / TIMESTAMP).is_file()


def find_repository(source: Path) -> Path:
    """The repository in ``source``: itself, or its ``SAFAR-LISTS/`` folder (a USB stick's root)."""
    for cand in (source, source / USB_FOLDER):
        if is_repository(cand):
            return cand
    raise UpdateError(MISSING, f"no Safar list repository ({METADATA}/{TIMESTAMP}) in {source}", str(source))


def read_repository(repo: Path, trusted_root_version: int) -> tuple[RepositoryMetadata, bytes]:
    """A repository's metadata (with the root versions after ``trusted_root_version``) and manifest."""
    md = repo / METADATA
    roots: dict[int, bytes] = {}
    for version in range(trusted_root_version + 1, trusted_root_version + 1 + MAX_ROOT_STEPS):
        path = md / root_file(version)
        if not path.is_file():
            break
        roots[version] = read_capped(path, MAX_METADATA_BYTES, path.name)
    meta = RepositoryMetadata(
        timestamp=read_capped(md / TIMESTAMP, MAX_METADATA_BYTES, TIMESTAMP),
        snapshot=read_capped(md / SNAPSHOT, MAX_METADATA_BYTES, SNAPSHOT),
        targets=read_capped(md / TARGETS_FILE, MAX_METADATA_BYTES, TARGETS_FILE),
        roots=roots)
    manifest = read_capped(repo / TARGETS / MANIFEST_NAME, MAX_MANIFEST_BYTES, MANIFEST_NAME)
    return meta, manifest
