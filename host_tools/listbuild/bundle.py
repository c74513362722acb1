"""Writing an (unsigned) bundle directory: manifest.json plus one wire set per key kind.

The sets are sized from the per-traveller false-alarm budget (``firmware.core.budget``):
the document set for false strong answers, the name set for false possible ones, each
for the worst passport shape the kiosk probes. docs/filter-format.md has the arithmetic.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import multiprocessing
import os
import secrets
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from firmware.banlist.expand import expand
from firmware.banlist.manifest import FORMAT_VERSION, MANIFEST_NAME
from firmware.core.budget import DEFAULT_POSSIBLE, DEFAULT_STRONG, universe_for
from firmware.core.fpset import HASH_SCHEME, OPEN_END, WireHeader
from firmware.core.keys import WORST_LOOKUPS, document_head, entry_name_heads, given_skeleton
from firmware.core.translit import fold
from firmware.durable import atomic_write
from host_tools.listbuild.builder import encode_set, raw_hashes
from host_tools.listbuild.csvinput import Entry

CANARY_COUNT = 8
SET_FILES = {"document": "documents.gcs", "name": "names.gcs"}


def collect_keys(entries: Sequence[Entry]) -> dict[str, tuple[list[str], list[int]]]:
    """kind -> (keys, ban-end years), one pair per key an entry stores. A key two entries
    share appears twice; the builder keeps the longer ban (``builder.resolve``)."""
    out: dict[str, tuple[list[str], list[int]]] = {"document": ([], []), "name": ([], [])}
    dkeys, dyears = out["document"]
    nkeys, nyears = out["name"]
    # folding is the slow part of a 5M-record build, and surnames and given names repeat
    fold_surname = functools.lru_cache(maxsize=1 << 20)(fold)
    fold_given = functools.lru_cache(maxsize=1 << 20)(given_skeleton)
    for e in entries:
        end = e.ban_end
        year = end.year if end is not None else OPEN_END
        d = document_head(e.nationality, e.document_number)
        if d is not None:
            dkeys.append(d + "|" + e.birth)
            dyears.append(year)
        for h in entry_name_heads(e.surname, e.given_names, fold_surname, fold_given):
            nkeys.append(h + "|" + e.birth)
            nyears.append(year)
    return out


_ENTRIES: Sequence[Entry] = ()  # what forked hashing workers read (inherited, not pickled)
SLICE = 250_000


def _hash_slice(salt: bytes, start: int, stop: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    keys = collect_keys(_ENTRIES[start:stop])
    return {kind: (raw_hashes(salt, ks), np.asarray(ys, dtype=np.int64)) for kind, (ks, ys) in keys.items()}


def hash_entries(entries: Sequence[Entry], salt: bytes, progress: Callable[[int], None] | None = None
                 ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """kind -> (raw hashes, ban-end years) of every key the entries store.

    Building the key strings and hashing them is pure Python, one core's work per
    process: a large list is cut into slices that forked workers do side by side."""
    global _ENTRIES
    slices = [(start, min(start + SLICE, len(entries))) for start in range(0, len(entries), SLICE)] or [(0, 0)]
    workers = min(len(slices), os.cpu_count() or 1)
    if "fork" not in multiprocessing.get_all_start_methods():
        workers = 1  # the workers read the entries they inherit; without fork, one process does it all
    _ENTRIES = entries
    try:
        if workers <= 1:
            parts = []
            for a, b in slices:
                parts.append(_hash_slice(salt, a, b))
                if progress is not None:
                    progress(b - a)
        else:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                futures = [pool.submit(_hash_slice, salt, a, b) for a, b in slices]
                parts = []
                for (a, b), f in zip(slices, futures, strict=True):
                    parts.append(f.result())
                    if progress is not None:
                        progress(b - a)
    finally:
        _ENTRIES = ()
    return {kind: (np.concatenate([p[kind][0] for p in parts]), np.concatenate([p[kind][1] for p in parts]))
            for kind in ("document", "name")}


class _HashSink:
    """A write-only file that keeps only the length of what it is given: the expander
    hashes the expanded set, which the builder needs but need not store."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size


def write_bundle(entries: Sequence[Entry], out: Path, *, list_version: int, list_date: dt.date,
                 valid_until: dt.date, deployment: str, strong: float = DEFAULT_STRONG,
                 possible: float = DEFAULT_POSSIBLE, salt: bytes | None = None,
                 canaries: Sequence[str] | None = None, rejected_rows: int = 0,
                 progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Builds both sets and writes the bundle; returns the manifest."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    salt = salt if salt is not None else secrets.token_bytes(16)
    canaries = list(canaries) if canaries is not None else [
        "Z|canary|" + secrets.token_hex(8) for _ in range(CANARY_COUNT)]
    hashed = hash_entries(entries, salt, progress)
    sets: list[dict[str, Any]] = []
    for kind, budget in (("document", strong), ("name", possible)):
        hashes = np.concatenate([hashed[kind][0], raw_hashes(salt, canaries)])
        years = np.concatenate([hashed[kind][1], np.full(len(canaries), OPEN_END, dtype=np.int64)])
        universe = universe_for(len(hashes), budget, WORST_LOOKUPS)
        wire, counts = encode_set(hashes, years, universe, salt)
        _, digest = expand(wire, _HashSink(), 1 << 40)
        header = WireHeader.parse(wire, len(wire))
        name = SET_FILES[kind]
        atomic_write(out / name, wire)
        sets.append({"kind": kind, "file": name, "keys": header.n, "universe": universe,
                     "end_years": header.end_years, "keys_per_end_year": [counts[y] for y in header.end_years],
                     "size": header.expanded_size, "compressed_size": len(wire), "sha256": digest})
    manifest = {
        "format_version": FORMAT_VERSION,
        "list_version": list_version,
        "list_date": list_date.isoformat(),
        "valid_until": valid_until.isoformat(),
        "deployment": deployment,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "hash_scheme": HASH_SCHEME,
        "salt": salt.hex(),
        "false_alarm": {"strong_per_traveller": strong, "possible_per_traveller": possible,
                        "worst_lookups": WORST_LOOKUPS},
        "records": len(entries),
        "rejected_rows": rejected_rows,
        "key_counts": {s["kind"]: s["keys"] - len(canaries) for s in sets}
        | {"canary": len(canaries)},
        "sets": sets,
        "canaries": canaries,
    }
    atomic_write(out / MANIFEST_NAME, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return manifest
