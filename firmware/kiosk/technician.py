"""Service mode by a technician's key file on a USB stick, or by a button sequence
and a PIN (kept in the config only as a salted PBKDF2 hash).

The stick carries ``SAFAR-SERVICE.key``; the kiosk's config holds only the SHA-256
of that file (``service_key_sha256``), so reading the config gives nobody the key.
Plugging the stick in opens service mode; pulling it out closes it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from firmware.usb import on_mounted_sticks

KEY_FILE = "SAFAR-SERVICE.key"
MAX_KEY_BYTES = 4096


class TechnicianKey:
    def __init__(self, sha256_hex: str, root: Path = Path("/")) -> None:
        self.digest = bytes.fromhex(sha256_hex)
        self.root = root

    def present(self) -> bool:
        """True when a stick with the right key file is mounted."""
        for path in on_mounted_sticks(KEY_FILE, self.root):
            try:
                with path.open("rb") as f:
                    data = f.read(MAX_KEY_BYTES + 1)
            except OSError:
                continue
            if len(data) <= MAX_KEY_BYTES and hmac.compare_digest(hashlib.sha256(data).digest(), self.digest):
                return True
        return False


PIN_ITERATIONS = 200_000


def hash_pin(pin: str, salt: bytes | None = None, iterations: int = PIN_ITERATIONS) -> str:
    """``pbkdf2_sha256$ITERATIONS$SALT$HASH`` for the config's ``service_pin``."""
    if not pin.isdigit() or not 4 <= len(pin) <= 8:
        raise ValueError("a service PIN is 4 to 8 digits")
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def parse_pin_hash(text: str) -> tuple[int, bytes, bytes]:
    """(iterations, salt, digest) of a stored PIN hash; ValueError for a malformed one."""
    parts = text.split("$")
    try:
        if len(parts) != 4 or parts[0] != "pbkdf2_sha256":
            raise ValueError
        iterations, salt, digest = int(parts[1]), bytes.fromhex(parts[2]), bytes.fromhex(parts[3])
    except ValueError:
        raise ValueError("must look like pbkdf2_sha256$ITERATIONS$SALT$HASH (make one with: safar kiosk --hash-pin)"
                         ) from None
    if iterations < 10_000 or len(salt) < 8 or len(digest) != 32:
        raise ValueError("too weak or malformed: at least 10000 iterations, an 8-byte salt and a SHA-256 hash")
    return iterations, salt, digest


def check_pin(pin: str, stored: str) -> bool:
    """Whether ``pin`` matches the stored hash, in constant time."""
    iterations, salt, digest = parse_pin_hash(stored)
    return hmac.compare_digest(hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations), digest)
