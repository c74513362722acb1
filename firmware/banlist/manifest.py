"""The bundle manifest, validated with no I/O: bytes in, a ``Manifest`` or a ``BundleError`` out."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from firmware import untrusted_json
from firmware.banlist.errors import BundleError
from firmware.core.fpset import HASH_SCHEME, MAX_UNIVERSE

FORMAT_VERSION = 2
MANIFEST_NAME = "manifest.json"
MAX_MANIFEST_BYTES = 1 << 20
KINDS = ("document", "name")
WIRE_SUFFIX = ".gcs"
EXPANDED_SUFFIX = ".fps"
_FILE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")


class SetEntry:
    """One key kind's set as the manifest declares it: the wire file that travels and
    the expanded file the kiosk queries."""

    def __init__(self, raw: dict[str, Any], where: str) -> None:
        self.kind: str = _get(raw, "kind", str, where)
        if self.kind not in KINDS:
            raise BundleError(f"unknown set kind {self.kind!r} (known: {', '.join(KINDS)})", MANIFEST_NAME,
                              f"{where}.kind")
        self.file: str = _get(raw, "file", str, where)
        if not _FILE_NAME.match(self.file) or not self.file.endswith(WIRE_SUFFIX):
            raise BundleError(f"bad set file name {self.file!r}", MANIFEST_NAME, f"{where}.file")
        self.name = self.file[: -len(WIRE_SUFFIX)] + EXPANDED_SUFFIX
        self.keys: int = _nonneg(raw, "keys", where)
        self.universe: int = _nonneg(raw, "universe", where)
        if not 1 <= self.universe <= MAX_UNIVERSE or self.keys > self.universe:
            raise BundleError("impossible universe for its key count", MANIFEST_NAME, f"{where}.universe")
        years = _get(raw, "end_years", list, where)
        if not years or not all(isinstance(y, int) and not isinstance(y, bool) for y in years):
            raise BundleError("end_years must be a non-empty list of integers", MANIFEST_NAME, f"{where}.end_years")
        self.end_years: list[int] = years
        counts = _get(raw, "keys_per_end_year", list, where)
        if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts):
            raise BundleError("keys_per_end_year must be a list of non-negative integers", MANIFEST_NAME,
                              f"{where}.keys_per_end_year")
        self.keys_per_end_year: list[int] = counts
        self.size: int = _nonneg(raw, "size", where)
        self.compressed_size: int = _nonneg(raw, "compressed_size", where)
        self.sha256: str = _get(raw, "sha256", str, where)
        if not _HEX64.match(self.sha256):
            raise BundleError("sha256 must be 64 lowercase hex digits", MANIFEST_NAME, f"{where}.sha256")


class Manifest:
    """Everything the kiosk needs to know about a list before opening its sets."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        fv = _get(raw, "format_version", int, "")
        if fv != FORMAT_VERSION:
            hint = (": it holds Bloom filters of the old format; rebuild the list with this version's "
                    "`safar list build`" if fv == 1 else "")
            raise BundleError(f"unsupported bundle format version {fv} (this kiosk reads {FORMAT_VERSION}){hint}",
                              MANIFEST_NAME, "format_version")
        self.list_version: int = _nonneg(raw, "list_version", "")
        self.list_date = _date(raw, "list_date")
        self.valid_until = _date(raw, "valid_until")
        if self.valid_until < self.list_date:
            raise BundleError("valid_until is before list_date", MANIFEST_NAME, "valid_until")
        self.deployment: str = _get(raw, "deployment", str, "")
        scheme = _get(raw, "hash_scheme", str, "")
        if scheme != HASH_SCHEME:
            raise BundleError(f"unknown hash scheme {scheme!r}", MANIFEST_NAME, "hash_scheme")
        salt = _get(raw, "salt", str, "")
        if not _HEX32.match(salt):
            raise BundleError("salt must be 32 lowercase hex digits", MANIFEST_NAME, "salt")
        self.salt = bytes.fromhex(salt)
        budget = _obj(_get(raw, "false_alarm", dict, ""), "false_alarm")
        self.budget_strong = _probability(budget, "strong_per_traveller")
        self.budget_possible = _probability(budget, "possible_per_traveller")
        sets = _get(raw, "sets", list, "")
        self.sets = [SetEntry(_obj(f, f"sets[{i}]"), f"sets[{i}]") for i, f in enumerate(sets)]
        kinds = sorted(s.kind for s in self.sets)
        if kinds != sorted(KINDS):
            raise BundleError("a bundle holds exactly one document set and one name set", MANIFEST_NAME, "sets")
        if len({s.file for s in self.sets}) != len(self.sets):
            raise BundleError("a set file is listed twice", MANIFEST_NAME, "sets")
        canaries = _get(raw, "canaries", list, "")
        if not canaries or not all(isinstance(c, str) and c.startswith("Z|") for c in canaries):
            raise BundleError("canaries must be a non-empty list of 'Z|' keys", MANIFEST_NAME, "canaries")
        self.canaries: list[str] = canaries
        self.records: int = _nonneg(raw, "records", "")

    def set_of(self, kind: str) -> SetEntry:
        """The entry of one key kind ('document' or 'name'); KeyError for an unknown kind."""
        for s in self.sets:
            if s.kind == kind:
                return s
        raise KeyError(kind)

    @property
    def total_size(self) -> int:
        """Bytes the expanded sets take: checked against the free disk before installing."""
        return sum(f.size for f in self.sets)

    def summary(self) -> dict[str, Any]:
        """What the manifest says, without salt or hashes: for reports and diagnostics."""
        return {
            "list_version": self.list_version,
            "list_date": self.list_date.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "deployment": self.deployment,
            "records": self.records,
        }


def parse_manifest(data: bytes, max_bytes: int = MAX_MANIFEST_BYTES) -> Manifest:
    """The manifest in ``data``: bytes from a bundle or a stick, so read with size and depth bounds."""
    if len(data) > max_bytes:
        raise BundleError(f"manifest is {len(data)} bytes, more than the limit of {max_bytes}", MANIFEST_NAME)
    try:
        raw = untrusted_json.loads(data, max_bytes=max_bytes)
    except untrusted_json.UntrustedJSONError as e:
        raise BundleError(f"manifest is unreadable: {e}", MANIFEST_NAME) from None
    return Manifest(_obj(raw, "manifest"))


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BundleError("expected a JSON object", MANIFEST_NAME, where)
    return value


def _get(raw: dict[str, Any], name: str, kind: Any, where: str) -> Any:
    field = f"{where}.{name}" if where else name
    if name not in raw:
        raise BundleError("missing field", MANIFEST_NAME, field)
    value = raw[name]
    if isinstance(value, bool) or not isinstance(value, kind):
        raise BundleError(f"wrong type {type(value).__name__}", MANIFEST_NAME, field)
    return value


def _nonneg(raw: dict[str, Any], name: str, where: str) -> int:
    value: int = _get(raw, name, int, where)
    if value < 0:
        raise BundleError("must not be negative", MANIFEST_NAME, f"{where}.{name}" if where else name)
    return value


def _date(raw: dict[str, Any], name: str) -> dt.date:
    text = _get(raw, name, str, "")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BundleError(f"not an ISO date: {text!r}", MANIFEST_NAME, name) from None


def _probability(raw: dict[str, Any], name: str) -> float:
    value = float(_get(raw, name, (int, float), "false_alarm"))
    if not 0 < value < 1:
        raise BundleError("must be a probability between 0 and 1", MANIFEST_NAME, f"false_alarm.{name}")
    return value
