"""Installing on the kiosk: every bad input refused with the installed list untouched, the
installed list re-verified, the previous list as fallback, and a SIGKILL at every durable step."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from filter_wire import build_wire
from tuf.api.metadata import Metadata
from update_world import (
    B_DATE,
    CSV,
    DEPLOYMENT,
    LIST_DATE,
    PEOPLE,
    A,
    B,
    World,
    make_world,
    raw_repository,
    rewrite_manifest,
    signed_targets,
)

from firmware import durable
from firmware.core.fpset import WireHeader
from firmware.kiosk.lists import InstalledList
from firmware.update import StateLayout, UpdateError, audit_entries, install, installed, provision
from firmware.update.errors import EXPIRED, FAILED_VERIFICATION, NO_LIST, NOT_PROVISIONED
from firmware.update.layout import CURRENT, PREVIOUS, RELEASE_PREFIX, STAGING_PREFIX
from firmware.usb import USB_FOLDER
from host_tools import signing

REPO_ROOT = Path(__file__).resolve().parent.parent
NOW = dt.date(2026, 12, 5)
GOOD_SIGNERS = ("targets-border", "targets-partner")


def listed(state: Path, link: str) -> Path:
    """The list directory ``current`` or ``previous`` points at."""
    lists = StateLayout(state).list_dir
    return lists / os.readlink(lists / link)


def releases(state: Path) -> list[Path]:
    return [p for p in StateLayout(state).list_dir.iterdir() if p.name.startswith(RELEASE_PREFIX)]


def staged(state: Path) -> list[Path]:
    return [p for p in StateLayout(state).list_dir.iterdir() if p.name.startswith(STAGING_PREFIX)]


def fingerprint(state: Path) -> dict[str, object]:
    """Everything an install must not change when it refuses."""
    layout = StateLayout(state)
    out: dict[str, object] = {}
    for name in (CURRENT, PREVIOUS):
        if (layout.list_dir / name).is_symlink():
            target = listed(state, name)
            out[name] = (target.name, {p.relative_to(target).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                                       for p in sorted(target.rglob("*")) if p.is_file()})
    for path in (layout.trusted_root, layout.floors):
        out[path.name] = path.read_bytes() if path.exists() else None
    return out


def test_install_upgrade_previous_audit_and_floors(world: World, repos: dict[str, Path], state_with_a: Path) -> None:
    state = state_with_a
    with installed(state, now=NOW) as inst:
        assert inst.list_version == A and inst.banlist is not None and inst.reason is None
        assert inst.deployment == DEPLOYMENT and len(inst.signed_by) == 2 and not inst.clock_behind
    r = install(state, repos["B"], now=NOW)
    assert (r.action, r.list_version, r.previous_version) == ("installed", B, A)
    with installed(state, now=NOW, verify_hashes=True) as inst:
        assert inst.list_version == B and inst.list_date == B_DATE and inst.banlist is not None
        assert inst.banlist.match_fields("Қодиров", "Ҷамшед", "TJK", "400123456", "900314", NOW).kind == "strong"
    layout = StateLayout(state)
    assert (listed(state, PREVIOUS) / "manifest.json").exists()
    assert json.loads(layout.floors.read_text())["list_version"] == B
    assert sorted(p.name for p in layout.list_dir.iterdir() if p not in releases(state)) == [CURRENT, PREVIOUS]
    assert len(releases(state)) == 2
    assert install(state, repos["B"], now=NOW).action == "unchanged"
    # and a third list drops the oldest directory
    c = world.repo(world.bundle(version=20270101, list_date=dt.date(2027, 1, 1), name="bC"), name="rC")
    assert install(state, c, now=dt.date(2027, 1, 2)).previous_version == B
    assert len(releases(state)) == 2
    log = audit_entries(state)
    assert [e["result"] for e in log] == ["ok", "installed", "installed", "unchanged", "installed"]
    assert log[2]["from_version"] == A and log[2]["to_version"] == B
    assert all(set(e) <= {"time", "action", "result", "from_version", "to_version", "root_version", "signed_by",
                          "warning", "source", "deployment", "code", "reason", "file", "installed_version"}
               for e in log)


def test_nothing_personal_in_the_state_directory(world: World, repos: dict[str, Path], state_with_a: Path) -> None:
    with pytest.raises(UpdateError):
        install(state_with_a, world.tmp / "nowhere", now=NOW)
    for p in state_with_a.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            for word in PEOPLE:
                assert word.encode() not in data, (p, word)


# ---------------------------------------------------------------- every bad input


def _bomb(world: World, tmp: Path) -> Path:
    """Signed by a threshold, but a set's wire header fixes an expansion far beyond the
    size the manifest declares (the manifest's key count agrees, its size lies)."""
    bundle = world.bundle(version=B, list_date=B_DATE, name="b-bomb")
    man = json.loads((bundle / "manifest.json").read_text())
    f = man["sets"][0]
    keys = [f"Z|bomb|{i}" for i in range(300_000)]
    wire, _ = build_wire(keys, [0] * len(keys), f["universe"], bytes.fromhex(man["salt"]))
    (bundle / f["file"]).write_bytes(wire)
    f["compressed_size"] = len(wire)
    f["keys"] = WireHeader.parse(wire, len(wire)).n
    f["end_years"] = [0]
    rewrite_manifest(bundle, {"sets": man["sets"]})
    return raw_repository(world, bundle, signed_targets(world, bundle, GOOD_SIGNERS), tmp / "r-bomb")


def _huge(world: World, tmp: Path) -> Path:
    bundle = world.bundle(version=B, list_date=B_DATE, name="b-huge")
    man = json.loads((bundle / "manifest.json").read_text())
    man["sets"][0]["size"] = 1 << 40
    rewrite_manifest(bundle, {"sets": man["sets"]})
    return raw_repository(world, bundle, signed_targets(world, bundle, GOOD_SIGNERS), tmp / "r-huge")


def _no_canaries(world: World, tmp: Path) -> Path:
    bundle = world.bundle(version=B, list_date=B_DATE, name="b-canary")
    rewrite_manifest(bundle, {"canaries": ["Z|canary|" + "ab" * 8, "Z|canary|" + "cd" * 8]})
    return raw_repository(world, bundle, signed_targets(world, bundle, GOOD_SIGNERS), tmp / "r-canary")


def _modify_target(world: World, repos: dict[str, Path], tmp: Path, change: Callable[[bytes], bytes]) -> Path:
    copy = tmp / "r-mod"
    shutil.copytree(repos["B"], copy)
    victim = sorted((copy / "targets").glob("*.gcs"))[0]
    victim.write_bytes(change(victim.read_bytes()))
    return copy


def _signed_by(world: World, tmp: Path, signers: tuple[str, ...], **bundle_kw: object) -> Path:
    kw: dict[str, object] = {"version": B, "list_date": B_DATE, "name": "b-" + "-".join(signers or ("none",))}
    kw.update(bundle_kw)
    bundle = world.bundle(**kw)  # type: ignore[arg-type]
    return raw_repository(world, bundle, signed_targets(world, bundle, signers), tmp / ("r-" + str(kw["name"])))


def _stranger(world: World, tmp: Path) -> Path:
    from securesystemslib.signer import CryptoSigner
    bundle = world.bundle(version=B, list_date=B_DATE, name="b-stranger")
    md = Metadata(signing.bundle_targets(bundle))
    for _ in range(2):
        md.sign(CryptoSigner.generate_ed25519(), append=True)
    return raw_repository(world, bundle, md, tmp / "r-stranger")


def _other_deployment(world: World, tmp: Path) -> Path:
    w2 = make_world(tmp / "other", deployment="safar-other")
    return w2.repo(w2.bundle(version=B, list_date=B_DATE, deployment="safar-other"))


def _same_version_other_content(world: World, tmp: Path) -> Path:
    return world.repo(world.bundle(version=A, csv=CSV.replace("Юсупова", "Юсупов"), name="b-a2"), name="r-a2")


def _tampered_manifest(world: World, repos: dict[str, Path], tmp: Path) -> Path:
    copy = tmp / "r-man"
    shutil.copytree(repos["B"], copy)
    data = (copy / "targets" / "manifest.json").read_bytes()
    (copy / "targets" / "manifest.json").write_bytes(data.replace(b'"strong_per_traveller": 1e-07',
                                                                  b'"strong_per_traveller": 2e-07'))
    return copy


def _delete_one(repos: dict[str, Path], tmp: Path) -> Path:
    copy = tmp / "r-del"
    shutil.copytree(repos["B"], copy)
    sorted((copy / "targets").glob("*.gcs"))[-1].unlink()
    return copy


BAD: dict[str, tuple[Callable[[World, dict[str, Path], Path], Path], str]] = {
    "unsigned": (lambda w, r, t: _signed_by(w, t, ()), "unsigned"),
    "unknown key": (lambda w, r, t: _stranger(w, t), "unknown-key"),
    "below threshold": (lambda w, r, t: _signed_by(w, t, ("targets-border",)), "threshold"),
    "tampered filter byte": (lambda w, r, t: _modify_target(
        w, r, t, lambda d: d[:40] + bytes([d[40] ^ 1]) + d[41:]), "tampered"),
    "tampered manifest": (lambda w, r, t: _tampered_manifest(w, r, t), "tampered"),
    "truncated filter": (lambda w, r, t: _modify_target(w, r, t, lambda d: d[:-7]), "truncated"),
    "oversized filter": (lambda w, r, t: _modify_target(w, r, t, lambda d: d + b"\0" * 4096), "oversized"),
    "missing filter": (lambda w, r, t: _delete_one(r, t), "missing"),
    "decompression bomb": (lambda w, r, t: _bomb(w, t), "bomb"),
    "declares too much": (lambda w, r, t: _huge(w, t), "oversized"),
    "fails self-test": (lambda w, r, t: _no_canaries(w, t), "self-test"),
    "looser than the kiosk allows": (lambda w, r, t: _signed_by(w, t, GOOD_SIGNERS, strong=1e-5, name="b-loose"),
                                     "budget"),
    "expired": (lambda w, r, t: _signed_by(w, t, GOOD_SIGNERS, valid_until=dt.date(2026, 12, 4),
                                           name="b-expired"), "expired"),
    "older version": (lambda w, r, t: _signed_by(w, t, GOOD_SIGNERS, version=A - 1, list_date=LIST_DATE,
                                                 name="b-older"), "rollback"),
    "same version, other content": (lambda w, r, t: _same_version_other_content(w, t), "rollback"),
    "another deployment": (lambda w, r, t: _other_deployment(w, t), "unknown-key"),
    "not a repository": (lambda w, r, t: t, "missing"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_every_bad_input_is_refused_and_the_list_kept(case: str, world: World, repos: dict[str, Path],
                                                      state_with_a: Path, tmp_path: Path) -> None:
    make, code = BAD[case]
    repo = make(world, repos, tmp_path / "bad")
    before = fingerprint(state_with_a)
    with pytest.raises(UpdateError) as info:
        install(state_with_a, repo, now=NOW)
    assert info.value.code == code, str(info.value)
    assert info.value.reason and "Traceback" not in info.value.reason
    assert fingerprint(state_with_a) == before
    assert not staged(state_with_a)
    with installed(state_with_a, now=NOW, verify_hashes=True) as inst:
        assert inst.list_version == A and inst.banlist is not None
    last = audit_entries(state_with_a)[-1]
    assert (last["result"], last["code"], last["installed_version"]) == ("refused", code, A)
    # the good list still installs afterwards
    assert install(state_with_a, repos["B"], now=NOW).list_version == B


def test_a_deployment_mismatch_under_the_same_keys(world: World, state_with_a: Path, tmp_path: Path) -> None:
    repo = _signed_by(world, tmp_path, GOOD_SIGNERS, deployment="safar-uz", name="b-uz")
    with pytest.raises(UpdateError) as info:
        install(state_with_a, repo, now=NOW)
    assert info.value.code == "deployment"


# ---------------------------------------------------------------- installed()


def test_installed_without_trust_or_list(world: World, tmp_path: Path) -> None:
    nothing = installed(tmp_path / "nothing")
    assert nothing.code == NOT_PROVISIONED and "no trusted root" in (nothing.reason or "")
    provision(tmp_path / "s", world.root)
    inst = installed(tmp_path / "s")
    assert inst.banlist is None and inst.code == NO_LIST and inst.reason == "no list installed"
    with pytest.raises(UpdateError) as info:
        install(tmp_path / "unprovisioned", tmp_path)
    assert info.value.code == NOT_PROVISIONED


def test_provision_is_idempotent_and_refuses_another_root(world: World, tmp_path: Path) -> None:
    provision(tmp_path / "s", world.root)
    provision(tmp_path / "s", world.root)
    other = make_world(tmp_path / "w2", deployment="safar-other").root
    with pytest.raises(UpdateError) as info:
        provision(tmp_path / "s", other)
    assert info.value.code == "provisioned"
    provision(tmp_path / "s", other, force=True)
    with pytest.raises(UpdateError) as info:
        provision(tmp_path / "t", b"{}")
    assert info.value.code == "malformed"
    md = Metadata.from_bytes(world.root)
    md.signatures.clear()
    with pytest.raises(UpdateError) as info:
        provision(tmp_path / "t", md.to_bytes())
    assert info.value.code == "threshold"


def test_expiry_and_the_clock(world: World, repos: dict[str, Path], state_with_a: Path) -> None:
    state = state_with_a
    last_day = installed(state, now=dt.date(2027, 5, 20))
    assert last_day.banlist is not None and last_day.code is None
    last_day.close()
    after = installed(state, now=dt.date(2027, 5, 21))
    assert after.banlist is None and after.code == EXPIRED
    assert after.reason == "the installed list expired on 2027-05-20"
    # the kiosk shows the traveller "expired" by the code, with the date
    status, banlist = InstalledList(state)(dt.date(2027, 5, 21))
    assert banlist is None and status.reasons == (("list_expired", "2027-05-20"),)
    assert after.list_version == A
    # no RTC: a clock at 1970 is behind the floor; the list date is used and it is reported
    with installed(state, now=dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) as inst:
        assert inst.banlist is not None and inst.clock_behind and inst.today == LIST_DATE
        assert inst.warning and "earlier than the last verified list" in inst.warning
    # install B (list date 2026-12-01): the time floor moves to it for good
    install(state, repos["B"], now=dt.datetime(1970, 1, 1))
    assert installed(state, now=dt.date(2026, 1, 1)).today == B_DATE


def test_clock_set_back_never_revives_an_expired_list(world: World, tmp_path: Path) -> None:
    state = tmp_path / "s"
    provision(state, world.root)
    short = world.repo(world.bundle(version=A, valid_until=dt.date(2026, 12, 10), name="b-shortA"), name="r-shortA")
    install(state, short, now=NOW)
    newer = world.repo(world.bundle(version=B, list_date=dt.date(2026, 12, 20), valid_until=dt.date(2027, 6, 1),
                                    name="b-lateB"), name="r-lateB")
    install(state, newer, now=dt.date(2026, 12, 21))
    # the newest list breaks; the previous one expired before the floor (2026-12-20)
    (listed(state, CURRENT) / "manifest.json").write_text("{}")
    inst = installed(state, now=dt.date(2026, 12, 1))
    assert inst.banlist is None and inst.code == EXPIRED
    assert inst.reason and inst.reason.startswith("the installed list expired on 2026-12-10")
    assert inst.clock_behind and inst.warning and "failed verification" in inst.warning


def test_a_damaged_current_list_falls_back_to_the_previous(world: World, repos: dict[str, Path],
                                                           state_with_a: Path) -> None:
    state = state_with_a
    install(state, repos["B"], now=NOW)
    cur = listed(state, CURRENT)
    victim = sorted(cur.glob("*.fps"))[0]
    data = victim.read_bytes()
    # set one clear bit of the filter body: members stay members, so only the hashes notice
    i = next(i for i in range(len(data) - 1, 64, -1) if data[i] != 0xFF)
    bit = next(b for b in range(8) if not data[i] >> b & 1)
    victim.write_bytes(data[:i] + bytes([data[i] | 1 << bit]) + data[i + 1:])
    with installed(state, now=NOW) as quick:  # headers and canaries only
        assert quick.list_version == B
    with installed(state, now=NOW, verify_hashes=True) as deep:
        assert deep.list_version == A and deep.banlist is not None
        assert deep.warning and "newest installed list failed verification" in deep.warning
    StateLayout.stored_metadata(cur, "targets.json").write_bytes(b"{}")
    with installed(state, now=NOW) as inst:
        assert inst.list_version == A
    # and with the previous one broken too, nothing is usable
    (listed(state, PREVIOUS) / "manifest.json").write_text("{}")
    with installed(state, now=NOW) as inst:
        assert inst.banlist is None and inst.code == FAILED_VERIFICATION
    # a fresh install of B repairs it (same version, the current copy is broken)
    assert install(state, repos["B"], now=NOW).action == "installed"
    with installed(state, now=NOW, verify_hashes=True) as inst:
        assert inst.list_version == B and inst.warning is None


def test_usb_layout_and_root_rotation(tmp_path: Path) -> None:
    w = make_world(tmp_path)
    state = tmp_path / "state"
    provision(state, w.root)
    md = signing.next_root_version(w.keys)
    new = signing.write_key_pair(w.keys / "keys", "targets", "partner2", None)
    signing.add_role_key(md.signed, "targets", new)
    signing.set_threshold(md.signed, "targets", 3)
    signing.sign_root_version(w.keys, md, [w.signer("root-2"), w.signer("root-3")])
    signing.write_root_version(w.keys, md)
    bundle = w.bundle(version=A)
    for i, s in enumerate(("targets-border", "targets-partner2", "targets-migration")):
        signing.sign_bundle(bundle, w.signer(s), cosign=i > 0)
    stick = tmp_path / "stick"
    repo = signing.publish(bundle, stick, signing.root_chain(w.keys), w.signer("publish-1"), usb=True)
    assert repo == stick / USB_FOLDER
    r = install(state, stick, now=NOW)
    assert r.root_version == 2 and len(r.signed_by) == 3
    assert StateLayout(state).trusted_root.read_bytes() == signing.root_chain(w.keys)[1]
    with installed(state, now=NOW) as inst:
        assert inst.root_version == 2 and inst.list_version == A


# ---------------------------------------------------------------- power cuts

# One interpreter imports firmware.update once, then forks a fresh install per step: a
# start-up and import per step (~0.5 s) was most of this test's time. The fork is taken
# before any durable step, so each child counts its steps from 1 like a new process.
KILLER = """
import datetime as dt, os, sys, traceback
from firmware import durable
from firmware.update import install
for line in sys.stdin:
    n, state, repo = line.rstrip("\\n").split("\\t")
    pid = os.fork()
    if pid == 0:
        os.environ[durable.FAULT_ENV] = n
        try:
            install(state, repo, now=dt.date(2026, 12, 5))
        except BaseException:
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)
        os._exit(0)
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""


class Killer:
    """Runs ``install`` in a child process that SIGKILLs itself before its N-th durable step."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self._stderr = open(log, "w")
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        env.pop(durable.FAULT_ENV, None)
        self.proc = subprocess.Popen([sys.executable, "-c", KILLER], env=env, cwd=REPO_ROOT, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr)

    def install_killed_at(self, n: int, state: Path, repo: Path) -> int:
        """The child's exit code: 0 the install finished, -SIGKILL killed at step ``n``."""
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(f"{n}\t{state}\t{repo}\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        assert answer, self.errors()
        return int(answer)

    def errors(self) -> str:
        self._stderr.flush()
        return self.log.read_text()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(30)
        self._stderr.close()


@pytest.fixture()
def killer(tmp_path: Path) -> Iterator[Killer]:
    k = Killer(tmp_path / "killer.log")
    yield k
    k.close()


def _rotated(tmp: Path) -> tuple[World, Path, Path]:
    """A world whose root 2 replaces the partner's key; list A under root 1, list B needs root 2."""
    w = make_world(tmp / "rot")
    a = w.repo(w.bundle(version=A, name="rA"), name="repoA")
    md = signing.next_root_version(w.keys)
    old = next(k for k, n in md.signed.unrecognized_fields["x-safar-key-names"].items() if n == "targets-partner")
    signing.remove_role_key(md.signed, "targets", old)
    signing.add_role_key(md.signed, "targets", signing.write_key_pair(w.keys / "keys", "targets", "partner2", None))
    signing.sign_root_version(w.keys, md, [w.signer("root-1"), w.signer("root-2")])
    signing.write_root_version(w.keys, md)
    b = w.repo(w.bundle(version=B, list_date=B_DATE, name="rB"), signers=("targets-partner2", "targets-border"),
               name="repoB")
    return w, a, b


@pytest.mark.slow
@pytest.mark.parametrize("start", ["empty", "A installed", "A installed, B needs a new root"])
def test_sigkill_at_every_durable_step_leaves_old_or_new(world: World, repos: dict[str, Path], tmp_path: Path,
                                                         killer: Killer, start: str) -> None:
    base = tmp_path / "base"
    repo_b = repos["B"]
    if start.endswith("new root"):
        world, repo_a, repo_b = _rotated(tmp_path)
        roots = signing.root_chain(world.keys)
    else:
        repo_a = repos["A"]
    provision(base, world.root)
    if start.startswith("A installed"):
        install(base, repo_a, now=NOW)
    old = A if start.startswith("A installed") else None
    seen: dict[int | None, int] = {}
    n = 0
    while True:
        n += 1
        assert n < 200, "the install never finished"
        state = tmp_path / f"s{n}"
        shutil.copytree(base, state, symlinks=True)
        code = killer.install_killed_at(n, state, repo_b)
        if code == 0:
            break
        assert code == -signal.SIGKILL, (n, code, killer.errors())
        with installed(state, now=NOW, verify_hashes=True) as inst:
            assert inst.list_version in (old, B), (n, inst.reason)
            assert (inst.banlist is not None) == (inst.list_version is not None), (n, inst.reason)
            assert inst.warning is None, (n, inst.warning)
            seen[inst.list_version] = seen.get(inst.list_version, 0) + 1
        if start.endswith("new root"):
            assert StateLayout(state).trusted_root.read_bytes() in roots
        # and the next install (no fault) always completes from there
        assert install(state, repo_b, now=NOW).list_version == B
        with installed(state, now=NOW, verify_hashes=True) as inst:
            assert inst.list_version == B and inst.banlist is not None
        assert not staged(state)
        shutil.rmtree(state)
    assert n > 20
    assert seen.get(old, 0) > 10 and seen.get(B, 0) >= 3, seen
