"""What ``firmware/update/tuf_adapter.py`` assumes about python-tuf's private ``TrustedMetadataSet``.

The adapter is the only code that touches ``tuf.ngclient._internal``; python-tuf may change
that module in any release. These tests pin each assumption (the installed version, the
names and signatures called, the errors raised on a known-good and on known-bad chains)
and, when one breaks, say what to re-check before the pin in pyproject.toml moves.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from securesystemslib.signer import CryptoSigner, Signer
from tuf.api import exceptions as tuf_exc
from tuf.api.metadata import Metadata, MetaFile, Root, Snapshot, TargetFile, Targets, Timestamp
from tuf.api.serialization import DeserializationError
from tuf.ngclient._internal import trusted_metadata_set
from tuf.ngclient.config import EnvelopeType

from firmware.update.tuf_adapter import TESTED_TUF, MetadataChain

ROOT = Path(__file__).resolve().parents[1]
NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=30)
RECHECK = ("re-read tuf/ngclient/_internal/trusted_metadata_set.py of the installed tuf, fix "
           "firmware/update/tuf_adapter.py (and the errors firmware/update/trust.py maps), then move TESTED_TUF "
           "and the tuf pin in pyproject.toml together")


def test_the_installed_tuf_is_the_minor_release_the_adapter_was_checked_against() -> None:
    installed = importlib.metadata.version("tuf")
    assert installed.startswith(f"{TESTED_TUF}."), (
        f"tuf {installed} is installed, the adapter was checked against {TESTED_TUF}.x: {RECHECK}")
    pin = re.search(r'"tuf~=([0-9.]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pin and pin.group(1).startswith(f"{TESTED_TUF}."), (
        f"pyproject.toml must pin tuf to the minor release TESTED_TUF names ({TESTED_TUF}, ~=): {RECHECK}")


def _parameters(func: Callable[..., object]) -> list[str]:
    return [p for p in inspect.signature(func).parameters if p != "self"]


def test_the_private_class_has_the_names_and_signatures_the_adapter_calls() -> None:
    tms = getattr(trusted_metadata_set, "TrustedMetadataSet", None)
    assert tms is not None, f"tuf.ngclient._internal.trusted_metadata_set.TrustedMetadataSet is gone: {RECHECK}"
    expected = {"__init__": ["root_data", "envelope_type"], "update_root": ["data"], "update_timestamp": ["data"],
                "update_snapshot": ["data", "trusted"], "update_targets": ["data"]}
    for name, params in expected.items():
        method = getattr(tms, name, None)
        assert method is not None, f"TrustedMetadataSet.{name} is gone: {RECHECK}"
        assert _parameters(method) == params, (
            f"TrustedMetadataSet.{name}{inspect.signature(method)} changed (was {params}): {RECHECK}")
    assert inspect.signature(tms.update_snapshot).parameters["trusted"].default is False, (
        f"update_snapshot's 'trusted' no longer defaults to False (the adapter relies on hash checks): {RECHECK}")
    for role in ("root", "timestamp", "snapshot", "targets"):
        assert isinstance(getattr(tms, role, None), property), f"TrustedMetadataSet.{role} is not a property: {RECHECK}"
    assert EnvelopeType.METADATA, f"tuf.ngclient.config.EnvelopeType.METADATA is gone: {RECHECK}"
    errors = (tuf_exc.UnsignedMetadataError, tuf_exc.ExpiredMetadataError, tuf_exc.LengthOrHashMismatchError,
              tuf_exc.BadVersionNumberError, DeserializationError)
    for error in errors:
        assert issubclass(error, tuf_exc.RepositoryError), (
            f"{error.__name__} is no longer a RepositoryError: firmware/update/trust.py catches that family; {RECHECK}")


@dataclass(frozen=True)
class Keys:
    old_root: Signer
    new_root: Signer
    publish: Signer
    targets: Signer


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(*(CryptoSigner.generate_ed25519() for _ in range(4)))


_Role = TypeVar("_Role", Root, Timestamp, Snapshot, Targets)


def _signed(payload: _Role, *signers: Signer) -> bytes:
    md = Metadata(payload)
    for s in signers:
        md.sign(s, append=True)
    return md.to_bytes()


def _root(version: int, root_key: Signer, keys: Keys, expires: dt.datetime = LATER) -> Root:
    root = Root(version=version, expires=expires)
    root.add_key(root_key.public_key, Root.type)
    for role in (Timestamp.type, Snapshot.type):
        root.add_key(keys.publish.public_key, role)
    root.add_key(keys.targets.public_key, Targets.type)
    return root


@dataclass
class Chain:
    """A repository's metadata, as bytes; the trusted root is version 1, the rotation version 2."""

    trusted_root: bytes
    new_root: bytes
    timestamp: bytes
    snapshot: bytes
    targets: bytes


