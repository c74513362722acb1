"""A giant CSV field (issue 22, item 10): ``safar list build`` reads the list as a stream with bounds on
a line and a field, so a file with one huge field is refused naming its line, in bounded memory."""

from __future__ import annotations

import datetime as dt
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from host_tools.listbuild.csvinput import ListFileError, read_list

HEADER = b"surname,given names,birth date\nKarimov,Rustam,01.01.1990\n"
MB = 1 << 20


def giant_field(path: Path, megabytes: int) -> Path:
    """A list whose line 3 starts with a quoted field of ``megabytes`` MiB, written in 1 MiB pieces."""
    with path.open("wb") as f:
        f.write(HEADER + b'"')
        for _ in range(megabytes):
            f.write(b"x" * MB)
        f.write(b'",Umed,02.02.1992\n')
    return path


def build(csv: Path, memory_mb: int | None = None) -> subprocess.CompletedProcess[str]:
    def bound() -> None:
        if memory_mb is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory_mb * MB, memory_mb * MB))

    return subprocess.run([sys.executable, "-m", "firmware.cli", "list", "build", str(csv), "-o",
                           str(csv.with_suffix(".bundle")), "--list-date", "2026-01-01", "--quiet"],
                          capture_output=True, text=True, timeout=120, preexec_fn=bound,
                          env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})  # its buffers per core: address space


def test_a_50_mb_field_is_refused_naming_its_line_within_300_mb_of_address_space(tmp_path: Path) -> None:
    # A bound, not a measurement: the whole process (Python and all) gets 300 MB of address space; a
    # reader that holds the file (and its text, and a copy) runs out of memory with a traceback instead.
    p = build(giant_field(tmp_path / "list.csv", 50), memory_mb=300)
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    assert "list.csv, line 3: a line longer than 1,048,576 characters" in p.stderr
    assert not (tmp_path / "list.bundle").exists()


def test_a_field_over_the_limit_spread_over_short_lines_is_refused_naming_a_line() -> None:
    # a quoted field may span lines (an address with line breaks): no line is long, the field is (200 KB)
    text = HEADER + b'"' + (b"y" * 99 + b"\n") * 2000 + b'",Umed,02.02.1992\n'
    with pytest.raises(ListFileError, match="field larger than field limit") as caught:
        read_list(text, "list.csv", dt.date(2026, 1, 1))
    assert caught.value.line == 3 and "(found at line 1313)" in caught.value.reason  # where it starts, ends


def test_a_50_mb_line_of_empty_fields_is_refused_naming_its_line(tmp_path: Path) -> None:
    csv = tmp_path / "list.csv"
    csv.write_bytes(HEADER + b"," * (50 * MB) + b"\n")
    p = build(csv)
    assert p.returncode == 1 and "list.csv, line 3: a line longer than" in p.stderr, p.stderr
