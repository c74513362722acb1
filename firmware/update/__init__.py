"""Signed ban lists on the kiosk: the TUF trust chain, atomic install, the installed list.

The kiosk and diagnostics use ``installed(state_dir)``; technicians' tools and the list
sources use ``install``; the kiosk image is bootstrapped with ``provision``.
"""

from firmware.update.errors import UpdateError
from firmware.update.install import (
    DEFAULT_STATE,
    Installed,
    InstallResult,
    audit_entries,
    find_repository,
    install,
    installed,
    provision,
)

__all__ = ["DEFAULT_STATE", "Installed", "InstallResult", "UpdateError", "audit_entries", "find_repository",
           "install", "installed", "provision"]
