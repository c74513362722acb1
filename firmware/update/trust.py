"""The trust chain of a list: TUF metadata verified with no I/O (bytes in, a trusted release out).

The roles are python-tuf's (``tuf.api.metadata``); the checks are python-tuf ngclient's
``TrustedMetadataSet`` (the client workflow of the TUF specification: root chain,
timestamp, snapshot, targets, thresholds, version and hash binding, expiry), reached
only through ``firmware.update.tuf_adapter.MetadataChain`` (it is tuf's private API).
``verify_release`` reads as the workflow's steps, one small function each. On top of
it this module adds what a kiosk needs:

* a *deployment name* in every root and targets (``x-safar-deployment``) and the
  bundle manifest: a repository for another deployment is refused;
* a *version floor* (the installed list version: a list older than it is a rollback);
* a *time floor* (the ``list_date`` of the newest list ever verified): the kiosk has
  no RTC, so every expiry check uses ``max(clock, time floor)``, and a clock behind
  the floor is reported, never a way to make an expired list acceptable;
* the bundle's files (``manifest.json``, ``*.gcs``) as TUF targets, whose length
  and sha256 are checked by ``TargetCheck`` fed in chunks (the caller does the I/O);
* *freshness per source*: the timestamp expires in days, so a mirror cannot hold a
  polling kiosk on a stale list for the list's lifetime; its expiry is judged for a
  polled repository (``polled=True``) and waived for offline ones (USB, serial), which
  the list's own validity rules (``timestamp_freshness``, ``poll_warning``).

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

from securesystemslib.signer import Signature
from tuf.api import exceptions as tuf_exc
from tuf.api.metadata import Metadata, Root, Snapshot, TargetFile, Targets, Timestamp
from tuf.api.serialization import DeserializationError

from firmware import untrusted_json
from firmware.banlist.errors import BundleError
from firmware.banlist.manifest import MANIFEST_NAME, Manifest, parse_manifest
from firmware.update.errors import (
    DEPLOYMENT,
    EXPIRED,
    INCONSISTENT,
    MALFORMED,
    MISSING,
    OVERSIZED,
    ROLLBACK,
    TAMPERED,
    THRESHOLD,
    TRUNCATED,
    UNKNOWN_KEY,
    UNSIGNED,
    UpdateError,
)
from firmware.update.layout import FLOORS_FILE
from firmware.update.tuf_adapter import MetadataChain

DEPLOYMENT_FIELD = "x-safar-deployment"
KEY_NAMES_FIELD = "x-safar-key-names"
MANIFEST_TARGET = MANIFEST_NAME
# the metadata files of a TUF repository, as refusals name them
ROOT_JSON = f"{Root.type}.json"
TIMESTAMP_JSON = f"{Timestamp.type}.json"
SNAPSHOT_JSON = f"{Snapshot.type}.json"
TARGETS_JSON = f"{Targets.type}.json"
# No metadata file of a Safar repository comes near this; anything bigger is refused unread.
MAX_METADATA_BYTES = 1 << 20
# How many new root versions one install may walk through.
MAX_ROOT_STEPS = 64
UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


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
        """The floors as the JSON kept in the state directory."""
        return (json.dumps({"list_version": self.list_version,
                            "time_floor": self.time_floor.isoformat()}, sort_keys=True) + "\n").encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Floors:
        """Floors from their file; UpdateError when it is damaged (the other copy is read too)."""
        try:
            raw = untrusted_json.loads(data, max_bytes=4096)  # a damaged file may nest deep
            return cls(int(raw["list_version"]), as_utc(dt.datetime.fromisoformat(raw["time_floor"])))
        except (ValueError, KeyError, TypeError) as e:
            raise UpdateError(MALFORMED, f"the floors file is unreadable: {e}", FLOORS_FILE) from None

    def raised(self, list_version: int, time_floor: dt.datetime) -> Floors:
        """The floors after accepting a list: never lower than before."""
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
    """The deployment a root names: a list signed for another deployment is refused."""
    value = root.unrecognized_fields.get(DEPLOYMENT_FIELD)
    if not isinstance(value, str) or not value:
        raise UpdateError(DEPLOYMENT, f"root version {root.version} names no deployment "
                          f"(field {DEPLOYMENT_FIELD})", ROOT_JSON)
    return value


def key_names(root: Root) -> dict[str, str]:
    """keyid -> the human name recorded in the root (e.g. 'border'), where there is one."""
    names = root.unrecognized_fields.get(KEY_NAMES_FIELD)
    if not isinstance(names, dict):
        return {}
    return {str(k): str(v) for k, v in names.items()}


def describe_keys(root: Root, keyids: list[str] | dict[str, Any]) -> list[str]:
    """Key ids as their holders' names, for messages a person reads."""
    names = key_names(root)
    return sorted(f"{names[k]} ({k[:8]})" if k in names else k[:16] for k in keyids)


