"""Power cuts during the install of a big list: the crash-state explorer (``tests/crash_states.py``)
on a list of ``--records`` synthetic records, installed on a provisioned kiosk.

    python -m benchmarks crash_states          (or ./dev bench crash_states)
    python -m benchmarks.bench_crash_states [--records 200000] [--states 40] [--dir DIR]

Records the install's operations, builds every state a power cut could leave (sampled
past 64 per crash point), tries ``--states`` of them (each state the kiosk can tell apart
first) and prints how many recovered. Numbers printed are measurements; a state that does
not recover is printed and makes the exit code 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_update import LIST_DATE, build_big_bundle
from firmware.update import audit_entries, provision
from host_tools.signing import make_demo_repository

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from crash_states import check_recovers, crash_states, record_install, sample

VERSION = 20261101  # the list version build_big_bundle writes


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench_crash_states", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=200_000, help="synthetic records in the list")
    ap.add_argument("--states", type=int, default=40, help="crash states to try (a seeded sample past that)")
    ap.add_argument("--dir", type=Path, default=None, help="work directory (default: a temporary one)")
    args = ap.parse_args(argv)
    work = args.dir or Path(tempfile.mkdtemp(prefix="safar-bench-crash-"))
    now = LIST_DATE + dt.timedelta(days=3)
    failures = 0
    try:
        build_big_bundle(work / "bundle", args.records)
        repo, root = make_demo_repository(work / "demo", work / "bundle")
        base = work / "base"
        provision(base, root)
        audit_before = audit_entries(base, limit=1 << 20)
        recorded = work / "recorded"
        shutil.copytree(base, recorded, symlinks=True)
        t = time.perf_counter()
        rec = record_install(recorded, repo, now)
        record_s = time.perf_counter() - t
        t = time.perf_counter()
        states = list(crash_states(rec))
        build_s = time.perf_counter() - t
        tried = sample(states, args.states)
        t = time.perf_counter()
        for n, cut in enumerate(tried):
            state = work / f"s{n}"
            cut.tree.materialise(state)
            try:
                check_recovers(state, repo, now, None, VERSION, audit_before)
            except Exception as e:  # every failure is printed with its state
                failures += 1
                print(f"FAILED {type(e).__name__}: {e}\n    {cut.describe(rec)}")
            shutil.rmtree(state)
        check_s = time.perf_counter() - t
        size = sum(f.stat().st_size for f in (recorded / "list").rglob("*.fps"))
        views = len({s.tree.fingerprint(garbage=False) for s in states})
        print(f"list: {args.records:,} records, {size / 1e6:.1f} MB expanded; {len(rec.steps)} recorded steps")
        print(f"record the install      {record_s:8.1f} s")
        print(f"build the crash states  {build_s:8.1f} s   ({len(states)} distinct, {views} as the kiosk sees them)")
        print(f"materialise + recover   {check_s:8.1f} s   ({len(tried)} tried, {len(tried) - failures} recovered, "
              f"{check_s / max(1, len(tried)):.2f} s each)")
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
