"""Key files and passphrases: one Ed25519 key per holder, under that holder's own passphrase.

``ROLE-NAME.pem`` is the private key (PKCS#8 PEM, passphrase-encrypted, mode 0600);
``ROLE-NAME.pub.json`` its public key, keyid, role and name (mode 0644). A threshold of
2 of 3 keys means two people only when no one passphrase opens two keys, so each key is
given its own passphrase (``Passphrases``) and ``change_passphrase`` lets a holder
replace one chosen for them. Modes are set, not left to the umask: a keys directory made
under umask 000 is as closed as one made under 077.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner, SSlibKey

from firmware.durable import atomic_write
from host_tools.signing.errors import SigningError

PASSPHRASE_ENV = "SAFAR_PASSPHRASE"
# key and deployment names end up in file names and in reports
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")
# a passphrase guessed offline from a stolen .pem must take more than an afternoon
MIN_PASSPHRASE_CHARS = 12
# a private key is readable by its holder only; a keys directory is entered by its owner only;
# public keys and root versions are meant to be read
PRIVATE_KEY_MODE = 0o600
KEYS_DIR_MODE = 0o700
PUBLIC_FILE_MODE = 0o644


@dataclass
class KeyInfo:
    role: str
    name: str
    key: SSlibKey
    private: Ed25519PrivateKey | None = None  # only right after generation

    @property
    def keyid(self) -> str:
        """The key's TUF key id, by which roots name it."""
        return self.key.keyid


def check_name(name: str) -> str:
    """``name`` if it can name a key file; SigningError saying what is allowed otherwise."""
    if not name or len(name) > 40 or not set(name) <= NAME_CHARS:
        raise SigningError(f"key name {name!r}: use 1-40 lowercase letters, digits, '-' or '_'")
    return name


def public_key_of(private: Ed25519PrivateKey) -> SSlibKey:
    """The public half as the key TUF metadata lists."""
    return SSlibKey.from_crypto(private.public_key(), scheme="ed25519")


def key_label(path: Path) -> str:
    """``ROLE-NAME`` of ``ROLE-NAME.pem``: how reports and ``--passphrase-file ROLE-NAME=FILE`` name a key."""
    name = Path(path).name
    return name[:-len(".pem")] if name.endswith(".pem") else name


def _read_passphrase_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as e:
        raise SigningError(f"cannot read the passphrase file {path}: {e.strerror}") from None


def check_new_passphrase(label: str, passphrase: bytes) -> bytes:
    """The rules a passphrase must meet when it is set (not when it opens a key made before them)."""
    if len(passphrase.decode("utf-8")) < MIN_PASSPHRASE_CHARS:
        raise SigningError(f"the passphrase for {label} is too short: use at least {MIN_PASSPHRASE_CHARS} characters")
    return passphrase


def _prompt(prompt: str, confirm: bool, again: str = "again: ") -> str:
    if not sys.stdin.isatty():
        raise SigningError(f"no passphrase: give --passphrase-file or set {PASSPHRASE_ENV}")
    text = getpass.getpass(prompt)
    if confirm and text and getpass.getpass(again) != text:
        raise SigningError("the passphrases differ")
    return text


