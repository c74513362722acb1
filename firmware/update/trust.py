"""The trust chain of a list: TUF metadata verified with no I/O (bytes in, a trusted release out).

The roles are python-tuf's (``tuf.api.metadata``); the checks are python-tuf ngclient's
``TrustedMetadataSet`` (the client workflow of the TUF specification: root chain,
timestamp, snapshot, targets, thresholds, version and hash binding, expiry). On top of
it this module adds what a kiosk needs:

* a *deployment name* in every root and targets (``x-safar-deployment``) and the
  bundle manifest: a repository for another deployment is refused;
* a *version floor* (the installed list version: a list older than it is a rollback);
* a *time floor* (the ``list_date`` of the newest list ever verified): the kiosk has
  no RTC, so every expiry check uses ``max(clock, time floor)``, and a clock behind
  the floor is reported, never a way to make an expired list acceptable;
* the bundle's files (``manifest.json``, ``*.gcs``) as TUF targets, whose length
  and sha256 are checked by ``TargetCheck`` fed in chunks (the caller does the I/O).

Every refusal is an ``UpdateError`` with a code and a sentence. See docs/trust.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tuf.api import exceptions as tuf_exc
from tuf.api.metadata import Metadata, Root, TargetFile, Targets
from tuf.api.serialization import DeserializationError
from tuf.ngclient._internal.trusted_metadata_set import TrustedMetadataSet
from tuf.ngclient.config import EnvelopeType

from firmware.banlist.errors import BundleError
from firmware.banlist.manifest import MANIFEST_NAME, Manifest, parse_manifest
from firmware.update.errors import UpdateError

DEPLOYMENT_FIELD = "x-safar-deployment"
KEY_NAMES_FIELD = "x-safar-key-names"
MANIFEST_TARGET = MANIFEST_NAME
# No metadata file of a Safar repository comes near this; anything bigger is refused unread.
MAX_METADATA_BYTES = 1 << 20
# How many new root versions one install may walk through.
MAX_ROOT_STEPS = 64
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
UTC = dt.timezone.utc


def as_utc(when: dt.datetime | dt.date | None) -> dt.datetime:
    """A clock reading as an aware UTC datetime; a date means its midnight UTC; None is now."""
    if when is None:
        return dt.datetime.now(UTC)
    if isinstance(when, dt.datetime):
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return dt.datetime(when.year, when.month, when.day, tzinfo=UTC)


def expiry_for(valid_until: dt.date) -> dt.datetime:
    """TUF ``expires`` of a list valid through ``valid_until`` (UTC): the next midnight."""
    return as_utc(valid_until + dt.timedelta(days=1))


@dataclass(frozen=True)
class Floors:
    """What the kiosk never goes below: the list version and the time."""

    list_version: int = 0
    time_floor: dt.datetime = EPOCH

    def to_bytes(self) -> bytes:
        return (json.dumps({"list_version": self.list_version,
                            "time_floor": self.time_floor.isoformat()}, sort_keys=True) + "\n").encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Floors:
        try:
            raw = json.loads(data)
            return cls(int(raw["list_version"]), as_utc(dt.datetime.fromisoformat(raw["time_floor"])))
        except (ValueError, KeyError, TypeError) as e:
            raise UpdateError("malformed", f"the floors file is unreadable: {e}", "floors.json") from None

    def raised(self, list_version: int, time_floor: dt.datetime) -> Floors:
        return Floors(max(self.list_version, list_version), max(self.time_floor, time_floor))


@dataclass
class RepositoryMetadata:
    """The metadata files of a repository as read (unverified bytes).

    ``roots`` maps a root version to the bytes of ``N.root.json``; only versions newer
    than the trusted root matter, and they must follow each other without a gap.
    """

    timestamp: bytes
    snapshot: bytes
    targets: bytes
    roots: dict[int, bytes] = field(default_factory=dict)


def deployment_of(root: Root) -> str:
    value = root.unrecognized_fields.get(DEPLOYMENT_FIELD)
    if not isinstance(value, str) or not value:
        raise UpdateError("deployment", f"root version {root.version} names no deployment "
                          f"(field {DEPLOYMENT_FIELD})", "root.json")
    return value


def key_names(root: Root) -> dict[str, str]:
    """keyid -> the human name recorded in the root (e.g. 'border'), where there is one."""
    names = root.unrecognized_fields.get(KEY_NAMES_FIELD)
    if not isinstance(names, dict):
        return {}
    return {str(k): str(v) for k, v in names.items()}


def describe_keys(root: Root, keyids: list[str] | dict[str, Any]) -> list[str]:
    names = key_names(root)
    return sorted(f"{names[k]} ({k[:8]})" if k in names else k[:16] for k in keyids)


def load_trusted_root(data: bytes) -> Root:
    """A root the kiosk is asked to trust: it must be signed by a threshold of its own
    root keys and name a deployment. Used by ``provision``."""
    _check_size(data, "root.json")
    try:
        tms = TrustedMetadataSet(data, EnvelopeType.METADATA)
    except tuf_exc.UnsignedMetadataError:
        raise UpdateError("threshold", "the root is not signed by a threshold of its own root keys",
                          "root.json") from None
    except (tuf_exc.RepositoryError, ValueError, TypeError, KeyError) as e:
        raise UpdateError("malformed", f"the root is not valid TUF root metadata: {e}", "root.json") from None
    deployment_of(tms.root)
    return tms.root


def explain_signatures(delegator: Root, role: str, data: bytes, file: str) -> UpdateError:
    """Why ``data`` does not carry a threshold of ``role``'s keys, as the most specific error."""
    try:
        md = Metadata.from_bytes(data)
    except DeserializationError as e:
        return UpdateError("malformed", f"{file} is not valid TUF metadata: {e}", file)
    try:
        result = delegator.get_verification_result(role, md.signed_bytes, md.signatures)
        trusted_ids = set(delegator.get_delegated_role(role).keyids)
    except ValueError as e:
        return UpdateError("malformed", str(e), file)
    if not md.signatures:
        return UpdateError("unsigned", f"{file} carries no signatures", file)
    known = [k for k in md.signatures if k in trusted_ids]
    if not known:
        return UpdateError("unknown-key", f"{file} is signed only by keys this kiosk does not trust for the "
                           f"{role} role ({', '.join(k[:16] for k in md.signatures)})", file)
    bad = [k for k in known if k not in result.signed]
    if bad:
        return UpdateError("tampered", f"the signature of {', '.join(describe_keys(delegator, bad))} on {file} "
                           "does not verify: the file was changed after signing", file)
    return UpdateError("threshold", f"{file} is signed by {len(result.signed)} of the {result.threshold} "
                       f"{role} keys required ({', '.join(describe_keys(delegator, result.signed)) or 'none'})",
                       file)


