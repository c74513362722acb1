"""An installed (expanded) ban list, opened without loading its sets into memory."""

from __future__ import annotations

import datetime as dt
import mmap
import secrets
from pathlib import Path
from typing import Any

from firmware.banlist.errors import BundleError
from firmware.banlist.manifest import KINDS, MANIFEST_NAME, Manifest, SetEntry, parse_manifest
from firmware.banlist.unpack import check_agrees
from firmware.banlist.verify import DAMAGED, ContentCheck, SetContents
from firmware.core.budget import traveller_bound
from firmware.core.fpset import HEADER_SIZE, FilterError, FingerprintSet
from firmware.core.keys import WORST_LOOKUPS, document_query_keys, query_keys
from firmware.core.match import Match, match_probes


class KeySet:
    """One key kind's expanded set, memory-mapped: ``find`` and ``end_years`` for the policy."""

    def __init__(self, path: Path, fps: FingerprintSet, mapping: mmap.mmap) -> None:
        self.path = path
        self.end_years = fps.end_years
        self.find = fps.find
        self.n = fps.header.n
        self.universe = fps.header.universe
        self.codes_at = fps.header.codes_at
        self._mapping = mapping

    def contains(self, key: str) -> bool:
        """Whether ``key`` is in the set (any class): the tests' and tools' question; matching asks ``find``."""
        return self.find(key) != -1

    def false_alarm_bound(self, lookups: int = WORST_LOOKUPS) -> float:
        """Upper bound of an innocent traveller's chance of a hit in this set."""
        return traveller_bound(self.n, self.universe, lookups)

    def close(self) -> None:
        """Unmaps the file: an installed list is swapped while the kiosk runs."""
        self._mapping.close()


class BanList:
    """The kiosk's view of a list: its manifest and a ``match`` for each traveller."""

    def __init__(self, directory: Path, manifest: Manifest, documents: KeySet, names: KeySet) -> None:
        self.directory = directory
        self.manifest = manifest
        self.documents = documents
        self.names = names

    @classmethod
    def open(cls, directory: Path | str, verify_hashes: bool = False) -> BanList:
        """Maps both sets after checking their headers against the manifest; ``verify_hashes``
        also reads them whole (``content_check``) before anything is matched against them."""
        directory = Path(directory)
        try:
            data = (directory / MANIFEST_NAME).read_bytes()
        except FileNotFoundError:
            raise BundleError("no manifest.json", str(directory / MANIFEST_NAME)) from None
        manifest = parse_manifest(data)
        opened: dict[str, KeySet] = {}
        try:
            for entry in manifest.sets:
                opened[entry.kind] = _open_set(directory / entry.name, entry, manifest)
        except BaseException:
            for s in opened.values():
                s.close()
            raise
        banlist = cls(directory, manifest, opened["document"], opened["name"])
        if verify_hashes:
            check = banlist.content_check()
            if check.run() == DAMAGED and check.problem is not None:
                banlist.close()
                raise check.problem
        return banlist

    def content_check(self) -> ContentCheck:
        """A fresh pass over the sets' bytes: SHA-256 and entries per class, as the manifest signs them."""
        opened = {"document": self.documents, "name": self.names}
        return ContentCheck([SetContents(opened[e.kind].path, e.size, e.sha256, opened[e.kind].codes_at,
                                         e.keys_per_end_year) for e in self.manifest.sets])

    def close(self) -> None:
        """Unmaps both sets, so a replaced release directory can be removed."""
        self.documents.close()
        self.names.close()

    def __enter__(self) -> BanList:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def sets(self) -> list[KeySet]:
        """Both sets, documents first: for reports that treat them alike."""
        return [self.documents, self.names]

    @property
    def list_date(self) -> dt.date:
        """The day the list was drawn up, which the screens name."""
        return self.manifest.list_date

    @property
    def valid_until(self) -> dt.date:
        """The last day the list may be used, after which the kiosk says it cannot check."""
        return self.manifest.valid_until

    def expired(self, today: dt.date) -> bool:
        """Whether ``today`` is past ``valid_until``: an old list must not answer travellers."""
        return today > self.manifest.valid_until

    def false_alarm_bounds(self, lookups: int = WORST_LOOKUPS) -> dict[str, float]:
        """Per-traveller upper bounds, from the sets as installed (not from what the manifest
        claims): ``strong`` (document set) and ``possible`` (name set)."""
        return {"strong": self.documents.false_alarm_bound(lookups), "possible": self.names.false_alarm_bound(lookups)}

    def budget_problem(self, max_strong: float, max_possible: float) -> str | None:
        """Why this kiosk must not match against the list, when its false-alarm bounds for
        the worst passport shape exceed the kiosk's limits; None when they do not."""
        bounds = self.false_alarm_bounds()
        worse = [f"{label} {bounds[kind]:.3g} per traveller, more than this kiosk's limit of {limit:.3g}"
                 for kind, label, limit in (("strong", "false strong answers", max_strong),
                                            ("possible", "false possible answers", max_possible))
                 if bounds[kind] > limit]
        if not worse:
            return None
        return "the list allows " + " and ".join(worse) + "; rebuild it with a stricter budget"

    def match(self, document: Any, today: dt.date | None = None) -> Match:
        """``document``: a parsed ``firmware.core.mrz.Document``."""
        doc_probes, name_probes = document_query_keys(document)
        return match_probes(doc_probes, name_probes, self.documents, self.names, today.year if today else None)

    def match_fields(self, surname: str, given_names: str, nationality: str, number: str | None,
                     birth: str, today: dt.date | None = None) -> Match:
        """``birth``: YYMMDD with '<<' for unknown parts (``firmware.core.keys.birth_key``)."""
        doc_probes, name_probes = query_keys(surname, given_names, nationality, number, birth)
        return match_probes(doc_probes, name_probes, self.documents, self.names, today.year if today else None)

    def self_test(self) -> list[str]:
        """Problems found (empty when healthy): every canary must be in every set, and random
        non-member keys must be absent (a set that answers "present" to everyone is broken)."""
        problems = []
        for s in self.sets:
            missing = [c for c in self.manifest.canaries if not s.contains(c)]
            if missing:
                problems.append(f"{s.path.name}: {len(missing)} of {len(self.manifest.canaries)} canary keys missing")
            probes = ["Z|absent|" + secrets.token_hex(8) for _ in range(64)]
            hits = sum(s.contains(p) for p in probes)
            if hits > 16:
                problems.append(f"{s.path.name}: {hits} of 64 random keys match; the set is saturated")
        return problems


def _open_set(path: Path, entry: SetEntry, manifest: Manifest) -> KeySet:
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise BundleError("set file missing", str(path)) from None
    with f:
        size = f.seek(0, 2)
        if size < HEADER_SIZE:
            raise BundleError("set file truncated", str(path), offset=size)
        mapping = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        try:
            fps = FingerprintSet(mapping, size)
        except FilterError as e:
            raise BundleError(e.reason, str(path), e.field, e.offset) from None
        check_agrees(entry, manifest, fps.header, str(path))
        if len(entry.keys_per_end_year) != len(entry.end_years) or sum(entry.keys_per_end_year) != entry.keys:
            raise BundleError("the manifest's keys_per_end_year does not add up to the set's entries", str(path),
                              "keys_per_end_year")
        return KeySet(path, fps, mapping)
    except BaseException:
        mapping.close()
        raise


__all__ = ["BanList", "KeySet", "KINDS"]
