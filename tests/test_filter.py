"""The fingerprint sets: numpy codecs equal the reference, no false negatives, the
per-traveller budget holds for every passport shape, and bad sets are refused."""

from __future__ import annotations

import datetime as dt
import io
import json
import mmap
import random
from pathlib import Path

import numpy as np
import pytest
from bitrot import zero_a_block_the_canaries_miss
from filter_wire import build_wire
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.banlist import BanList, BundleError, unpack_bundle
from firmware.banlist.expand import expand
from firmware.core import budget, fpset
from firmware.core.keys import WORST_LOOKUPS, birth_key, lookups_for
from host_tools.listbuild.bundle import write_bundle
from host_tools.listbuild.csvinput import Entry

YEARS = [0, 2027, 2028, 2031]


def _reference_wire(keys: list[str], years: list[int], universe: int, salt: bytes) -> bytes:
    """The reference encoder, fed with the same collision rule as the builder (longer ban wins)."""
    best: dict[int, int] = {}
    for k, y in zip(keys, years, strict=True):
        v = fpset.fingerprint(salt, k, universe)
        old = best.get(v)
        best[v] = y if old is None else (0 if 0 in (old, y) else max(old, y))
    classes = sorted(set(best.values())) or [0]
    return fpset.encode_wire([(c, sorted(v for v, y in best.items() if y == c)) for c in classes], universe, salt)


@settings(max_examples=80, deadline=None)
@given(keys=st.lists(st.text(max_size=30), max_size=300), salt=st.binary(min_size=16, max_size=16),
       per_key=st.sampled_from([1, 2, 17, 1000, 1 << 30]), data=st.data())
def test_numpy_builder_and_expander_equal_the_reference_byte_for_byte(keys: list[str], salt: bytes, per_key: int,
                                                                      data: st.DataObject) -> None:
    years = data.draw(st.lists(st.sampled_from(YEARS), min_size=len(keys), max_size=len(keys)))
    universe = min(fpset.MAX_UNIVERSE, max(1, len(keys)) * per_key)
    wire, _ = build_wire(keys, years, universe, salt)
    assert wire == _reference_wire(keys, years, universe, salt)
    out = io.BytesIO()
    expand(wire, out, 1 << 30)
    expanded = out.getvalue()
    assert expanded == fpset.expand_wire(wire)
    s = fpset.FingerprintSet(expanded)
    assert all(s.find(k) >= 0 for k in keys)  # never a false negative


def test_a_large_set_equals_the_reference_and_keeps_every_end_year(tmp_path: Path) -> None:
    rng = random.Random(5)
    keys = [f"N|NAME{i}|GIVEN|{i % 1000:06d}" for i in range(40_000)]
    years = [rng.choice(YEARS) for _ in keys]
    universe = budget.universe_for(len(keys), 1e-6)
    wire, counts = build_wire(keys, years, universe, bytes(range(16)))
    assert wire == _reference_wire(keys, years, universe, bytes(range(16)))
    path = tmp_path / "names.fps"
    with open(path, "wb") as f:
        expand(wire, f, 1 << 30)
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        on_map, on_file = fpset.FingerprintSet(mm), fpset.FingerprintSet(fh)
        for k, y in zip(keys, years, strict=True):
            assert on_map.end_years[on_map.find(k)] == y
        probes = keys[:500] + [f"N|STRANGER{i}|X|000000" for i in range(2000)]
        assert [on_map.find(p) for p in probes] == [on_file.find(p) for p in probes]
    assert sum(counts.values()) == len(keys)


def test_measured_lookup_rate_matches_n_over_u() -> None:
    keys = [f"N|MEMBER{i}|X|{i % 997:06d}" for i in range(50_000)]
    for per_lookup in (1e-2, 1e-3):
        universe = int(len(keys) / per_lookup)
        out = io.BytesIO()
        expand(build_wire(keys, [0] * len(keys), universe, random.Random(7).randbytes(16))[0], out, 1 << 30)
        s = fpset.FingerprintSet(out.getvalue())
        trials = 300_000
        hits = sum(1 for i in range(trials) if s.find(f"N|STRANGER{i}|X|000000") >= 0)
        assert abs(hits / trials - per_lookup) <= 0.1 * per_lookup, (per_lookup, hits)


def _corrupt(wire: bytes, pos: int, xor: int) -> bytes:
    bad = bytearray(wire)
    bad[pos] ^= xor
    return bytes(bad)


