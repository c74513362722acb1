"""The code's shape in figures: the share of public functions with a docstring, the largest
functions and the files over 600 lines, in firmware/, kiosk_ui/ and host_tools/.

Run: ``.venv/bin/python -m benchmarks.code_figures [ROOT]`` (ROOT: a checkout, default this one).
Cyclomatic complexity is radon's (``radon cc -s -n D firmware kiosk_ui host_tools``), which is
not a dependency: install it into a venv of your own to measure.

A public function is a top-level function or a method of a public class whose name does not
start with ``_`` (``__init__`` and other dunders excluded); nested functions are not counted.
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

PACKAGES = ("firmware", "kiosk_ui", "host_tools")
LONG_FILE = 600


def _functions(tree: ast.AST, public: bool) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, bool]]:
    """(function, counts as public) for every function in ``tree``, nested ones included."""
    out: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, bool]] = []
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append((child, public and not child.name.startswith("_")))
            out += _functions(child, False)
        elif isinstance(child, ast.ClassDef):
            out += _functions(child, public and not child.name.startswith("_"))
    return out


def main() -> None:
    """Prints the three figures for ROOT (what counts: the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path, default=Path(__file__).resolve().parents[1])
    root = parser.parse_args().root
    documented = public = 0
    sizes: list[tuple[int, str]] = []
    long_files: list[tuple[int, str]] = []
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            name = path.relative_to(root).as_posix()
            if text.count("\n") > LONG_FILE:
                long_files.append((text.count("\n"), name))
            for fn, is_public in _functions(ast.parse(text), True):
                sizes.append(((fn.end_lineno or fn.lineno) - fn.lineno + 1, f"{name}:{fn.name}"))
                if is_public:
                    public += 1
                    documented += ast.get_docstring(fn) is not None
    print(f"public functions with a docstring: {documented}/{public} = {100 * documented / public:.1f}%")
    print("largest functions (lines):", ", ".join(f"{where} {n}" for n, where in sorted(sizes, reverse=True)[:3]))
    print(f"files over {LONG_FILE} lines:", ", ".join(f"{where} {n}" for n, where in sorted(long_files, reverse=True)))


if __name__ == "__main__":
    main()