def _chain(keys: Keys, targets_version: int = 1, targets_expires: dt.datetime = LATER,
           timestamp_expires: dt.datetime = LATER, timestamp_signer: Signer | None = None,
           snapshot_expires: dt.datetime = LATER) -> Chain:
    targets = _signed(Targets(version=1, expires=targets_expires,
                              targets={"manifest.json": TargetFile.from_data("manifest.json", b"{}")}), keys.targets)
    snapshot = _signed(Snapshot(version=1, expires=snapshot_expires,
                                meta={"targets.json": MetaFile.from_data(targets_version, targets, ["sha256"])}),
                       keys.publish)
    timestamp = _signed(Timestamp(version=1, expires=timestamp_expires,
                                  snapshot_meta=MetaFile.from_data(1, snapshot, ["sha256"])),
                        timestamp_signer or keys.publish)
    return Chain(trusted_root=_signed(_root(1, keys.old_root, keys), keys.old_root),
                 new_root=_signed(_root(2, keys.new_root, keys), keys.old_root, keys.new_root),
                 timestamp=timestamp, snapshot=snapshot, targets=targets)


def _load(chain: Chain, reference: dt.datetime = NOW) -> MetadataChain:
    loaded = MetadataChain(chain.trusted_root, reference)
    loaded.load_root(chain.new_root)
    loaded.load_timestamp(chain.timestamp)
    loaded.load_snapshot(chain.snapshot)
    loaded.load_targets(chain.targets)
    return loaded


def test_a_known_good_chain_loads(keys: Keys) -> None:
    loaded = _load(_chain(keys))
    assert loaded.root.version == 2, f"load_root did not make root version 2 the trusted root: {RECHECK}"
    assert (loaded.timestamp.version, loaded.snapshot.version) == (1, 1), RECHECK
    assert list(loaded.targets.targets) == ["manifest.json"], f"the loaded targets are not the signed ones: {RECHECK}"


def _tampered_snapshot(chain: Chain) -> Chain:
    chain.snapshot += b" "
    return chain


def _rotation_signed_by(chain: Chain, keys: Keys, *signers: Signer) -> Chain:
    chain.new_root = _signed(_root(2, keys.new_root, keys), *signers)
    return chain


BAD_CHAINS: dict[str, tuple[Callable[[Keys], Chain], type[Exception], str]] = {
    "a new root not signed by the old root's key": (
        lambda k: _rotation_signed_by(_chain(k), k, k.new_root), tuf_exc.UnsignedMetadataError, "load_root"),
    "a new root not signed by its own key": (
        lambda k: _rotation_signed_by(_chain(k), k, k.old_root), tuf_exc.UnsignedMetadataError, "load_root"),
    "a timestamp signed by the targets key": (
        lambda k: _chain(k, timestamp_signer=k.targets), tuf_exc.UnsignedMetadataError, "load_timestamp"),
    "an expired timestamp": (
        lambda k: _chain(k, timestamp_expires=NOW - dt.timedelta(seconds=1)), tuf_exc.ExpiredMetadataError,
        "load_timestamp"),
    "snapshot bytes the timestamp does not bind": (
        lambda k: _tampered_snapshot(_chain(k)), tuf_exc.LengthOrHashMismatchError, "load_snapshot"),
    "targets of another version than the snapshot binds": (
        lambda k: _chain(k, targets_version=2), tuf_exc.BadVersionNumberError, "load_targets"),
    "expired targets": (
        lambda k: _chain(k, targets_expires=NOW - dt.timedelta(seconds=1)), tuf_exc.ExpiredMetadataError,
        "load_targets"),
}


@pytest.mark.parametrize("what", list(BAD_CHAINS))
def test_a_known_bad_chain_is_refused_at_its_step_with_its_error(keys: Keys, what: str) -> None:
    make, error, step = BAD_CHAINS[what]
    with pytest.raises(tuf_exc.RepositoryError) as info:
        _load(make(keys))
    assert type(info.value) is error, f"{what}: tuf raised {type(info.value).__name__}, not {error.__name__}: {RECHECK}"
    raised_in = [f.name for f in info.traceback]
    assert step in raised_in, f"{what}: refused outside MetadataChain.{step} ({raised_in}): {RECHECK}"


def test_the_reference_time_is_the_one_expiry_is_judged_at(keys: Keys) -> None:
    """The kiosk has no RTC: expiry must follow the time the adapter is given, not the host's clock."""
    chain = _chain(keys)
    with pytest.raises(tuf_exc.ExpiredMetadataError):
        _load(chain, reference=LATER + dt.timedelta(days=1))
    old = _chain(keys, timestamp_expires=dt.datetime(2001, 1, 2, tzinfo=dt.UTC),
                 targets_expires=dt.datetime(2001, 1, 2, tzinfo=dt.UTC))
    assert _load(old, reference=dt.datetime(2001, 1, 1, tzinfo=dt.UTC)).targets.version == 1, (
        f"MetadataChain's reference_time no longer reaches TrustedMetadataSet.reference_time: {RECHECK}")


