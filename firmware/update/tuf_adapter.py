"""The one place Safar touches python-tuf's private API: ngclient's ``TrustedMetadataSet``.

python-tuf keeps the client workflow of the TUF specification (root chain, thresholds,
version and hash binding of timestamp -> snapshot -> targets, expiry) in
``tuf.ngclient._internal.trusted_metadata_set``, a module it says is not for us. Safar
needs exactly that workflow without the network and disk I/O of ``Updater``, so it uses
the class here and nowhere else; pyproject.toml pins the minor release it was checked
against (``TESTED_TUF``) and ``tests/test_tuf_adapter.py`` fails, naming what to re-check,
when an installed tuf no longer behaves as this module assumes.

Surface: ``MetadataChain`` (load the trusted root, then newer roots, timestamp, snapshot,
targets, in that order). Every refusal is a ``tuf.api.exceptions.RepositoryError``
(public API); its subclass says why. The one departure from ngclient: a caller may waive
the timestamp's expiry (an offline source, where freshness cannot be had); tuf has no
such switch, so the adapter judges the snapshot step at a time the timestamp still
covers and then the snapshot's own expiry at the real reference time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from tuf.api import exceptions as tuf_exc
from tuf.api.metadata import Root, Snapshot, Targets, Timestamp
from tuf.ngclient._internal.trusted_metadata_set import TrustedMetadataSet
from tuf.ngclient.config import EnvelopeType

# the tuf release (major.minor) whose private TrustedMetadataSet this module was checked against
TESTED_TUF = "7.0"

_Loaded = TypeVar("_Loaded")


@contextmanager
def _refusals() -> Iterator[None]:
    """tuf's deserializer wraps most faults of bad bytes in RepositoryError, not every one of them
    (a ValueError, TypeError or KeyError can slip through): callers then handle one family."""
    try:
        yield
    except (ValueError, TypeError, KeyError) as e:
        raise tuf_exc.RepositoryError(str(e)) from e


class MetadataChain:
    """The metadata a kiosk trusts, loaded in TUF's order: trusted root, newer roots, timestamp,
    snapshot, targets. Each ``load_*`` verifies its bytes against what is already trusted.

    ``reference_time`` is the moment every expiry is judged at (the kiosk has no RTC: the
    caller passes ``max(clock, time floor)``). The trusted root's and intermediate roots'
    expiry is not checked (TUF); the final root's is checked by ``load_timestamp``.

    Raises (every ``load_*`` and the constructor) ``tuf.api.exceptions.RepositoryError``:
    ``UnsignedMetadataError`` (below a threshold of trusted signatures),
    ``ExpiredMetadataError``, ``LengthOrHashMismatchError`` (snapshot or targets bytes
    differ from what the timestamp or snapshot binds), ``BadVersionNumberError``,
    ``DeserializationError`` (not TUF metadata), plain ``RepositoryError`` (wrong role type).
    Loading out of order raises ``RuntimeError`` (a programming error, never the repository's).
    """

    def __init__(self, trusted_root: bytes, reference_time: dt.datetime | None = None) -> None:
        with _refusals():
            self._set = TrustedMetadataSet(trusted_root, EnvelopeType.METADATA)
        if reference_time is not None:
            self._set.reference_time = reference_time
        self._timestamp_expiry_waived = False

    @property
    def root(self) -> Root:
        """The newest root verified so far (the trusted one until ``load_root`` succeeds)."""
        return self._set.root

    @property
    def timestamp(self) -> Timestamp:
        """The verified timestamp role."""
        return self._set.timestamp

    @property
    def snapshot(self) -> Snapshot:
        """The verified snapshot role."""
        return self._set.snapshot

    @property
    def targets(self) -> Targets:
        """The verified targets role: the list's files, lengths and hashes."""
        return self._set.targets

    def load_root(self, data: bytes) -> Root:
        """Root version N+1: signed by a threshold of root N's root keys and of its own."""
        return self._load(self._set.update_root, data)

    def load_timestamp(self, data: bytes, *, judge_expiry: bool = True) -> Timestamp:
        """Signed by the root's timestamp keys; refused if the final root is expired, or the
        timestamp is and ``judge_expiry`` (False: a source with no freshness to offer, whose
        snapshot and targets are still judged by their own expiry)."""
        if judge_expiry:
            return self._load(self._set.update_timestamp, data)
        try:
            return self._load(self._set.update_timestamp, data)
        except tuf_exc.ExpiredMetadataError:
            # tuf loads an expired timestamp before it refuses it; an expired root loads nothing
            if self.root.is_expired(self._set.reference_time):
                raise
            self._timestamp_expiry_waived = True
            return self._set.timestamp

    def load_snapshot(self, data: bytes) -> Snapshot:
        """The length, hashes and version the timestamp binds; the root's snapshot keys; not expired."""
        if not self._timestamp_expiry_waived:
            return self._load(self._set.update_snapshot, data)
        reference = self._set.reference_time
        # tuf refuses a snapshot under an expired timestamp: judge it while the timestamp held,
        # then its own expiry at the real reference time
        self._set.reference_time = min(reference, self.timestamp.expires - dt.timedelta(microseconds=1))
        try:
            snapshot = self._load(self._set.update_snapshot, data)
        finally:
            self._set.reference_time = reference
        if snapshot.is_expired(reference):
            raise tuf_exc.ExpiredMetadataError("snapshot.json is expired")
        return snapshot

    def load_targets(self, data: bytes) -> Targets:
        """The length, hashes and version the snapshot binds; the root's targets keys; not expired."""
        return self._load(self._set.update_targets, data)

    @staticmethod
    def _load(update: Callable[[bytes], _Loaded], data: bytes) -> _Loaded:
        with _refusals():
            return update(data)
