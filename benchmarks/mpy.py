"""Run a Python snippet under the MicroPython WebAssembly port and return its stdout."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_micropython(script: str, copy: tuple[str, ...] = ("firmware/core",), timeout: float = 900) -> str:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is needed for the MicroPython-wasm numbers (./dev bench installs it)")
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(script)
    args = [node, str(REPO / "tests/mpy/run.mjs"), str(REPO)]
    for c in copy:
        args += ["--copy", c]
    proc = subprocess.run(args + ["--exec", f.name], capture_output=True, text=True, timeout=timeout, cwd=REPO)
    Path(f.name).unlink()
    if proc.returncode != 0:
        raise RuntimeError("MicroPython run failed:\n" + proc.stdout[-2000:] + proc.stderr[-2000:])
    return proc.stdout
