"""``safar keys`` and ``safar bundle`` beyond the ceremony in test_update_cli: retiring a key,
refusals that leave the keys directory as it was, and publishing that leaves no temporary file.

Keys here are unencrypted (``--no-passphrase``): these tests are about the root versions
and the repository, not the passphrases.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from clirun import run
from update_world import DEPLOYMENT, World

from host_tools import bundle_cli, keys_cli


@pytest.fixture()
def keys(tmp_path: Path) -> Path:
    keys = tmp_path / "keys"
    code, _, err = run(keys_cli, "init", keys, "--deployment", DEPLOYMENT, "--no-passphrase")
    assert code == 0, err
    return keys


def _files(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*")}


def test_remove_retires_a_key_and_keeps_or_sets_the_threshold(keys: Path) -> None:
    code, out, err = run(keys_cli, "remove", keys, "--role", "targets", "--name", "partner")
    assert code == 0, err
    shown = json.loads(out)["roles"]["targets"]
    assert shown == {"threshold": 2, "keys": ["targets-border", "targets-migration"]}
    code, out, err = run(keys_cli, "remove", keys, "--role", "targets", "--name", "migration", "--threshold", "1")
    assert code == 0, err
    assert json.loads(out)["roles"]["targets"] == {"threshold": 1, "keys": ["targets-border"]}
    # show reads a root.json as well as a keys directory
    code, out, _ = run(keys_cli, "show", keys / "root" / "3.root.json")
    assert code == 0 and json.loads(out)["version"] == 3


def test_a_refused_change_writes_no_key_and_no_root_version(keys: Path) -> None:
    before = _files(keys)
    code, _, err = run(keys_cli, "rotate", keys, "--role", "targets", "--replace", "nobody")
    assert code == 1 and err == "safar keys: root version 2 has no key named 'targets-nobody'\n"
    code, _, err = run(keys_cli, "remove", keys, "--role", "targets", "--name", "border", "--threshold", "3")
    assert code == 1 and "threshold 3 impossible with 2 key(s)" in err
    assert _files(keys) == before


def test_a_pending_root_version_blocks_the_next_change(keys: Path) -> None:
    code, _, err = run(keys_cli, "renew", keys, "--root-key", keys / "keys" / "root-1.pem")
    assert code == keys_cli.EXIT_PARTIAL, err
    code, _, err = run(keys_cli, "add", keys, "--role", "publish", "--name", "2", "--no-passphrase")
    assert code == 2  # add takes no --no-passphrase: a usage error, before anything is read
    code, _, err = run(keys_cli, "remove", keys, "--role", "targets", "--name", "partner")
    assert code == 1 and "pending signatures" in err
    code, _, err = run(keys_cli, "sign-root", keys, "--key", keys / "keys" / "root-2.pem")
    assert code == 0, err
    assert sorted(p.name for p in (keys / "root").iterdir()) == ["1.root.json", "2.root.json"]


def test_verify_with_a_root_that_is_not_root_metadata_is_one_line(keys: Path, tmp_path: Path) -> None:
    not_root = tmp_path / "root.json"
    not_root.write_text('{"signed": {}}')
    code, out, err = run(bundle_cli, "verify", tmp_path, "--root", not_root)
    assert code == 1 and out == ""
    assert err.startswith(f"safar bundle: {not_root} is not TUF root metadata") and err.count("\n") == 1
    code, _, err = run(bundle_cli, "verify", tmp_path, "--root", tmp_path / "missing.json")
    assert code == 1 and err.startswith("safar bundle: cannot read the root")


def test_publish_leaves_only_the_repository_and_replaces_an_older_one(keys: Path, tmp_path: Path) -> None:
    world = World(tmp_path, keys)
    k = keys / "keys"
    for version in (20261101, 20261201):
        bundle = world.bundle(version=version, name=f"b{version}")
        assert run(bundle_cli, "sign", bundle, "--key", k / "targets-border.pem")[0] == 0
        assert run(bundle_cli, "cosign", bundle, "--key", k / "targets-partner.pem", "--root", keys)[0] == 0
        code, out, err = run(bundle_cli, "publish", bundle, tmp_path / "stick", "--keys", keys, "--usb")
        assert code == 0, err
        repo = tmp_path / "stick" / "SAFAR-LISTS"
        assert out == f"published to {repo}\n"
        assert _files(repo) == {"metadata", "targets", "metadata/1.root.json", "metadata/root.json",
                                "metadata/targets.json", "metadata/snapshot.json", "metadata/timestamp.json",
                                "targets/manifest.json", "targets/documents.gcs", "targets/names.gcs"}
        assert (repo / "targets" / "documents.gcs").read_bytes() == (bundle / "documents.gcs").read_bytes()
        assert json.loads((repo / "metadata" / "timestamp.json").read_bytes())["signed"]["version"] == version
        assert _files(bundle) == {"manifest.json", "documents.gcs", "names.gcs", "targets.json"}
    code, out, _ = run(bundle_cli, "verify", tmp_path / "stick", "--root", keys, "--now", "2026-12-02")
    assert code == 0 and "list version 20261201" in out


def test_private_keys_are_created_readable_by_their_holder_only(keys: Path) -> None:
    for pem in (keys / "keys").glob("*.pem"):
        assert os.stat(pem).st_mode & 0o777 == 0o600, pem.name