def test_an_expired_final_root_stops_the_chain_at_the_timestamp(keys: Keys) -> None:
    chain = _chain(keys)
    chain.trusted_root = _signed(_root(1, keys.old_root, keys, expires=NOW - dt.timedelta(days=1)), keys.old_root)
    loaded = MetadataChain(chain.trusted_root, NOW)  # an expired trusted root still loads (TUF)
    with pytest.raises(tuf_exc.ExpiredMetadataError):
        loaded.load_timestamp(chain.timestamp)
    # ... and may be replaced by a newer version first
    assert _load(chain).root.version == 2, f"an expired trusted root no longer accepts a new root: {RECHECK}"


def test_bad_bytes_and_order_mistakes(keys: Keys) -> None:
    chain = _chain(keys)
    for data in (b"", b"not json", b"{}", b'{"signed": {}, "signatures": []}'):
        with pytest.raises(tuf_exc.RepositoryError):
            MetadataChain(data, NOW)
    loaded = MetadataChain(chain.trusted_root, NOW)
    with pytest.raises(tuf_exc.RepositoryError):
        loaded.load_timestamp(chain.targets)  # another role's metadata
    with pytest.raises(tuf_exc.BadVersionNumberError):
        loaded.load_root(_signed(_root(3, keys.old_root, keys), keys.old_root))
    loaded.load_timestamp(chain.timestamp)
    with pytest.raises(RuntimeError, match="after timestamp"):
        loaded.load_root(chain.new_root)
    with pytest.raises(RuntimeError):
        MetadataChain(chain.trusted_root, NOW).load_targets(chain.targets)


def test_a_stray_value_error_of_tuf_is_a_repository_error(keys: Keys, monkeypatch: pytest.MonkeyPatch) -> None:
    """trust.py maps one family of refusals; whatever else tuf raises on bad bytes joins it."""
    chain = _chain(keys)
    loaded = MetadataChain(chain.trusted_root, NOW)

    def stray(self: object, data: bytes) -> None:
        raise KeyError("signed")

    monkeypatch.setattr(trusted_metadata_set.TrustedMetadataSet, "update_root", stray)
    with pytest.raises(tuf_exc.RepositoryError, match="signed"):
        loaded.load_root(chain.new_root)


def _load_offline(chain: Chain, reference: dt.datetime = NOW) -> MetadataChain:
    loaded = MetadataChain(chain.trusted_root, reference)
    loaded.load_root(chain.new_root)
    loaded.load_timestamp(chain.timestamp, judge_expiry=False)
    loaded.load_snapshot(chain.snapshot)
    loaded.load_targets(chain.targets)
    return loaded


def test_a_waived_timestamp_expiry_still_binds_and_judges_the_rest(keys: Keys) -> None:
    """Offline sources (USB, serial): an expired timestamp is no refusal, everything else still is."""
    stale = NOW - dt.timedelta(days=1)
    assert _load_offline(_chain(keys, timestamp_expires=stale)).targets.version == 1, (
        f"an expired timestamp whose expiry is waived no longer binds the snapshot: {RECHECK}")
    assert _load_offline(_chain(keys)).targets.version == 1
    for make, error in ((lambda: _tampered_snapshot(_chain(keys, timestamp_expires=stale)),
                         tuf_exc.LengthOrHashMismatchError),
                        (lambda: _chain(keys, timestamp_expires=stale, targets_expires=stale),
                         tuf_exc.ExpiredMetadataError),
                        (lambda: _chain(keys, timestamp_expires=stale, timestamp_signer=keys.targets),
                         tuf_exc.UnsignedMetadataError)):
        with pytest.raises(error):
            _load_offline(make())
    # the snapshot's own expiry is judged at the real reference time, not the timestamp's
    with pytest.raises(tuf_exc.ExpiredMetadataError, match="snapshot") as info:
        _load_offline(_chain(keys, timestamp_expires=stale - dt.timedelta(days=1), snapshot_expires=stale))
    assert "load_snapshot" in [f.name for f in info.traceback], "an expired snapshot must stop the snapshot step"
    # an expired root is never waived
    chain = _chain(keys, timestamp_expires=stale)
    chain.trusted_root = _signed(_root(1, keys.old_root, keys, expires=stale), keys.old_root)
    with pytest.raises(tuf_exc.ExpiredMetadataError, match="root"):
        MetadataChain(chain.trusted_root, NOW).load_timestamp(chain.timestamp, judge_expiry=False)
