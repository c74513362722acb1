"""The linters are part of the suite: a long line, an old ``%`` format or dead code fails a test.

Both run from the test's own environment (the pinned ``ruff`` and ``vulture`` of the dev extra),
with the rules in pyproject.toml for ruff and below for vulture.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Everything that can use a name: code only the tests or the board firmware call is still used.
VULTURE_PATHS = ("firmware", "kiosk_ui", "host_tools", "benchmarks", "tests")
# 60 is vulture's lowest: unused functions, classes, variables and attributes are reported, not only imports.
VULTURE_MIN_CONFIDENCE = 60
# pytest finds fixtures by name: a fixture is used by the tests whose arguments name it;
# kiosk_ui/wording.py finds what a screen says by its kind (``@_says``)
VULTURE_IGNORED_DECORATORS = ("@pytest.fixture*", "@_says")
# Names that are used although nothing in the tree calls them, each with the caller that vulture cannot see.
VULTURE_IGNORED_NAMES = {
    "exc": "__exit__(self, *exc): the with statement passes the exception triple, by protocol",
    "KEY_F3": "kiosk_ui/input.py reads F1..F4 as a range (language keys); F3 is named to show the range is whole",
    "__getattr__": "a module's __getattr__ (PEP 562) is called by the import system: firmware.update's lazy exports",
    "pytest_*": "pytest calls its hooks (conftest.py) by name",
    "log_message": "BaseHTTPRequestHandler calls it for each request; test servers override it to stay quiet",
    **{name: "named only inside string annotations (the portable core's, which MicroPython must not evaluate)"
       for name in ("TypeIs", "Searchable")},
    **{name: "TFLiteConverter's settings are attributes it reads in convert() (host_tools/ocr/train.py)"
       for name in ("optimizations", "representative_dataset", "supported_ops", "inference_input_type",
                    "inference_output_type")},
}


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing() -> None:
    p = _run(["ruff", "check", "--no-cache", "--output-format", "concise", "."])
    code = p.returncode
    assert code == 0, f"ruff check .:\n{p.stdout}{p.stderr}"


def test_vulture_finds_no_dead_code() -> None:
    p = _run(["vulture", *VULTURE_PATHS, "--min-confidence", str(VULTURE_MIN_CONFIDENCE),
              "--ignore-decorators", ",".join(VULTURE_IGNORED_DECORATORS),
              "--ignore-names", ",".join(VULTURE_IGNORED_NAMES)])
    code = p.returncode
    assert code == 0, f"vulture (a false positive goes in VULTURE_IGNORED_NAMES, with why):\n{p.stdout}{p.stderr}"
