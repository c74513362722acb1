"""An installed (expanded) ban list, opened without loading its filters into memory."""

from __future__ import annotations

import datetime as dt
import hashlib
import mmap
import secrets
from pathlib import Path
from typing import Any

from firmware.banlist.errors import BundleError
from firmware.banlist.manifest import MANIFEST_NAME, Manifest, parse_manifest
from firmware.banlist.unpack import check_header
from firmware.core.bloom import HEADER_SIZE, BloomFilter
from firmware.core.keys import document_query_keys, query_keys
from firmware.core.match import Match, match_probes


class Partition:
    """One end-year filter, memory-mapped."""

    def __init__(self, path: Path, end_year: int, filt: BloomFilter, mapping: mmap.mmap) -> None:
        self.path = path
        self.end_year = end_year
        self.filter = filt
        self._mapping = mapping

    def contains(self, key: str) -> bool:
        return key in self.filter

    def close(self) -> None:
        self._mapping.close()


class BanList:
    """The kiosk's view of a list: its manifest and a ``match`` for each traveller."""

    def __init__(self, directory: Path, manifest: Manifest, partitions: list[Partition]) -> None:
        self.directory = directory
        self.manifest = manifest
        self.partitions = partitions

    @classmethod
    def open(cls, directory: Path | str, verify_hashes: bool = False) -> BanList:
        directory = Path(directory)
        try:
            data = (directory / MANIFEST_NAME).read_bytes()
        except FileNotFoundError:
            raise BundleError("no manifest.json", str(directory / MANIFEST_NAME)) from None
        manifest = parse_manifest(data)
        parts: list[Partition] = []
        try:
            for entry in manifest.filters:
                path = directory / entry.name
                try:
                    f = open(path, "rb")
                except FileNotFoundError:
                    raise BundleError("filter file missing", str(path)) from None
                with f:
                    size = f.seek(0, 2)
                    if size < HEADER_SIZE:
                        raise BundleError("filter file truncated", str(path), offset=size)
                    mapping = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                part = Partition(path, entry.end_year, BloomFilter(mapping), mapping)
                parts.append(part)
                check_header(entry, manifest, bytes(mapping[:HEADER_SIZE]), size, str(path))
                if verify_hashes and hashlib.sha256(mapping).hexdigest() != entry.sha256:
                    raise BundleError("contents do not match the manifest's sha256", str(path), "sha256")
        except BaseException:
            for p in parts:
                p.close()
            raise
        return cls(directory, manifest, parts)

    def close(self) -> None:
        for p in self.partitions:
            p.close()

    def __enter__(self) -> BanList:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def list_date(self) -> dt.date:
        return self.manifest.list_date

    @property
    def valid_until(self) -> dt.date:
        return self.manifest.valid_until

    def expired(self, today: dt.date) -> bool:
        return today > self.manifest.valid_until

    def match(self, document: Any, today: dt.date | None = None) -> Match:
        """``document``: a parsed ``firmware.core.mrz.Document``."""
        doc_probes, name_probes = document_query_keys(document)
        return match_probes(doc_probes, name_probes, self.partitions, today.year if today else None)

    def match_fields(self, surname: str, given_names: str, nationality: str, number: str | None,
                     birth: str, today: dt.date | None = None) -> Match:
        """``birth``: YYMMDD with '<<' for unknown parts (``firmware.core.keys.birth_key``)."""
        doc_probes, name_probes = query_keys(surname, given_names, nationality, number, birth)
        return match_probes(doc_probes, name_probes, self.partitions, today.year if today else None)

    def self_test(self) -> list[str]:
        """Problems found (empty when healthy): every canary must be in every partition,
        and random non-member keys must mostly be absent (a filter of all ones would match everyone)."""
        problems = []
        for part in self.partitions:
            missing = [c for c in self.manifest.canaries if not part.contains(c)]
            if missing:
                problems.append(f"{part.path.name}: {len(missing)} of {len(self.manifest.canaries)} canary keys missing")
            probes = ["Z|absent|" + secrets.token_hex(8) for _ in range(64)]
            hits = sum(part.contains(p) for p in probes)
            if hits > 16:
                problems.append(f"{part.path.name}: {hits} of 64 random keys match; the filter is saturated")
        return problems
