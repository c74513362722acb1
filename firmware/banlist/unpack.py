"""Expanding a transport bundle's wire sets, refusing bombs before they expand.

Every set's wire and expanded sizes are declared in the (signed) manifest. The wire
file must be exactly its declared size; its header and class records must agree with
the manifest (key count, universe, ban-end years, salt, keys per ban-end year) and fix
an expanded size equal to the declared one before a single entry is decoded. The expanded bytes are hashed
and checked against the manifest before anything is kept.
"""

from __future__ import annotations

import os
from pathlib import Path

from firmware.banlist.errors import BOMB, BundleError
from firmware.banlist.expand import expand
from firmware.banlist.manifest import MANIFEST_NAME, Manifest, SetEntry, parse_manifest
from firmware.core.fpset import ExpandedHeader, FilterError, WireHeader

# A kiosk's storage budget for one list; 5M records at the default budgets expand to about 60 MB.
DEFAULT_MAX_EXPANDED = 1 << 30


def read_manifest(directory: Path) -> Manifest:
    """The bundle's manifest, read with its size cap: everything else is checked against it."""
    path = directory / MANIFEST_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BundleError("no manifest.json in the bundle", str(path)) from None
    return parse_manifest(data)


def check_agrees(entry: SetEntry, manifest: Manifest, header: WireHeader | ExpandedHeader, where: str) -> None:
    """A set's header (wire or expanded) against what the manifest declares for it."""
    for field, have, want in (("n", header.n, entry.keys), ("universe", header.universe, entry.universe),
                              ("end_years", header.end_years, entry.end_years), ("salt", header.salt, manifest.salt)):
        if have != want:
            raise BundleError(f"set header {field} disagrees with the manifest", where, field)


def check_counts(entry: SetEntry, counts: list[int], where: str) -> None:
    """A set's entries per class (ban-end year) against the manifest's ``keys_per_end_year``:
    a partition dropped or moved leaves the other fields in agreement, not this one."""
    if counts != entry.keys_per_end_year:
        raise BundleError(f"entries per class {counts} disagree with the manifest's keys_per_end_year "
                          f"{entry.keys_per_end_year}", where, "keys_per_end_year")


def expand_set(src: Path, dest: Path, entry: SetEntry, manifest: Manifest) -> None:
    """Expands one wire set within its declared limits; writes it to ``dest`` and fsyncs."""
    where = str(src)
    try:
        actual = src.stat().st_size
    except FileNotFoundError:
        raise BundleError("set file missing", where) from None
    if actual != entry.compressed_size:
        what = "truncated" if actual < entry.compressed_size else "oversized"
        raise BundleError(f"file is {actual} bytes, manifest declares {entry.compressed_size} ({what})", where,
                          "compressed_size")
    data = src.read_bytes()
    if len(data) != entry.compressed_size:
        raise BundleError("file changed size while it was read", where, "compressed_size")
    try:
        wire = WireHeader.parse(data, len(data))
        check_agrees(entry, manifest, wire, where)
        if wire.expanded_size > entry.size:
            raise BundleError(f"expands to {wire.expanded_size} bytes, manifest declares {entry.size} "
                              "(decompression bomb?)", where, "size", code=BOMB)
        if wire.expanded_size != entry.size:
            raise BundleError(f"expands to {wire.expanded_size} bytes, manifest declares {entry.size}", where, "size")
        check_counts(entry, [c.count for c in wire.classes], where)
        with open(dest, "wb") as fout:
            _, digest = expand(data, fout, entry.size)
            fout.flush()
            os.fsync(fout.fileno())
    except FilterError as e:
        raise BundleError(e.reason, where, e.field, e.offset) from None
    if digest != entry.sha256:
        raise BundleError("contents do not match the manifest's sha256", where, "sha256")


def unpack_bundle(src_dir: Path, dest_dir: Path, max_expanded: int = DEFAULT_MAX_EXPANDED) -> Manifest:
    """Checks and expands a bundle into ``dest_dir`` (created; the caller makes it atomic)."""
    src_dir, dest_dir = Path(src_dir), Path(dest_dir)
    manifest = read_manifest(src_dir)
    if manifest.total_size > max_expanded:
        raise BundleError(f"declares {manifest.total_size} expanded bytes, more than this kiosk's limit of "
                          f"{max_expanded}", str(src_dir / MANIFEST_NAME), "sets[].size")
    dest_dir.mkdir(parents=True, exist_ok=True)
    for entry in manifest.sets:
        expand_set(src_dir / entry.file, dest_dir / entry.name, entry, manifest)
    (dest_dir / MANIFEST_NAME).write_bytes((src_dir / MANIFEST_NAME).read_bytes())
    return manifest
