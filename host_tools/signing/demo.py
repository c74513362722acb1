"""A throwaway signed repository for the demo kiosk, the tests and the benchmarks."""

from __future__ import annotations

import shutil
from pathlib import Path

from firmware.banlist.errors import BundleError
from firmware.banlist.manifest import MANIFEST_NAME, parse_manifest
from host_tools.signing.bundles import sign_bundle
from host_tools.signing.errors import SigningError
from host_tools.signing.keyfiles import load_signer
from host_tools.signing.publishing import publish
from host_tools.signing.roots import init_keys, root_chain


def make_demo_repository(work_dir: Path, bundle_dir: Path, deployment: str = "safar-demo") -> tuple[Path, bytes]:
    """Throwaway demo keys (unencrypted, no prompt) in ``work_dir/keys``, the bundle copied
    to ``work_dir/bundle`` and signed by 2 of 3 targets keys (border, migration), and a
    repository in ``work_dir/repository``. Returns (repository dir, root.json bytes):
    ``provision(state, root)`` then ``install(state, repository)``. The bundle must have
    been built for ``deployment`` (``write_bundle(..., deployment=...)``)."""
    work_dir, bundle_dir = Path(work_dir), Path(bundle_dir)
    try:
        manifest = parse_manifest((bundle_dir / MANIFEST_NAME).read_bytes())
    except (OSError, BundleError) as e:
        raise SigningError(f"{bundle_dir} is not a bundle: {e}") from None
    if manifest.deployment != deployment:
        raise SigningError(f"the bundle was built for deployment {manifest.deployment!r}, not {deployment!r}: "
                           f"pass deployment={manifest.deployment!r} or build it with deployment={deployment!r}")
    keys_dir = work_dir / "keys"
    if keys_dir.exists():
        shutil.rmtree(keys_dir)
    init_keys(keys_dir, deployment, root_names=("1",), root_threshold=1, passphrase=None, days=365)
    signed = work_dir / "bundle"
    if signed.exists():
        shutil.rmtree(signed)
    signed.mkdir(parents=True)
    for name in [MANIFEST_NAME] + [f.file for f in manifest.sets]:
        shutil.copyfile(bundle_dir / name, signed / name)
    kdir = keys_dir / "keys"
    sign_bundle(signed, load_signer(kdir / "targets-border.pem"))
    sign_bundle(signed, load_signer(kdir / "targets-migration.pem"), cosign=True)
    repo = work_dir / "repository"
    if repo.exists():
        shutil.rmtree(repo)
    publish(signed, repo, root_chain(keys_dir), load_signer(kdir / "publish-1.pem"))
    return repo, (keys_dir / "root.json").read_bytes()
