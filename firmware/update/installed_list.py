"""The kiosk's installed list, verified again each time it is opened: what the kiosk and
diagnostics match against (``installed``), or the code and reason there is none.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from firmware.banlist.banlist import BanList
from firmware.banlist.errors import BundleError
from firmware.banlist.manifest import MANIFEST_NAME, MAX_MANIFEST_BYTES
from firmware.update.errors import (
    DEPLOYMENT,
    EXPIRED,
    FAILED_VERIFICATION,
    NO_LIST,
    SELF_TEST,
    TAMPERED,
    UpdateError,
)
from firmware.update.layout import DEFAULT_STATE, ROOT_FILE, StateLayout
from firmware.update.provisioning import damage_warning, read_recorded_floors, read_trusted_root
from firmware.update.repository import TARGETS_FILE, read_capped
from firmware.update.trust import MAX_METADATA_BYTES, as_utc, deployment_of, load_trusted_root, verify_stored


@dataclass
class Installed:
    """The kiosk's list: ``banlist`` is an open ``BanList`` when there is a usable one, else None,
    ``code`` says why for programs (``firmware.update.errors``: NOT_PROVISIONED, NO_LIST,
    FAILED_VERIFICATION, EXPIRED, or why the trusted root is unreadable) and ``reason`` in one
    sentence for people. ``today`` is the date to judge expiry by (``max(clock, time floor)``);
    ``warning`` reports a damaged copy of a trust file (the other copy is in use), a clock
    behind the floor or a fallback to the previous list."""

    banlist: BanList | None
    reason: str | None
    code: str | None = None
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
        """Unmaps the list's sets (when the kiosk switches to a newer list)."""
        if self.banlist is not None:
            self.banlist.close()

    def __enter__(self) -> Installed:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def to_dict(self) -> dict[str, Any]:
        """What is installed, as JSON fields for diagnostics and the fleet (no list content)."""
        return {"ok": self.banlist is not None, "code": self.code, "reason": self.reason,
                "list_version": self.list_version,
                "list_date": self.list_date.isoformat() if self.list_date else None,
                "valid_until": self.valid_until.isoformat() if self.valid_until else None,
                "signed_by": self.signed_by, "deployment": self.deployment, "root_version": self.root_version,
                "today": self.today.isoformat() if self.today else None, "clock_behind": self.clock_behind,
                "warning": self.warning}


def installed(state_dir: Path | str = DEFAULT_STATE, now: dt.datetime | dt.date | None = None, *,
              verify_hashes: bool = False) -> Installed:
    """The verified installed list, or the reason there is none.

    Checks the list's stored metadata (threshold of targets signatures under the root it was
    installed with, same deployment as the trusted root), the manifest's signed sha256, the
    filter headers, the canary self-test and expiry against ``max(clock, time floor)``;
    ``verify_hashes`` also re-hashes every filter (seconds for a big list). If the current
    list fails, the previous (last-known-good) one is used and ``warning`` says so."""
    layout = StateLayout(state_dir)
    clock = as_utc(now)
    try:
        trusted = read_trusted_root(layout)
        deployment = deployment_of(trusted.root)
        recorded = read_recorded_floors(layout)
    except UpdateError as e:
        return Installed(None, e.reason, e.code, today=clock.date())
    floors = recorded.floors
    damage = damage_warning(trusted, recorded)
    failures: list[str] = []
    for link in (layout.current, layout.previous):
        target = link_target(layout, link)
        if target is None:
            if link == layout.current:
                return Installed(None, "no list installed", NO_LIST, deployment=deployment, today=clock.date(),
                                 warning=damage)
            continue
        try:
            banlist, stored_root_version, signed_by = _open_installed(layout, target, deployment, verify_hashes)
        except (UpdateError, BundleError, OSError) as e:
            failures.append(f"the {'newest' if link == layout.current else 'previous'} installed list failed "
                            f"verification: {e}")
            continue
        man = banlist.manifest
        floor = max(floors.time_floor, as_utc(man.list_date))
        reference = max(clock, floor)
        info = Installed(banlist, None, None, man.list_version, man.list_date, man.valid_until, signed_by, deployment,
                         stored_root_version, reference.date(), clock < floor, None, target)
        warnings = ([damage] if damage else []) + failures
        if info.clock_behind:
            warnings.append(f"the clock ({clock.date().isoformat()}) is earlier than the last verified list "
                            f"({floor.date().isoformat()}); dates are judged as of {floor.date().isoformat()}")
        info.warning = "; ".join(warnings) or None
        if reference.date() > man.valid_until:
            banlist.close()
            info.banlist = None
            info.code = EXPIRED
            info.reason = f"the installed list expired on {man.valid_until.isoformat()}"
            if info.clock_behind:
                info.reason += " (the clock is earlier than the last verified list)"
        return info
    return Installed(None, "; ".join(failures), FAILED_VERIFICATION, deployment=deployment, today=clock.date(),
                     warning=damage)


def link_target(layout: StateLayout, link: Path) -> Path | None:
    """The list directory ``current`` or ``previous`` points at, or None."""
    if not link.is_symlink():
        return None
    return layout.list_dir / os.readlink(link)


def _open_installed(layout: StateLayout, directory: Path, deployment: str,
                    verify_hashes: bool) -> tuple[BanList, int, list[str]]:
    root_bytes = read_capped(layout.stored_metadata(directory, ROOT_FILE), MAX_METADATA_BYTES, ROOT_FILE)
    stored = verify_stored(root_bytes,
                           read_capped(layout.stored_metadata(directory, TARGETS_FILE), MAX_METADATA_BYTES,
                                       TARGETS_FILE),
                           read_capped(directory / MANIFEST_NAME, MAX_MANIFEST_BYTES, MANIFEST_NAME))
    if stored.deployment != deployment:
        raise UpdateError(DEPLOYMENT, f"it is for deployment {stored.deployment!r}, this kiosk is {deployment!r}")
    root_version = load_trusted_root(root_bytes).version
    banlist = BanList.open(directory, verify_hashes=verify_hashes)
    try:
        if banlist.manifest.raw != stored.manifest.raw:
            raise UpdateError(TAMPERED, "the manifest changed while it was read", MANIFEST_NAME)
        problems = banlist.self_test()
        if problems:
            raise UpdateError(SELF_TEST, "self-test failed: " + "; ".join(problems))
    except BaseException:
        banlist.close()
        raise
    return banlist, root_version, stored.signed_by