@settings(max_examples=300, deadline=None)
@given(pos=st.integers(0, 10_000), xor=st.integers(1, 255))
def test_a_damaged_wire_set_is_refused_or_decodes_to_a_valid_set(pos: int, xor: int) -> None:
    """A flipped byte either fails a check (FilterError) or still gives a self-consistent
    set; it never crashes the expander or writes past the size its header fixes."""
    keys = [f"D|TJK|{i:09d}|900101" for i in range(300)]
    wire, _ = build_wire(keys, [YEARS[i % 4] for i in range(300)], 300 * 1000, bytes(16))
    bad = _corrupt(wire, pos % len(wire), xor)
    out = io.BytesIO()
    try:
        header, _ = expand(bad, out, 1 << 30)
    except fpset.FilterError:
        return
    assert len(out.getvalue()) == header.expanded_size
    assert out.getvalue() == fpset.expand_wire(bad)


# -- bundles --------------------------------------------------------------------------

TODAY = dt.date(2026, 12, 1)


SYLLABLES = ["ба", "ва", "да", "за", "ка", "ла", "ма", "на", "ра", "са", "та", "фа", "ша", "бо", "во", "до",
             "зо", "ло", "мо", "но"]


def _word(i: int, parts: int = 4) -> str:
    """A distinct name for every ``i`` (folding drops digits, so names are letters only)."""
    out = []
    for _ in range(parts):
        out.append(SYLLABLES[i % 20])
        i //= 20
    return "".join(out).capitalize()


def _entries(count: int, seed: int) -> list[Entry]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        birth = birth_key(rng.randrange(1960, 2005), rng.randrange(1, 13), rng.randrange(1, 29))
        if i % 10 == 0:
            birth = birth[:4] + "<<"
        end = dt.date(rng.choice([2027, 2029]), 6, 1) if i % 5 else None
        out.append(Entry(i + 2, _word(i) + "ов", _word(i % 50, 2), "TJK", f"4{i:08d}", birth, end))
    return out


def _installed(tmp: Path, strong: float, possible: float, count: int = 2000) -> BanList:
    write_bundle(_entries(count, 1), tmp / "bundle", list_version=1, list_date=TODAY,
                 valid_until=TODAY + dt.timedelta(days=200), deployment="test", strong=strong, possible=possible)
    unpack_bundle(tmp / "bundle", tmp / "installed")
    return BanList.open(tmp / "installed", verify_hashes=True)


SHAPES = {"full date": "{y}{m}{d}", "unknown day": "{y}{m}<<", "unknown month": "{y}<<{d}",
          "year only": "{y}<<<<"}


@pytest.mark.slow
def test_per_traveller_budget_holds_for_every_passport_shape(tmp_path: Path) -> None:
    """Loose budgets so that false alarms are frequent enough to count in seconds: the
    worst shape (a birth year alone) must come close to the budget and stay under it;
    every other shape stays under its smaller bound."""
    strong, possible = 0.05, 0.1
    with _installed(tmp_path, strong, possible) as bl:
        bounds = bl.false_alarm_bounds()
        assert bounds["strong"] <= strong and bounds["possible"] <= possible
        rng = random.Random(99)
        for shape, pattern in SHAPES.items():
            travellers = 1500 if shape == "year only" else 4000
            counts = {"strong": 0, "possible": 0, "none": 0}
            lookups = 0.0
            for i in range(travellers):
                birth = pattern.format(y=f"{rng.randrange(0, 100, 4):02d}", m=f"{rng.randrange(1, 13):02d}",
                                       d=f"{rng.randrange(1, 29):02d}")
                m = bl.match_fields(_word(i, 5) + "ZZ", "NOBODY", "TJK", f"X{i:08d}", birth, TODAY)
                counts[m.kind] += 1
                lookups += lookups_for(birth) / travellers  # the shape's mean cost
            for kind, limit in (("strong", strong), ("possible", possible)):
                bound = limit * lookups / WORST_LOOKUPS
                expected = bounds[kind] * lookups / WORST_LOOKUPS * travellers
                sigma = max(1.0, expected) ** 0.5
                assert counts[kind] <= bound * travellers + 4 * sigma, (shape, kind, counts)
                if shape == "year only":
                    assert counts[kind] >= expected - 4 * sigma, (shape, kind, counts, expected)


