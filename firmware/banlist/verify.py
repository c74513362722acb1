"""Re-reading an installed list's sets against its signed manifest, a bounded number of bytes at a time.

Bit rot in an expanded set means missed matches, and nothing else notices it: the headers,
the canaries and the kiosk's minute-by-minute check all still pass. A ``ContentCheck`` hashes
each set and counts its entries per class (the ``keys_per_end_year`` the manifest signs), so
the kiosk can spread a full pass over its idle time (docs/kiosk.md) and
``BanList.open(verify_hashes=True)`` can do one at once.

It reads the files, not the kiosk's memory map, and asks the kernel to drop each range from
the page cache before and after reading it: a pass reads what is on the storage (pages the
kiosk has mapped stay, and they are what it matches against) and does not fill the cache.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from firmware.banlist.errors import BundleError

CHECKING = "checking"  # more bytes to read
INTACT = "intact"  # every set read, every hash and count as signed
DAMAGED = "damaged"  # ``problem`` says which file and what

READ_SIZE = 1 << 20  # bytes per read: a step of any size never holds more than this


class SetContents:
    """What one expanded set must hold: its size and SHA-256, and where its class bytes are
    with the count the manifest declares for each class."""

    def __init__(self, path: Path, size: int, sha256: str, codes_at: int, class_counts: list[int]) -> None:
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.codes_at = codes_at
        self.class_counts = class_counts


class ContentCheck:
    """One pass over a list's sets: ``step(max_bytes)`` reads at most ``max_bytes`` more and
    says ``CHECKING``, ``INTACT`` or ``DAMAGED`` (then ``problem`` is a ``BundleError``)."""

    def __init__(self, sets: list[SetContents]) -> None:
        self._sets = sets
        self._index = 0
        self._offset = 0
        self._digest = hashlib.sha256()
        self._counts = [0] * 256
        self._fd: int | None = None
        self.total = sum(s.size for s in sets)
        self.read = 0
        self.status = CHECKING
        self.problem: BundleError | None = None

    def step(self, max_bytes: int) -> str:
        """Hashes up to ``max_bytes`` more and returns the status: the kiosk checks a list between scans."""
        budget = max_bytes
        while self.status == CHECKING and budget > 0:
            budget -= self._read_some(budget)
        return self.status

    def run(self) -> str:
        """The whole pass at once."""
        return self.step(self.total - self.read + 1)

    def close(self) -> None:
        """Closes the file being checked (a replaced list must not stay open)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _read_some(self, budget: int) -> int:
        s = self._sets[self._index]
        count = min(budget, READ_SIZE, s.size - self._offset)
        try:
            if self._fd is None:
                self._fd = os.open(s.path, os.O_RDONLY)
            _drop_cached(self._fd, self._offset, count)
            data = os.pread(self._fd, count, self._offset)
            _drop_cached(self._fd, self._offset, count)
            size_now = os.fstat(self._fd).st_size
        except OSError as e:
            self._fail(BundleError(f"cannot be read: {e.strerror}", str(s.path), offset=self._offset))
            return 0
        if len(data) < count or size_now != s.size:
            self._fail(BundleError(f"file is {size_now} bytes, the manifest declares {s.size}", str(s.path), "size"))
            return 0
        self._digest.update(data)
        self._count_classes(s, data)
        self._offset += count
        self.read += count
        if self._offset == s.size:
            self._finish_set(s)
        return count

    def _count_classes(self, s: SetContents, data: bytes) -> None:
        start = max(s.codes_at, self._offset) - self._offset
        if start >= len(data):
            return
        codes = data[start:]
        for code in range(len(s.class_counts)):
            self._counts[code] += codes.count(code)

    def _finish_set(self, s: SetContents) -> None:
        self.close()
        if self._digest.hexdigest() != s.sha256:
            self._fail(BundleError("contents do not match the manifest's sha256", str(s.path), "sha256"))
            return
        counts = self._counts[:len(s.class_counts)]
        if counts != s.class_counts:
            self._fail(BundleError(f"entries per class {counts} disagree with the manifest's keys_per_end_year "
                                   f"{s.class_counts}", str(s.path), "keys_per_end_year"))
            return
        self._index += 1
        self._offset = 0
        self._digest = hashlib.sha256()
        self._counts = [0] * 256
        if self._index == len(self._sets):
            self.status = INTACT

    def _fail(self, problem: BundleError) -> None:
        self.close()
        self.problem = problem
        self.status = DAMAGED


def _drop_cached(fd: int, offset: int, length: int) -> None:
    if hasattr(os, "posix_fadvise"):  # Linux; elsewhere the pass reads through the cache
        os.posix_fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)
