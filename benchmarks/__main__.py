"""`./dev bench [NAME...]`: run the benchmarks (all, or the named ones: mrz, filter, ...)."""

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    here = [str(Path(__file__).parent)]
    names = sys.argv[1:] or sorted(
        m.name[len("bench_"):] for m in pkgutil.iter_modules(here) if m.name.startswith("bench_")
    )
    for name in names:
        print(f"== {name} ==", flush=True)
        importlib.import_module("benchmarks.bench_" + name).main([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
