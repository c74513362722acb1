"""A wire-format filter straight from keys, for tests that need one without a CSV or a bundle."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from host_tools.listbuild.builder import encode_set, raw_hashes


def build_wire(keys: Sequence[str], end_years: Sequence[int], universe: int,
               salt: bytes) -> tuple[bytes, dict[int, int]]:
    """The wire file for ``keys`` (each with its ban-end year, 0 = none given)."""
    return encode_set(raw_hashes(salt, keys), np.asarray(end_years, dtype=np.int64), universe, salt)
