"""Where USB sticks are mounted on the kiosk, for everything that looks on them
(signed lists in ``SAFAR-LISTS/``, the technician's ``SAFAR-SERVICE.key``)."""

from __future__ import annotations

from pathlib import Path

MOUNT_BASES = ("media", "run/media", "mnt")
# the folder a published list repository sits in at the top of a stick
USB_FOLDER = "SAFAR-LISTS"


def on_mounted_sticks(name: str, root: Path = Path("/")) -> list[Path]:
    """``name`` at the top of every mounted stick: ``/media/LABEL``, ``/media/USER/LABEL``,
    ``/run/media/USER/LABEL``, ``/mnt/LABEL`` (``root`` prefixes them, for tests and chroots)."""
    found: list[Path] = []
    for base in MOUNT_BASES:
        top = root / base
        if not top.is_dir():
            continue
        for pattern in ("*/" + name, "*/*/" + name):
            for cand in sorted(top.glob(pattern)):
                if cand not in found:
                    found.append(cand)
    return found
