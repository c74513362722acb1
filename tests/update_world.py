"""The update tests' world: real keys, real bundles, real repositories (the ``world``
fixture in conftest.py is one per test module).

Nothing here is mocked: keys are Ed25519 (unencrypted, for speed), bundles come from
``write_bundle``, metadata from python-tuf. ``raw_repository`` lays out a repository
from arbitrary targets metadata (bypassing ``signing.publish``'s own checks) so tests
can hand the kiosk what an attacker or a broken workstation would.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, MetaFile, Snapshot, Targets, Timestamp

from host_tools import signing
from host_tools.listbuild.bundle import write_bundle
from host_tools.listbuild.csvinput import read_list

DEPLOYMENT = "safar-test"
LIST_DATE = dt.date(2026, 11, 1)
VALID_UNTIL = dt.date(2027, 5, 20)
TODAY = dt.date(2026, 11, 23)
CSV = """surname,given_names,birth_date,nationality,document_number,ban_end
Қодиров,Ҷамшед,14.03.1990,TJK,400123456,01.06.2029
Юсупова,Гулнора,1993-07-21,TJK,,2027-12-31
Ҳасанов,Фаррух,00.00.1985,,,
"""
PEOPLE = ("Қодиров", "Ҷамшед", "QODIROV", "JAMSHED", "400123456", "Юсупова", "YUSUPOVA", "900314")


@dataclass
class World:
    tmp: Path
    keys: Path

    @property
    def root(self) -> bytes:
        return (self.keys / "root" / "1.root.json").read_bytes()

    def signer(self, name: str) -> CryptoSigner:
        return signing.load_signer(self.keys / "keys" / f"{name}.pem")

    def bundle(self, version: int = 20261101, list_date: dt.date = LIST_DATE,
               valid_until: dt.date = VALID_UNTIL, deployment: str = DEPLOYMENT, csv: str = CSV,
               name: str | None = None, strong: float = 1e-7) -> Path:
        out = self.tmp / (name or f"bundle-{version}-{deployment}-{valid_until}")
        if out.exists():
            shutil.rmtree(out)
        entries = read_list(csv.encode(), "t.csv", list_date).entries
        write_bundle(entries, out, list_version=version, list_date=list_date, valid_until=valid_until,
                     deployment=deployment, strong=strong)
        return out

    def repo(self, bundle: Path, signers: tuple[str, ...] = ("targets-border", "targets-migration"),
             name: str | None = None) -> Path:
        """Signs ``bundle`` with ``signers`` and publishes it with ``signing.publish``."""
        for i, s in enumerate(signers):
            signing.sign_bundle(bundle, self.signer(s), cosign=i > 0)
        out = self.tmp / (name or f"repo-{bundle.name}")
        if out.exists():
            shutil.rmtree(out)
        return signing.publish(bundle, out, signing.root_chain(self.keys), self.signer("publish-1"))


def raw_repository(world: World, bundle: Path, targets: Metadata[Targets], out: Path,
                   roots: list[bytes] | None = None, publish_signer: CryptoSigner | None = None) -> Path:
    """A repository with exactly this targets metadata (any signatures), snapshot and
    timestamp signed by the publish key, the bundle's files as targets."""
    if out.exists():
        shutil.rmtree(out)
    (out / "metadata").mkdir(parents=True)
    (out / "targets").mkdir()
    tb = targets.to_bytes()
    v = targets.signed.version
    snap = Metadata(Snapshot(version=v, expires=targets.signed.expires,
                             meta={"targets.json": MetaFile.from_data(v, tb, ["sha256"])}))
    signer = publish_signer or world.signer("publish-1")
    snap.sign(signer)
    sb = snap.to_bytes()
    ts = Metadata(Timestamp(version=v, expires=targets.signed.expires,
                            snapshot_meta=MetaFile.from_data(v, sb, ["sha256"])))
    ts.sign(signer)
    for i, data in enumerate(roots or signing.root_chain(world.keys), start=1):
        (out / "metadata" / f"{i}.root.json").write_bytes(data)
    (out / "metadata" / "targets.json").write_bytes(tb)
    (out / "metadata" / "snapshot.json").write_bytes(sb)
    (out / "metadata" / "timestamp.json").write_bytes(ts.to_bytes())
    for f in bundle.iterdir():
        if f.name != "targets.json" and f.is_file():
            shutil.copyfile(f, out / "targets" / f.name)
    return out


def signed_targets(world: World, bundle: Path, signers: tuple[str, ...]) -> Metadata[Targets]:
    md = Metadata(signing.bundle_targets(bundle))
    for s in signers:
        md.sign(world.signer(s), append=True)
    return md


def rewrite_manifest(bundle: Path, change: dict[str, object]) -> None:
    path = bundle / "manifest.json"
    man = json.loads(path.read_text())
    man.update(change)
    path.write_text(json.dumps(man, indent=2))


def make_world(tmp: Path, deployment: str = DEPLOYMENT) -> World:
    """Root 2 of 3 (keys root-1..3), targets 2 of 3 (border, migration, partner), publish 1."""
    signing.init_keys(tmp / "keys", deployment, passphrase=None)
    return World(tmp, tmp / "keys")



# two consecutive lists, A then B, and the day the tests install them
A, B = 20261101, 20261201
B_DATE = dt.date(2026, 12, 1)
INSTALL_DAY = dt.date(2026, 12, 5)


def two_lists(world: World) -> dict[str, Path]:
    """Repositories of list A and of its successor B, signed by the world's keys."""
    return {"A": world.repo(world.bundle(version=A, name="bA"), name="rA"),
            "B": world.repo(world.bundle(version=B, list_date=B_DATE, valid_until=dt.date(2027, 6, 30),
                                         name="bB"), name="rB")}