def load_trusted_root(data: bytes) -> Root:
    """A root the kiosk is asked to trust: it must be signed by a threshold of its own
    root keys and name a deployment. Used by ``provision``."""
    _check_size(data, ROOT_JSON)
    try:
        root = MetadataChain(data).root
    except tuf_exc.UnsignedMetadataError:
        raise UpdateError(THRESHOLD, "the root is not signed by a threshold of its own root keys",
                          ROOT_JSON) from None
    except tuf_exc.RepositoryError as e:
        raise UpdateError(MALFORMED, f"the root is not valid TUF root metadata: {e}", ROOT_JSON) from None
    deployment_of(root)
    return root


def explain_signatures(delegator: Root, role: str, data: bytes, file: str) -> UpdateError:
    """Why ``data`` does not carry a threshold of ``role``'s keys, as the most specific error."""
    try:
        md = Metadata.from_bytes(data)
    except DeserializationError as e:
        return UpdateError(MALFORMED, f"{file} is not valid TUF metadata: {e}", file)
    return _signature_refusal(delegator, role, md.signed_bytes, md.signatures, file)


def _signature_refusal(delegator: Root, role: str, signed_bytes: bytes, signatures: dict[str, Signature],
                       file: str) -> UpdateError:
    """Unsigned, signed by strangers, a trusted signature that fails, or too few: callers act on which."""
    try:
        result = delegator.get_verification_result(role, signed_bytes, signatures)
        trusted_ids = set(delegator.get_delegated_role(role).keyids)
    except ValueError as e:
        return UpdateError(MALFORMED, str(e), file)
    if not signatures:
        return UpdateError(UNSIGNED, f"{file} carries no signatures", file)
    known = [k for k in signatures if k in trusted_ids]
    if not known:
        return UpdateError(UNKNOWN_KEY, f"{file} is signed only by keys this kiosk does not trust for the "
                           f"{role} role ({', '.join(k[:16] for k in signatures)})", file)
    bad = [k for k in known if k not in result.signed]
    if bad:
        return UpdateError(TAMPERED, f"the signature of {', '.join(describe_keys(delegator, bad))} on {file} "
                           "does not verify: the file was changed after signing", file)
    return UpdateError(THRESHOLD, f"{file} is signed by {len(result.signed)} of the {result.threshold} "
                       f"{role} keys required ({', '.join(describe_keys(delegator, result.signed)) or 'none'})",
                       file)


def _check_size(data: bytes, file: str, limit: int = MAX_METADATA_BYTES) -> None:
    if len(data) > limit:
        raise UpdateError(OVERSIZED, f"{file} is {len(data)} bytes, more than the limit of {limit}", file)


