"""The kiosk's state directory: the one description of what lives where.

Every module that reads or writes the state directory (install, sources, diag, the
service port, the kiosk, tests) asks a ``StateLayout`` for the path, so the layout
can change in one place::

    trust/root.json        the trusted TUF root (``provision``; newer roots replace it)
    trust/floors.json      version floor and time floor
    trust/root.backup.json, trust/floors.backup.json
                           redundant copies, written after each of the two above
    list/current           symlink -> v<VERSION>-<RANDOM>/  (the list in use)
    list/previous          symlink -> the last-known-good list before it
    list/v<VERSION>-<RANDOM>/
        manifest.json, *.fps        the expanded list (``firmware.banlist.BanList``)
        tuf/root.json, tuf/targets.json, tuf/snapshot.json, tuf/timestamp.json
        release.json                when and by whom it was installed (no list content)
    list/staging-<RANDOM>/ an install in progress (removed by the next install)
    download/              an HTTP poll's downloads (removed after each poll)
    incoming/<SESSION>/    a list arriving over the service port (one session at a time)
    screens/               frames as PNG, when the kiosk's display back-end is "png"
    audit.log              JSON lines: time, action, versions, result, reason
    .lock                  flock held by an install
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_STATE = Path("/var/lib/safar")

# directory modes ``provision`` creates: the kiosk's service user owns the state;
# diagnostics run as that user or root, so nobody else needs to read it.
STATE_DIR_MODE = 0o750

TRUST = "trust"
ROOT_FILE = "root.json"
FLOORS_FILE = "floors.json"
ROOT_BACKUP_FILE = "root.backup.json"
FLOORS_BACKUP_FILE = "floors.backup.json"
LIST = "list"
CURRENT = "current"
PREVIOUS = "previous"
STAGING_PREFIX = "staging-"
RELEASE_PREFIX = "v"
DOWNLOAD = "download"
INCOMING = "incoming"
SCREENS = "screens"
AUDIT = "audit.log"
LOCK = ".lock"

# inside one installed list directory
STORED_METADATA = "tuf"
RELEASE_FILE = "release.json"


class StateLayout:
    """Paths in one state directory; holds no open files and touches nothing on disk."""

    def __init__(self, root: Path | str = DEFAULT_STATE) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"StateLayout({str(self.root)!r})"

    @property
    def trust_dir(self) -> Path:
        """Where the trusted root and the floors live, apart from the lists they judge."""
        return self.root / TRUST

    @property
    def trusted_root(self) -> Path:
        """The root of trust installed at provisioning: every list is verified against it."""
        return self.root / TRUST / ROOT_FILE

    @property
    def trusted_root_backup(self) -> Path:
        """The redundant copy of ``trusted_root``, verified exactly as it is before it is used."""
        return self.root / TRUST / ROOT_BACKUP_FILE

    @property
    def floors(self) -> Path:
        """The version and time floors: no older list and no earlier clock are accepted again."""
        return self.root / TRUST / FLOORS_FILE

    @property
    def floors_backup(self) -> Path:
        """A second copy of the floors, so one damaged file cannot reset them."""
        return self.root / TRUST / FLOORS_BACKUP_FILE

    @property
    def list_dir(self) -> Path:
        """The installed releases and the symlink naming the current one."""
        return self.root / LIST

    @property
    def current(self) -> Path:
        """The symlink to the list in use."""
        return self.root / LIST / CURRENT

    @property
    def previous(self) -> Path:
        """The symlink to the last-known-good list before it."""
        return self.root / LIST / PREVIOUS

    def staging(self, token: str) -> Path:
        """A staging directory for one install (``token`` keeps two installs apart)."""
        return self.root / LIST / f"{STAGING_PREFIX}{token}"

    def release_dir(self, list_version: int, token: str) -> Path:
        """Where a verified release is kept: named by its version and the install's token."""
        return self.root / LIST / f"{RELEASE_PREFIX}{list_version}-{token}"

    @property
    def download(self) -> Path:
        """An HTTP poll's downloads, removed after each poll."""
        return self.root / DOWNLOAD

    @property
    def incoming(self) -> Path:
        """Where a list arriving over the service port is received (one session at a time)."""
        return self.root / INCOMING

    @property
    def screens(self) -> Path:
        """Frames as PNG when the display back-end is "png" (previews, tests)."""
        return self.root / SCREENS

    @property
    def audit_log(self) -> Path:
        """The append-only log of installs and refusals, for the fleet and for staff."""
        return self.root / AUDIT

    @property
    def lock(self) -> Path:
        """The lock file that keeps two installs from running at once."""
        return self.root / LOCK

    @staticmethod
    def stored_metadata(list_dir: Path, name: str) -> Path:
        """``name`` (``root.json``, ``targets.json``, …) as stored with an installed list."""
        return list_dir / STORED_METADATA / name

    @staticmethod
    def release_record(list_dir: Path) -> Path:
        """``release.json``: when and by whom a release was installed (no list content)."""
        return list_dir / RELEASE_FILE
