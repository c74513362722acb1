"""``safar keys`` and ``safar bundle`` end to end: encrypted keys, a signing ceremony, a USB stick, a kiosk."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from clirun import run
from update_world import DEPLOYMENT, World, make_world

from firmware.update import install, installed, provision
from firmware.usb import USB_FOLDER
from host_tools import bundle_cli, keys_cli

NOW = dt.date(2026, 11, 23)


@pytest.fixture()
def ceremony(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.delenv("SAFAR_PASSPHRASE", raising=False)
    pw = tmp_path / "pw"
    pw.write_text("correct horse battery staple\n")
    keys = tmp_path / "keys"
    code, out, err = run(keys_cli, "init", keys, "--deployment", DEPLOYMENT, "--passphrase-file", pw)
    assert code == 0, err
    desc = json.loads(out)
    assert desc["roles"]["root"]["threshold"] == 2 and len(desc["roles"]["targets"]["keys"]) == 3
    return keys, pw


def test_keys_are_encrypted_and_need_the_passphrase(ceremony: tuple[Path, Path], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    keys, pw = ceremony
    pem = (keys / "keys" / "targets-border.pem").read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert oct((keys / "keys" / "targets-border.pem").stat().st_mode & 0o777) == "0o600"
    W = World(tmp_path, keys)
    bundle = W.bundle()
    wrong = tmp_path / "wrong"
    wrong.write_text("nope")
    code, _, err = run(bundle_cli, "sign", bundle, "--key", keys / "keys/targets-border.pem",
                       "--passphrase-file", wrong)
    assert code == 1 and "wrong passphrase" in err
    monkeypatch.setenv("SAFAR_PASSPHRASE", "correct horse battery staple")
    code, out, err = run(bundle_cli, "sign", bundle, "--key", keys / "keys/targets-border.pem", "--root", keys)
    assert code == 0, err
    assert "1 valid of 2 required" in out
    # init refuses to overwrite
    assert run(keys_cli, "init", keys, "--deployment", DEPLOYMENT, "--passphrase-file", pw)[0] == 1


def test_sign_cosign_verify_publish_install(ceremony: tuple[Path, Path], tmp_path: Path) -> None:
    keys, pw = ceremony
    W = World(tmp_path, keys)
    bundle = W.bundle()
    k = keys / "keys"
    assert run(bundle_cli, "cosign", bundle, "--key", k / "targets-border.pem", "--passphrase-file", pw)[0] == 1
    assert run(bundle_cli, "sign", bundle, "--key", k / "targets-border.pem", "--passphrase-file", pw)[0] == 0
    code, out, _ = run(bundle_cli, "verify", bundle, "--root", keys / "root.json", "--now", NOW)
    assert code == 1 and "1 valid of 2 required" in out and "NOT VALID" in out
    # publish refuses below the threshold
    assert run(bundle_cli, "publish", bundle, tmp_path / "usb", "--keys", keys, "--passphrase-file", pw)[0] == 1
    # a root key is not a list signer
    code, _, err = run(bundle_cli, "cosign", bundle, "--key", k / "root-1.pem", "--root", keys,
                       "--passphrase-file", pw)
    assert code == 1 and "not a targets key" in err
    assert run(bundle_cli, "cosign", bundle, "--key", k / "targets-partner.pem", "--passphrase-file", pw)[0] == 0
    code, out, _ = run(bundle_cli, "verify", bundle, "--root", keys / "root.json", "--now", NOW)
    assert code == 0 and "2 valid of 2 required" in out and out.rstrip().endswith("VALID"), out
    code, out, err = run(bundle_cli, "publish", bundle, tmp_path / "usb", "--keys", keys, "--usb",
                         "--passphrase-file", pw)
    assert code == 0, err
    code, out, _ = run(bundle_cli, "verify", tmp_path / "usb", "--root", keys / "root.json", "--now", NOW, "--json")
    assert code == 0 and json.loads(out)["ok"] and json.loads(out)["list_version"] == 20261101
    # expired as of a later date
    code, out, _ = run(bundle_cli, "verify", tmp_path / "usb", "--root", keys / "root.json", "--now", "2028-01-01")
    assert code == 1 and "[expired]" in out
    # a byte changed on the stick
    f = sorted((tmp_path / "usb" / USB_FOLDER / "targets").glob("*.gcs"))[0]
    data = f.read_bytes()
    f.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    code, out, _ = run(bundle_cli, "verify", tmp_path / "usb", "--root", keys / "root.json", "--now", NOW)
    assert code == 1 and f"INVALID  {f.name}" in out
    f.write_bytes(data)
    # the kiosk
    state = tmp_path / "kiosk"
    provision(state, (keys / "root.json").read_bytes())
    assert install(state, tmp_path / "usb", now=NOW).list_version == 20261101
    # files changed after signing: cosign refuses, sign starts over
    (bundle / "manifest.json").write_text((bundle / "manifest.json").read_text().replace("1e-07", "1.0e-07"))
    code, _, err = run(bundle_cli, "cosign", bundle, "--key", k / "targets-migration.pem", "--passphrase-file", pw)
    assert code == 1 and "changed since it was signed" in err


def test_rotation_ceremony_reaches_the_kiosk(ceremony: tuple[Path, Path], tmp_path: Path) -> None:
    keys, pw = ceremony
    k = keys / "keys"
    state = tmp_path / "kiosk"
    provision(state, (keys / "root.json").read_bytes())
    # the partner's key is replaced; only root key 1 is at hand: root 2 is pending
    code, out, err = run(keys_cli, "rotate", keys, "--role", "targets", "--replace", "partner", "--name", "partner2",
                         "--root-key", k / "root-1.pem", "--passphrase-file", pw)
    assert code == keys_cli.EXIT_PARTIAL, err
    assert (keys / "root" / "2.root.json.partial").exists() and not (keys / "root" / "2.root.json").exists()
    assert run(keys_cli, "add", keys, "--role", "targets", "--name", "x", "--passphrase-file", pw)[0] == 1
    code, _, err = run(keys_cli, "sign-root", keys, "--key", k / "root-3.pem", "--passphrase-file", pw)
    assert code == 0, err
    code, out, _ = run(keys_cli, "show", keys)
    shown = json.loads(out)
    assert shown["version"] == 2 and "targets-partner2" in shown["roles"]["targets"]["keys"]
    assert "targets-partner" not in shown["roles"]["targets"]["keys"]
    # a new root key: the new version needs 2 of the old root keys and 2 of the new
    code, out, err = run(keys_cli, "add", keys, "--role", "root", "--name", "4", "--threshold", "3",
                         "--passphrase-file", pw)
    assert code == 0, err
    assert json.loads(out)["roles"]["root"]["threshold"] == 3
    W = World(tmp_path, keys)
    bundle = W.bundle(version=20261201, list_date=dt.date(2026, 12, 1))
    for i, name in enumerate(("targets-partner2", "targets-migration")):
        assert run(bundle_cli, "cosign" if i else "sign", bundle, "--key", k / f"{name}.pem",
                   "--passphrase-file", pw)[0] == 0
    assert run(bundle_cli, "publish", bundle, tmp_path / "web", "--keys", keys, "--passphrase-file", pw)[0] == 0
    r = install(state, tmp_path / "web", now=dt.date(2026, 12, 2))
    assert r.root_version == 3 and r.list_version == 20261201
    with installed(state, now=dt.date(2026, 12, 2)) as inst:
        assert inst.banlist is not None and "targets-partner2" in " ".join(inst.signed_by)
    # renew: same keys, new version and expiry
    code, out, err = run(keys_cli, "renew", keys, "--days", "100", "--passphrase-file", pw)
    assert code == 0, err
    assert json.loads(out)["version"] == 4 and os.path.exists(keys / "root" / "4.root.json")


def test_kiosk_update_cli(tmp_path: Path) -> None:
    from firmware.app import update_cli

    w = make_world(tmp_path / "w")
    state = tmp_path / "state"
    (tmp_path / "root.json").write_bytes(w.root)
    code, _, err = run(update_cli, "status", "--state", state)
    assert code == 1
    assert run(update_cli, "provision", tmp_path / "root.json", "--state", state)[0] == 0
    code, out, _ = run(update_cli, "status", "--state", state, "--json")
    assert code == 1 and json.loads(out)["reason"] == "no list installed"
    bundle = w.bundle(list_date=dt.date.today(), valid_until=dt.date.today() + dt.timedelta(days=30))
    repo = w.repo(bundle)
    code, out, err = run(update_cli, "install", repo, "--state", state)
    assert code == 0 and json.loads(out)["action"] == "installed", err
    code, out, _ = run(update_cli, "status", "--state", state, "--deep")
    assert code == 0 and "signed by targets-border" in out and "install installed" in out
    code, _, err = run(update_cli, "install", tmp_path / "nowhere", "--state", state)
    assert code == 1 and "refused [missing]" in err
    code, _, err = run(update_cli, "install", repo, "--state", state, "--config", tmp_path / "no-such.toml")
    assert code == 2 and "no-such.toml" in err  # a settings file that cannot be read is a usage error
    code, _, err = run(update_cli, "usb", "--state", state, "--root", tmp_path / "nothing")
    assert code == 1 and "no SAFAR-LISTS" in err


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can make a directory another user owns")
def test_root_is_refused_in_the_kiosk_user_s_state_directory(tmp_path: Path) -> None:
    """Root would leave files there the kiosk's user cannot read (trust/ is 0750): out of service."""
    from firmware.app import update_cli

    (tmp_path / "root.json").write_bytes(make_world(tmp_path / "w").root)
    state = tmp_path / "state"
    state.mkdir()
    os.chown(state, 65534, 65534)  # nobody: the kiosk's user stands in
    code, _, err = run(update_cli, "provision", tmp_path / "root.json", "--state", state)
    assert code == 1 and f"{state} belongs to" in err and "sudo -u" in err
    assert list(state.iterdir()) == []  # nothing written
    assert run(update_cli, "status", "--state", state)[0] == 1  # reading is fine: no usable list
