"""Running a subcommand's ``main`` in-process, with its output captured (a helper for CLI tests)."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout


def run(module: object, *argv: object) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``module.main([...str(a)])``."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = module.main([str(a) for a in argv])  # type: ignore[attr-defined]
    return code, out.getvalue(), err.getvalue()