class TargetCheck:
    """Length and sha256 of one target file, fed in chunks; refuses as soon as it is too long."""

    def __init__(self, name: str, info: TargetFile) -> None:
        self.name = name
        self.length = info.length
        want = info.hashes.get("sha256")
        if want is None:
            raise UpdateError(MALFORMED, f"the signed targets give no sha256 for {name}", TARGETS_JSON)
        self.want = want
        self.seen = 0
        self._hash = hashlib.sha256()

    def update(self, chunk: bytes) -> None:
        """Counts a chunk and hashes it; refuses at once a target longer than signed."""
        self.seen += len(chunk)
        if self.seen > self.length:
            raise UpdateError(OVERSIZED, f"{self.name} is longer than the {self.length} bytes signed for it",
                              self.name)
        self._hash.update(chunk)

    def finish(self) -> None:
        """Refuses a target shorter than signed or whose hash differs."""
        if self.seen < self.length:
            raise UpdateError(TRUNCATED, f"{self.name} is {self.seen} bytes, {self.length} were signed "
                              "(truncated)", self.name)
        if not hmac.compare_digest(self._hash.hexdigest(), self.want):
            raise UpdateError(TAMPERED, f"{self.name} does not match its signed sha256 (changed after signing)",
                              self.name)

    @classmethod
    def of_bytes(cls, name: str, info: TargetFile, data: bytes) -> None:
        """Checks a whole target held in memory against its signed length and hash."""
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
    reference_time: dt.datetime
    clock_behind: bool
    timestamp_expires: dt.datetime

    @property
    def list_version(self) -> int:
        """The list's version, the targets role's version: what the floors compare."""
        return self.targets.version

    @property
    def manifest_sha256(self) -> str:
        """The signed manifest's hash, which the audit log records."""
        return hashlib.sha256(self.manifest_bytes).hexdigest()

    @property
    def time_floor(self) -> dt.datetime:
        """What this list proves about the time: it cannot be earlier than its list date."""
        return as_utc(self.manifest.list_date)

    def target(self, name: str) -> TargetFile:
        """The signed length and hashes of target ``name``; UpdateError when it was not signed."""
        info = self.targets.targets.get(name)
        if info is None:
            raise UpdateError(MISSING, f"{name} is not among the signed targets", name)
        return info

    def checker(self, name: str) -> TargetCheck:
        """A check to stream target ``name`` through while it is copied."""
        return TargetCheck(name, self.target(name))

    def files(self) -> list[str]:
        """The target files to fetch besides the manifest, in manifest order."""
        return [f.file for f in self.manifest.sets]


def verify_release(trusted_root: bytes, meta: RepositoryMetadata, manifest_bytes: bytes, floors: Floors,
                   clock: dt.datetime | dt.date | None = None, *, polled: bool = False) -> Release:
    """The whole trust decision for one repository, as a pure function.

    ``trusted_root``: the kiosk's root.json; ``meta``: the repository's metadata files;
    ``manifest_bytes``: its ``targets/manifest.json`` (checked against the signed
    targets); ``floors``: the kiosk's version and time floors; ``clock``: the kiosk's
    clock (may be wrong); ``polled``: the repository is a server the kiosk polls, where
    freshness is the point, so an expired timestamp is refused (offline sources: waived,
    the list's own validity rules). Returns a ``Release`` whose filter files the caller
    still checks with ``Release.checker`` while copying them.

    Raises:
        UpdateError: the repository is refused; ``code`` says why (docs/trust.md §5).
    """
    time = _ReferenceTime(as_utc(clock), floors.time_floor)
    chain = _trusted_chain(trusted_root, time.reference)
    deployment = deployment_of(chain.root)
    newest_root = _load_root_versions(chain, meta.roots, deployment)
    _load_timestamp(chain, meta.timestamp, time, polled)
    _load_snapshot(chain, meta.snapshot, time)
    targets = _load_targets(chain, meta.targets, time)
    _check_targets(targets, deployment, floors)
    manifest = _signed_manifest(targets, manifest_bytes, deployment, "signed")
    _check_list_current(manifest, time)
    root_bytes = trusted_root if newest_root is None else newest_root
    return Release(deployment=deployment, root=chain.root, root_bytes=root_bytes,
                   root_updated=newest_root is not None, targets=targets, targets_bytes=meta.targets,
                   timestamp_bytes=meta.timestamp, snapshot_bytes=meta.snapshot, manifest=manifest,
                   manifest_bytes=manifest_bytes, signed_by=_targets_signers(chain.root, meta.targets),
                   reference_time=time.reference, clock_behind=time.clock_behind,
                   timestamp_expires=chain.timestamp.expires)


def timestamp_freshness(timestamp_bytes: bytes, floors: Floors, clock: dt.datetime | dt.date | None,
                        poll_period: dt.timedelta) -> str | None:
    """A poll that finds the very timestamp it installed with (verified then) still judges its
    expiry: a mirror replaying it must not freeze the kiosk. Returns ``poll_warning``'s warning.

    Raises:
        UpdateError: ``EXPIRED``, the timestamp ran out (or ``MALFORMED``, it is unreadable).
    """
    time = _ReferenceTime(as_utc(clock), floors.time_floor)
    try:
        timestamp = Metadata[Timestamp].from_bytes(timestamp_bytes).signed
    except DeserializationError as e:
        raise UpdateError(MALFORMED, f"{TIMESTAMP_JSON} is not valid TUF metadata: {e}", TIMESTAMP_JSON) from None
    if timestamp.is_expired(time.reference):
        raise UpdateError(EXPIRED, _stale_timestamp(timestamp.expires, time), TIMESTAMP_JSON)
    return poll_warning(timestamp.expires, time.reference, poll_period)


