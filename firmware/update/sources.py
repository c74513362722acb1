"""Where lists come from: a USB stick's ``SAFAR-LISTS/``, a web server the kiosk polls.

Both end in ``firmware.update.install``, which verifies everything again; these
functions only find and fetch. The HTTP fetcher follows python-tuf ngclient's order:
timestamp, new root versions, snapshot, targets and manifest are fetched with size caps
and verified (``trust.verify_release``, no I/O) *before* any target file is downloaded,
and each target is then downloaded with its signed length as the cap. Nothing is fetched
beyond the timestamp when the list it names is the one installed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from firmware.banlist.manifest import MANIFEST_NAME, MAX_MANIFEST_BYTES
from firmware.core.budget import DEFAULT_POSSIBLE, DEFAULT_STRONG
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
    verify_release,
)
from firmware.usb import USB_FOLDER, on_mounted_sticks

HTTP_TIMEOUT = 30.0
CHUNK = 1 << 16


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


def _get(url: str, limit: int, timeout: float, name: str) -> bytes | None:
    """The body, at most ``limit`` bytes; None on 404."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            data: bytes = resp.read(limit + 1)
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise UpdateError(IO, f"{name}: HTTP {e.code}", name) from None
    except (urllib.error.URLError, OSError) as e:
        raise UpdateError(IO, f"{name}: cannot fetch ({getattr(e, 'reason', e)})", name) from None
    if len(data) > limit:
        raise UpdateError(OVERSIZED, f"{name} is larger than the limit of {limit} bytes", name)
    return data


def _download(url: str, dest: Path, length: int, sha256: str, timeout: float, name: str) -> None:
    """Streams a target to ``dest`` reading at most length + 1 bytes; checks the signed sha256."""
    digest = hashlib.sha256()
    seen = 0
    tmp = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, open(tmp, "wb") as out:
            while True:
                chunk = resp.read(min(CHUNK, length + 1 - seen))
                if not chunk:
                    break
                seen += len(chunk)
                if seen > length:
                    raise UpdateError(OVERSIZED, f"{name} is longer than the {length} bytes signed for it", name)
                digest.update(chunk)
                out.write(chunk)
    except urllib.error.HTTPError as e:
        raise UpdateError(MISSING if e.code == 404 else IO, f"{name}: HTTP {e.code}", name) from None
    except (urllib.error.URLError, OSError) as e:
        raise UpdateError(IO, f"{name}: cannot fetch ({getattr(e, 'reason', e)})", name) from None
    if seen < length:
        raise UpdateError(TRUNCATED, f"{name} is {seen} bytes, {length} were signed (truncated)", name)
    if digest.hexdigest() != sha256:
        raise UpdateError(TAMPERED, f"{name} does not match its signed sha256", name)
    tmp.replace(dest)


@dataclass
class PollResult:
    """``action``: 'unchanged' (nothing new on the server), or the install's action."""

    action: str
    list_version: int | None
    install: InstallResult | None = None


def poll_http(state_dir: Path | str, base_url: str, cache_dir: Path | str,
              now: dt.datetime | dt.date | None = None, timeout: float = HTTP_TIMEOUT,
              false_alarm_limits: tuple[float, float] = (DEFAULT_STRONG, DEFAULT_POSSIBLE)) -> PollResult:
    """Checks a web repository (``BASE/metadata/…``, ``BASE/targets/…``) and installs a newer list.

    Raises ``UpdateError`` for anything refused (audited); the installed list stays.
    ``cache_dir`` holds the download and is removed afterwards."""
    layout = StateLayout(state_dir)
    try:
        return _poll_http(layout, base_url, Path(cache_dir), now, timeout, false_alarm_limits)
    except UpdateError as e:
        last = audit_entries(state_dir, 1)
        repeated = bool(last) and last[0].get("action") == "poll" and \
            (last[0].get("code"), last[0].get("file")) == (e.code, e.file)
        # an unreachable server, or the same refusal as last poll, is not worth a line every poll
        if e.code != IO and not repeated:
            audit(layout, as_utc(now), "poll", "refused", code=e.code, reason=e.reason, file=e.file, source="http")
        raise


def _poll_http(layout: StateLayout, base_url: str, cache: Path, now: dt.datetime | dt.date | None,
               timeout: float, limits: tuple[float, float]) -> PollResult:
    base = base_url.rstrip("/") + "/"
    clock = as_utc(now)
    trusted = trusted_root_bytes(layout)
    root = load_trusted_root(trusted)

    def get(path: str, limit: int = MAX_METADATA_BYTES) -> bytes | None:
        return _get(urllib.parse.urljoin(base, path), limit, timeout, path.rsplit("/", 1)[-1])

    def need(path: str, limit: int = MAX_METADATA_BYTES) -> bytes:
        data = get(path, limit)
        if data is None:
            raise UpdateError(MISSING, f"{path} is missing on the server", path)
        return data

    timestamp = get(f"{METADATA}/{TIMESTAMP}")
    if timestamp is None:
        raise UpdateError(MISSING, f"no {METADATA}/{TIMESTAMP} at {base}", TIMESTAMP)
    cur = layout.current
    stored_timestamp = layout.stored_metadata(cur, TIMESTAMP)
    if cur.is_symlink() and stored_timestamp.is_file() and stored_timestamp.read_bytes() == timestamp:
        return PollResult("unchanged", None)
    roots: dict[int, bytes] = {}
    for version in range(root.version + 1, root.version + 1 + MAX_ROOT_STEPS):
        data = get(f"{METADATA}/{root_file(version)}")
        if data is None:
            break
        roots[version] = data
    meta = RepositoryMetadata(timestamp=timestamp, snapshot=need(f"{METADATA}/{SNAPSHOT}"),
                              targets=need(f"{METADATA}/{TARGETS_FILE}"), roots=roots)
    manifest = need(f"{TARGETS}/{MANIFEST_NAME}", MAX_MANIFEST_BYTES)
    release = verify_release(trusted, meta, manifest, read_floors(layout), clock)  # refuse before downloading
    if cur.is_symlink() and (cur / MANIFEST_NAME).is_file() and \
            hashlib.sha256((cur / MANIFEST_NAME).read_bytes()).hexdigest() == release.manifest_sha256:
        return PollResult("unchanged", release.list_version)
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
                  info.length, info.hashes["sha256"], timeout, name)
    try:
        result = install(layout.root, cache, now, source_kind="http", false_alarm_limits=limits)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return PollResult(result.action, result.list_version, result)