def _check_size(data: bytes, file: str, limit: int = MAX_METADATA_BYTES) -> None:
    if len(data) > limit:
        raise UpdateError("oversized", f"{file} is {len(data)} bytes, more than the limit of {limit}", file)


class TargetCheck:
    """Length and sha256 of one target file, fed in chunks; refuses as soon as it is too long."""

    def __init__(self, name: str, info: TargetFile) -> None:
        self.name = name
        self.length = info.length
        want = info.hashes.get("sha256")
        if want is None:
            raise UpdateError("malformed", f"the signed targets give no sha256 for {name}", "targets.json")
        self.want = want
        self.seen = 0
        self._hash = hashlib.sha256()

    def update(self, chunk: bytes) -> None:
        self.seen += len(chunk)
        if self.seen > self.length:
            raise UpdateError("oversized", f"{self.name} is longer than the {self.length} bytes signed for it",
                              self.name)
        self._hash.update(chunk)

    def finish(self) -> None:
        if self.seen < self.length:
            raise UpdateError("truncated", f"{self.name} is {self.seen} bytes, {self.length} were signed "
                              "(truncated)", self.name)
        if not hmac.compare_digest(self._hash.hexdigest(), self.want):
            raise UpdateError("tampered", f"{self.name} does not match its signed sha256 (changed after signing)",
                              self.name)

    @classmethod
    def of_bytes(cls, name: str, info: TargetFile, data: bytes) -> None:
        check = cls(name, info)
        check.update(data)
        check.finish()


