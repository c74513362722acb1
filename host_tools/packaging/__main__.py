"""``python -m host_tools.packaging``: build the kiosk's .deb and print its path."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from host_tools.packaging.deb import ARCHES, DEFAULT_OUT, PackagingError, build_package, host_arch


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m host_tools.packaging",
        description="Build the Safar kiosk's Debian package (Raspberry Pi OS Bookworm / Debian 12) "
                    "with its wheelhouse, and print the .deb's path.",
        epilog="Documentation: docs/packaging.md in the Safar source.")
    p.add_argument("--arch", choices=sorted(ARCHES), default=None,
                   help="Debian architecture of the kiosk: arm64 for a Raspberry Pi (default: this machine's)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the .deb (default %(default)s)")
    p.add_argument("--wheels-from", type=Path, default=None, metavar="DIR",
                   help="wheels built for the target of the dependencies PyPI has only as source (evdev); "
                        "needed for a foreign --arch (host_tools/packaging/arm64_check.sh builds them)")
    args = p.parse_args(argv)
    try:
        deb = build_package(args.arch or host_arch(), args.out, wheels_from=args.wheels_from)
    except PackagingError as e:
        print(f"packaging: {e}", file=sys.stderr)
        return 1
    print(deb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