def test_members_are_found_at_every_compatible_precision(tmp_path: Path) -> None:
    entries = _entries(300, 1)
    with _installed(tmp_path, 1e-7, 1e-6, 300) as bl:
        for e in entries[:60]:
            year = e.end_year or None
            for birth in {e.birth, e.birth[:4] + "<<", e.birth[:2] + "<<<<"}:
                m = bl.match_fields("Щ" + e.surname, e.given_names, "TJK", e.document_number, birth, TODAY)
                assert (m.kind, m.ban_end_year) == ("strong", year), (e.line, birth)
                m = bl.match_fields(e.surname, e.given_names, "TJK", "NOTIT", birth, TODAY)
                assert (m.kind, m.ban_end_year) == ("possible", year), (e.line, birth)
        # a ban that ended before this year is not reported
        later = dt.date(2028, 1, 1)
        e = next(e for e in entries if e.end_year == 2027)
        assert bl.match_fields(e.surname, e.given_names, "TJK", e.document_number, e.birth, later).kind == "none"


def test_wire_size_is_close_to_the_information_limit(tmp_path: Path) -> None:
    man = write_bundle(_entries(20_000, 3), tmp_path / "b", list_version=1, list_date=TODAY,
                       valid_until=TODAY + dt.timedelta(days=200), deployment="test")
    for s in man["sets"]:
        limit = s["keys"] * np.log2(s["universe"] / s["keys"])
        assert s["compressed_size"] * 8 <= 1.15 * limit, (s["kind"], s["compressed_size"] * 8 / limit)


def test_old_format_bundle_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    write_bundle(_entries(10, 1), tmp_path / "b", list_version=1, list_date=TODAY,
                 valid_until=TODAY + dt.timedelta(days=200), deployment="test")
    path = tmp_path / "b" / "manifest.json"
    raw = json.loads(path.read_text())
    raw["format_version"] = 1
    path.write_text(json.dumps(raw))
    with pytest.raises(BundleError) as e:
        unpack_bundle(tmp_path / "b", tmp_path / "x")
    assert e.value.field == "format_version" and "rebuild the list" in str(e.value)


def test_a_bundle_that_would_expand_beyond_its_declared_size_is_refused_unwritten(tmp_path: Path) -> None:
    write_bundle(_entries(50, 1), tmp_path / "b", list_version=1, list_date=TODAY,
                 valid_until=TODAY + dt.timedelta(days=200), deployment="test")
    path = tmp_path / "b" / "manifest.json"
    raw = json.loads(path.read_text())
    raw["sets"][0]["size"] -= 1
    path.write_text(json.dumps(raw))
    with pytest.raises(BundleError) as e:
        unpack_bundle(tmp_path / "b", tmp_path / "x")
    assert e.value.field == "size" and e.value.code == "bomb" and "decompression bomb" in e.value.reason
    assert not (tmp_path / "x" / "documents.fps").exists()


@pytest.mark.parametrize("field,value,words", [
    ("universe", 10, "universe"),
    ("keys", 3, "disagrees"),
    ("end_years", [0], "disagrees"),
    ("sha256", "0" * 64, "sha256"),
])
def test_a_set_that_disagrees_with_its_manifest_is_refused(tmp_path: Path, field: str, value: object,
                                                          words: str) -> None:
    write_bundle(_entries(50, 1), tmp_path / "b", list_version=1, list_date=TODAY,
                 valid_until=TODAY + dt.timedelta(days=200), deployment="test")
    path = tmp_path / "b" / "manifest.json"
    raw = json.loads(path.read_text())
    raw["sets"][1][field] = value
    path.write_text(json.dumps(raw))
    with pytest.raises(BundleError) as e:
        unpack_bundle(tmp_path / "b", tmp_path / "x")
    assert words in str(e.value)


def _bundle(tmp: Path, count: int = 200) -> Path:
    write_bundle(_entries(count, 1), tmp / "b", list_version=1, list_date=TODAY,
                 valid_until=TODAY + dt.timedelta(days=200), deployment="test", salt=bytes(range(16)))
    return tmp / "b"


def _edit_manifest(path: Path, kind: str, **change: object) -> dict:
    raw = json.loads(path.read_text())
    entry = next(s for s in raw["sets"] if s["kind"] == kind)
    entry.update(change)
    path.write_text(json.dumps(raw))
    return entry


