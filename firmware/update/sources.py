"""Where lists come from: a USB stick's ``SAFAR-LISTS/``, a web server the kiosk polls.

Both end in ``firmware.update.install.install``, which verifies everything again; these
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

from firmware.core.budget import DEFAULT_POSSIBLE, DEFAULT_STRONG
from firmware.banlist.manifest import MANIFEST_NAME, MAX_MANIFEST_BYTES
from firmware.update.errors import UpdateError
from firmware.update.install import (
    CURRENT,
    LIST,
    TRUST,
    USB_FOLDER,
    InstallResult,
    audit,
    audit_entries,
    install,
    read_floors,
    trusted_root_bytes,
)
from firmware.update.trust import (
    MAX_METADATA_BYTES,
    MAX_ROOT_STEPS,
    Floors,
    RepositoryMetadata,
    as_utc,
    load_trusted_root,
    verify_release,
)
from firmware.usb import on_mounted_sticks

HTTP_TIMEOUT = 30.0
CHUNK = 1 << 16


# ---------------------------------------------------------------- USB


def usb_repositories(root: Path = Path("/")) -> list[Path]:
    """``SAFAR-LISTS/`` repositories on mounted sticks (see ``firmware.usb``)."""
    return [c for c in on_mounted_sticks(USB_FOLDER, root) if (c / "metadata" / "timestamp.json").is_file()]


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
        raise UpdateError("io", f"{name}: HTTP {e.code}", name) from None
    except (urllib.error.URLError, OSError) as e:
        raise UpdateError("io", f"{name}: cannot fetch ({getattr(e, 'reason', e)})", name) from None
    if len(data) > limit:
        raise UpdateError("oversized", f"{name} is larger than the limit of {limit} bytes", name)
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
                    raise UpdateError("oversized", f"{name} is longer than the {length} bytes signed for it", name)
                digest.update(chunk)
                out.write(chunk)
    except urllib.error.HTTPError as e:
        raise UpdateError("missing" if e.code == 404 else "io", f"{name}: HTTP {e.code}", name) from None
    except (urllib.error.URLError, OSError) as e:
        raise UpdateError("io", f"{name}: cannot fetch ({getattr(e, 'reason', e)})", name) from None
    if seen < length:
        raise UpdateError("truncated", f"{name} is {seen} bytes, {length} were signed (truncated)", name)
    if digest.hexdigest() != sha256:
        raise UpdateError("tampered", f"{name} does not match its signed sha256", name)
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
    try:
        return _poll_http(Path(state_dir), base_url, Path(cache_dir), now, timeout, false_alarm_limits)
    except UpdateError as e:
        last = audit_entries(state_dir, 1)
        repeated = bool(last) and last[0].get("action") == "poll" and last[0].get("reason") == e.reason
        # an unreachable server, or the same refusal as last poll, is not worth a line every poll
        if e.code != "io" and not repeated:
            audit(Path(state_dir), as_utc(now), "poll", "refused", code=e.code, reason=e.reason, file=e.file,
                  source="http")
        raise


def _poll_http(state: Path, base_url: str, cache: Path, now: dt.datetime | dt.date | None,
               timeout: float, limits: tuple[float, float]) -> PollResult:
    base = base_url.rstrip("/") + "/"
    clock = as_utc(now)
    trusted = trusted_root_bytes(state)
    root = load_trusted_root(trusted)
    timestamp = _get(urllib.parse.urljoin(base, "metadata/timestamp.json"), MAX_METADATA_BYTES, timeout,
                     "timestamp.json")
    if timestamp is None:
        raise UpdateError("missing", f"no metadata/timestamp.json at {base}", "timestamp.json")
    cur = state / LIST / CURRENT
    if cur.is_symlink() and (cur / "tuf" / "timestamp.json").is_file() and \
            (cur / "tuf" / "timestamp.json").read_bytes() == timestamp:
        return PollResult("unchanged", None)
    roots: dict[int, bytes] = {}
    for version in range(root.version + 1, root.version + 1 + MAX_ROOT_STEPS):
        data = _get(urllib.parse.urljoin(base, f"metadata/{version}.root.json"), MAX_METADATA_BYTES, timeout,
                    f"{version}.root.json")
        if data is None:
            break
        roots[version] = data

    def need(path: str, limit: int) -> bytes:
        data = _get(urllib.parse.urljoin(base, path), limit, timeout, path.rsplit("/", 1)[-1])
        if data is None:
            raise UpdateError("missing", f"{path} is missing on the server", path)
        return data

    meta = RepositoryMetadata(timestamp=timestamp, snapshot=need("metadata/snapshot.json", MAX_METADATA_BYTES),
                              targets=need("metadata/targets.json", MAX_METADATA_BYTES), roots=roots)
    manifest = need(f"targets/{MANIFEST_NAME}", MAX_MANIFEST_BYTES)
    floors = read_floors(state) if (state / TRUST).is_dir() else Floors()
    release = verify_release(trusted, meta, manifest, floors, clock)  # refuse before downloading the list
    if cur.is_symlink() and (cur / MANIFEST_NAME).is_file() and \
            hashlib.sha256((cur / MANIFEST_NAME).read_bytes()).hexdigest() == release.manifest_sha256:
        return PollResult("unchanged", release.list_version)
    # a repository in the cache, then the same install as from a stick
    if cache.exists():
        shutil.rmtree(cache)
    (cache / "metadata").mkdir(parents=True)
    (cache / "targets").mkdir()
    for version, data in roots.items():
        (cache / "metadata" / f"{version}.root.json").write_bytes(data)
    (cache / "metadata" / "timestamp.json").write_bytes(meta.timestamp)
    (cache / "metadata" / "snapshot.json").write_bytes(meta.snapshot)
    (cache / "metadata" / "targets.json").write_bytes(meta.targets)
    (cache / "targets" / MANIFEST_NAME).write_bytes(manifest)
    for name in release.files():
        info = release.target(name)
        _download(urllib.parse.urljoin(base, "targets/" + urllib.parse.quote(name)), cache / "targets" / name,
                  info.length, info.hashes["sha256"], timeout, name)
    try:
        result = install(state, cache, now, source_kind="http", false_alarm_limits=limits)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return PollResult(result.action, result.list_version, result)
