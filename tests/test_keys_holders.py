"""``safar keys`` for separate key holders: each holder's key under their own passphrase
(``--passphrase-file ROLE-NAME=FILE``, or a prompt naming the key), a minimum length,
``safar keys passwd``, and a keys directory whose modes do not depend on the umask.

A 2-of-3 threshold means two people only if no one passphrase opens two keys.
"""

from __future__ import annotations

import getpass
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from clirun import run
from update_world import DEPLOYMENT

from host_tools import keys_cli, signing
from host_tools.signing.keyfiles import MIN_PASSPHRASE_CHARS

LABELS = ("root-1", "root-2", "root-3", "targets-border", "targets-migration", "targets-partner", "publish-1")


def _own(label: str) -> str:
    return f"{label} holder's own words"


@pytest.fixture(autouse=True)
def _no_shared_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(signing.PASSPHRASE_ENV, raising=False)


def _passphrase_file(tmp_path: Path, label: str, text: str) -> Path:
    path = tmp_path / f"pw-{label}"
    path.write_text(text + "\n")
    return path


def _per_holder_args(tmp_path: Path) -> list[object]:
    args: list[object] = []
    for label in LABELS:
        args += ["--passphrase-file", f"{label}={_passphrase_file(tmp_path, label, _own(label))}"]
    return args


def _opens(pem: Path, passphrase: str) -> bool:
    try:
        signing.load_private_key(pem, passphrase.encode())
    except signing.SigningError:
        return False
    return True