def test_a_set_with_a_ban_end_year_dropped_is_refused_at_install(tmp_path: Path) -> None:
    """What a builder that lost one partition signs: a name set rebuilt without the keys that
    end in 2029, every field derived from that set agreeing with it, and the counts per ban-end
    year the list had (``keys_per_end_year``) left as they were."""
    from host_tools.listbuild.bundle import collect_keys

    b = _bundle(tmp_path)
    raw = json.loads((b / "manifest.json").read_text())
    keys, years = collect_keys(_entries(200, 1))["name"]
    kept = [(k, y) for k, y in zip(keys, years, strict=True) if y != 2029] + [(c, 0) for c in raw["canaries"]]
    wire, _ = build_wire([k for k, _ in kept], [y for _, y in kept], raw["sets"][1]["universe"], bytes(range(16)))
    out = io.BytesIO()
    header, digest = expand(wire, out, 1 << 30)
    (b / "names.gcs").write_bytes(wire)
    entry = _edit_manifest(b / "manifest.json", "name", keys=header.n, end_years=header.end_years,
                           size=len(out.getvalue()), compressed_size=len(wire), sha256=digest)
    assert len(entry["keys_per_end_year"]) == 3 and len(header.end_years) == 2
    with pytest.raises(BundleError) as e:
        unpack_bundle(b, tmp_path / "x")
    assert e.value.field == "keys_per_end_year" and e.value.file and e.value.file.endswith("names.gcs")


def test_a_set_whose_counts_per_ban_end_year_disagree_is_refused_at_install(tmp_path: Path) -> None:
    b = _bundle(tmp_path)
    counts = json.loads((b / "manifest.json").read_text())["sets"][0]["keys_per_end_year"]
    _edit_manifest(b / "manifest.json", "document", keys_per_end_year=[counts[0] + 1, counts[1] - 1, *counts[2:]])
    with pytest.raises(BundleError) as e:
        unpack_bundle(b, tmp_path / "x")
    assert e.value.field == "keys_per_end_year"
    assert not (tmp_path / "x" / "documents.fps").exists()


def test_an_installed_set_is_checked_against_its_counts_on_opening(tmp_path: Path) -> None:
    """A list installed before the counts were checked: opening checks that they add up to the
    set's entries; a full check counts the entries of each class."""
    unpack_bundle(_bundle(tmp_path), tmp_path / "installed")
    path = tmp_path / "installed" / "manifest.json"
    counts = json.loads(path.read_text())["sets"][0]["keys_per_end_year"]
    _edit_manifest(path, "document", keys_per_end_year=[counts[0] + 1, counts[1] - 1, *counts[2:]])
    BanList.open(tmp_path / "installed").close()  # the total agrees
    with pytest.raises(BundleError) as e:
        BanList.open(tmp_path / "installed", verify_hashes=True)
    assert e.value.field == "keys_per_end_year" and "documents.fps" in str(e.value)
    _edit_manifest(path, "document", keys_per_end_year=counts[:-1])
    with pytest.raises(BundleError) as e:
        BanList.open(tmp_path / "installed")
    assert e.value.field == "keys_per_end_year"


def test_the_content_check_reads_a_bounded_amount_a_step_and_notices_zeroed_bytes(tmp_path: Path) -> None:
    from firmware.banlist.verify import CHECKING, DAMAGED, INTACT

    unpack_bundle(_bundle(tmp_path, 20_000), tmp_path / "installed")
    with BanList.open(tmp_path / "installed") as bl:
        check = bl.content_check()
        steps = 0
        while check.status == CHECKING:
            before = check.read
            check.step(4096)
            assert check.read - before <= 4096
            steps += 1
        assert check.status == INTACT and check.read == check.total
        assert steps == -(-check.total // 4096)
        victim = tmp_path / "installed" / "names.fps"
        zero_a_block_the_canaries_miss(tmp_path / "installed", victim.name)
        check = bl.content_check()
        while check.step(4096) == CHECKING:
            pass
        assert check.status == DAMAGED and check.problem is not None
        assert check.problem.field == "sha256" and check.problem.file == str(victim)
    BanList.open(tmp_path / "installed").close()
    with pytest.raises(BundleError) as e:
        BanList.open(tmp_path / "installed", verify_hashes=True)
    assert e.value.field == "sha256"
