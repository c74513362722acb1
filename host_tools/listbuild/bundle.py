"""Writing an (unsigned) bundle directory: manifest.json plus one wire set per key kind.

The sets are sized from the per-traveller false-alarm budget (``firmware.core.budget``):
the document set for false strong answers, the name set for false possible ones, each
for the worst passport shape the kiosk probes. docs/filter-format.md has the arithmetic.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from firmware.banlist.expand import expand
from firmware.banlist.manifest import FORMAT_VERSION, MANIFEST_NAME
from firmware.core.budget import DEFAULT_POSSIBLE, DEFAULT_STRONG, universe_for
from firmware.core.fpset import HASH_SCHEME, OPEN_END, WireHeader
from firmware.core.keys import WORST_LOOKUPS, document_key, entry_name_heads
from host_tools.listbuild.builder import build_wire
from host_tools.listbuild.csvinput import Entry

CANARY_COUNT = 8
SET_FILES = {"document": "documents.gcs", "name": "names.gcs"}


def _longer(current: int | None, end_year: int) -> int:
    """The ban that lasts longer: no end date outlasts every year."""
    if current is None:
        return end_year
    if current == OPEN_END or end_year == OPEN_END:
        return OPEN_END
    return max(current, end_year)


def collect_keys(entries: Sequence[Entry]) -> dict[str, dict[str, int]]:
    """kind -> {key: ban-end year}; a key that two entries share keeps the longer ban."""
    docs: dict[str, int] = {}
    names: dict[str, int] = {}
    heads: dict[tuple[str, str], list[str]] = {}  # folding is the slow part; names repeat
    for e in entries:
        year = e.end_year
        d = document_key(e.nationality, e.document_number or "", e.birth)
        if d is not None:
            docs[d] = _longer(docs.get(d), year)
        who = (e.surname, e.given_names)
        hs = heads.get(who)
        if hs is None:
            hs = heads[who] = entry_name_heads(e.surname, e.given_names)
        for h in hs:
            k = h + "|" + e.birth
            names[k] = _longer(names.get(k), year)
    return {"document": docs, "name": names}


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
    keys = collect_keys(entries)
    sets = []
    for kind, budget in (("document", strong), ("name", possible)):
        members = keys[kind]
        all_keys = list(members) + canaries
        years = list(members.values()) + [OPEN_END] * len(canaries)
        universe = universe_for(len(all_keys), budget, WORST_LOOKUPS)
        wire, counts = build_wire(all_keys, years, universe, salt, progress)
        _, digest = expand(wire, _HashSink(), 1 << 40)
        header = WireHeader.parse(wire, len(wire))
        name = SET_FILES[kind]
        tmp = out / (name + ".tmp")
        tmp.write_bytes(wire)
        os.replace(tmp, out / name)
        sets.append({"kind": kind, "file": name, "keys": header.n, "universe": universe,
                     "end_years": header.end_years, "keys_per_end_year": [counts[y] for y in header.end_years],
                     "size": header.expanded_size, "compressed_size": len(wire), "sha256": digest})
    manifest = {
        "format_version": FORMAT_VERSION,
        "list_version": list_version,
        "list_date": list_date.isoformat(),
        "valid_until": valid_until.isoformat(),
        "deployment": deployment,
        "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "hash_scheme": HASH_SCHEME,
        "salt": salt.hex(),
        "false_alarm": {"strong_per_traveller": strong, "possible_per_traveller": possible,
                        "worst_lookups": WORST_LOOKUPS},
        "records": len(entries),
        "rejected_rows": rejected_rows,
        "key_counts": {"document": len(keys["document"]), "name": len(keys["name"]), "canary": len(canaries)},
        "sets": sets,
        "canaries": canaries,
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest
