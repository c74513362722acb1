"""The kiosk's trust files and clock floor survive a bad start (issue 12, items 3, 4, 7, 11e).

A deeply nested manifest is refused with a code, not a crash; a kiosk provisioned with no
clock judges expiry from its image's build date; a damaged ``trust/root.json`` or
``trust/floors.json`` is read from its verified backup copy and repaired by the next
install; an ``unchanged`` install replaced nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from clirun import run
from tuf.api.metadata import Metadata, TargetFile
from update_world import B_DATE, LIST_DATE, VALID_UNTIL, A, B, World, raw_repository

from firmware.app import update_cli
from firmware.banlist.errors import BundleError
from firmware.banlist.manifest import MANIFEST_NAME, parse_manifest
from firmware.update import StateLayout, UpdateError, audit_entries, install, installed, provision, read_floors
from firmware.update.errors import EXPIRED, MALFORMED, NO_LIST, PROVISIONED
from host_tools import list_cli, signing

NOW = dt.date(2026, 12, 5)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
GOOD_SIGNERS = ("targets-border", "targets-partner")
DEEP_MANIFEST = b'{"a":' + b"[" * 200_000 + b"]" * 200_000 + b"}"


# ---------------------------------------------------------------- item 3: a manifest nested too deep


def test_a_deeply_nested_manifest_is_a_bundle_error() -> None:
    with pytest.raises(BundleError) as info:
        parse_manifest(DEEP_MANIFEST)
    assert info.value.file == MANIFEST_NAME and "nested" in info.value.reason


def test_list_inspect_refuses_a_deeply_nested_manifest(world: World) -> None:
    bundle = world.bundle(name="h-deep-unsigned")
    (bundle / MANIFEST_NAME).write_bytes(DEEP_MANIFEST)
    code, out, err = run(list_cli, "inspect", bundle)
    assert code == 1 and out == ""
    assert err.startswith("safar list: ") and MANIFEST_NAME in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_install_refuses_a_signed_deeply_nested_manifest(world: World, state_with_a: Path, tmp_path: Path) -> None:
    bundle = world.bundle(version=B, list_date=B_DATE, name="h-deep-signed")
    targets = signing.bundle_targets(bundle)  # the sets' lengths and hashes from the good manifest
    (bundle / MANIFEST_NAME).write_bytes(DEEP_MANIFEST)
    targets.targets[MANIFEST_NAME] = TargetFile.from_data(MANIFEST_NAME, DEEP_MANIFEST, ["sha256"])
    md = Metadata(targets)
    for s in GOOD_SIGNERS:
        md.sign(world.signer(s), append=True)
    repo = raw_repository(world, bundle, md, tmp_path / "r-deep")
    with pytest.raises(UpdateError) as info:
        install(state_with_a, repo, now=NOW)
    assert info.value.code == MALFORMED and info.value.file == MANIFEST_NAME
    last = audit_entries(state_with_a)[-1]
    assert (last["action"], last["result"], last["code"], last["installed_version"]) == ("install", "refused",
                                                                                         MALFORMED, A)
    with installed(state_with_a, now=NOW) as inst:
        assert inst.list_version == A and inst.banlist is not None


# ---------------------------------------------------------------- item 4: no clock at the first start


def test_a_kiosk_with_no_clock_refuses_a_list_expired_before_its_image_was_built(world: World, tmp_path: Path) -> None:
    state = tmp_path / "s"
    built = VALID_UNTIL + dt.timedelta(days=100)
    provision(state, world.root, built=built)
    assert read_floors(state).time_floor.date() == built
    stale = world.repo(world.bundle(version=A, name="h-stale"), name="hr-stale")  # expired 100 days before
    with pytest.raises(UpdateError) as info:
        install(state, stale, now=EPOCH)
    assert info.value.code == EXPIRED
    assert audit_entries(state)[-1]["code"] == EXPIRED
    inst = installed(state, now=EPOCH)
    assert inst.banlist is None and inst.code == NO_LIST
    # provisioning again never lowers the floor, and a later build date raises it
    provision(state, world.root, built=LIST_DATE)
    assert read_floors(state).time_floor.date() == built
    provision(state, world.root, built=built + dt.timedelta(days=1))
    assert read_floors(state).time_floor.date() == built + dt.timedelta(days=1)


def test_an_installed_list_is_judged_at_the_floor_not_the_clock(world: World, repos: dict[str, Path],
                                                                tmp_path: Path) -> None:
    state = tmp_path / "s"
    provision(state, world.root, built=LIST_DATE)
    install(state, repos["A"], now=NOW)
    provision(state, world.root, built=VALID_UNTIL + dt.timedelta(days=1))  # a newer image, same root
    inst = installed(state, now=EPOCH)
    assert inst.banlist is None and inst.code == EXPIRED and inst.clock_behind


def test_provision_cli_takes_the_build_date(world: World, tmp_path: Path) -> None:
    root = tmp_path / "root.json"
    root.write_bytes(world.root)
    state = tmp_path / "s"
    assert run(update_cli, "provision", root, "--state", state, "--built", "2027-01-02")[0] == 0
    assert read_floors(state).time_floor == dt.datetime(2027, 1, 2, tzinfo=dt.UTC)
    code, _, err = run(update_cli, "provision", root, "--state", state, "--built", "soon")
    assert code == 2 and "soon" in err


# ---------------------------------------------------------------- item 7: damaged trust files


def test_a_damaged_floors_file_is_read_from_its_copy_and_repaired(repos: dict[str, Path], state_with_a: Path) -> None:
    layout = StateLayout(state_with_a)
    floors = read_floors(state_with_a)
    good = layout.floors.read_bytes()
    assert floors.list_version == A and layout.floors_backup.read_bytes() == good
    layout.floors.write_bytes(b"\0\0\0garbage")
    assert read_floors(state_with_a) == floors
    with installed(state_with_a, now=NOW) as inst:
        assert inst.banlist is not None and inst.list_version == A
        assert inst.warning and layout.floors.name in inst.warning
    assert install(state_with_a, repos["B"], now=NOW).action == "installed"
    assert layout.floors.read_bytes() == layout.floors_backup.read_bytes()
    assert read_floors(state_with_a).list_version == B
    # the primary alone is damaged: the backup copy's floors still hold
    layout.floors_backup.write_bytes(b"{")
    assert read_floors(state_with_a).list_version == B
    # both damaged: refused by code, never read as the zero floors
    layout.floors.write_bytes(b"{")
    with pytest.raises(UpdateError) as info:
        read_floors(state_with_a)
    assert info.value.code == MALFORMED


def test_a_damaged_root_is_read_from_its_verified_copy_and_repaired(world: World, repos: dict[str, Path],
                                                                    state_with_a: Path) -> None:
    layout = StateLayout(state_with_a)
    assert layout.trusted_root_backup.read_bytes() == world.root
    layout.trusted_root.write_bytes(world.root[: len(world.root) // 2])
    with installed(state_with_a, now=NOW) as inst:
        assert inst.banlist is not None and inst.list_version == A
        assert inst.warning and layout.trusted_root.name in inst.warning
    assert install(state_with_a, repos["B"], now=NOW).action == "installed"
    assert layout.trusted_root.read_bytes() == world.root == layout.trusted_root_backup.read_bytes()
    with installed(state_with_a, now=NOW) as inst:
        assert inst.list_version == B and inst.warning is None
    # a missing primary: the same
    layout.trusted_root.unlink()
    with installed(state_with_a, now=NOW) as inst:
        assert inst.banlist is not None
    provision(state_with_a, world.root)  # the image's root again repairs it too
    assert layout.trusted_root.read_bytes() == world.root


def _tampered_root(world: World) -> bytes:
    """The world's root with its key names changed after signing: the self-signatures fail."""
    return world.root.replace(b"targets-border", b"targets-burder")


def test_a_tampered_copy_of_the_root_is_never_trusted(world: World, state_with_a: Path) -> None:
    layout = StateLayout(state_with_a)
    # a tampered backup beside a good primary: the primary is used, the backup reported
    layout.trusted_root_backup.write_bytes(_tampered_root(world))
    with installed(state_with_a, now=NOW) as inst:
        assert inst.banlist is not None and inst.warning and "backup" in inst.warning
    # a damaged primary and a tampered backup: no root is trusted
    layout.trusted_root.write_bytes(b"{}")
    inst = installed(state_with_a, now=NOW)
    assert inst.banlist is None and inst.code == MALFORMED
    with pytest.raises(UpdateError) as info:
        install(state_with_a, state_with_a, now=NOW)
    assert info.value.code == MALFORMED
    assert layout.trusted_root_backup.read_bytes() == _tampered_root(world)  # nothing "repaired" from it
    # the technician's way back: provision the image's root with force
    with pytest.raises(UpdateError) as info:
        provision(state_with_a, world.root)
    assert info.value.code == PROVISIONED
    provision(state_with_a, world.root, force=True)
    with installed(state_with_a, now=NOW) as inst:
        assert inst.banlist is not None and inst.warning is None


def test_a_tampered_backup_with_no_primary_is_not_trusted(world: World, tmp_path: Path) -> None:
    state = tmp_path / "s"
    provision(state, world.root)
    layout = StateLayout(state)
    layout.trusted_root.unlink()
    layout.trusted_root_backup.write_bytes(_tampered_root(world))
    inst = installed(state, now=NOW)
    assert inst.banlist is None and inst.code is not None and inst.code != NO_LIST


def test_unreadable_floors_are_reset_only_by_a_forced_provision(world: World, state_with_a: Path) -> None:
    layout = StateLayout(state_with_a)
    for path in (layout.floors, layout.floors_backup):
        path.write_bytes(b"not json")
    with pytest.raises(UpdateError) as info:
        provision(state_with_a, world.root)
    assert info.value.code == MALFORMED
    provision(state_with_a, world.root, force=True, built=LIST_DATE)
    assert read_floors(state_with_a).time_floor.date() == LIST_DATE
    with installed(state_with_a, now=NOW) as inst:
        assert inst.banlist is not None and inst.warning is None


def test_old_kiosks_without_copies_get_them_at_the_next_install(world: World, repos: dict[str, Path],
                                                                 state_with_a: Path) -> None:
    layout = StateLayout(state_with_a)
    layout.trusted_root_backup.unlink()
    layout.floors_backup.unlink()
    with installed(state_with_a, now=NOW) as inst:
        assert inst.banlist is not None and inst.warning is None  # a missing copy is not damage
    assert install(state_with_a, repos["A"], now=NOW).action == "unchanged"
    assert layout.trusted_root_backup.read_bytes() == world.root
    assert layout.floors_backup.read_bytes() == layout.floors.read_bytes()


# ---------------------------------------------------------------- item 11e


def test_an_unchanged_install_replaced_nothing(repos: dict[str, Path], state_with_a: Path) -> None:
    r = install(state_with_a, repos["A"], now=NOW)
    assert (r.action, r.list_version, r.previous_version) == ("unchanged", A, None)
    last = audit_entries(state_with_a)[-1]
    assert last["result"] == "unchanged" and "from_version" not in last and last["to_version"] == A
    r = install(state_with_a, repos["B"], now=NOW)
    assert (r.action, r.previous_version) == ("installed", A)
    assert install(state_with_a, repos["B"], now=NOW).previous_version is None


def test_a_damaged_audit_log_line_is_skipped(state_with_a: Path) -> None:
    log = StateLayout(state_with_a).audit_log
    with open(log, "a") as f:
        f.write("[" * 100_000 + "\n" + '"a string"\n{"time": "cut')
    assert [e["result"] for e in audit_entries(state_with_a)] == ["ok", "installed"]


def test_a_deeply_nested_floors_file_is_malformed_not_a_crash() -> None:
    from firmware.update.errors import MALFORMED
    from firmware.update.trust import Floors

    with pytest.raises(UpdateError) as e:
        Floors.from_bytes(b"[" * 60000)
    assert e.value.code == MALFORMED
