"""The kiosk's trust anchor (``trust/`` in the state directory): the root shipped in the
kiosk image, and the floors every install raises. ``provision`` writes the root once;
installs replace it only with a newer root the old one signed (``firmware.update.install``).

Each trust file has a redundant copy, written after it (primary, then backup, each
atomically), so one damaged file does not put the kiosk out of service. The root's copy
is verified exactly as the primary is (a threshold of its own root keys, a deployment):
a copy that fails is never trusted. The primary is written first, so it is the newest
copy whenever it verifies; the floors only rise, so the higher of two readable copies
is the newer one. Readers never write; the next install (or ``provision``) rewrites
copies that differ from what was read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from tuf.api.metadata import Root

from firmware import durable
from firmware.update.audit import audit
from firmware.update.errors import NOT_PROVISIONED, PROVISIONED, UpdateError
from firmware.update.layout import FLOORS_FILE, ROOT_FILE, STATE_DIR_MODE, StateLayout
from firmware.update.repository import read_capped
from firmware.update.trust import MAX_METADATA_BYTES, Floors, as_utc, deployment_of, load_trusted_root

# a floors file is two short fields; anything bigger is damage
MAX_FLOORS_BYTES = 4096


def not_provisioned() -> UpdateError:
    """The error every command gives on a kiosk with no trusted root: one wording, one code."""
    return UpdateError(NOT_PROVISIONED, "this kiosk has no trusted root (trust/root.json); provision it first",
                       ROOT_FILE)


def is_provisioned(layout: StateLayout) -> bool:
    """Whether a trusted root (or its backup) is installed: nothing can be verified without one."""
    return layout.trusted_root.exists() or layout.trusted_root_backup.exists()


@dataclass
class TrustedRoot:
    """The root the kiosk trusts, from whichever copy verified; ``damaged`` names the copies
    that exist but fail verification (or a primary that is gone while its copy is here)."""

    data: bytes
    root: Root
    damaged: list[str] = field(default_factory=list)


@dataclass
class RecordedFloors:
    """The floors as the readable copies record them; ``damaged`` names the unreadable ones."""

    floors: Floors
    damaged: list[str] = field(default_factory=list)


def read_trusted_root(layout: StateLayout) -> TrustedRoot:
    """The primary copy if it verifies, else the backup verified the same way.

    Raises:
        UpdateError: ``not-provisioned`` when neither copy exists, else why the primary
            (or, with no primary, the backup) does not verify."""
    trusted: TrustedRoot | None = None
    damaged: list[str] = []
    first_error: UpdateError | None = None
    for path in (layout.trusted_root, layout.trusted_root_backup):
        if not path.exists():
            continue
        try:
            data = read_capped(path, MAX_METADATA_BYTES, path.name)
            if trusted is not None and data == trusted.data:
                continue  # the same bytes verified a moment ago
            root = load_trusted_root(data)
        except UpdateError as e:
            damaged.append(path.name)
            first_error = first_error or e
            continue
        if trusted is None:
            trusted = TrustedRoot(data, root)
    if trusted is None:
        raise first_error or not_provisioned()
    if not layout.trusted_root.exists():
        damaged.insert(0, layout.trusted_root.name)
    trusted.damaged = damaged
    return trusted


def trusted_root_bytes(layout: StateLayout) -> bytes:
    """The trusted root's bytes (the backup's when the primary does not verify)."""
    return read_trusted_root(layout).data


def read_recorded_floors(layout: StateLayout) -> RecordedFloors:
    """The floors of every readable copy, raised together (none yet: the zero floors).

    Raises:
        UpdateError: ``malformed`` (or ``oversized``, ``io``) when copies exist and none is readable."""
    floors: Floors | None = None
    damaged: list[str] = []
    first_error: UpdateError | None = None
    for path in (layout.floors, layout.floors_backup):
        if not path.exists():
            continue
        try:
            copy = Floors.from_bytes(read_capped(path, MAX_FLOORS_BYTES, path.name))
        except UpdateError as e:
            damaged.append(path.name)
            first_error = first_error or e
            continue
        floors = copy if floors is None else floors.raised(copy.list_version, copy.time_floor)
    if floors is None:
        if first_error is not None:
            raise first_error
        return RecordedFloors(Floors())
    if not layout.floors.exists() and layout.floors_backup.exists():
        damaged.insert(0, layout.floors.name)
    return RecordedFloors(floors, damaged)


def read_floors(state: StateLayout | Path | str) -> Floors:
    """The version and time floors (none yet: the zero floors); ``state`` is a layout or its directory."""
    return read_recorded_floors(state if isinstance(state, StateLayout) else StateLayout(state)).floors


def damage_warning(root: TrustedRoot, floors: RecordedFloors) -> str | None:
    """What a technician reads about damaged trust copies while the kiosk still works from the others."""
    names = root.damaged + floors.damaged
    if not names:
        return None
    return (f"damaged trust file{'s' if len(names) > 1 else ''} {', '.join(names)}: the other copy is in use; "
            "the next install or provision rewrites it")


def write_trusted_root(layout: StateLayout, data: bytes) -> None:
    """Both copies, primary first (so a primary that verifies is never older than its copy)."""
    durable.atomic_write(layout.trusted_root, data)
    durable.atomic_write(layout.trusted_root_backup, data)


def write_floors(layout: StateLayout, floors: Floors) -> None:
    """Raises the floors durably, both copies, so a power cut leaves at least one."""
    data = floors.to_bytes()
    durable.atomic_write(layout.floors, data)
    durable.atomic_write(layout.floors_backup, data)


def repair_copies(layout: StateLayout, root: TrustedRoot, floors: RecordedFloors) -> None:
    """Rewrites each trust file whose two copies are not both exactly what was read (a damaged
    copy, a power cut between the two writes, a kiosk from before the copies existed)."""
    if any(not p.is_file() or p.read_bytes() != root.data for p in (layout.trusted_root, layout.trusted_root_backup)):
        write_trusted_root(layout, root.data)
    data = floors.floors.to_bytes()
    if any(not p.is_file() or p.read_bytes() != data for p in (layout.floors, layout.floors_backup)):
        write_floors(layout, floors.floors)


def provision(state_dir: Path | str, root_json_bytes: bytes, *, force: bool = False,
              built: dt.date | dt.datetime | None = None) -> None:
    """Makes ``root_json_bytes`` the kiosk's trust anchor (the root shipped in the kiosk image).

    The root must be self-signed by a threshold of its root keys and name a deployment.
    Provisioning the same root again only repairs damaged copies; a different one is
    refused unless ``force`` (re-imaging a kiosk for another deployment, or a technician
    replacing trust files that no copy of is readable). ``built``: the kiosk image's
    build date; the kiosk cannot be running earlier, so the time floor is raised to it
    (a kiosk with no clock must not accept a list that expired before it was built)."""
    layout = StateLayout(state_dir)
    root = load_trusted_root(root_json_bytes)
    layout.root.mkdir(mode=STATE_DIR_MODE, parents=True, exist_ok=True)
    layout.trust_dir.mkdir(mode=STATE_DIR_MODE, exist_ok=True)
    layout.list_dir.mkdir(mode=STATE_DIR_MODE, exist_ok=True)
    for directory in (layout.root.parent, layout.root):  # the new entries survive a power cut
        durable.fsync_dir(directory)
    same_root = False
    if is_provisioned(layout):
        try:
            old_root = read_trusted_root(layout)
            same_root = old_root.data == root_json_bytes
            what = f"deployment {deployment_of(old_root.root)!r}, root version {old_root.root.version}"
        except UpdateError:
            what = "unreadable"
        if not same_root and not force:
            raise UpdateError(PROVISIONED, f"this kiosk already trusts another root ({what}); "
                              "new roots arrive with signed lists, or re-provision with force", ROOT_FILE)
    floors = _floors_for_provisioning(layout, force)
    if built is not None:
        floors = RecordedFloors(floors.floors.raised(floors.floors.list_version, as_utc(built)), floors.damaged)
    repair_copies(layout, TrustedRoot(root_json_bytes, root), floors)
    if not same_root:
        audit(layout, as_utc(None), "provision", "ok", deployment=deployment_of(root), root_version=root.version)


def _floors_for_provisioning(layout: StateLayout, force: bool) -> RecordedFloors:
    """The recorded floors; with ``force``, unreadable ones start again from zero (the installed
    list's own version still counts as a floor at every install)."""
    try:
        return read_recorded_floors(layout)
    except UpdateError as e:
        if not force:
            raise UpdateError(e.code, f"{e.reason}; no copy of the floors is readable: re-provision with "
                              "force to reset them", FLOORS_FILE) from None
        return RecordedFloors(Floors(), [layout.floors.name])
