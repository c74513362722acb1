"""The kiosk's trust anchor (``trust/`` in the state directory): the root shipped in the
kiosk image, and the floors every install raises. ``provision`` writes the root once;
installs replace it only with a newer root the old one signed (``firmware.update.install``).
"""

from __future__ import annotations

from pathlib import Path

from firmware.update import durable
from firmware.update.audit import audit
from firmware.update.errors import NOT_PROVISIONED, PROVISIONED, UpdateError
from firmware.update.layout import ROOT_FILE, STATE_DIR_MODE, StateLayout
from firmware.update.repository import read_capped
from firmware.update.trust import MAX_METADATA_BYTES, Floors, as_utc, deployment_of, load_trusted_root


def not_provisioned() -> UpdateError:
    return UpdateError(NOT_PROVISIONED, "this kiosk has no trusted root (trust/root.json); provision it first",
                       ROOT_FILE)


def trusted_root_bytes(layout: StateLayout) -> bytes:
    if not layout.trusted_root.exists():
        raise not_provisioned()
    return read_capped(layout.trusted_root, MAX_METADATA_BYTES, ROOT_FILE)


def read_floors(state: StateLayout | Path | str) -> Floors:
    """The version and time floors (none yet: the zero floors); ``state`` is a layout or its directory."""
    path = (state if isinstance(state, StateLayout) else StateLayout(state)).floors
    if not path.exists():
        return Floors()
    return Floors.from_bytes(path.read_bytes())


def provision(state_dir: Path | str, root_json_bytes: bytes, *, force: bool = False) -> None:
    """Makes ``root_json_bytes`` the kiosk's trust anchor (the root shipped in the kiosk image).

    The root must be self-signed by a threshold of its root keys and name a deployment.
    Provisioning the same root again does nothing; a different one is refused unless
    ``force`` (re-imaging a kiosk for another deployment)."""
    layout = StateLayout(state_dir)
    root = load_trusted_root(root_json_bytes)
    layout.root.mkdir(mode=STATE_DIR_MODE, parents=True, exist_ok=True)
    layout.trust_dir.mkdir(mode=STATE_DIR_MODE, exist_ok=True)
    layout.list_dir.mkdir(mode=STATE_DIR_MODE, exist_ok=True)
    path = layout.trusted_root
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
            raise UpdateError(PROVISIONED, f"this kiosk already trusts another root ({what}); "
                              "new roots arrive with signed lists, or re-provision with force", ROOT_FILE)
    durable.atomic_write(path, root_json_bytes)
    audit(layout, as_utc(None), "provision", "ok", deployment=deployment_of(root), root_version=root.version)
