"""The I/O board firmware type-checks with pyright against the MicroPython rp2 stubs."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PYRIGHT = REPO / "node_modules" / ".bin" / "pyright"
BOARD = REPO / "firmware" / "ioboard" / "board"


def _site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def _pyright(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    if not PYRIGHT.exists():
        pytest.fail(f"pyright is missing ({PYRIGHT}): run ./dev test, which installs the npm packages")
    site = _site_packages()
    if not (site / "machine.pyi").exists() or not (site / "stdlib" / "VERSIONS").exists():
        pytest.fail(f"the MicroPython stubs are not installed in {site}: pip install micropython-rp2-stubs "
                    "(it is in the dev extras of pyproject.toml)")
    # The running venv's paths, not the ones written in pyrightconfig.json, so the
    # check does not depend on the Python version in .venv/lib/python3.X.
    return subprocess.run(
        [str(PYRIGHT), "--pythonpath", sys.executable, "--typeshedpath", str(site), *args],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )


def test_board_firmware_has_no_type_errors() -> None:
    proc = _pyright("--outputjson", "-p", str(BOARD / "pyrightconfig.json"))
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        pytest.fail(f"pyright did not run (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    errors = [f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}"
              for d in report["generalDiagnostics"] if d["severity"] == "error"]
    assert errors == [], "\n".join(errors)
    assert report["summary"]["errorCount"] == 0
    # main.py and pins.py (and the protocol they import) were really analysed
    assert report["summary"]["filesAnalyzed"] >= 2, report["summary"]


def test_check_really_uses_the_micropython_stubs(tmp_path: Path) -> None:
    """A probe right for MicroPython but wrong for CPython passes; a real mistake is caught."""
    probe = tmp_path / "probe.py"
    probe.write_text("import time\nfrom machine import Pin\ntime.sleep_ms(1)\nPin(2, Pin.OUT).no_such_method()\n")
    proc = _pyright("--outputjson", str(probe), cwd=tmp_path)
    report = json.loads(proc.stdout)
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    assert [(Path(d["file"]).name, d["range"]["start"]["line"] + 1) for d in errors] == [("probe.py", 4)], errors