class Passphrases:
    """Where each key's passphrase comes from: its holder's own file (``ROLE-NAME=FILE``), else
    the one file given for every key, else env ``SAFAR_PASSPHRASE``, else a prompt that names
    the key, so that each holder types their own."""

    def __init__(self, own: Mapping[str, Path] | None = None, shared: Path | None = None) -> None:
        self.own = dict(own or {})
        self.shared = shared

    @classmethod
    def from_entries(cls, entries: Iterable[str | Path] | None) -> Passphrases:
        """``--passphrase-file`` values: ``ROLE-NAME=FILE`` (repeatable) and at most one plain ``FILE``."""
        own: dict[str, Path] = {}
        shared: Path | None = None
        for entry in entries or ():
            label, sep, file = str(entry).partition("=")
            if sep and label and set(label) <= NAME_CHARS:
                if label in own:
                    raise SigningError(f"two passphrase files for {label}")
                own[label] = Path(file)
            elif shared is None:
                shared = Path(entry)
            else:
                raise SigningError("give one passphrase file for every key, or ROLE-NAME=FILE for each key")
        return cls(own, shared)

    def shared_by(self, labels: Iterable[str]) -> list[str]:
        """The keys among ``labels`` whose passphrase is not their holder's own (one file or env for all)."""
        common = self.shared is not None or bool(os.environ.get(PASSPHRASE_ENV))
        return [label for label in labels if label not in self.own and common]

    def _given(self, label: str) -> str | None:
        if label in self.own:
            return _read_passphrase_file(self.own[label])
        if self.shared is not None:
            return _read_passphrase_file(self.shared)
        return os.environ.get(PASSPHRASE_ENV) or None

    def to_open(self, label: str) -> bytes:
        """The passphrase that opens the key ``label``."""
        text = self._given(label)
        if text is None:
            text = _ask_holder(f"passphrase for {label}: ", label, confirm=False)
        if not text:
            raise SigningError(f"the passphrase for {label} is empty")
        return text.encode("utf-8")

    def to_set(self, label: str) -> bytes:
        """A new passphrase for the key ``label``, typed twice when prompted (``write_key_pair`` checks it)."""
        text = self._given(label)
        if text is None:
            text = _ask_holder(f"new passphrase for {label} (its holder types it): ", label, confirm=True)
        return text.encode("utf-8")


def _ask_holder(prompt: str, label: str, confirm: bool) -> str:
    if not sys.stdin.isatty():
        raise SigningError(f"no passphrase for {label}: give --passphrase-file {label}=FILE (or FILE for every "
                           f"key) or set {PASSPHRASE_ENV}")
    return _prompt(prompt, confirm, again=f"{label} again: ")


def holders_sharing(chosen: Mapping[str, bytes | None], own: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs of keys of one role under one passphrase, at least one of whose holders chose it as their own
    (``own``): that passphrase opens two of the role's keys, and a threshold of them would be one person."""
    mine = set(own)
    labels = [label for label, passphrase in chosen.items() if passphrase is not None]
    return [(a, b) for i, a in enumerate(labels) for b in labels[i + 1:]
            if _role(a) == _role(b) and chosen[a] == chosen[b] and (a in mine or b in mine)]


def _role(label: str) -> str:
    return label.partition("-")[0]


def refuse_a_role_holders_passphrase(path: Path, new: bytes) -> None:
    """A holder's new passphrase must not open another key of the same role in the same keys
    directory (what ``passwd`` can know: keys held elsewhere are out of its sight)."""
    label = key_label(path)
    for other in sorted(path.parent.glob(f"{_role(label)}-*.pem")):
        pem = _read_pem(other)
        if other == path or not _is_encrypted(pem):
            continue
        try:
            serialization.load_pem_private_key(pem, new)
        except (ValueError, TypeError):
            continue
        raise SigningError(f"the new passphrase for {label} is the one of {key_label(other)}: one passphrase "
                           f"would open two {_role(label)} keys; each holder needs their own")


def _read_new_passphrase(label: str, passphrase_file: Path | None) -> bytes:
    """From its own file or a prompt (twice), never from the environment: that holds the old one."""
    text = _read_passphrase_file(passphrase_file) if passphrase_file is not None else _ask_holder(
        f"new passphrase for {label}: ", label, confirm=True)
    return text.encode("utf-8")


def make_keys_dir(path: Path) -> None:
    """``path`` and its missing parents, each mode 0700 whatever the umask."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        directory.mkdir(mode=KEYS_DIR_MODE, exist_ok=True)
        os.chmod(directory, KEYS_DIR_MODE)


def _pem(private: Ed25519PrivateKey, passphrase: bytes | None) -> bytes:
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption())
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def write_key_pair(keys_dir: Path, role: str, name: str, passphrase: bytes | None) -> KeyInfo:
    """A new Ed25519 key: ``ROLE-NAME.pem`` (encrypted unless passphrase is None, for demos)
    and ``ROLE-NAME.pub.json``. Never overwrites a key."""
    check_name(name)
    if passphrase is not None:
        check_new_passphrase(f"{role}-{name}", passphrase)
    make_keys_dir(keys_dir)
    private = Ed25519PrivateKey.generate()
    _write_private_key(keys_dir / f"{role}-{name}.pem", _pem(private, passphrase))
    info = KeyInfo(role, name, public_key_of(private), private)
    write_public(keys_dir, info)
    return info


def _write_private_key(path: Path, pem: bytes) -> None:
    """Created exclusively with its restrictive mode from the start: the key is never, even
    for a moment, readable by others, and an existing key is never replaced (which is why
    this is not ``durable.atomic_write``: that renames over the target)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_KEY_MODE)
    except FileExistsError:
        raise SigningError(f"{path} exists; keys are never overwritten") from None
    os.fchmod(fd, PRIVATE_KEY_MODE)  # os.open's mode passes through the umask
    with os.fdopen(fd, "wb") as f:
        f.write(pem)


