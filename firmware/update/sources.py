"""Where lists come from: a USB stick's ``SAFAR-LISTS/``, a web server the kiosk polls.

Both end in ``firmware.update.install``, which verifies everything again; these
functions only find and fetch. The HTTP fetcher follows python-tuf ngclient's order:
timestamp, new root versions, snapshot, targets and manifest are fetched with size caps
and verified (``trust.verify_release``, no I/O) *before* any target file is downloaded,
and each target is then downloaded with its signed length as the cap and a deadline
proportional to it (``TransferDeadlines``). Nothing is fetched beyond the timestamp when
the list it names is the one installed; that timestamp's expiry is still judged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from firmware import durable
from firmware.banlist.manifest import MANIFEST_NAME, MAX_MANIFEST_BYTES
from firmware.core.budget import DEFAULT_POSSIBLE, DEFAULT_STRONG
from firmware.deadline import Deadline
from firmware.update.audit import audit, audit_entries
from firmware.update.errors import IO, MISSING, OVERSIZED, TAMPERED, TRUNCATED, UpdateError
from firmware.update.installer import InstallResult, install
from firmware.update.layout import StateLayout
from firmware.update.provisioning import read_floors, trusted_root_bytes
from firmware.update.repository import (
    METADATA,
    SNAPSHOT,
    TARGETS,
    TARGETS_FILE,
    TIMESTAMP,
    is_repository,
    root_file,
)
from firmware.update.trust import (
    MAX_METADATA_BYTES,
    MAX_ROOT_STEPS,
    RepositoryMetadata,
    as_utc,
    load_trusted_root,
    poll_warning,
    timestamp_freshness,
    verify_release,
)
from firmware.usb import USB_FOLDER, on_mounted_sticks

HTTP_TIMEOUT = 30.0
CHUNK = 1 << 16
# how often a kiosk is expected to poll (a systemd timer): a timestamp running out sooner is warned about
DEFAULT_POLL_PERIOD = dt.timedelta(days=1)


# ---------------------------------------------------------------- USB


def usb_repositories(root: Path = Path("/")) -> list[Path]:
    """``SAFAR-LISTS/`` repositories on mounted sticks (see ``firmware.usb``)."""
    return [c for c in on_mounted_sticks(USB_FOLDER, root) if is_repository(c)]


def install_from_usb(state_dir: Path | str, root: Path = Path("/"),
                     now: dt.datetime | dt.date | None = None,
                     false_alarm_limits: tuple[float, float] = (DEFAULT_STRONG, DEFAULT_POSSIBLE),
                     ) -> list[InstallResult | UpdateError]:
    """Tries every stick's repository, newest list last wins; each outcome is returned (and audited)."""
    outcomes: list[InstallResult | UpdateError] = []
    for repo in usb_repositories(root):
        try:
            outcomes.append(install(state_dir, repo, now, source_kind="usb", false_alarm_limits=false_alarm_limits))
        except UpdateError as e:
            outcomes.append(e)
    return outcomes


# ---------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class TransferDeadlines:
    """How long one file may take in all: ``floor`` seconds plus its length (the signed one,
    or the size cap) at ``min_rate`` bytes a second, the slowest link a kiosk is expected on."""

    floor: float = 60.0
    min_rate: float = 8192.0

    def for_length(self, length: int) -> Deadline:
        """The deadline for a file of ``length`` bytes."""
        return Deadline(self.floor + length / self.min_rate)


def _body(url: str, limit: int, timeout: float, deadline: Deadline, name: str, too_long: str) -> Iterator[bytes]:
    """The body in chunks, at most ``limit`` bytes, all of it before ``deadline``.

    Raises:
        UpdateError: ``MISSING`` (HTTP 404), ``OVERSIZED`` (``too_long`` says why), ``IO``
        (any other failure, and a deadline passed).
    """
    try:
        with urllib.request.urlopen(url, timeout=min(timeout, max(deadline.remaining(), 0.01))) as resp:
            seen = 0
            # read1: one socket read at most, so a trickle cannot keep one call waiting past the deadline
            while chunk := resp.read1(min(CHUNK, limit + 1 - seen)):
                seen += len(chunk)
                if seen > limit:
                    raise UpdateError(OVERSIZED, too_long, name)
                if deadline.expired():
                    raise UpdateError(IO, f"{name}: not received within {deadline.seconds:.1f} s "
                                      "(the server is too slow)", name)
                yield chunk
    except urllib.error.HTTPError as e:
        raise UpdateError(MISSING if e.code == 404 else IO, f"{name}: HTTP {e.code}", name) from None
    except (urllib.error.URLError, OSError) as e:
        raise UpdateError(IO, f"{name}: cannot fetch ({getattr(e, 'reason', e)})", name) from None


def _get(url: str, limit: int, timeout: float, deadlines: TransferDeadlines, name: str) -> bytes | None:
    """The body, at most ``limit`` bytes; None on 404."""
    try:
        return b"".join(_body(url, limit, timeout, deadlines.for_length(limit), name,
                              f"{name} is larger than the limit of {limit} bytes"))
    except UpdateError as e:
        if e.code == MISSING:
            return None
        raise


def _download(url: str, dest: Path, length: int, sha256: str, timeout: float, deadlines: TransferDeadlines,
              name: str) -> None:
    """Streams a target to ``dest`` reading at most length + 1 bytes; checks the signed sha256."""
    digest = hashlib.sha256()
    seen = 0
    tmp = dest.with_name(dest.name + ".part")
    with open(tmp, "wb") as out:
        for chunk in _body(url, length, timeout, deadlines.for_length(length), name,
                           f"{name} is longer than the {length} bytes signed for it"):
            seen += len(chunk)
            digest.update(chunk)
            out.write(chunk)
    if seen < length:
        raise UpdateError(TRUNCATED, f"{name} is {seen} bytes, {length} were signed (truncated)", name)
    if digest.hexdigest() != sha256:
        raise UpdateError(TAMPERED, f"{name} does not match its signed sha256", name)
    durable.replace(tmp, dest)