@dataclass
class Release:
    """A repository's list, verified up to its targets metadata and manifest."""

    deployment: str
    root: Root
    root_bytes: bytes
    root_updated: bool
    targets: Targets
    targets_bytes: bytes
    timestamp_bytes: bytes
    snapshot_bytes: bytes
    manifest: Manifest
    manifest_bytes: bytes
    signed_by: list[str]
    clock: dt.datetime
    reference_time: dt.datetime
    clock_behind: bool

    @property
    def list_version(self) -> int:
        return self.targets.version

    @property
    def manifest_sha256(self) -> str:
        return hashlib.sha256(self.manifest_bytes).hexdigest()

    @property
    def time_floor(self) -> dt.datetime:
        """What this list proves about the time: it cannot be earlier than its list date."""
        return as_utc(self.manifest.list_date)

    def target(self, name: str) -> TargetFile:
        info = self.targets.targets.get(name)
        if info is None:
            raise UpdateError("missing", f"{name} is not among the signed targets", name)
        return info

    def checker(self, name: str) -> TargetCheck:
        return TargetCheck(name, self.target(name))

    def files(self) -> list[str]:
        """The target files to fetch besides the manifest, in manifest order."""
        return [f.file for f in self.manifest.sets]


def _tuf_error(e: Exception, file: str) -> UpdateError:
    if isinstance(e, UpdateError):
        return e
    if isinstance(e, tuf_exc.ExpiredMetadataError):
        return UpdateError("expired", f"{e}", file)
    if isinstance(e, tuf_exc.LengthOrHashMismatchError):
        return UpdateError("tampered", f"{file} does not match the length and hash signed for it: {e}", file)
    if isinstance(e, tuf_exc.BadVersionNumberError):
        return UpdateError("inconsistent", f"{e}", file)
    if isinstance(e, DeserializationError):
        return UpdateError("malformed", f"{file} is not valid TUF metadata: {e}", file)
    return UpdateError("malformed", f"{file}: {e}", file)


def _meta_length_check(data: bytes, length: int | None, file: str) -> None:
    if length is None:
        return
    if len(data) < length:
        raise UpdateError("truncated", f"{file} is {len(data)} bytes, {length} were signed (truncated)", file)
    if len(data) > length:
        raise UpdateError("oversized", f"{file} is {len(data)} bytes, {length} were signed", file)


