"""Installing a signed list on the kiosk, atomically, and opening the installed one.

State directory (default ``/var/lib/safar``)::

    trust/root.json        the trusted TUF root (``provision``; newer roots replace it)
    trust/floors.json      version floor and time floor
    list/current           symlink -> v<VERSION>-<RANDOM>/  (the list in use)
    list/previous          symlink -> the last-known-good list before it
    list/v<VERSION>-<RANDOM>/
        manifest.json, *.fps        the expanded list (``firmware.banlist.BanList``)
        tuf/root.json, tuf/targets.json, tuf/snapshot.json, tuf/timestamp.json
        release.json                when and by whom it was installed (no list content)
    list/staging-<RANDOM>/ an install in progress (removed by the next install)
    audit.log              JSON lines: time, action, versions, result, reason
    .lock                  flock held by an install

``install`` verifies everything (``firmware.update.trust``) before it writes anything,
expands into a staging directory, fsyncs, self-tests, renames the directory into place
and swaps the ``current`` symlink with one atomic rename (the commit point). A power cut
anywhere leaves ``current`` at the old list or the new one. ``installed`` is what the
kiosk and diagnostics use. See docs/trust.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from firmware.banlist.banlist import BanList
from firmware.banlist.errors import BOMB, BundleError
from firmware.banlist.manifest import MANIFEST_NAME, MAX_MANIFEST_BYTES
from firmware.banlist.unpack import DEFAULT_MAX_EXPANDED, expand_set
from firmware.core.budget import DEFAULT_POSSIBLE, DEFAULT_STRONG
from firmware.update import durable
from firmware.update.errors import UpdateError
from firmware.update.trust import (
    MAX_METADATA_BYTES,
    MAX_ROOT_STEPS,
    Floors,
    Release,
    RepositoryMetadata,
    as_utc,
    deployment_of,
    load_trusted_root,
    verify_release,
    verify_stored,
)

DEFAULT_STATE = Path("/var/lib/safar")
USB_FOLDER = "SAFAR-LISTS"
TRUST = "trust"
ROOT_FILE = "root.json"
FLOORS_FILE = "floors.json"
LIST = "list"
CURRENT = "current"
PREVIOUS = "previous"
AUDIT = "audit.log"
TUF = "tuf"
RELEASE = "release.json"
CHUNK = 1 << 20
# kept free on the kiosk's storage besides the expanded list
SPACE_MARGIN = 16 << 20


@dataclass
class InstallResult:
    """What ``install`` did: ``action`` is 'installed' or 'unchanged' (that version was already in use)."""

    action: str
    list_version: int
    previous_version: int | None
    list_date: dt.date
    valid_until: dt.date
    root_version: int
    signed_by: list[str]
    directory: Path
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "list_version": self.list_version, "previous_version": self.previous_version,
                "list_date": self.list_date.isoformat(), "valid_until": self.valid_until.isoformat(),
                "root_version": self.root_version, "signed_by": self.signed_by, "warning": self.warning}


@dataclass
class Installed:
    """The kiosk's list: ``banlist`` is an open ``BanList`` when there is a usable one, else None
    and ``reason`` says why in one sentence. ``today`` is the date to judge expiry by
    (``max(clock, time floor)``); ``warning`` reports a clock behind the floor or a fallback
    to the previous list while the list is still usable."""

    banlist: BanList | None
    reason: str | None
    list_version: int | None = None
    list_date: dt.date | None = None
    valid_until: dt.date | None = None
    signed_by: list[str] = field(default_factory=list)
    deployment: str | None = None
    root_version: int | None = None
    today: dt.date | None = None
    clock_behind: bool = False
    warning: str | None = None
    directory: Path | None = None

    def close(self) -> None:
        if self.banlist is not None:
            self.banlist.close()

    def __enter__(self) -> Installed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.banlist is not None, "reason": self.reason, "list_version": self.list_version,
                "list_date": self.list_date.isoformat() if self.list_date else None,
                "valid_until": self.valid_until.isoformat() if self.valid_until else None,
                "signed_by": self.signed_by, "deployment": self.deployment, "root_version": self.root_version,
                "today": self.today.isoformat() if self.today else None, "clock_behind": self.clock_behind,
                "warning": self.warning}


# ---------------------------------------------------------------- small helpers


def _read_capped(path: Path, limit: int, name: str) -> bytes:
    if path.exists() and not path.is_file():  # a FIFO or a device on a stick must not block or flood
        raise UpdateError("malformed", f"{name} is not a regular file", name)
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise UpdateError("missing", f"{name} is missing", name) from None
    except OSError as e:
        raise UpdateError("io", f"cannot read {name}: {e.strerror}", name) from None
    if len(data) > limit:
        raise UpdateError("oversized", f"{name} is larger than the limit of {limit} bytes", name)
    return data


def read_floors(state: Path) -> Floors:
    path = state / TRUST / FLOORS_FILE
    if not path.exists():
        return Floors()
    return Floors.from_bytes(path.read_bytes())


def trusted_root_bytes(state: Path) -> bytes:
    path = state / TRUST / ROOT_FILE
    if not path.exists():
        raise UpdateError("not-provisioned", "this kiosk has no trusted root (trust/root.json); provision it first",
                          ROOT_FILE)
    return _read_capped(path, MAX_METADATA_BYTES, ROOT_FILE)


def audit(state: Path, clock: dt.datetime, action: str, result: str, **fields: Any) -> None:
    """One JSON line; versions, key names, codes and reasons only - never list or passport content."""
    if not state.is_dir():
        return
    entry = {"time": clock.replace(microsecond=0).isoformat(), "action": action, "result": result}
    entry.update({k: v for k, v in fields.items() if v is not None})
    try:
        durable.append_line(state / AUDIT, json.dumps(entry, sort_keys=True))
    except OSError:
        pass  # a full disk must not turn a good install into a failure


@contextlib.contextmanager
def _locked(state: Path) -> Iterator[None]:
    with open(state / ".lock", "a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def find_repository(source: Path) -> Path:
    """The repository in ``source``: itself, or its ``SAFAR-LISTS/`` folder (a USB stick's root)."""
    for cand in (source, source / USB_FOLDER):
        if (cand / "metadata" / "timestamp.json").is_file():
            return cand
    raise UpdateError("missing", f"no Safar list repository (metadata/timestamp.json) in {source}", str(source))


def read_repository(repo: Path, trusted_root_version: int) -> tuple[RepositoryMetadata, bytes]:
    """Reads a repository's metadata and manifest with size caps (the only I/O before verification)."""
    md = repo / "metadata"
    roots: dict[int, bytes] = {}
    for version in range(trusted_root_version + 1, trusted_root_version + 1 + MAX_ROOT_STEPS):
        path = md / f"{version}.root.json"
        if not path.is_file():
            break
        roots[version] = _read_capped(path, MAX_METADATA_BYTES, path.name)
    meta = RepositoryMetadata(
        timestamp=_read_capped(md / "timestamp.json", MAX_METADATA_BYTES, "timestamp.json"),
        snapshot=_read_capped(md / "snapshot.json", MAX_METADATA_BYTES, "snapshot.json"),
        targets=_read_capped(md / "targets.json", MAX_METADATA_BYTES, "targets.json"),
        roots=roots)
    manifest = _read_capped(repo / "targets" / MANIFEST_NAME, MAX_MANIFEST_BYTES, MANIFEST_NAME)
    return meta, manifest


def _check_target_file(path: Path, release: Release, name: str) -> None:
    """Streams a target through its signed length and sha256; reads at most length + 1 bytes."""
    check = release.checker(name)
    if path.exists() and not path.is_file():
        raise UpdateError("malformed", f"{name} is not a regular file", name)
    try:
        with open(path, "rb") as f:
            while True:
                chunk = f.read(min(CHUNK, check.length + 1 - check.seen))
                if not chunk:
                    break
                check.update(chunk)
    except FileNotFoundError:
        raise UpdateError("missing", f"{name} is missing from the repository", name) from None
    except OSError as e:
        raise UpdateError("io", f"cannot read {name}: {e.strerror}", name) from None
    check.finish()


@dataclass
class _Current:
    directory: Path
    list_version: int
    manifest_sha256: str


def _link_target(state: Path, name: str) -> Path | None:
    link = state / LIST / name
    if not link.is_symlink():
        return None
    return state / LIST / os.readlink(link)


def _current(state: Path) -> _Current | None:
    """The list ``current`` points at, if it is intact (quick check: metadata and manifest)."""
    target = _link_target(state, CURRENT)
    if target is None:
        return None
    try:
        manifest_bytes = (target / MANIFEST_NAME).read_bytes()
        stored = verify_stored((target / TUF / ROOT_FILE).read_bytes(), (target / TUF / "targets.json").read_bytes(),
                               manifest_bytes)
    except (OSError, UpdateError):
        return None
    return _Current(target, stored.targets.version, hashlib.sha256(manifest_bytes).hexdigest())


def _collect_garbage(state: Path) -> None:
    """Removes staging leftovers and list directories neither ``current`` nor ``previous`` uses."""
    keep = {p.name for p in (_link_target(state, CURRENT), _link_target(state, PREVIOUS)) if p is not None}
    for entry in (state / LIST).iterdir():
        if entry.name in (CURRENT, PREVIOUS) or entry.name in keep:
            continue
        if entry.is_symlink() or entry.is_file():
            entry.unlink()
        elif entry.is_dir() and (entry.name.startswith("staging-") or entry.name.startswith("v")):
            shutil.rmtree(entry, ignore_errors=True)
    for tmp in (state / TRUST).glob(".*.tmp-*"):
        tmp.unlink()


# ---------------------------------------------------------------- provision


def provision(state_dir: Path | str, root_json_bytes: bytes, *, force: bool = False) -> None:
    """Makes ``root_json_bytes`` the kiosk's trust anchor (the root shipped in the kiosk image).

    The root must be self-signed by a threshold of its root keys and name a deployment.
    Provisioning the same root again does nothing; a different one is refused unless
    ``force`` (re-imaging a kiosk for another deployment)."""
    state = Path(state_dir)
    root = load_trusted_root(root_json_bytes)
    state.mkdir(parents=True, exist_ok=True)
    (state / TRUST).mkdir(exist_ok=True)
    (state / LIST).mkdir(exist_ok=True)
    path = state / TRUST / ROOT_FILE
    if path.exists():
        old = path.read_bytes()
        if old == root_json_bytes:
            return
        if not force:
            try:
                old_root = load_trusted_root(old)
                what = f"deployment {deployment_of(old_root)!r}, root version {old_root.version}"
            except UpdateError:
                what = "unreadable"
            raise UpdateError("provisioned", f"this kiosk already trusts another root ({what}); "
                              "new roots arrive with signed lists, or re-provision with force", ROOT_FILE)
    durable.atomic_write(path, root_json_bytes)
    audit(state, as_utc(None), "provision", "ok", deployment=deployment_of(root), root_version=root.version)


# ---------------------------------------------------------------- install


def install(state_dir: Path | str, source_dir: Path | str, now: dt.datetime | dt.date | None = None, *,
            max_expanded: int = DEFAULT_MAX_EXPANDED, source_kind: str = "directory",
            false_alarm_limits: tuple[float, float] = (DEFAULT_STRONG, DEFAULT_POSSIBLE)) -> InstallResult:
    """Verifies the repository in ``source_dir`` (or its ``SAFAR-LISTS/``) against the kiosk's
    trusted root and floors and installs its list atomically. Raises ``UpdateError`` (the
    installed list untouched) for anything that is not a complete, signed, current list
    for this deployment, or whose per-traveller false-alarm bounds exceed
    ``false_alarm_limits`` (strong, possible): a list the kiosk would not use must not
    replace one it uses. ``now``: the clock (default: the system clock)."""
    state = Path(state_dir)
    clock = as_utc(now)
    if not (state / TRUST / ROOT_FILE).exists():
        raise UpdateError("not-provisioned", "this kiosk has no trusted root (trust/root.json); provision it first",
                          ROOT_FILE)
    (state / LIST).mkdir(exist_ok=True)
    with _locked(state):
        cur = _current(state)
        try:
            result = _install(state, Path(source_dir), clock, max_expanded, cur, source_kind, false_alarm_limits)
        except UpdateError as e:
            audit(state, clock, "install", "refused", code=e.code, reason=e.reason, file=e.file,
                   installed_version=cur.list_version if cur else None, source=source_kind)
            raise
        audit(state, clock, "install", result.action, from_version=result.previous_version,
               to_version=result.list_version, root_version=result.root_version, signed_by=result.signed_by,
               warning=result.warning, source=source_kind)
        return result


def _install(state: Path, source: Path, clock: dt.datetime, max_expanded: int, cur: _Current | None,
             source_kind: str, limits: tuple[float, float]) -> InstallResult:
    trusted = trusted_root_bytes(state)
    trusted_root = load_trusted_root(trusted)
    floors = read_floors(state)
    if cur is not None:
        floors = floors.raised(cur.list_version, floors.time_floor)
    repo = find_repository(source)
    meta, manifest_bytes = read_repository(repo, trusted_root.version)
    release = verify_release(trusted, meta, manifest_bytes, floors, clock)
    man = release.manifest
    warning = None
    if release.clock_behind:
        warning = (f"the clock ({clock.date().isoformat()}) is earlier than the last verified list "
                   f"({floors.time_floor.date().isoformat()}); expiry was checked against the latter")

    def result(action: str, directory: Path) -> InstallResult:
        return InstallResult(action, release.list_version, cur.list_version if cur else None, man.list_date,
                             man.valid_until, release.root.version, release.signed_by, directory, warning)

    if cur is not None and release.list_version == cur.list_version:
        if release.manifest_sha256 == cur.manifest_sha256:
            if release.root_updated:  # a verified newer root is kept even when the list is the same
                durable.atomic_write(state / TRUST / ROOT_FILE, release.root_bytes)
            return result("unchanged", cur.directory)
        raise UpdateError("rollback", f"list version {release.list_version} is already installed with different "
                          "content; a changed list needs a new version number", "targets.json")
    if man.total_size > max_expanded:
        raise UpdateError("oversized", f"the list expands to {man.total_size} bytes, more than this kiosk's limit "
                          f"of {max_expanded}", MANIFEST_NAME)
    # every target file against its signed length and sha256 before anything is written
    for name in release.files():
        _check_target_file(repo / "targets" / name, release, name)
    free = shutil.disk_usage(state / LIST).free
    if free < man.total_size + SPACE_MARGIN:
        raise UpdateError("no-space", f"the list needs {man.total_size} bytes, {free} are free", str(state / LIST))

    _collect_garbage(state)
    lists = state / LIST
    staging = lists / f"staging-{secrets.token_hex(4)}"
    try:
        _stage(staging, repo, release, clock, source_kind, limits)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    final_dir = lists / f"v{release.list_version}-{secrets.token_hex(4)}"
    durable.replace(staging, final_dir)
    durable.fsync_dir(lists)
    if release.root_updated:
        durable.atomic_write(state / TRUST / ROOT_FILE, release.root_bytes)
    if cur is not None:
        durable.atomic_symlink(os.readlink(lists / CURRENT), lists / PREVIOUS)
    durable.atomic_symlink(final_dir.name, lists / CURRENT)  # the commit point
    durable.atomic_write(state / TRUST / FLOORS_FILE,
                         read_floors(state).raised(release.list_version, release.time_floor).to_bytes())
    _collect_garbage(state)
    return result("installed", final_dir)


def _stage(staging: Path, repo: Path, release: Release, clock: dt.datetime, source_kind: str,
           limits: tuple[float, float]) -> None:
    man = release.manifest
    durable.mkdir(staging)
    durable.write_file(staging / MANIFEST_NAME, release.manifest_bytes)
    for entry in man.sets:
        durable.fault_point(f"expand {entry.file}")
        try:
            # expands against the verified manifest: declared sizes cap the output (bombs),
            # and the expanded sha256 must match the signed manifest
            expand_set(repo / "targets" / entry.file, staging / entry.name, entry, man)
        except BundleError as e:
            code = "bomb" if e.code == BOMB else "tampered"
            raise UpdateError(code, f"{entry.file}: {e.reason}", entry.file) from None
    tuf = staging / TUF
    durable.mkdir(tuf)
    for name, data in ((ROOT_FILE, release.root_bytes), ("targets.json", release.targets_bytes),
                       ("snapshot.json", release.snapshot_bytes), ("timestamp.json", release.timestamp_bytes)):
        durable.write_file(tuf / name, data)
    info = {"list_version": release.list_version, "installed_at": clock.replace(microsecond=0).isoformat(),
            "root_version": release.root.version, "signed_by": release.signed_by, "source": source_kind,
            "deployment": release.deployment}
    durable.write_file(staging / RELEASE, (json.dumps(info, indent=2) + "\n").encode())
    durable.fsync_dir(tuf)
    durable.fsync_dir(staging)
    # the same checks ``installed`` will make, on the staged copy
    verify_stored(release.root_bytes, release.targets_bytes, (staging / MANIFEST_NAME).read_bytes())
    try:
        with BanList.open(staging, verify_hashes=False) as banlist:
            problems = banlist.self_test()
            budget = banlist.budget_problem(*limits)
    except BundleError as e:
        raise UpdateError("self-test", f"the staged list does not open: {e}", str(e.file or "")) from None
    if problems:
        raise UpdateError("self-test", "the staged list fails its self-test: " + "; ".join(problems))
    if budget is not None:
        raise UpdateError("budget", budget, MANIFEST_NAME)


# ---------------------------------------------------------------- installed


def installed(state_dir: Path | str = DEFAULT_STATE, now: dt.datetime | dt.date | None = None, *,
              verify_hashes: bool = False) -> Installed:
    """The verified installed list, or the reason there is none.

    Checks the list's stored metadata (threshold of targets signatures under the root it was
    installed with, same deployment as the trusted root), the manifest's signed sha256, the
    filter headers, the canary self-test and expiry against ``max(clock, time floor)``;
    ``verify_hashes`` also re-hashes every filter (seconds for a big list). If the current
    list fails, the previous (last-known-good) one is used and ``warning`` says so."""
    state = Path(state_dir)
    clock = as_utc(now)
    try:
        trusted = load_trusted_root(trusted_root_bytes(state))
        deployment = deployment_of(trusted)
        floors = read_floors(state)
    except UpdateError as e:
        return Installed(None, e.reason, today=clock.date())
    failures: list[str] = []
    for which in (CURRENT, PREVIOUS):
        target = _link_target(state, which)
        if target is None:
            if which == CURRENT:
                return Installed(None, "no list installed", deployment=deployment, today=clock.date())
            continue
        try:
            got = _open_installed(target, deployment, verify_hashes)
        except (UpdateError, BundleError, OSError) as e:
            failures.append(f"the {'newest' if which == CURRENT else 'previous'} installed list failed "
                            f"verification: {e}")
            continue
        banlist, stored_root_version, signed_by = got
        man = banlist.manifest
        floor = max(floors.time_floor, as_utc(man.list_date))
        reference = max(clock, floor)
        info = Installed(banlist, None, man.list_version, man.list_date, man.valid_until, signed_by, deployment,
                         stored_root_version, reference.date(), clock < floor, None, target)
        warnings = list(failures)
        if info.clock_behind:
            warnings.append(f"the clock ({clock.date().isoformat()}) is earlier than the last verified list "
                            f"({floor.date().isoformat()}); dates are judged as of {floor.date().isoformat()}")
        info.warning = "; ".join(warnings) or None
        if reference.date() > man.valid_until:
            banlist.close()
            info.banlist = None
            info.reason = f"the installed list expired on {man.valid_until.isoformat()}"
            if info.clock_behind:
                info.reason += " (the clock is earlier than the last verified list)"
        return info
    return Installed(None, "; ".join(failures) or "no list installed", deployment=deployment, today=clock.date())


def _open_installed(directory: Path, deployment: str, verify_hashes: bool) -> tuple[BanList, int, list[str]]:
    root_bytes = _read_capped(directory / TUF / ROOT_FILE, MAX_METADATA_BYTES, ROOT_FILE)
    stored = verify_stored(root_bytes,
                           _read_capped(directory / TUF / "targets.json", MAX_METADATA_BYTES, "targets.json"),
                           _read_capped(directory / MANIFEST_NAME, MAX_MANIFEST_BYTES, MANIFEST_NAME))
    if stored.deployment != deployment:
        raise UpdateError("deployment", f"it is for deployment {stored.deployment!r}, this kiosk is {deployment!r}")
    root_version = load_trusted_root(root_bytes).version
    banlist = BanList.open(directory, verify_hashes=verify_hashes)
    try:
        if banlist.manifest.raw != stored.manifest.raw:
            raise UpdateError("tampered", "the manifest changed while it was read", MANIFEST_NAME)
        problems = banlist.self_test()
        if problems:
            raise UpdateError("self-test", "self-test failed: " + "; ".join(problems))
    except BaseException:
        banlist.close()
        raise
    return banlist, root_version, stored.signed_by


def audit_entries(state_dir: Path | str, limit: int = 100) -> list[dict[str, Any]]:
    """The last ``limit`` audit log entries (for diagnostics)."""
    path = Path(state_dir) / AUDIT
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[-limit:]:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out