def poll_warning(timestamp_expires: dt.datetime, reference: dt.datetime, poll_period: dt.timedelta) -> str | None:
    """Said before the refusal: a timestamp that runs out before the next poll is not being re-signed."""
    if timestamp_expires - reference > poll_period:  # expired at the next poll too (TUF: at its expiry)
        return None
    return (f"the repository's timestamp expires on {timestamp_expires.strftime('%Y-%m-%d %H:%M')} UTC, "
            "before the next poll: the server is not re-signing it ('safar bundle refresh-timestamp')")


def _stale_timestamp(expires: dt.datetime, time: _ReferenceTime) -> str:
    return (f"the server's timestamp expired on {expires.date().isoformat()} (checked at {time.described()}): "
            "it is not being re-signed, or a mirror is holding back newer lists")


@dataclass(frozen=True)
class _ReferenceTime:
    """The kiosk's clock and the moment every expiry is judged at: it has no RTC, so never
    earlier than the time floor."""

    clock: dt.datetime
    floor: dt.datetime

    @property
    def reference(self) -> dt.datetime:
        return max(self.clock, self.floor)

    @property
    def clock_behind(self) -> bool:
        return self.clock < self.floor

    def described(self) -> str:
        return f"{self.reference.date().isoformat()}{', the time floor' if self.clock_behind else ''}"


def _trusted_chain(trusted_root: bytes, reference: dt.datetime | None = None) -> MetadataChain:
    """The kiosk's own root starts the chain; if it does not load, no repository can be judged."""
    try:
        return MetadataChain(trusted_root, reference)
    except tuf_exc.RepositoryError as e:
        raise UpdateError(MALFORMED, f"the kiosk's trusted root is invalid: {e}", ROOT_JSON) from None


def _load_root_versions(chain: MetadataChain, roots: Mapping[int, bytes], deployment: str) -> bytes | None:
    """Keys rotate without reflashing: walk N+1, N+2, ... (at most ``MAX_ROOT_STEPS``) up to the
    first missing version. Returns the newest root's bytes, which the kiosk keeps after a
    successful install, or None when there is no newer root."""
    newest = None
    first = chain.root.version + 1
    for version in range(first, first + MAX_ROOT_STEPS):
        data = roots.get(version)
        if data is None:
            break
        _load_root_version(chain, version, data, deployment)
        newest = data
    return newest


def _load_root_version(chain: MetadataChain, version: int, data: bytes, deployment: str) -> None:
    """One step of the root chain: a threshold of the previous root's keys and of its own, and
    the same deployment (new keys must not move a kiosk to another deployment)."""
    file = f"{version}.root.json"
    _check_size(data, file)
    previous = chain.root
    try:
        new_root = chain.load_root(data)
    except tuf_exc.UnsignedMetadataError:
        raise _why_root_unsigned(previous, version, data, file) from None
    except tuf_exc.RepositoryError as e:
        raise _tuf_error(e, file) from None
    if deployment_of(new_root) != deployment:
        raise UpdateError(DEPLOYMENT, f"root version {version} is for deployment "
                          f"{deployment_of(new_root)!r}, this kiosk is {deployment!r}", file)


def _load_timestamp(chain: MetadataChain, data: bytes, time: _ReferenceTime, polled: bool) -> None:
    """The repository's freshest statement (publish key), its expiry judged only when ``polled``.
    An expired final root stops every install until a newer root version arrives; said
    before tuf would say it less clearly."""
    _check_size(data, TIMESTAMP_JSON)
    root = chain.root
    if root.is_expired(time.reference):
        raise UpdateError(EXPIRED, f"the trusted root (version {root.version}) expired on "
                          f"{root.expires.date().isoformat()}; a newer root version is needed", ROOT_JSON)
    try:
        chain.load_timestamp(data, judge_expiry=polled)
    except tuf_exc.ExpiredMetadataError:
        raise UpdateError(EXPIRED, _stale_timestamp(chain.timestamp.expires, time), TIMESTAMP_JSON) from None
    except tuf_exc.RepositoryError as e:
        raise _refusal(e, chain, Timestamp.type, data, time) from None