def verify_release(trusted_root: bytes, meta: RepositoryMetadata, manifest_bytes: bytes, floors: Floors,
                   clock: dt.datetime | dt.date | None = None) -> Release:
    """The whole trust decision for one repository, as a pure function.

    ``trusted_root``: the kiosk's root.json; ``meta``: the repository's metadata files;
    ``manifest_bytes``: its ``targets/manifest.json`` (checked against the signed
    targets); ``floors``: the kiosk's version and time floors; ``clock``: the kiosk's
    clock (may be wrong). Raises ``UpdateError``; returns a ``Release`` whose filter
    files the caller still checks with ``Release.checker`` while copying them.
    """
    now = as_utc(clock)
    reference = max(now, floors.time_floor)
    tms = _load_root(trusted_root)
    tms.reference_time = reference
    deployment = deployment_of(tms.root)
    root_bytes = trusted_root
    root_updated = False

    # 1. root chain: N+1, N+2, ... each signed by a threshold of the previous root and of itself
    for version in range(tms.root.version + 1, tms.root.version + 1 + MAX_ROOT_STEPS):
        data = meta.roots.get(version)
        if data is None:
            break
        file = f"{version}.root.json"
        _check_size(data, file)
        old_root = tms.root
        try:
            new_root = tms.update_root(data)
        except tuf_exc.UnsignedMetadataError:
            err = explain_signatures(old_root, Root.type, data, file)
            try:
                root_md = Metadata[Root].from_bytes(data)
                if old_root.get_verification_result(Root.type, root_md.signed_bytes, root_md.signatures):
                    # the previous root's keys signed it: the new root's own threshold is missing
                    err = explain_signatures(root_md.signed, Root.type, data, file)
                    err.reason = f"root version {version} is not signed by a threshold of its own keys: {err.reason}"
            except (DeserializationError, ValueError):
                pass
            raise err from None
        except (tuf_exc.RepositoryError, ValueError, TypeError, KeyError) as e:
            raise _tuf_error(e, file) from None
        if deployment_of(new_root) != deployment:
            raise UpdateError("deployment", f"root version {version} is for deployment "
                              f"{deployment_of(new_root)!r}, this kiosk is {deployment!r}", file)
        root_bytes = data
        root_updated = True

    # 2. timestamp -> snapshot -> targets, with python-tuf's checks
    steps: list[tuple[str, bytes]] = [("timestamp.json", meta.timestamp), ("snapshot.json", meta.snapshot),
                                      ("targets.json", meta.targets)]
    for file, data in steps:
        _check_size(data, file)
        try:
            if file == "timestamp.json":
                if tms.root.is_expired(reference):
                    raise UpdateError("expired", f"the trusted root (version {tms.root.version}) expired on "
                                      f"{tms.root.expires.date().isoformat()}; a newer root version is needed",
                                      "root.json")
                tms.update_timestamp(data)
            elif file == "snapshot.json":
                _meta_length_check(data, tms.timestamp.snapshot_meta.length, file)
                tms.update_snapshot(data)
            else:
                info = tms.snapshot.meta.get("targets.json")
                _meta_length_check(data, info.length if info else None, file)
                tms.update_targets(data)
        except tuf_exc.UnsignedMetadataError:
            role = file[: -len(".json")]
            raise explain_signatures(tms.root, role, data, file) from None
        except tuf_exc.ExpiredMetadataError:
            expired = {"timestamp.json": "timestamp", "snapshot.json": "snapshot", "targets.json": "targets"}[file]
            raise UpdateError("expired", f"the signed {expired} metadata has expired "
                              f"(checked at {reference.date().isoformat()}"
                              f"{', the time floor' if reference > now else ''})", file) from None
        except (tuf_exc.RepositoryError, ValueError, TypeError, KeyError) as e:
            raise _tuf_error(e, file) from None

    targets = tms.targets
    if targets.unrecognized_fields.get(DEPLOYMENT_FIELD) != deployment:
        raise UpdateError("deployment", f"the targets are for deployment "
                          f"{targets.unrecognized_fields.get(DEPLOYMENT_FIELD)!r}, this kiosk is {deployment!r}",
                          "targets.json")
    if targets.version < floors.list_version:
        raise UpdateError("rollback", f"list version {targets.version} is older than version "
                          f"{floors.list_version} already installed here", "targets.json")

    # 3. the manifest: a signed target, and consistent with the metadata
    man_info = targets.targets.get(MANIFEST_TARGET)
    if man_info is None:
        raise UpdateError("missing", "manifest.json is not among the signed targets", "targets.json")
    TargetCheck.of_bytes(MANIFEST_TARGET, man_info, manifest_bytes)
    try:
        manifest = parse_manifest(manifest_bytes)
    except BundleError as e:
        raise UpdateError("malformed", f"the signed manifest is invalid: {e}", MANIFEST_TARGET) from None
    check_manifest_binding(manifest, targets, deployment)
    if reference.date() > manifest.valid_until:
        raise UpdateError("expired", f"the list of {manifest.list_date.isoformat()} expired on "
                          f"{manifest.valid_until.isoformat()}", MANIFEST_TARGET)

    targets_md = Metadata[Targets].from_bytes(meta.targets)
    result = tms.root.get_verification_result(Targets.type, targets_md.signed_bytes, targets_md.signatures)
    return Release(deployment=deployment, root=tms.root, root_bytes=root_bytes, root_updated=root_updated,
                   targets=targets, targets_bytes=meta.targets, timestamp_bytes=meta.timestamp,
                   snapshot_bytes=meta.snapshot, manifest=manifest, manifest_bytes=manifest_bytes,
                   signed_by=describe_keys(tms.root, result.signed), clock=now, reference_time=reference,
                   clock_behind=now < floors.time_floor)


