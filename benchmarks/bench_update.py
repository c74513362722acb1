"""Signed list install on the kiosk: build, sign and publish a big list, then time ``install``
(verify, hash, expand, self-test, atomic swap) and boot-to-ready (a fresh process until
``installed()`` returns an open, verified list).

    python -m benchmarks update             (or ./dev bench update)
    python -m benchmarks.bench_update [--records 5000000] [--keys-per-record 6] [--dir DIR]

Synthetic keys (``benchmarks.bench_filter.make_keys``), ``--keys-per-record`` per record
(a record gives up to six: document and name key at three date precisions), split into
four end-year partitions as ``safar list build`` does, at ε = 1e-4. Timings are wall
clock with a warm page cache (the kiosk's first boot after a power cut is colder).
Numbers printed are measurements; nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

from benchmarks.bench_filter import make_keys
from firmware.banlist.manifest import FORMAT_VERSION, MANIFEST_NAME
from firmware.core.bloom import HASH_SCHEME, optimal_parameters, pack_header
from firmware.update import install, installed, provision
from host_tools.listbuild.builder import hash_pairs, set_bits
from host_tools.signing import make_demo_repository

REPO = Path(__file__).resolve().parent.parent
LIST_DATE = dt.date(2026, 11, 1)
PARTITIONS = (0, 2027, 2028, 2029)
CHUNK = 1_000_000

BOOT = """
import time, sys
t0 = time.perf_counter()
from firmware.update import installed
t1 = time.perf_counter()
with installed(sys.argv[1], verify_hashes=sys.argv[2] == "1") as inst:
    assert inst.banlist is not None, inst.reason
    ok = inst.banlist.match_fields("X", "Y", "TJK", "1", "900101").kind
print(t1 - t0, time.perf_counter() - t1)
"""


def build_big_bundle(out: Path, records: int, keys_per_record: int, fp_rate: float = 1e-4) -> dict[str, object]:
    """A bundle like ``write_bundle``'s, with filters built chunk by chunk (no 30M-string lists)."""
    out.mkdir(parents=True, exist_ok=True)
    salt = secrets.token_bytes(16)
    canaries = ["Z|canary|" + secrets.token_hex(8) for _ in range(8)]
    total = records * keys_per_record
    per = [total // len(PARTITIONS) + (1 if i < total % len(PARTITIONS) else 0) for i in range(len(PARTITIONS))]
    filters = []
    start = 0
    for end_year, n in zip(PARTITIONS, per):
        m, k = optimal_parameters(n + len(canaries), fp_rate)
        bits = np.zeros(m // 8, dtype=np.uint8)
        for s in range(start, start + n, CHUNK):
            keys = make_keys(s, min(CHUNK, start + n - s), seed=s)
            set_bits(bits, hash_pairs(salt, keys), k, m)
        set_bits(bits, hash_pairs(salt, canaries), k, m)
        start += n
        raw = pack_header(k, m, n + len(canaries), end_year, salt) + bits.tobytes()
        packed = zlib.compress(raw, 1)
        name = f"ban-{end_year or 'open'}.sblf.z"
        (out / name).write_bytes(packed)
        filters.append({"file": name, "end_year": end_year, "keys": n + len(canaries), "bits": m, "hashes": k,
                        "size": len(raw), "compressed_size": len(packed), "sha256": hashlib.sha256(raw).hexdigest()})
    manifest = {"format_version": FORMAT_VERSION, "list_version": 20261101, "list_date": LIST_DATE.isoformat(),
                "valid_until": (LIST_DATE + dt.timedelta(days=200)).isoformat(), "deployment": "safar-demo",
                "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
                "hash_scheme": HASH_SCHEME, "salt": salt.hex(), "fp_rate": fp_rate, "records": records,
                "key_counts": {"document": total // 2, "name": total - total // 2, "canary": 8 * len(filters)},
                "filters": filters, "canaries": canaries}
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _boot(state: Path, deep: bool) -> tuple[float, float, float]:
    """Seconds: process start to a ready list and one lookup; importing firmware.update; installed()."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", BOOT, str(state), "1" if deep else "0"], cwd=REPO,
                          capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(proc.stderr)
    imports, ready = (float(x) for x in proc.stdout.split())
    return wall, imports, ready


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench_update", description=__doc__)
    ap.add_argument("--records", type=int, default=5_000_000)
    ap.add_argument("--keys-per-record", type=int, default=6)
    ap.add_argument("--dir", type=Path, default=None, help="work directory (default: a temporary one)")
    args = ap.parse_args(argv)
    work = args.dir or Path(tempfile.mkdtemp(prefix="safar-bench-update-"))
    try:
        t = time.perf_counter()
        man = build_big_bundle(work / "bundle", args.records, args.keys_per_record)
        build_s = time.perf_counter() - t
        size = sum(f["size"] for f in man["filters"])  # type: ignore[attr-defined, union-attr]
        packed = sum(f["compressed_size"] for f in man["filters"])  # type: ignore[attr-defined, union-attr]
        t = time.perf_counter()
        repo, root = make_demo_repository(work / "demo", work / "bundle")
        sign_s = time.perf_counter() - t
        state = work / "state"
        provision(state, root)
        t = time.perf_counter()
        install(state, repo, now=LIST_DATE)
        install_s = time.perf_counter() - t
        t = time.perf_counter()
        again = install(state, repo, now=LIST_DATE).action
        unchanged_s = time.perf_counter() - t
        t = time.perf_counter()
        with installed(state, now=LIST_DATE) as inst:
            assert inst.banlist is not None
        ready_s = time.perf_counter() - t
        boot = [_boot(state, False) for _ in range(3)]
        deep = _boot(state, True)
        keys = args.records * args.keys_per_record
        print(f"list: {args.records:,} records x {args.keys_per_record} keys = {keys:,} keys in "
              f"{len(PARTITIONS)} partitions; {size / 1e6:.1f} MB expanded, {packed / 1e6:.1f} MB compressed")
        print(f"build bundle            {build_s:8.1f} s")
        print(f"sign (2 of 3) + publish {sign_s:8.1f} s   (hashing every file)")
        print(f"install                 {install_s:8.1f} s   (verify, hash, expand, fsync, self-test, swap)")
        print(f"install again           {unchanged_s:8.2f} s   ({again})")
        print(f"installed() in-process  {ready_s * 1000:8.1f} ms")
        best = min(boot)
        print(f"boot to ready           {best[0] * 1000:8.1f} ms   (fresh python process, best of 3: imports "
              f"{best[1] * 1000:.0f} ms, installed() {best[2] * 1000:.0f} ms)")
        print(f"boot to ready, deep     {deep[0] * 1000:8.1f} ms   (verify_hashes=True: installed() "
              f"{deep[2] * 1000:.0f} ms re-hashing every filter)")
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