def _load_snapshot(chain: MetadataChain, data: bytes, time: _ReferenceTime) -> None:
    """The snapshot the timestamp binds, signed by the publish key: it pins the targets version."""
    _check_size(data, SNAPSHOT_JSON)
    _check_signed_length(data, chain.timestamp.snapshot_meta.length, SNAPSHOT_JSON)
    try:
        chain.load_snapshot(data)
    except tuf_exc.RepositoryError as e:
        raise _refusal(e, chain, Snapshot.type, data, time) from None


def _load_targets(chain: MetadataChain, data: bytes, time: _ReferenceTime) -> Targets:
    """The targets the snapshot binds: signed by a threshold of the list signers' keys."""
    _check_size(data, TARGETS_JSON)
    info = chain.snapshot.meta.get(TARGETS_JSON)
    _check_signed_length(data, info.length if info else None, TARGETS_JSON)
    try:
        return chain.load_targets(data)
    except tuf_exc.RepositoryError as e:
        raise _refusal(e, chain, Targets.type, data, time) from None


def _check_targets(targets: Targets, deployment: str, floors: Floors) -> None:
    """Signed targets still belong to this deployment and must not roll the kiosk back."""
    named = targets.unrecognized_fields.get(DEPLOYMENT_FIELD)
    if named != deployment:
        raise UpdateError(DEPLOYMENT, f"the targets are for deployment {named!r}, this kiosk is {deployment!r}",
                          TARGETS_JSON)
    if targets.version < floors.list_version:
        raise UpdateError(ROLLBACK, f"list version {targets.version} is older than version "
                          f"{floors.list_version} already installed here", TARGETS_JSON)


def _check_list_current(manifest: Manifest, time: _ReferenceTime) -> None:
    """A list is valid through its ``valid_until`` day (UTC), judged at the reference time."""
    if time.reference.date() > manifest.valid_until:
        raise UpdateError(EXPIRED, f"the list of {manifest.list_date.isoformat()} expired on "
                          f"{manifest.valid_until.isoformat()}", MANIFEST_TARGET)


def _targets_signers(root: Root, targets_bytes: bytes) -> list[str]:
    """Who vouched for the list, by name (the audit log and the service screen show it)."""
    md = Metadata[Targets].from_bytes(targets_bytes)
    return describe_keys(root, root.get_verification_result(Targets.type, md.signed_bytes, md.signatures).signed)


def _refusal(e: tuf_exc.RepositoryError, chain: MetadataChain, role: str, data: bytes,
             time: _ReferenceTime) -> UpdateError:
    """tuf's refusal of a top-level role's metadata as the most specific ``UpdateError``."""
    file = f"{role}.json"
    if isinstance(e, tuf_exc.UnsignedMetadataError):
        return explain_signatures(chain.root, role, data, file)
    if isinstance(e, tuf_exc.ExpiredMetadataError):
        return UpdateError(EXPIRED, f"the signed {role} metadata has expired (checked at {time.described()})", file)
    return _tuf_error(e, file)


def _tuf_error(e: tuf_exc.RepositoryError, file: str) -> UpdateError:
    """Callers act on the code, so each kind of tuf refusal gets its own."""
    if isinstance(e, tuf_exc.LengthOrHashMismatchError):
        return UpdateError(TAMPERED, f"{file} does not match the length and hash signed for it: {e}", file)
    if isinstance(e, tuf_exc.BadVersionNumberError):
        return UpdateError(INCONSISTENT, f"{e}", file)
    if isinstance(e, DeserializationError):
        return UpdateError(MALFORMED, f"{file} is not valid TUF metadata: {e}", file)
    return UpdateError(MALFORMED, f"{file}: {e}", file)


