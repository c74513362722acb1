"""Bit rot for the tests: zeroing a block of an installed set that only reading it back notices."""

from __future__ import annotations

from pathlib import Path

from firmware.banlist import BanList

BLOCK = 4096


def zero_a_block_the_canaries_miss(directory: Path, name: str) -> int:
    """Zeroes the first 4,096-byte block after the header of ``directory/name`` whose loss the
    headers and the canary self-test do not see (the minute-by-minute check still says OK);
    returns its offset."""
    path = directory / name
    data = path.read_bytes()
    for offset in range(BLOCK, len(data) - BLOCK, BLOCK):
        _write(path, offset, bytes(BLOCK))  # in place, as the storage would: the kiosk has it mapped
        with BanList.open(directory) as bl:
            if not bl.self_test():
                return offset
        _write(path, offset, data[offset:offset + BLOCK])
    raise AssertionError(f"every block of {path} holds a canary: make the list larger")


def _write(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)
