"""The trust decision (``firmware.update.trust.verify_release``): bytes in, a release or a reason out."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, Root, TargetFile
from update_world import (
    DEPLOYMENT,
    TODAY,
    World,
    make_world,
    raw_repository,
    rewrite_manifest,
    signed_targets,
)

from firmware.update.errors import UpdateError
from firmware.update.repository import read_repository
from firmware.update.trust import (
    DEPLOYMENT_FIELD,
    Floors,
    Release,
    TargetCheck,
    as_utc,
    poll_warning,
    timestamp_freshness,
    verify_release,
)
from host_tools import signing

NO_FLOORS = Floors()  # a kiosk that never installed a list


def verify(root: bytes, repo: Path, floors: Floors = NO_FLOORS, clock: dt.date | dt.datetime = TODAY,
           trusted_version: int = 1) -> Release:
    meta, manifest = read_repository(repo, trusted_version)
    return verify_release(root, meta, manifest, floors, clock)


def refused(root: bytes, repo: Path, code: str | tuple[str, ...], **kw: object) -> UpdateError:
    with pytest.raises(UpdateError) as info:
        verify(root, repo, **kw)  # type: ignore[arg-type]
    codes = (code,) if isinstance(code, str) else code
    assert info.value.code in codes, str(info.value)
    return info.value


@pytest.fixture(scope="module")
def good(world: World) -> Path:
    return world.repo(world.bundle(), name="good")


def test_a_good_release(world: World, good: Path) -> None:
    r = verify(world.root, good)
    assert r.list_version == 20261101 and r.deployment == DEPLOYMENT
    assert [s.split(" ")[0] for s in r.signed_by] == ["targets-border", "targets-migration"]
    assert not r.root_updated and not r.clock_behind
    assert r.manifest.valid_until == dt.date(2027, 5, 20)
    assert set(r.files()) <= set(r.targets.targets)


def test_unsigned_unknown_key_and_below_threshold(world: World) -> None:
    bundle = world.bundle(name="b-sigs")
    unsigned = raw_repository(world, bundle, signed_targets(world, bundle, ()), world.tmp / "r-unsigned")
    e = refused(world.root, unsigned, "unsigned")
    assert "targets.json carries no signatures" in e.reason

    stranger = Metadata(signing.bundle_targets(bundle))
    stranger.sign(CryptoSigner.generate_ed25519(), append=True)
    stranger.sign(CryptoSigner.generate_ed25519(), append=True)
    refused(world.root, raw_repository(world, bundle, stranger, world.tmp / "r-stranger"), "unknown-key")

    one = raw_repository(world, bundle, signed_targets(world, bundle, ("targets-partner",)), world.tmp / "r-one")
    e = refused(world.root, one, "threshold")
    assert "1 of the 2" in e.reason and "targets-partner" in e.reason

    # a root key is not a targets key, however many there are
    roots = raw_repository(world, bundle, signed_targets(world, bundle, ("root-1", "root-2", "root-3")),
                           world.tmp / "r-rootkeys")
    refused(world.root, roots, "unknown-key")

    # one good signature plus a stranger's is still below the threshold
    mixed = signed_targets(world, bundle, ("targets-border",))
    mixed.sign(CryptoSigner.generate_ed25519(), append=True)
    refused(world.root, raw_repository(world, bundle, mixed, world.tmp / "r-mixed"), "threshold")

    # snapshot and timestamp must come from the publish key
    wrong_pub = raw_repository(world, bundle, signed_targets(world, bundle, ("targets-border", "targets-partner")),
                               world.tmp / "r-pub", publish_signer=world.signer("targets-border"))
    e = refused(world.root, wrong_pub, "unknown-key")
    assert e.file == "timestamp.json"

    ok = raw_repository(world, bundle, signed_targets(world, bundle, ("targets-border", "targets-partner")),
                        world.tmp / "r-ok")
    assert verify(world.root, ok).list_version == 20261101


def _flip_every_byte(root: bytes, repo: Path, rel: str) -> int:
    """Every one-bit change of the file ``rel`` is refused; the file as it is, accepted.

    The repository is read once and the file varied in memory: what is tested is the
    verification, not thousands of rewrites of a file on disk.
    """
    meta, manifest = read_repository(repo, 1)
    folder, name = rel.split("/")

    def verify_with(data: bytes) -> Release:
        if folder == "targets":
            return verify_release(root, meta, data, NO_FLOORS, TODAY)
        if name.endswith(".root.json"):
            meta.roots[int(name.split(".")[0])] = data
        else:
            setattr(meta, name.removesuffix(".json"), data)
        return verify_release(root, meta, manifest, NO_FLOORS, TODAY)

    data = (repo / rel).read_bytes()
    for i in range(len(data)):
        with pytest.raises(UpdateError):
            verify_with(data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:])
    verify_with(data)  # also proves the bytes varied were this file's
    return len(data)


@pytest.mark.slow
@pytest.mark.parametrize("rel", ["metadata/timestamp.json", "metadata/snapshot.json", "metadata/targets.json",
                                 "targets/manifest.json"])
def test_any_flipped_byte_of_metadata_or_manifest_is_refused(world: World, rel: str, tmp_path: Path) -> None:
    repo = world.repo(world.bundle(name="b-flip"), name="r-flip")
    copy = tmp_path / "repo"
    shutil.copytree(repo, copy)
    assert _flip_every_byte(world.root, copy, rel) > 100


def test_truncated_and_padded_metadata(world: World, good: Path, tmp_path: Path) -> None:
    for rel in ("metadata/timestamp.json", "metadata/snapshot.json", "metadata/targets.json",
                "targets/manifest.json"):
        copy = tmp_path / rel.replace("/", "_")
        shutil.copytree(good, copy)
        data = (copy / rel).read_bytes()
        for cut in (0, 1, len(data) // 2, len(data) - 1):
            (copy / rel).write_bytes(data[:cut])
            refused(world.root, copy, ("truncated", "malformed", "tampered"))
        # a trailing blank is still valid JSON: only the signed length catches it
        (copy / rel).write_bytes(data + b" ")
        if rel != "metadata/timestamp.json":
            refused(world.root, copy, ("oversized", "tampered"))
        (copy / rel).write_bytes(data + b" " * (2 << 20))
        refused(world.root, copy, "oversized")


def test_target_check_every_byte_length_and_hash(world: World, good: Path) -> None:
    r = verify(world.root, good)
    for name in r.files():
        data = (good / "targets" / name).read_bytes()
        TargetCheck.of_bytes(name, r.target(name), data)
        for i in range(len(data)):
            with pytest.raises(UpdateError) as e:
                TargetCheck.of_bytes(name, r.target(name), data[:i] + bytes([data[i] ^ 0x80]) + data[i + 1:])
            assert e.value.code == "tampered"
        with pytest.raises(UpdateError, match="truncated"):
            TargetCheck.of_bytes(name, r.target(name), data[:-1])
        check = r.checker(name)
        check.update(data)
        with pytest.raises(UpdateError) as e:
            check.update(b"\0")
        assert e.value.code == "oversized"


def test_expired_and_the_time_floor(world: World) -> None:
    repo = world.repo(world.bundle(valid_until=dt.date(2026, 11, 10), name="b-short"), name="r-short")
    assert verify(world.root, repo, clock=dt.date(2026, 11, 10)).list_version  # the last valid day
    e = refused(world.root, repo, "expired", clock=dt.date(2026, 11, 11))
    assert "expired" in e.reason
    # a clock set back never makes an expired list acceptable: the floor wins
    floors = Floors(0, as_utc(dt.date(2026, 12, 1)))
    refused(world.root, repo, "expired", floors=floors, clock=dt.date(2026, 11, 5))
    # a clock behind the floor is reported, and a list still valid at the floor is accepted
    good = world.repo(world.bundle(name="b-floor"), name="r-floor")
    r = verify(world.root, good, floors=Floors(0, as_utc(dt.date(2026, 11, 20))), clock=dt.datetime(1970, 1, 1))
    assert r.clock_behind and r.reference_time.date() == dt.date(2026, 11, 20)
    assert not verify(world.root, good, clock=dt.date(2026, 11, 20)).clock_behind


def test_rollback_is_refused(world: World, good: Path) -> None:
    e = refused(world.root, good, "rollback", floors=Floors(20261201))
    assert "20261101" in e.reason and "20261201" in e.reason
    assert verify(world.root, good, floors=Floors(20261101)).list_version == 20261101  # equal: install decides


def test_another_deployment_is_refused(world: World, tmp_path: Path) -> None:
    # the same keys, a list built for another deployment (``signing.publish`` refuses to lay it out)
    uz = world.bundle(deployment="safar-uz", name="b-uz")
    with pytest.raises(signing.SigningError, match="deployment"):
        world.repo(uz, name="r-uz")
    other = raw_repository(world, uz, signed_targets(world, uz, ("targets-border", "targets-partner")),
                           tmp_path / "r-uz")
    e = refused(world.root, other, "deployment")
    assert "safar-uz" in e.reason
    # targets claiming this deployment around a manifest for another
    bundle = world.bundle(deployment="safar-uz", name="b-uz2")
    md = Metadata(signing.bundle_targets(bundle))
    md.signed.unrecognized_fields[DEPLOYMENT_FIELD] = DEPLOYMENT
    for s in ("targets-border", "targets-partner"):
        md.sign(world.signer(s), append=True)
    refused(world.root, raw_repository(world, bundle, md, tmp_path / "r"), "deployment")
    # another deployment's own keys and root
    w2 = make_world(tmp_path / "w2", deployment="safar-other")
    repo2 = w2.repo(w2.bundle(deployment="safar-other"))
    refused(world.root, repo2, "unknown-key")
    assert verify(w2.root, repo2).deployment == "safar-other"


def test_manifest_must_match_the_targets(world: World, tmp_path: Path) -> None:
    bundle = world.bundle(name="b-bind")
    md = Metadata(signing.bundle_targets(bundle))
    dropped = sorted(n for n in md.signed.targets if n.endswith(".gcs"))[0]
    del md.signed.targets[dropped]
    for s in ("targets-border", "targets-partner"):
        md.sign(world.signer(s), append=True)
    e = refused(world.root, raw_repository(world, bundle, md, tmp_path / "r1"), "missing")
    assert dropped in e.reason

    md2 = Metadata(signing.bundle_targets(bundle))
    md2.signed.version += 1
    for s in ("targets-border", "targets-partner"):
        md2.sign(world.signer(s), append=True)
    refused(world.root, raw_repository(world, bundle, md2, tmp_path / "r2"), "inconsistent")


def test_malformed_manifest_even_if_signed(world: World, tmp_path: Path) -> None:
    bundle = world.bundle(name="b-badman")
    md = Metadata(signing.bundle_targets(bundle))
    rewrite_manifest(bundle, {"hash_scheme": "md5"})  # signing.bundle_targets would refuse it
    md.signed.targets["manifest.json"] = TargetFile.from_file("manifest.json", str(bundle / "manifest.json"))
    for s in ("targets-border", "targets-partner"):
        md.sign(world.signer(s), append=True)
    repo = raw_repository(world, bundle, md, tmp_path / "r")
    assert "hash scheme" in refused(world.root, repo, "malformed").reason


def _rotate(w: World, change: str, sign_with: tuple[str, ...]) -> Path:
    md = signing.next_root_version(w.keys)
    root = md.signed
    kdir = w.keys / "keys"
    if change == "targets":
        new = signing.write_key_pair(kdir, "targets", "partner2", None)
        old = next(k for k, n in root.unrecognized_fields["x-safar-key-names"].items() if n == "targets-partner")
        signing.remove_role_key(root, "targets", old)
        signing.add_role_key(root, "targets", new)
    elif change == "root":
        new = signing.write_key_pair(kdir, "root", "4", None)
        old = next(k for k, n in root.unrecognized_fields["x-safar-key-names"].items() if n == "root-3")
        signing.remove_role_key(root, "root", old)
        signing.add_role_key(root, "root", new)
    elif change == "deployment":
        root.unrecognized_fields[DEPLOYMENT_FIELD] = "safar-elsewhere"
    signing.sign_root_version(w.keys, md, [w.signer(s) for s in sign_with])
    return signing.write_root_version(w.keys, md, allow_partial=True)


def test_key_rotation_through_new_root_versions(tmp_path: Path) -> None:
    w = make_world(tmp_path)
    v1 = w.root
    # root 2 replaces the partner's targets key; signed by 2 of 3 root keys (old and new root alike)
    assert _rotate(w, "targets", ("root-1", "root-2")).name == "2.root.json"
    repo = w.repo(w.bundle(), signers=("targets-border", "targets-partner2"))
    r = verify(v1, repo)
    assert r.root_updated and r.root.version == 2 and "targets-partner2" in " ".join(r.signed_by)
    # the retired key no longer counts
    bundle = w.bundle(name="b-old-key")
    old = raw_repository(w, bundle, signed_targets(w, bundle, ("targets-border", "targets-partner")), tmp_path / "o")
    refused(v1, old, "threshold")
    # a tampered 2.root.json breaks the chain
    copy = tmp_path / "tampered"
    shutil.copytree(repo, copy)
    data = (copy / "metadata" / "2.root.json").read_bytes()
    assert b'"version":2' in data
    (copy / "metadata" / "2.root.json").write_bytes(data.replace(b'"version":2', b'"version":3', 1))
    refused(v1, copy, ("malformed", "inconsistent", "tampered", "threshold"))
    (copy / "metadata" / "2.root.json").write_bytes(data)
    assert _flip_every_byte(v1, copy, "metadata/2.root.json") > 500

    # root 3 replaces root key 3 with root key 4: needs 2 of the old root keys AND 2 of the new
    partial = _rotate(w, "root", ("root-1", "root-4"))
    assert partial.name.endswith(".partial")
    md = Metadata[Root].from_bytes(partial.read_bytes())
    repo3 = raw_repository(w, bundle, signed_targets(w, bundle, ("targets-border", "targets-partner2")),
                           tmp_path / "r3", roots=signing.root_chain(w.keys) + [md.to_bytes()])
    e = refused(v1, repo3, "threshold")
    assert "3.root.json" == e.file
    md.sign(w.signer("root-2"), append=True)
    signing.write_root_version(w.keys, md)
    repo3 = w.repo(w.bundle(version=20261201), signers=("targets-border", "targets-partner2"), name="r3ok")
    assert verify(v1, repo3).root.version == 3
    # a kiosk that already trusts root 2 walks only to 3
    assert verify(signing.root_chain(w.keys)[1], repo3, trusted_version=2).root.version == 3


def test_a_new_root_for_another_deployment_is_refused(tmp_path: Path) -> None:
    w = make_world(tmp_path)
    v1 = w.root
    _rotate(w, "deployment", ("root-1", "root-2"))
    bundle = w.bundle()
    repo = raw_repository(w, bundle, signed_targets(w, bundle, ("targets-border", "targets-partner")),
                          tmp_path / "r")
    assert "safar-elsewhere" in refused(v1, repo, "deployment").reason


def test_an_expired_root_needs_a_new_root_version(tmp_path: Path) -> None:
    signing.init_keys(tmp_path / "keys", DEPLOYMENT, passphrase=None, days=1)
    w = World(tmp_path, tmp_path / "keys")
    v1 = w.root
    later = dt.date.today() + dt.timedelta(days=10)
    repo = w.repo(w.bundle(list_date=dt.date.today(), valid_until=later + dt.timedelta(days=30)))
    e = refused(v1, repo, "expired", clock=later)
    assert "root" in e.reason
    md = signing.next_root_version(w.keys, days=3650)
    signing.sign_root_version(w.keys, md, [w.signer("root-1"), w.signer("root-3")])
    signing.write_root_version(w.keys, md)
    repo = w.repo(w.bundle(list_date=dt.date.today(), valid_until=later + dt.timedelta(days=30)), name="r2")
    assert verify(v1, repo, clock=later).root.version == 2


def test_the_timestamp_expiry_is_judged_for_polled_repositories_only(world: World) -> None:
    """A frozen mirror (issue 12, item 8): the timestamp runs out in days, not with the list."""
    bundle = world.bundle(name="b-stale-ts")
    world.repo(bundle, name="r-stale-ts-unused")  # signs the bundle
    signed = dt.datetime(2026, 11, 10, tzinfo=dt.UTC)
    repo = signing.publish(bundle, world.tmp / "r-stale-ts", signing.root_chain(world.keys),
                           world.signer("publish-1"), timestamp_days=7, now=signed)
    meta, manifest = read_repository(repo, 1)
    offline = verify_release(world.root, meta, manifest, NO_FLOORS, TODAY)  # USB, serial: the list's validity
    assert offline.timestamp_expires == signed + dt.timedelta(days=7)
    with pytest.raises(UpdateError) as info:
        verify_release(world.root, meta, manifest, NO_FLOORS, TODAY, polled=True)
    assert (info.value.code, info.value.file) == ("expired", "timestamp.json")
    assert "2026-11-17" in info.value.reason
    fresh = verify_release(world.root, meta, manifest, NO_FLOORS, dt.date(2026, 11, 16), polled=True)
    # the day before it runs out, a kiosk polling daily is warned; a clock set back does not hide it
    day = dt.timedelta(days=1)
    assert poll_warning(fresh.timestamp_expires, fresh.reference_time, day) is not None
    assert poll_warning(fresh.timestamp_expires, fresh.reference_time - day, day) is None
    assert timestamp_freshness(meta.timestamp, NO_FLOORS, dt.date(2026, 11, 15), day) is None
    assert timestamp_freshness(meta.timestamp, NO_FLOORS, dt.date(2026, 11, 16), day) is not None
    with pytest.raises(UpdateError) as info:
        timestamp_freshness(meta.timestamp, Floors(0, as_utc(dt.date(2026, 11, 20))), dt.date(2026, 11, 1), day)
    assert info.value.code == "expired"
    with pytest.raises(UpdateError) as info:
        timestamp_freshness(b"not json", NO_FLOORS, TODAY, day)
    assert info.value.code == "malformed"
    # the other roles are judged as ever: an expired list is refused from a stick too
    refused(world.root, repo, "expired", clock=dt.date(2027, 5, 21))