def test_each_holder_chooses_their_own_passphrase(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    code, _, err = run(keys_cli, "init", keys, "--deployment", DEPLOYMENT, *_per_holder_args(tmp_path))
    assert code == 0, err
    assert "share" not in err
    for label in LABELS:
        pem = keys / "keys" / f"{label}.pem"
        assert pem.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        assert _opens(pem, _own(label))
        assert not any(_opens(pem, _own(other)) for other in LABELS if other != label), label
    # a root change signs with the holders present, each with their own file
    code, _, err = run(keys_cli, "renew", keys, "--passphrase-file", f"root-1={tmp_path / 'pw-root-1'}",
                       "--passphrase-file", f"root-3={tmp_path / 'pw-root-3'}")
    assert code == 0, err
    assert (keys / "root" / "2.root.json").exists()


def test_the_prompt_asks_each_holder_by_their_key_and_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def typed(prompt: str = "") -> str:
        asked.append(prompt)
        return _own(next(label for label in LABELS if label in prompt))  # the confirmation names the key too

    monkeypatch.setattr(getpass, "getpass", typed)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    keys = tmp_path / "keys"
    code, _, err = run(keys_cli, "init", keys, "--deployment", DEPLOYMENT)
    assert code == 0, err
    assert len(asked) == 2 * len(LABELS)
    for label in LABELS:
        assert _opens(keys / "keys" / f"{label}.pem", _own(label))


def test_a_short_passphrase_is_refused_before_any_key_is_written(tmp_path: Path) -> None:
    args = _per_holder_args(tmp_path)
    _passphrase_file(tmp_path, "targets-partner", "too short")
    keys = tmp_path / "keys"
    code, out, err = run(keys_cli, "init", keys, "--deployment", DEPLOYMENT, *args)
    assert code == 1 and out == ""
    assert err == (f"safar keys: the passphrase for targets-partner is too short: use at least "
                   f"{MIN_PASSPHRASE_CHARS} characters\n")
    assert not list(keys.rglob("*.pem")) and not list(keys.rglob("*.json"))
    # the same for one passphrase for every key
    code, _, err = run(keys_cli, "init", keys, "--deployment", DEPLOYMENT,
                       "--passphrase-file", _passphrase_file(tmp_path, "all", "x"))
    assert code == 1 and "too short" in err
    assert not list(keys.rglob("*.pem"))


def test_a_passphrase_file_for_a_key_that_is_not_made_is_refused(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    code, _, err = run(keys_cli, "init", keys, "--deployment", DEPLOYMENT, *_per_holder_args(tmp_path),
                       "--passphrase-file", f"root-4={tmp_path / 'pw-root-1'}")
    assert code == 1 and err == "safar keys: a passphrase file is given for root-4, which init does not make\n"
    assert not list(keys.rglob("*.pem"))


def test_one_passphrase_for_every_key_is_allowed_with_a_warning(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    shared = _passphrase_file(tmp_path, "all", "correct horse battery staple")
    code, _, err = run(keys_cli, "init", keys, "--deployment", DEPLOYMENT, "--passphrase-file", shared)
    assert code == 0, err
    assert "share one passphrase" in err and "safar keys passwd" in err


def test_passwd_gives_one_key_a_new_passphrase(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    shared = _passphrase_file(tmp_path, "all", "correct horse battery staple")
    assert run(keys_cli, "init", keys, "--deployment", DEPLOYMENT, "--passphrase-file", shared)[0] == 0
    pem = keys / "keys" / "root-2.pem"
    public_before = (keys / "keys" / "root-2.pub.json").read_bytes()
    new = _passphrase_file(tmp_path, "new", _own("root-2"))
    before = pem.read_bytes()
    # the old passphrase must open the key; a short new one is refused; neither changes the file
    wrong = _passphrase_file(tmp_path, "wrong", "not the passphrase at all")
    code, _, err = run(keys_cli, "passwd", keys, "--name", "root-2", "--passphrase-file", wrong,
                       "--new-passphrase-file", new)
    assert code == 1 and "wrong passphrase" in err
    code, _, err = run(keys_cli, "passwd", keys, "--name", "root-2", "--passphrase-file", shared,
                       "--new-passphrase-file", _passphrase_file(tmp_path, "short", "short"))
    assert code == 1 and "too short" in err
    code, _, err = run(keys_cli, "passwd", keys, "--name", "root-2", "--passphrase-file", shared,
                       "--new-passphrase-file", shared)
    assert code == 1 and err == "safar keys: the new passphrase for root-2 is the old one\n"
    code, _, err = run(keys_cli, "passwd", keys, "--name", "root-9", "--passphrase-file", shared,
                       "--new-passphrase-file", new)
    assert code == 1 and "root-9" in err
    assert pem.read_bytes() == before
    code, out, err = run(keys_cli, "passwd", keys, "--name", "root-2", "--passphrase-file", shared,
                         "--new-passphrase-file", new)
    assert code == 0, err
    assert out == ""
    assert _opens(pem, _own("root-2")) and not _opens(pem, "correct horse battery staple")
    assert signing.public_key_of(signing.load_private_key(pem, _own("root-2").encode())).keyid in public_before.decode()
    assert (keys / "keys" / "root-2.pub.json").read_bytes() == public_before
    assert _opens(keys / "keys" / "root-1.pem", "correct horse battery staple")
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert sorted(p.name for p in (keys / "keys").iterdir() if p.name.startswith("root-2")) == [
        "root-2.pem", "root-2.pub.json"]


def test_passwd_encrypts_a_demo_key(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert run(keys_cli, "init", keys, "--deployment", DEPLOYMENT, "--no-passphrase")[0] == 0
    new = _passphrase_file(tmp_path, "new", _own("publish-1"))
    code, _, err = run(keys_cli, "passwd", keys, "--name", "publish-1", "--new-passphrase-file", new)
    assert code == 0, err
    assert (keys / "keys" / "publish-1.pem").read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert _opens(keys / "keys" / "publish-1.pem", _own("publish-1"))


@pytest.fixture(params=[0o000, 0o077, 0o022, 0o277], ids=lambda m: f"umask-{m:03o}")
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _modes(directory: Path) -> dict[str, int]:
    return {p.relative_to(directory).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in directory.rglob("*")}


def _expected(name: str) -> int:
    if name.endswith(".pem"):
        return 0o600
    if name.endswith(".json") or name.endswith(".json.partial"):
        return 0o644
    return 0o700


def test_a_keys_directory_ignores_the_umask(tmp_path: Path, umask: int) -> None:
    keys = tmp_path / "new" / "keys"
    assert run(keys_cli, "init", keys, "--deployment", DEPLOYMENT, "--no-passphrase")[0] == 0
    assert run(keys_cli, "add", keys, "--role", "targets", "--name", "extra", "--passphrase-file",
               _passphrase_file(tmp_path, "all", "correct horse battery staple"))[0] == 0
    assert run(keys_cli, "renew", keys, "--root-key", keys / "keys" / "root-1.pem")[0] == keys_cli.EXIT_PARTIAL
    modes = _modes(keys)
    assert "root/3.root.json.partial" in modes and "keys/targets-extra.pem" in modes
    assert {n: m for n, m in modes.items() if m != _expected(n)} == {}
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    assert run(keys_cli, "sign-root", keys, "--key", keys / "keys" / "root-2.pem")[0] == 0
    assert run(keys_cli, "passwd", keys, "--name", "root-3", "--new-passphrase-file", tmp_path / "pw-all")[0] == 0
    modes = _modes(keys)
    assert "root/3.root.json" in modes
    assert {n: m for n, m in modes.items() if m != _expected(n)} == {}


# -- issue 22, item 3: one passphrase for two holders of a role -----------------------------------------------


def test_init_refuses_one_passphrase_for_two_holders_of_a_role(tmp_path: Path) -> None:
    args = _per_holder_args(tmp_path)
    _passphrase_file(tmp_path, "root-3", _own("root-1"))  # root-3's holder chose root-1's words
    keys = tmp_path / "keys"
    code, out, err = run(keys_cli, "init", keys, "--deployment", DEPLOYMENT, *args)
    assert code == 1 and out == ""
    assert "root-1 and root-3" in err and "--allow-shared-passphrase" in err and err.count("\n") == 1, err
    assert _own("root-1") not in err
    assert not list(keys.rglob("*.pem")) and not list(keys.rglob("*.json"))
    code, _, err = run(keys_cli, "init", keys, "--deployment", DEPLOYMENT, *args, "--allow-shared-passphrase")
    assert code == 0, err
    assert "root-1 and root-3 share one passphrase" in err
    assert _opens(keys / "keys" / "root-3.pem", _own("root-1"))


def test_init_refuses_the_same_words_typed_at_two_prompts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def typed(prompt: str = "") -> str:
        label = next(label for label in LABELS if label in prompt)
        return _own("targets-border" if label == "targets-partner" else label)

    monkeypatch.setattr(getpass, "getpass", typed)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    code, _, err = run(keys_cli, "init", tmp_path / "keys", "--deployment", DEPLOYMENT)
    assert code == 1 and "targets-border and targets-partner" in err, err


def test_one_holder_of_two_roles_may_use_one_passphrase(tmp_path: Path) -> None:
    args = _per_holder_args(tmp_path)
    _passphrase_file(tmp_path, "publish-1", _own("root-1"))  # the same person holds root-1 and publish-1
    code, _, err = run(keys_cli, "init", tmp_path / "keys", "--deployment", DEPLOYMENT, *args)
    assert code == 0 and "share" not in err, err


def test_passwd_refuses_the_passphrase_of_another_holder_of_the_role(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert run(keys_cli, "init", keys, "--deployment", DEPLOYMENT, *_per_holder_args(tmp_path))[0] == 0
    pem = keys / "keys" / "root-2.pem"
    before = pem.read_bytes()
    old = f"root-2={tmp_path / 'pw-root-2'}"
    code, _, err = run(keys_cli, "passwd", keys, "--name", "root-2", "--passphrase-file", old,
                       "--new-passphrase-file", tmp_path / "pw-root-3")
    assert code == 1 and "root-3" in err and _own("root-3") not in err, err
    assert pem.read_bytes() == before
    # another role's holder's words: the same person may hold both keys
    code, _, err = run(keys_cli, "passwd", keys, "--name", "root-2", "--passphrase-file", old,
                       "--new-passphrase-file", tmp_path / "pw-publish-1")
    assert code == 0, err
    assert _opens(pem, _own("publish-1"))
