"""The timestamp's own short expiry (issue 12, item 8): ``safar bundle publish --timestamp-days``
and ``safar bundle refresh-timestamp``, the workstation side of ``verify_release(polled=True)``.

Keys are unencrypted (``--no-passphrase``): these tests are about the timestamp, not the passphrases.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from clirun import run
from update_world import DEPLOYMENT, World

from firmware.update.repository import read_repository
from firmware.update.trust import Floors, verify_release
from host_tools import bundle_cli, keys_cli, signing
from host_tools.signing import SigningError


def _timestamp(repo: Path) -> dict[str, object]:
    signed: dict[str, object] = json.loads((repo / "metadata" / "timestamp.json").read_bytes())["signed"]
    return signed


@pytest.fixture()
def published(tmp_path: Path) -> tuple[World, Path, Path]:
    """A signed bundle (valid until 2027-05-20) and its web repository, published with a 3-day timestamp."""
    keys = tmp_path / "keys"
    assert run(keys_cli, "init", keys, "--deployment", DEPLOYMENT, "--no-passphrase")[0] == 0
    world = World(tmp_path, keys)
    bundle = world.bundle(name="b-ts")
    for command, key in (("sign", "targets-border"), ("cosign", "targets-partner")):
        assert run(bundle_cli, command, bundle, "--key", keys / "keys" / f"{key}.pem")[0] == 0
    code, _, err = run(bundle_cli, "publish", bundle, tmp_path / "www", "--keys", keys, "--timestamp-days", "3")
    assert code == 0, err
    return world, bundle, tmp_path / "www"


def test_publish_gives_the_timestamp_days_and_refresh_re_signs_it(published: tuple[World, Path, Path]) -> None:
    world, _, repo = published
    before = _timestamp(repo)
    today = dt.datetime.now(dt.UTC)
    expires = dt.datetime.fromisoformat(str(before["expires"]))
    assert dt.timedelta(days=2) < expires - today <= dt.timedelta(days=3)  # not the list's 2027-05-21
    snapshot = json.loads((repo / "metadata" / "snapshot.json").read_bytes())["signed"]
    assert snapshot["expires"].startswith("2027-05-21")  # the snapshot lives as long as the list
    code, out, err = run(bundle_cli, "refresh-timestamp", repo, "--keys", world.keys, "--timestamp-days", "10")
    assert code == 0, err
    after = _timestamp(repo)
    assert after["version"] == int(str(before["version"])) + 1 and after["meta"] == before["meta"]
    assert f"timestamp version {after['version']}" in out
    later = dt.datetime.fromisoformat(str(after["expires"]))
    assert dt.timedelta(days=9) < later - today <= dt.timedelta(days=10)
    # a polling kiosk accepts the refreshed repository where the old timestamp would have run out
    meta, manifest = read_repository(repo, 1)
    verify_release(world.root, meta, manifest, Floors(), expires + dt.timedelta(hours=1), polled=True)


def test_a_timestamp_never_outlives_the_list(published: tuple[World, Path, Path]) -> None:
    world, _, repo = published
    signing.refresh_timestamp(repo, world.signer("publish-1"), days=7, now=dt.datetime(2027, 5, 19, tzinfo=dt.UTC))
    assert str(_timestamp(repo)["expires"]).startswith("2027-05-21T00:00:00")


def test_refresh_refuses_a_key_that_is_not_the_timestamp_key(published: tuple[World, Path, Path]) -> None:
    world, _, repo = published
    before = (repo / "metadata" / "timestamp.json").read_bytes()
    with pytest.raises(SigningError):
        signing.refresh_timestamp(repo, world.signer("targets-border"))
    with pytest.raises(SigningError):
        signing.refresh_timestamp(repo, world.signer("publish-1"), days=0)
    with pytest.raises(SigningError):
        signing.refresh_timestamp(repo / "nothing", world.signer("publish-1"))
    assert (repo / "metadata" / "timestamp.json").read_bytes() == before
    code, _, err = run(bundle_cli, "refresh-timestamp", repo, "--key", world.keys / "keys" / "targets-border.pem")
    assert code == 1 and "not a snapshot/timestamp key" in err


def test_verify_notes_an_expired_timestamp_but_a_stick_stays_valid(published: tuple[World, Path, Path]) -> None:
    world, _, repo = published
    code, out, _ = run(bundle_cli, "verify", repo, "--root", world.keys, "--now", "2027-01-10")
    assert code == 0, out
    assert "note     timestamp: expired" in out and "VALID" in out
