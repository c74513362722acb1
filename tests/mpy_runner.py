"""Run portable test modules under the MicroPython WebAssembly port (via Node)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RUNNER = REPO / "tests" / "mpy" / "run.mjs"


def run_under_micropython(test_files: list[Path], copy: tuple[str, ...] = ("firmware/core",),
                          timeout: float = 600) -> dict:
    """Returns {'passed': n, 'failed': [...], 'output': text}; fails the test if Node or the port is missing."""
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "@micropython").exists():
        pytest.fail("Node.js and the npm package @micropython/micropython-webassembly-pyscript are needed: "
                    "run ./dev test")
    args = [node, str(RUNNER), str(REPO)]
    for c in copy:
        args += ["--copy", c]
    args += [str(f) for f in test_files]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    m = re.search(r"MPY-SUMMARY (.*)", proc.stdout)
    if m is None:
        pytest.fail(f"MicroPython run produced no summary (exit {proc.returncode}):\n"
                    f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    result = json.loads(m.group(1))
    result["output"] = proc.stdout + proc.stderr
    return result