def check_manifest_binding(manifest: Manifest, targets: Targets, deployment: str) -> None:
    """The manifest must belong to these targets: same deployment, same version, every filter signed."""
    if manifest.deployment != deployment:
        raise UpdateError("deployment", f"the list is for deployment {manifest.deployment!r}, this kiosk is "
                          f"{deployment!r}", MANIFEST_TARGET)
    if manifest.list_version != targets.version:
        raise UpdateError("inconsistent", f"manifest list version {manifest.list_version} differs from the "
                          f"signed targets version {targets.version}", MANIFEST_TARGET)
    for entry in manifest.sets:
        info = targets.targets.get(entry.file)
        if info is None:
            raise UpdateError("missing", f"{entry.file} is in the manifest but not among the signed targets",
                              entry.file)
        if info.length != entry.compressed_size:
            raise UpdateError("inconsistent", f"{entry.file}: the manifest declares {entry.compressed_size} "
                              f"bytes, the signed targets {info.length}", entry.file)


def _load_root(data: bytes) -> TrustedMetadataSet:
    try:
        return TrustedMetadataSet(data, EnvelopeType.METADATA)
    except (tuf_exc.RepositoryError, ValueError, TypeError, KeyError) as e:
        raise UpdateError("malformed", f"the kiosk's trusted root is invalid: {e}", "root.json") from None


@dataclass
class StoredList:
    """What ``verify_stored`` proves about an installed list's own copy of its metadata."""

    deployment: str
    targets: Targets
    manifest: Manifest
    signed_by: list[str]


def verify_stored(root_bytes: bytes, targets_bytes: bytes, manifest_bytes: bytes) -> StoredList:
    """Re-checks an installed list (integrity after power cuts and storage faults): its root
    is self-signed, its targets carry a threshold of that root's targets keys, and its
    manifest has the signed length and sha256. Expiry is the caller's (it knows the floors)."""
    tms = _load_root(root_bytes)
    deployment = deployment_of(tms.root)
    try:
        md = Metadata[Targets].from_bytes(targets_bytes)
    except DeserializationError as e:
        raise UpdateError("malformed", f"targets.json is not valid TUF metadata: {e}", "targets.json") from None
    if md.signed.type != Targets.type:
        raise UpdateError("malformed", "targets.json is not targets metadata", "targets.json")
    result = tms.root.get_verification_result(Targets.type, md.signed_bytes, md.signatures)
    if not result:
        raise explain_signatures(tms.root, Targets.type, targets_bytes, "targets.json")
    targets = md.signed
    if targets.unrecognized_fields.get(DEPLOYMENT_FIELD) != deployment:
        raise UpdateError("deployment", "the installed targets name another deployment", "targets.json")
    info = targets.targets.get(MANIFEST_TARGET)
    if info is None:
        raise UpdateError("missing", "manifest.json is not among the signed targets", "targets.json")
    TargetCheck.of_bytes(MANIFEST_TARGET, info, manifest_bytes)
    try:
        manifest = parse_manifest(manifest_bytes)
    except BundleError as e:
        raise UpdateError("malformed", f"the installed manifest is invalid: {e}", MANIFEST_TARGET) from None
    check_manifest_binding(manifest, targets, deployment)
    return StoredList(deployment, targets, manifest, describe_keys(tms.root, result.signed))


def summary(release: Release) -> Mapping[str, Any]:
    """JSON-ready facts about a verified release (no list content)."""
    return {"deployment": release.deployment, "list_version": release.list_version,
            "list_date": release.manifest.list_date.isoformat(),
            "valid_until": release.manifest.valid_until.isoformat(), "root_version": release.root.version,
            "signed_by": release.signed_by, "clock_behind": release.clock_behind}
