"""Signed ban lists on the kiosk: the TUF trust chain, atomic install, the installed list.

The kiosk and diagnostics use ``installed(state_dir)`` (and ``read_floors``,
``audit_entries``); technicians' tools and the list sources use ``install``; the kiosk
image is bootstrapped with ``provision``. Inside: ``layout`` (the state directory),
``repository`` (reading a published repository), ``trust`` (the decision, no I/O),
``provisioning``, ``install``, ``installed_list``, ``audit``, ``sources`` (durable steps: ``firmware.durable``);
``errors`` holds every code a caller may decide on.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from firmware.update.audit import audit_entries
    from firmware.update.errors import UpdateError
    from firmware.update.installed_list import Installed, installed
    from firmware.update.installer import InstallResult, install
    from firmware.update.layout import DEFAULT_STATE, StateLayout
    from firmware.update.provisioning import provision, read_floors
    from firmware.update.repository import find_repository, read_repository

# name -> module: imported on first use, so asking for the layout (or the errors)
# does not load tuf, numpy and the ban list
_EXPORTS = {
    "audit_entries": "audit", "UpdateError": "errors", "InstallResult": "installer", "install": "installer",
    "Installed": "installed_list", "installed": "installed_list", "DEFAULT_STATE": "layout",
    "StateLayout": "layout", "provision": "provisioning", "read_floors": "provisioning",
    "find_repository": "repository", "read_repository": "repository",
}
__all__ = ["DEFAULT_STATE", "InstallResult", "Installed", "StateLayout", "UpdateError", "audit_entries",
           "find_repository", "install", "installed", "provision", "read_floors", "read_repository"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'firmware.update' has no attribute {name!r}")
    return getattr(importlib.import_module(f"firmware.update.{module}"), name)
