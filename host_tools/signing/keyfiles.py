"""Key files and passphrases: one Ed25519 key per holder, encrypted at rest, never overwritten.

``ROLE-NAME.pem`` is the private key (PKCS#8 PEM, passphrase-encrypted, mode 0600);
``ROLE-NAME.pub.json`` its public key, keyid, role and name.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner, SSlibKey

from host_tools.signing.errors import SigningError

PASSPHRASE_ENV = "SAFAR_PASSPHRASE"
# key and deployment names end up in file names and in reports
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")
# a private key is readable by its holder only
PRIVATE_KEY_MODE = 0o600


@dataclass
class KeyInfo:
    role: str
    name: str
    key: SSlibKey
    private: Ed25519PrivateKey | None = None  # only right after generation

    @property
    def keyid(self) -> str:
        return self.key.keyid


def check_name(name: str) -> str:
    if not name or len(name) > 40 or not set(name) <= NAME_CHARS:
        raise SigningError(f"key name {name!r}: use 1-40 lowercase letters, digits, '-' or '_'")
    return name


def public_key_of(private: Ed25519PrivateKey) -> SSlibKey:
    return SSlibKey.from_crypto(private.public_key(), scheme="ed25519")


def read_passphrase(passphrase_file: Path | None = None, prompt: str = "passphrase: ",
                    confirm: bool = False) -> bytes:
    """From ``--passphrase-file``, else env ``SAFAR_PASSPHRASE``, else a prompt (getpass)."""
    if passphrase_file is not None:
        try:
            text = passphrase_file.read_text(encoding="utf-8")
        except OSError as e:
            raise SigningError(f"cannot read the passphrase file {passphrase_file}: {e.strerror}") from None
        text = text.rstrip("\r\n")
    elif os.environ.get(PASSPHRASE_ENV):
        text = os.environ[PASSPHRASE_ENV]
    else:
        if not sys.stdin.isatty():
            raise SigningError(f"no passphrase: give --passphrase-file or set {PASSPHRASE_ENV}")
        text = getpass.getpass(prompt)
        if confirm and getpass.getpass("again: ") != text:
            raise SigningError("the passphrases differ")
    if not text:
        raise SigningError("the passphrase is empty")
    return text.encode("utf-8")


def write_key_pair(keys_dir: Path, role: str, name: str, passphrase: bytes | None) -> KeyInfo:
    """A new Ed25519 key: ``ROLE-NAME.pem`` (encrypted unless passphrase is None, for demos)
    and ``ROLE-NAME.pub.json``. Never overwrites a key."""
    check_name(name)
    keys_dir.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    _write_private_key(keys_dir / f"{role}-{name}.pem", pem)
    info = KeyInfo(role, name, public_key_of(private), private)
    write_public(keys_dir, info)
    return info


def _write_private_key(path: Path, pem: bytes) -> None:
    """Created exclusively with its restrictive mode from the start: the key is never, even
    for a moment, readable by others, and an existing key is never replaced (which is why
    this is not ``durable.atomic_write``: that renames over the target with the umask's mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_KEY_MODE)
    except FileExistsError:
        raise SigningError(f"{path} exists; keys are never overwritten") from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)


def write_public(keys_dir: Path, info: KeyInfo) -> None:
    doc = {"role": info.role, "name": info.name, "keyid": info.keyid, "key": info.key.to_dict()}
    (keys_dir / f"{info.role}-{info.name}.pub.json").write_text(json.dumps(doc, indent=2) + "\n")


def load_private_key(path: Path, passphrase: bytes | None = None,
                     passphrase_file: Path | None = None) -> Ed25519PrivateKey:
    """Reads a PEM private key; asks for the passphrase (file, env, prompt) only if it is encrypted."""
    try:
        pem = Path(path).read_bytes()
    except OSError as e:
        raise SigningError(f"cannot read the key {path}: {e.strerror}") from None
    encrypted = b"ENCRYPTED" in pem.split(b"\n", 1)[0]
    if encrypted and passphrase is None:
        passphrase = read_passphrase(passphrase_file, f"passphrase for {Path(path).name}: ")
    try:
        key = serialization.load_pem_private_key(pem, passphrase if encrypted else None)
    except (ValueError, TypeError) as e:
        raise SigningError(f"cannot open the key {path}: wrong passphrase or not a PEM key ({e})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path} is not an Ed25519 key")
    return key


def signer_of(private: Ed25519PrivateKey) -> CryptoSigner:
    return CryptoSigner(private, public_key_of(private))


def load_signer(path: Path, passphrase: bytes | None = None, passphrase_file: Path | None = None) -> CryptoSigner:
    return signer_of(load_private_key(path, passphrase, passphrase_file))
