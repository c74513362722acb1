"""Service mode by a technician's key file on a USB stick.

The stick carries ``SAFAR-SERVICE.key``; the kiosk's config holds only the SHA-256
of that file (``service_key_sha256``), so reading the config gives nobody the key.
Plugging the stick in opens service mode; pulling it out closes it.
"""

from __future__ import annotations

import glob
import hashlib
import hmac
import os
from pathlib import Path

KEY_FILE = "SAFAR-SERVICE.key"
MOUNT_ROOTS = ("/media", "/run/media", "/mnt")
MAX_KEY_BYTES = 4096


class TechnicianKey:
    def __init__(self, sha256_hex: str, roots: tuple[str, ...] = MOUNT_ROOTS) -> None:
        self.digest = bytes.fromhex(sha256_hex)
        self.roots = roots

    def candidates(self) -> list[Path]:
        found: list[Path] = []
        for root in self.roots:
            for pattern in ("*/" + KEY_FILE, "*/*/" + KEY_FILE):  # /media/LABEL, /run/media/USER/LABEL
                found += [Path(p) for p in sorted(glob.glob(os.path.join(root, pattern)))]
        return found

    def present(self) -> bool:
        """True when a stick with the right key file is mounted."""
        for path in self.candidates():
            try:
                with path.open("rb") as f:
                    data = f.read(MAX_KEY_BYTES + 1)
            except OSError:
                continue
            if len(data) <= MAX_KEY_BYTES and hmac.compare_digest(hashlib.sha256(data).digest(), self.digest):
                return True
        return False
