"""Signed list install on the kiosk: build, sign and publish a big list, then time ``install``
(verify, hash, expand, self-test, atomic swap) and boot-to-ready (a fresh process until
``installed()`` returns an open, verified list).

    python -m benchmarks update             (or ./dev bench update)
    python -m benchmarks.bench_update [--records 5000000] [--dir DIR]

Synthetic records (``benchmarks.bench_filter.make_records``: Tajik names, birth dates,
passport numbers, 80% with a ban end), built by the real builder at the default
false-alarm budgets. Timings are wall clock with a warm page cache (the kiosk's first
boot after a power cut is colder). Numbers printed are measurements; nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_filter import make_records
from firmware.update import install, installed, provision
from host_tools.listbuild.bundle import write_bundle
from host_tools.signing import make_demo_repository

REPO = Path(__file__).resolve().parent.parent
LIST_DATE = dt.date(2026, 11, 1)

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


def build_big_bundle(out: Path, records: int) -> dict[str, Any]:
    """A bundle of ``records`` synthetic records, as ``safar list build`` writes it."""
    return write_bundle(make_records(records, seed=11), out, list_version=20261101, list_date=LIST_DATE,
                        valid_until=LIST_DATE + dt.timedelta(days=200), deployment="safar-demo")


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
    ap.add_argument("--dir", type=Path, default=None, help="work directory (default: a temporary one)")
    args = ap.parse_args(argv)
    work = args.dir or Path(tempfile.mkdtemp(prefix="safar-bench-update-"))
    try:
        t = time.perf_counter()
        man = build_big_bundle(work / "bundle", args.records)
        build_s = time.perf_counter() - t
        size = sum(f["size"] for f in man["sets"])
        packed = sum(f["compressed_size"] for f in man["sets"])
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
        keys = sum(f["keys"] for f in man["sets"])
        print(f"list: {args.records:,} records, {keys:,} keys in a document and a name set; "
              f"{packed / 1e6:.1f} MB on the wire, {size / 1e6:.1f} MB expanded")
        print(f"make records + build    {build_s:8.1f} s   (synthetic records, then write_bundle)")
        print(f"sign (2 of 3) + publish {sign_s:8.1f} s   (hashing every file)")
        print(f"install                 {install_s:8.1f} s   (verify, hash, expand, fsync, self-test, swap)")
        print(f"install again           {unchanged_s:8.2f} s   ({again})")
        print(f"installed() in-process  {ready_s * 1000:8.1f} ms")
        best = min(boot)
        print(f"boot to ready           {best[0] * 1000:8.1f} ms   (fresh python process, best of 3: imports "
              f"{best[1] * 1000:.0f} ms, installed() {best[2] * 1000:.0f} ms)")
        print(f"boot to ready, deep     {deep[0] * 1000:8.1f} ms   (verify_hashes=True: installed() "
              f"{deep[2] * 1000:.0f} ms re-hashing both sets)")
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
