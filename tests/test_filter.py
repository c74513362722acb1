"""The filter: vectorized builder equals the reference, no false negatives, measured false-positive rate."""

from __future__ import annotations

import mmap
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.core import bloom
from host_tools.listbuild.builder import build_filter

keys_strategy = st.lists(st.text(min_size=0, max_size=40), min_size=0, max_size=300)


@settings(max_examples=60, deadline=None)
@given(keys=keys_strategy, salt=st.binary(min_size=16, max_size=16), k=st.integers(1, 20),
       m8=st.integers(1, 4000), end_year=st.sampled_from([0, 2026, 2031]))
def test_numpy_builder_equals_reference_bit_for_bit(keys: list[str], salt: bytes, k: int, m8: int,
                                                    end_year: int) -> None:
    m = m8 * 8
    assert build_filter(keys, k, m, end_year, salt) == bloom.build(keys, k, m, end_year, salt)


def test_numpy_builder_equals_reference_on_a_large_filter() -> None:
    keys = [f"N|NAME{i}|GIVEN|{i % 1000:06d}" for i in range(50_000)]
    m, k = bloom.optimal_parameters(len(keys), 1e-4)
    salt = bytes(range(16))
    assert build_filter(keys, k, m, 2030, salt) == bloom.build(keys, k, m, 2030, salt)


@settings(max_examples=80, deadline=None)
@given(keys=st.lists(st.text(max_size=30), min_size=1, max_size=500, unique=True),
       salt=st.binary(min_size=16, max_size=16),
       rate=st.sampled_from([0.3, 0.05, 1e-3, 1e-6]))
def test_no_false_negatives_ever(keys: list[str], salt: bytes, rate: float) -> None:
    m, k = bloom.optimal_parameters(len(keys), rate)
    f = bloom.BloomFilter(build_filter(keys, k, m, 0, salt))
    assert all(key in f for key in keys)


def test_query_on_a_seekable_file_and_on_mmap(tmp_path) -> None:
    keys = [f"D|TJK|{i}|900101" for i in range(2000)]
    m, k = bloom.optimal_parameters(len(keys), 1e-3)
    path = tmp_path / "f.sblf"
    path.write_bytes(build_filter(keys, k, m, 0, b"s" * 16))
    with open(path, "rb") as fh:
        on_file = bloom.BloomFilter(fh)
        assert all(key in on_file for key in keys[:200])
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            on_map = bloom.BloomFilter(mm)
            probes = [f"D|TJK|x{i}|900101" for i in range(3000)]
            assert [p in on_map for p in probes] == [p in on_file for p in probes]


def test_measured_false_positive_rate_within_20_percent_over_a_million_keys() -> None:
    members = [f"N|MEMBER{i}|X|{i % 997:06d}" for i in range(100_000)]
    for rate in (1e-2, 1e-3):
        m, k = bloom.optimal_parameters(len(members), rate)
        f = bloom.BloomFilter(build_filter(members, k, m, 0, random.Random(7).randbytes(16)))
        trials = 1_000_000
        hits = sum(1 for i in range(trials) if f"N|STRANGER{i}|X|000000" in f)
        measured = hits / trials
        assert abs(measured - rate) <= 0.2 * rate, (rate, measured, hits)


def test_optimal_parameters_follow_the_formula() -> None:
    m, k = bloom.optimal_parameters(1_000_000, 1e-4)
    assert abs(m / 1_000_000 - 19.17) < 0.05 and k == 13
    assert bloom.expected_fp_rate(m, k, 1_000_000) < 1.05e-4
