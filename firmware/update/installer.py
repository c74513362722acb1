"""Installing a signed list on the kiosk, atomically.

``install`` verifies everything (``firmware.update.trust``) before it writes anything,
expands into a staging directory, fsyncs, self-tests, renames the directory into place
and swaps the ``current`` symlink with one atomic rename (the commit point). A power cut
anywhere leaves ``current`` at the old list or the new one. The state directory's layout
is ``firmware.update.layout``; see docs/trust.md.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from firmware import durable
from firmware.banlist.banlist import BanList
from firmware.banlist.errors import BOMB as BUNDLE_BOMB
from firmware.banlist.errors import BundleError
from firmware.banlist.manifest import MANIFEST_NAME
from firmware.banlist.unpack import DEFAULT_MAX_EXPANDED, expand_set
from firmware.core.budget import DEFAULT_POSSIBLE, DEFAULT_STRONG
from firmware.update.audit import audit
from firmware.update.errors import (
    BOMB,
    BUDGET,
    IO,
    MALFORMED,
    MISSING,
    NO_SPACE,
    OVERSIZED,
    ROLLBACK,
    SELF_TEST,
    TAMPERED,
    UpdateError,
)
from firmware.update.installed_list import link_target
from firmware.update.layout import (
    CURRENT,
    PREVIOUS,
    RELEASE_PREFIX,
    ROOT_FILE,
    STAGING_PREFIX,
    STORED_METADATA,
    StateLayout,
)
from firmware.update.provisioning import (
    is_provisioned,
    not_provisioned,
    read_recorded_floors,
    read_trusted_root,
    repair_copies,
    write_floors,
    write_trusted_root,
)
from firmware.update.repository import (
    SNAPSHOT,
    TARGETS,
    TARGETS_FILE,
    TIMESTAMP,
    find_repository,
    read_repository,
)
from firmware.update.trust import Release, as_utc, verify_release, verify_stored

CHUNK = 1 << 20
# kept free on the kiosk's storage besides the expanded list
SPACE_MARGIN = 16 << 20


@dataclass
class InstallResult:
    """What ``install`` did: ``action`` is 'installed' or 'unchanged' (that version was already in use).
    ``previous_version`` is the list this install replaced (now the fallback, ``list/previous``):
    None when it replaced nothing ('unchanged', or no intact list was in use)."""

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
        """The outcome as JSON fields, for `--json` output and the service port."""
        return {"action": self.action, "list_version": self.list_version, "previous_version": self.previous_version,
                "list_date": self.list_date.isoformat(), "valid_until": self.valid_until.isoformat(),
                "root_version": self.root_version, "signed_by": self.signed_by, "warning": self.warning}


def install(state_dir: Path | str, source_dir: Path | str, now: dt.datetime | dt.date | None = None, *,
            max_expanded: int = DEFAULT_MAX_EXPANDED, source_kind: str = "directory",
            false_alarm_limits: tuple[float, float] = (DEFAULT_STRONG, DEFAULT_POSSIBLE)) -> InstallResult:
    """Verifies the repository in ``source_dir`` (or its ``SAFAR-LISTS/``) against the kiosk's
    trusted root and floors and installs its list atomically. Raises ``UpdateError`` (the
    installed list untouched) for anything that is not a complete, signed, current list
    for this deployment, or whose per-traveller false-alarm bounds exceed
    ``false_alarm_limits`` (strong, possible): a list the kiosk would not use must not
    replace one it uses. ``now``: the clock (default: the system clock)."""
    layout = StateLayout(state_dir)
    clock = as_utc(now)
    if not is_provisioned(layout):
        raise not_provisioned()
    layout.list_dir.mkdir(exist_ok=True)
    with _locked(layout):
        cur = _current(layout)
        try:
            result = _install(layout, Path(source_dir), clock, max_expanded, cur, source_kind, false_alarm_limits)
        except UpdateError as e:
            audit(layout, clock, "install", "refused", code=e.code, reason=e.reason, file=e.file,
                  installed_version=cur.list_version if cur else None, source=source_kind)
            raise
        audit(layout, clock, "install", result.action, from_version=result.previous_version,
              to_version=result.list_version, root_version=result.root_version, signed_by=result.signed_by,
              warning=result.warning, source=source_kind)
        return result


@contextlib.contextmanager
def _locked(layout: StateLayout) -> Iterator[None]:
    with open(layout.lock, "a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


@dataclass
class _Current:
    directory: Path
    list_version: int
    manifest_sha256: str


def _current(layout: StateLayout) -> _Current | None:
    """The list ``current`` points at, if it is intact (quick check: metadata and manifest)."""
    target = link_target(layout, layout.current)
    if target is None:
        return None
    try:
        manifest_bytes = (target / MANIFEST_NAME).read_bytes()
        stored = verify_stored(layout.stored_metadata(target, ROOT_FILE).read_bytes(),
                               layout.stored_metadata(target, TARGETS_FILE).read_bytes(), manifest_bytes)
    except (OSError, UpdateError):
        return None
    return _Current(target, stored.targets.version, hashlib.sha256(manifest_bytes).hexdigest())


def _install(layout: StateLayout, source: Path, clock: dt.datetime, max_expanded: int, cur: _Current | None,
             source_kind: str, limits: tuple[float, float]) -> InstallResult:
    recorded_root, recorded_floors = read_trusted_root(layout), read_recorded_floors(layout)
    repair_copies(layout, recorded_root, recorded_floors)  # only what verified or read, under the lock
    trusted, trusted_root, floors = recorded_root.data, recorded_root.root, recorded_floors.floors
    if cur is not None:
        floors = floors.raised(cur.list_version, floors.time_floor)
    repo = find_repository(source)
    meta, manifest_bytes = read_repository(repo, trusted_root.version)
    # freshness is what a web poll is for; a stick or a cable brings no fresher timestamp than it has
    release = verify_release(trusted, meta, manifest_bytes, floors, clock, polled=source_kind == "http")
    man = release.manifest
    warning = None
    if release.clock_behind:
        warning = (f"the clock ({clock.date().isoformat()}) is earlier than the last verified list "
                   f"({floors.time_floor.date().isoformat()}); expiry was checked against the latter")

    def result(action: str, directory: Path, replaced: _Current | None) -> InstallResult:
        return InstallResult(action, release.list_version, replaced.list_version if replaced else None,
                             man.list_date, man.valid_until, release.root.version, release.signed_by, directory,
                             warning)

    if cur is not None and release.list_version == cur.list_version:
        if release.manifest_sha256 == cur.manifest_sha256:
            if release.root_updated:  # a verified newer root is kept even when the list is the same
                write_trusted_root(layout, release.root_bytes)
            return result("unchanged", cur.directory, None)
        raise UpdateError(ROLLBACK, f"list version {release.list_version} is already installed with different "
                          "content; a changed list needs a new version number", TARGETS_FILE)
    if man.total_size > max_expanded:
        raise UpdateError(OVERSIZED, f"the list expands to {man.total_size} bytes, more than this kiosk's limit "
                          f"of {max_expanded}", MANIFEST_NAME)
    # every target file against its signed length and sha256 before anything is written
    for name in release.files():
        _check_target_file(repo / TARGETS / name, release, name)
    free = shutil.disk_usage(layout.list_dir).free
    if free < man.total_size + SPACE_MARGIN:
        raise UpdateError(NO_SPACE, f"the list needs {man.total_size} bytes, {free} are free", str(layout.list_dir))

    _collect_garbage(layout)
    staging = layout.staging(secrets.token_hex(4))
    try:
        _stage(layout, staging, repo, release, clock, source_kind, limits)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    final_dir = layout.release_dir(release.list_version, secrets.token_hex(4))
    durable.replace(staging, final_dir)
    durable.fsync_dir(layout.list_dir)
    if release.root_updated:
        write_trusted_root(layout, release.root_bytes)
    if cur is not None:
        durable.atomic_symlink(os.readlink(layout.current), layout.previous)
    durable.atomic_symlink(final_dir.name, layout.current)  # the commit point
    write_floors(layout, recorded_floors.floors.raised(release.list_version, release.time_floor))
    _collect_garbage(layout)
    return result("installed", final_dir, cur)


def _check_target_file(path: Path, release: Release, name: str) -> None:
    """Streams a target through its signed length and sha256; reads at most length + 1 bytes."""
    check = release.checker(name)
    if path.exists() and not path.is_file():
        raise UpdateError(MALFORMED, f"{name} is not a regular file", name)
    try:
        with open(path, "rb") as f:
            while True:
                chunk = f.read(min(CHUNK, check.length + 1 - check.seen))
                if not chunk:
                    break
                check.update(chunk)
    except FileNotFoundError:
        raise UpdateError(MISSING, f"{name} is missing from the repository", name) from None
    except OSError as e:
        raise UpdateError(IO, f"cannot read {name}: {e.strerror}", name) from None
    check.finish()


def _stage(layout: StateLayout, staging: Path, repo: Path, release: Release, clock: dt.datetime, source_kind: str,
           limits: tuple[float, float]) -> None:
    man = release.manifest
    durable.mkdir(staging)
    durable.write_file(staging / MANIFEST_NAME, release.manifest_bytes)
    for entry in man.sets:
        durable.fault_point(f"expand {entry.file}")
        try:
            # expands against the verified manifest: declared sizes cap the output (bombs),
            # and the expanded sha256 must match the signed manifest
            expand_set(repo / TARGETS / entry.file, staging / entry.name, entry, man)
            durable.record_written(staging / entry.name)
        except BundleError as e:
            code = BOMB if e.code == BUNDLE_BOMB else TAMPERED
            raise UpdateError(code, f"{entry.file}: {e.reason}", entry.file) from None
    stored = staging / STORED_METADATA
    durable.mkdir(stored)
    for name, data in ((ROOT_FILE, release.root_bytes), (TARGETS_FILE, release.targets_bytes),
                       (SNAPSHOT, release.snapshot_bytes), (TIMESTAMP, release.timestamp_bytes)):
        durable.write_file(layout.stored_metadata(staging, name), data)
    info = {"list_version": release.list_version, "installed_at": clock.replace(microsecond=0).isoformat(),
            "root_version": release.root.version, "signed_by": release.signed_by, "source": source_kind,
            "deployment": release.deployment}
    durable.write_file(layout.release_record(staging), (json.dumps(info, indent=2) + "\n").encode())
    durable.fsync_dir(stored)
    durable.fsync_dir(staging)
    # the same checks ``installed`` will make, on the staged copy
    verify_stored(release.root_bytes, release.targets_bytes, (staging / MANIFEST_NAME).read_bytes())
    try:
        with BanList.open(staging, verify_hashes=False) as banlist:
            problems = banlist.self_test()
            budget = banlist.budget_problem(*limits)
    except BundleError as e:
        raise UpdateError(SELF_TEST, f"the staged list does not open: {e}", str(e.file or "")) from None
    if problems:
        raise UpdateError(SELF_TEST, "the staged list fails its self-test: " + "; ".join(problems))
    if budget is not None:
        raise UpdateError(BUDGET, budget, MANIFEST_NAME)


def _collect_garbage(layout: StateLayout) -> None:
    """Removes staging leftovers and list directories neither ``current`` nor ``previous`` uses."""
    keep = {p.name for p in (link_target(layout, layout.current), link_target(layout, layout.previous))
            if p is not None}
    for entry in layout.list_dir.iterdir():
        if entry.name in (CURRENT, PREVIOUS) or entry.name in keep:
            continue
        if entry.is_symlink() or entry.is_file():
            entry.unlink()
        elif entry.is_dir() and entry.name.startswith((STAGING_PREFIX, RELEASE_PREFIX)):
            shutil.rmtree(entry, ignore_errors=True)
    for tmp in layout.trust_dir.glob(".*.tmp-*"):  # durable.atomic_write's leftovers
        tmp.unlink()
