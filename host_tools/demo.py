"""`safar demo`: the demo.

Until the kiosk loop exists this reads the bundled ICAO specimen zones with the MRZ
engine and prints each parsed document (the specimens are fictitious people).
"""

from __future__ import annotations

import json

from firmware.core import mrz
from host_tools.specimens import SPECIMENS


def main(argv: list[str]) -> int:
    for name, spec in SPECIMENS.items():
        doc = mrz.parse("\n".join(spec["lines"]), today=(2026, 11, 23))  # type: ignore[arg-type]
        summary = {k: doc.to_dict()[k] for k in ("format", "valid", "document_number", "surname", "given_names", "checks")}
        print(name, json.dumps(summary))
    return 0
