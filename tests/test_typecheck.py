"""The CPython side type-checks with mypy (the whole tree, bodies of unannotated functions too)."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow(seconds=27)  # measured without a mypy cache: the whole tree, tests included
def test_mypy_clean() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary"],  # the files and rules of pyproject.toml's [tool.mypy]
        cwd=REPO, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