def write_public(keys_dir: Path, info: KeyInfo) -> None:
    """The public key file beside the private one, for the other holders and for roots."""
    doc = {"role": info.role, "name": info.name, "keyid": info.keyid, "key": info.key.to_dict()}
    atomic_write(keys_dir / f"{info.role}-{info.name}.pub.json", (json.dumps(doc, indent=2) + "\n").encode(),
                 mode=PUBLIC_FILE_MODE)


def _is_encrypted(pem: bytes) -> bool:
    return b"ENCRYPTED" in pem.split(b"\n", 1)[0]


def _read_pem(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise SigningError(f"cannot read the key {path}: {e.strerror}") from None


def _open_pem(path: Path, pem: bytes, passphrase: bytes | None) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, passphrase if _is_encrypted(pem) else None)
    except (ValueError, TypeError) as e:
        raise SigningError(f"cannot open the key {path}: wrong passphrase or not a PEM key ({e})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path} is not an Ed25519 key")
    return key


def load_private_key(path: Path, passphrase: bytes | None = None, passphrase_file: Path | None = None,
                     *, passphrases: Passphrases | None = None) -> Ed25519PrivateKey:
    """Reads a PEM private key; asks for the passphrase (``passphrases``, else ``passphrase_file``,
    env, prompt) only if it is encrypted."""
    pem = _read_pem(path)
    if _is_encrypted(pem) and passphrase is None:
        passphrase = (passphrases or Passphrases(shared=passphrase_file)).to_open(key_label(path))
    return _open_pem(path, pem, passphrase)


def change_passphrase(path: Path, old: Passphrases, new_passphrase_file: Path | None = None) -> None:
    """Re-encrypts one holder's key under a new passphrase (its file, else a prompt, twice), asked
    for once the old one has opened the key: same key, same public file, mode 0600."""
    label = key_label(path)
    pem = _read_pem(path)
    private = load_private_key(path, passphrases=old)
    new = check_new_passphrase(label, _read_new_passphrase(label, new_passphrase_file))
    if _is_encrypted(pem):
        try:
            serialization.load_pem_private_key(pem, new)
        except (ValueError, TypeError):
            pass
        else:
            raise SigningError(f"the new passphrase for {label} is the old one")
    refuse_a_role_holders_passphrase(path, new)
    atomic_write(path, _pem(private, new), mode=PRIVATE_KEY_MODE)  # 0600 from the temp file's creation


def signer_of(private: Ed25519PrivateKey) -> CryptoSigner:
    """A signer for TUF metadata from a private key."""
    return CryptoSigner(private, public_key_of(private))


def load_signer(path: Path, passphrase: bytes | None = None, passphrase_file: Path | None = None,
                *, passphrases: Passphrases | None = None) -> CryptoSigner:
    """Opens a private key file (asking its holder's passphrase) as a signer."""
    return signer_of(load_private_key(path, passphrase, passphrase_file, passphrases=passphrases))
