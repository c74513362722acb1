"""Expanding a transport bundle's compressed filters, refusing bombs before they expand.

Every file's compressed and expanded sizes are declared in the manifest; the
expansion is streamed with a hard cap, so a bundle that lies about its sizes is
refused after at most ``declared + 1`` bytes of output. The expanded bytes are
hashed and their header checked against the manifest before anything is kept.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from pathlib import Path

from firmware.banlist.errors import BundleError
from firmware.banlist.manifest import MANIFEST_NAME, FilterEntry, Manifest, parse_manifest
from firmware.core.bloom import HEADER_SIZE, FilterError, FilterHeader

# A kiosk's storage budget for one list; 5M records (up to 6 keys each) at 1e-4 is about 72 MB.
DEFAULT_MAX_EXPANDED = 1 << 30
CHUNK = 1 << 16


def read_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BundleError("no manifest.json in the bundle", str(path)) from None
    return parse_manifest(data)


def check_header(entry: FilterEntry, manifest: Manifest, head: bytes, size: int, where: str) -> FilterHeader:
    try:
        header = FilterHeader.parse(head, size)
    except FilterError as e:
        raise BundleError(e.reason, where, e.field, e.offset) from None
    for field, have, want in (("k", header.k, entry.hashes), ("m", header.m, entry.bits),
                              ("n", header.n, entry.keys), ("end_year", header.end_year, entry.end_year),
                              ("salt", header.salt, manifest.salt)):
        if have != want:
            raise BundleError(f"filter header {field} disagrees with the manifest", where, field)
    return header


def expand_filter(src: Path, dest: Path, entry: FilterEntry, manifest: Manifest) -> None:
    """Decompress one filter with its declared limits; write it to ``dest`` and fsync."""
    where = str(src)
    try:
        actual = src.stat().st_size
    except FileNotFoundError:
        raise BundleError("filter file missing", where) from None
    if actual != entry.compressed_size:
        raise BundleError(f"file is {actual} bytes, manifest declares {entry.compressed_size} "
                          f"({'truncated' if actual < entry.compressed_size else 'oversized'})", where, "compressed_size")
    d = zlib.decompressobj()
    digest = hashlib.sha256()
    written = 0
    head = b""
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        consumed = 0
        while True:
            chunk = fin.read(CHUNK)
            if not chunk:
                break
            data = chunk
            while data:
                try:
                    out = d.decompress(data, entry.size - written + 1)
                except zlib.error as e:
                    raise BundleError(f"corrupt compressed data: {e}", where, offset=consumed) from None
                written += len(out)
                if written > entry.size:
                    raise BundleError(f"expands beyond its declared {entry.size} bytes (decompression bomb?)",
                                      where, "size")
                if len(head) < HEADER_SIZE:
                    head += out[: HEADER_SIZE - len(head)]
                digest.update(out)
                fout.write(out)
                data = d.unconsumed_tail
            consumed += len(chunk)
        if not d.eof:
            raise BundleError("compressed data ends early (truncated)", where, offset=consumed)
        if d.unused_data:
            raise BundleError("bytes after the end of the compressed data", where,
                              offset=consumed - len(d.unused_data))
        if written != entry.size:
            raise BundleError(f"expands to {written} bytes, manifest declares {entry.size}", where, "size")
        if digest.hexdigest() != entry.sha256:
            raise BundleError("contents do not match the manifest's sha256", where, "sha256")
        check_header(entry, manifest, head, written, where)
        fout.flush()
        os.fsync(fout.fileno())


def unpack_bundle(src_dir: Path, dest_dir: Path, max_expanded: int = DEFAULT_MAX_EXPANDED) -> Manifest:
    """Checks and expands a bundle into ``dest_dir`` (created; the caller makes it atomic)."""
    src_dir, dest_dir = Path(src_dir), Path(dest_dir)
    manifest = read_manifest(src_dir)
    if manifest.total_size > max_expanded:
        raise BundleError(f"declares {manifest.total_size} expanded bytes, more than this kiosk's limit of "
                          f"{max_expanded}", str(src_dir / MANIFEST_NAME), "filters[].size")
    dest_dir.mkdir(parents=True, exist_ok=True)
    for entry in manifest.filters:
        expand_filter(src_dir / entry.file, dest_dir / entry.name, entry, manifest)
    (dest_dir / MANIFEST_NAME).write_bytes((src_dir / MANIFEST_NAME).read_bytes())
    return manifest