def _why_root_unsigned(previous: Root, version: int, data: bytes, file: str) -> UpdateError:
    """Whose threshold a new root version lacks: the previous root's keys, or its own."""
    try:
        md = Metadata[Root].from_bytes(data)
    except DeserializationError as e:
        return UpdateError(MALFORMED, f"{file} is not valid TUF metadata: {e}", file)
    signed_bytes = md.signed_bytes  # canonical JSON, computed once for every check below
    if not previous.get_verification_result(Root.type, signed_bytes, md.signatures):
        return _signature_refusal(previous, Root.type, signed_bytes, md.signatures, file)
    err = _signature_refusal(md.signed, Root.type, signed_bytes, md.signatures, file)
    err.reason = f"root version {version} is not signed by a threshold of its own keys: {err.reason}"
    return err


def _check_signed_length(data: bytes, length: int | None, file: str) -> None:
    """Before tuf's hash check: a cut or padded file is then called what it is, not tampered."""
    if length is None:
        return
    if len(data) < length:
        raise UpdateError(TRUNCATED, f"{file} is {len(data)} bytes, {length} were signed (truncated)", file)
    if len(data) > length:
        raise UpdateError(OVERSIZED, f"{file} is {len(data)} bytes, {length} were signed", file)


def _signed_manifest(targets: Targets, manifest_bytes: bytes, deployment: str, described_as: str) -> Manifest:
    """The manifest these targets sign, parsed and bound to them. ``described_as`` ("signed",
    "installed") names it in the refusal of an invalid one."""
    info = targets.targets.get(MANIFEST_TARGET)
    if info is None:
        raise UpdateError(MISSING, f"{MANIFEST_TARGET} is not among the signed targets", TARGETS_JSON)
    TargetCheck.of_bytes(MANIFEST_TARGET, info, manifest_bytes)
    try:
        manifest = parse_manifest(manifest_bytes)
    except BundleError as e:
        raise UpdateError(MALFORMED, f"the {described_as} manifest is invalid: {e}", MANIFEST_TARGET) from None
    check_manifest_binding(manifest, targets, deployment)
    return manifest


def check_manifest_binding(manifest: Manifest, targets: Targets, deployment: str) -> None:
    """The manifest must belong to these targets: same deployment, same version, every filter signed."""
    if manifest.deployment != deployment:
        raise UpdateError(DEPLOYMENT, f"the list is for deployment {manifest.deployment!r}, this kiosk is "
                          f"{deployment!r}", MANIFEST_TARGET)
    if manifest.list_version != targets.version:
        raise UpdateError(INCONSISTENT, f"manifest list version {manifest.list_version} differs from the "
                          f"signed targets version {targets.version}", MANIFEST_TARGET)
    for entry in manifest.sets:
        info = targets.targets.get(entry.file)
        if info is None:
            raise UpdateError(MISSING, f"{entry.file} is in the manifest but not among the signed targets",
                              entry.file)
        if info.length != entry.compressed_size:
            raise UpdateError(INCONSISTENT, f"{entry.file}: the manifest declares {entry.compressed_size} "
                              f"bytes, the signed targets {info.length}", entry.file)


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
    root = _trusted_chain(root_bytes).root
    deployment = deployment_of(root)
    try:
        md = Metadata[Targets].from_bytes(targets_bytes)
    except DeserializationError as e:
        raise UpdateError(MALFORMED, f"{TARGETS_JSON} is not valid TUF metadata: {e}", TARGETS_JSON) from None
    if md.signed.type != Targets.type:
        raise UpdateError(MALFORMED, f"{TARGETS_JSON} is not targets metadata", TARGETS_JSON)
    signed_bytes = md.signed_bytes
    result = root.get_verification_result(Targets.type, signed_bytes, md.signatures)
    if not result:
        raise _signature_refusal(root, Targets.type, signed_bytes, md.signatures, TARGETS_JSON)
    targets = md.signed
    if targets.unrecognized_fields.get(DEPLOYMENT_FIELD) != deployment:
        raise UpdateError(DEPLOYMENT, "the installed targets name another deployment", TARGETS_JSON)
    manifest = _signed_manifest(targets, manifest_bytes, deployment, "installed")
    return StoredList(deployment, targets, manifest, describe_keys(root, result.signed))


def summary(release: Release) -> Mapping[str, Any]:
    """JSON-ready facts about a verified release (no list content)."""
    return {"deployment": release.deployment, "list_version": release.list_version,
            "list_date": release.manifest.list_date.isoformat(),
            "valid_until": release.manifest.valid_until.isoformat(), "root_version": release.root.version,
            "signed_by": release.signed_by, "clock_behind": release.clock_behind}
