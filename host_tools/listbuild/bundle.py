"""Writing an (unsigned) bundle directory: manifest.json plus one compressed filter per end year."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from firmware.banlist.manifest import FORMAT_VERSION, MANIFEST_NAME
from firmware.core.bloom import HASH_SCHEME, optimal_parameters
from host_tools.listbuild.builder import build_filter
from host_tools.listbuild.csvinput import Entry

CANARY_COUNT = 8


def partition_keys(entries: Sequence[Entry]) -> dict[int, tuple[list[str], int, int]]:
    """end year -> (unique keys, document keys, name keys); 0 is 'no end date given'."""
    parts: dict[int, tuple[set[str], set[str]]] = {}
    for e in entries:
        doc, name = e.keys()
        d, n = parts.setdefault(e.end_year, (set(), set()))
        d.update(doc)
        n.update(name)
    return {year: (sorted(d | n), len(d), len(n)) for year, (d, n) in sorted(parts.items())}


def filter_file_name(end_year: int) -> str:
    return f"ban-{end_year if end_year else 'open'}.sblf.z"


def write_bundle(entries: Sequence[Entry], out: Path, *, list_version: int, list_date: dt.date,
                 valid_until: dt.date, deployment: str, fp_rate: float, salt: bytes | None = None,
                 canaries: Sequence[str] | None = None,
                 progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Builds every partition's filter and writes the bundle; returns the manifest."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    salt = salt if salt is not None else secrets.token_bytes(16)
    canaries = list(canaries) if canaries is not None else [
        "Z|canary|" + secrets.token_hex(8) for _ in range(CANARY_COUNT)]
    parts = partition_keys(entries) or {0: ([], 0, 0)}
    filters = []
    total_doc = total_name = 0
    for end_year, (keys, n_doc, n_name) in parts.items():
        total_doc += n_doc
        total_name += n_name
        all_keys = keys + canaries
        m, k = optimal_parameters(len(all_keys), fp_rate)
        raw = build_filter(all_keys, k, m, end_year, salt, progress)
        packed = zlib.compress(raw, 6)
        name = filter_file_name(end_year)
        tmp = out / (name + ".tmp")
        tmp.write_bytes(packed)
        os.replace(tmp, out / name)
        filters.append({"file": name, "end_year": end_year, "keys": len(all_keys), "bits": m, "hashes": k,
                        "size": len(raw), "compressed_size": len(packed),
                        "sha256": hashlib.sha256(raw).hexdigest()})
    manifest = {
        "format_version": FORMAT_VERSION,
        "list_version": list_version,
        "list_date": list_date.isoformat(),
        "valid_until": valid_until.isoformat(),
        "deployment": deployment,
        "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "hash_scheme": HASH_SCHEME,
        "salt": salt.hex(),
        "fp_rate": fp_rate,
        "records": len(entries),
        "key_counts": {"document": total_doc, "name": total_name, "canary": len(canaries) * len(filters)},
        "filters": filters,
        "canaries": canaries,
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest
