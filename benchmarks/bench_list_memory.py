"""Peak memory of `safar list build` on hostile CSV files (issue 22, item 10): a giant quoted field on one
line, the same spread over short lines (a multi-line field), and a giant line of empty fields.

Each file is written to a temporary directory, built with ``/usr/bin/time -f %M`` (peak RSS of the
process, KB) and deleted. Goal: under 300 MB whatever the input; every case must be refused naming a line.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

HEADER = b"surname,given names,birth date\nKarimov,Rustam,01.01.1990\n"
MIB = 1 << 20


def _one_line_field(f: BinaryIO, mib: int) -> None:
    f.write(HEADER + b'"')
    for _ in range(mib):
        f.write(b"x" * MIB)
    f.write(b'",Umed,02.02.1992\n')


def _multi_line_field(f: BinaryIO, mib: int) -> None:
    f.write(HEADER + b'"')
    for _ in range(mib):
        f.write((b"y" * 1023 + b"\n") * 1024)
    f.write(b'",Umed,02.02.1992\n')


def _line_of_empty_fields(f: BinaryIO, mib: int) -> None:
    f.write(HEADER)
    for _ in range(mib):
        f.write(b"," * MIB)
    f.write(b"\n")


CASES: dict[str, Callable[[BinaryIO, int], None]] = {
    "one quoted field on one line": _one_line_field,
    "one quoted field over short lines": _multi_line_field,
    "one line of empty fields": _line_of_empty_fields,
}


def peak_rss_kb(csv: Path) -> tuple[int, str]:
    """Peak RSS (KB) of `safar list build` on ``csv``, and the line it refused the file with."""
    p = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "firmware.cli", "list", "build", str(csv),
                        "-o", str(csv.with_suffix(".bundle")), "--list-date", "2026-01-01", "--quiet"],
                       capture_output=True, text=True, check=False)
    lines = p.stderr.strip().splitlines()
    said = next((line for line in lines if line.startswith("safar list: ") and "line" in line), lines[0])
    return int(lines[-1]), said


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench_list_memory", description=__doc__)
    ap.add_argument("--mib", type=int, default=1024, help="size of the giant part in MiB (default 1 GiB)")
    args = ap.parse_args(argv)
    print(f"{'case':36} {'peak RSS MB':>12}  refusal")
    with tempfile.TemporaryDirectory(prefix="safar-bench-list-") as work:
        for name, write in CASES.items():
            csv = Path(work) / "list.csv"
            with csv.open("wb") as f:
                write(f, args.mib)
            kb, said = peak_rss_kb(csv)
            csv.unlink()
            print(f"{name:36} {kb / 1024:12.1f}  {said}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