@dataclass
class PollResult:
    """``action``: 'unchanged' (nothing new on the server), or the install's action;
    ``warning``: the server's timestamp runs out before the next poll (``trust.poll_warning``)."""

    action: str
    list_version: int | None
    install: InstallResult | None = None
    warning: str | None = None


def poll_http(state_dir: Path | str, base_url: str, cache_dir: Path | str,
              now: dt.datetime | dt.date | None = None, timeout: float = HTTP_TIMEOUT,
              false_alarm_limits: tuple[float, float] = (DEFAULT_STRONG, DEFAULT_POSSIBLE), *,
              poll_period: dt.timedelta = DEFAULT_POLL_PERIOD,
              deadlines: TransferDeadlines = TransferDeadlines()) -> PollResult:
    """Checks a web repository (``BASE/metadata/…``, ``BASE/targets/…``) and installs a newer list.

    The server's timestamp must be current (``verify_release(polled=True)``), even when it
    is the one installed: a mirror replaying it cannot freeze the kiosk. ``poll_period``:
    how often this kiosk polls (a timestamp running out sooner is warned about);
    ``deadlines``: how long each file may take in all. Raises ``UpdateError`` for anything
    refused (audited); the installed list stays. ``cache_dir`` holds the download and is
    removed afterwards."""
    layout = StateLayout(state_dir)
    try:
        return _poll_http(layout, base_url, Path(cache_dir), now, timeout, deadlines, false_alarm_limits,
                          poll_period)
    except UpdateError as e:
        last = audit_entries(state_dir, 1)
        repeated = bool(last) and last[0].get("action") == "poll" and \
            (last[0].get("code"), last[0].get("file")) == (e.code, e.file)
        # an unreachable server, or the same refusal as last poll, is not worth a line every poll
        if e.code != IO and not repeated:
            audit(layout, as_utc(now), "poll", "refused", code=e.code, reason=e.reason, file=e.file, source="http")
        raise


def _poll_http(layout: StateLayout, base_url: str, cache: Path, now: dt.datetime | dt.date | None,
               timeout: float, deadlines: TransferDeadlines, limits: tuple[float, float],
               poll_period: dt.timedelta) -> PollResult:
    base = base_url.rstrip("/") + "/"
    clock = as_utc(now)
    trusted = trusted_root_bytes(layout)
    root = load_trusted_root(trusted)

    def get(path: str, limit: int = MAX_METADATA_BYTES) -> bytes | None:
        return _get(urllib.parse.urljoin(base, path), limit, timeout, deadlines, path.rsplit("/", 1)[-1])

    def need(path: str, limit: int = MAX_METADATA_BYTES) -> bytes:
        data = get(path, limit)
        if data is None:
            raise UpdateError(MISSING, f"{path} is missing on the server", path)
        return data

    timestamp = get(f"{METADATA}/{TIMESTAMP}")
    if timestamp is None:
        raise UpdateError(MISSING, f"no {METADATA}/{TIMESTAMP} at {base}", TIMESTAMP)
    cur = layout.current
    floors = read_floors(layout)
    stored_timestamp = layout.stored_metadata(cur, TIMESTAMP)
    if cur.is_symlink() and stored_timestamp.is_file() and stored_timestamp.read_bytes() == timestamp:
        return PollResult("unchanged", None, warning=timestamp_freshness(timestamp, floors, clock, poll_period))
    roots: dict[int, bytes] = {}
    for version in range(root.version + 1, root.version + 1 + MAX_ROOT_STEPS):
        data = get(f"{METADATA}/{root_file(version)}")
        if data is None:
            break
        roots[version] = data
    meta = RepositoryMetadata(timestamp=timestamp, snapshot=need(f"{METADATA}/{SNAPSHOT}"),
                              targets=need(f"{METADATA}/{TARGETS_FILE}"), roots=roots)
    manifest = need(f"{TARGETS}/{MANIFEST_NAME}", MAX_MANIFEST_BYTES)
    release = verify_release(trusted, meta, manifest, floors, clock, polled=True)  # refuse before downloading
    warning = poll_warning(release.timestamp_expires, release.reference_time, poll_period)
    if cur.is_symlink() and (cur / MANIFEST_NAME).is_file() and \
            hashlib.sha256((cur / MANIFEST_NAME).read_bytes()).hexdigest() == release.manifest_sha256:
        return PollResult("unchanged", release.list_version, warning=warning)
    # a repository in the cache, then the same install as from a stick
    if cache.exists():
        shutil.rmtree(cache)
    (cache / METADATA).mkdir(parents=True)
    (cache / TARGETS).mkdir()
    for version, data in roots.items():
        (cache / METADATA / root_file(version)).write_bytes(data)
    (cache / METADATA / TIMESTAMP).write_bytes(meta.timestamp)
    (cache / METADATA / SNAPSHOT).write_bytes(meta.snapshot)
    (cache / METADATA / TARGETS_FILE).write_bytes(meta.targets)
    (cache / TARGETS / MANIFEST_NAME).write_bytes(manifest)
    for name in release.files():
        info = release.target(name)
        _download(urllib.parse.urljoin(base, f"{TARGETS}/" + urllib.parse.quote(name)), cache / TARGETS / name,
                  info.length, info.hashes["sha256"], timeout, deadlines, name)
    try:
        result = install(layout.root, cache, now, source_kind="http", false_alarm_limits=limits)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return PollResult(result.action, result.list_version, result, warning)
