"""Durable file steps (write, fsync, rename, symlink swap) and the fault-injection hook.

The one owner of replacing a file (``tests/test_architecture.py`` allows ``os.replace``
and ``os.rename`` nowhere else): ``atomic_write`` serves the state directory, the signing
keys (``mode=0o600`` from the file's creation), the fleet-metrics textfile in RAM
(``mode=0o644``, ``sync=False``) and the preview PNGs.

Every step that changes the state directory goes through ``fault_point`` first.
With the environment variable ``SAFAR_FAULT_AT=N`` the process SIGKILLs itself just
before its N-th such step (counted from 1 in this process), so a test can stop an
install at every point and check that the kiosk then finds exactly the old or the new
list. Unset (the kiosk), the hook only counts. ``SAFAR_FAULT_TRACE=1`` prints each
step's number and name to stderr (to see where N falls).

A SIGKILL stops the process but not the kernel: written pages still reach the disk.
The atomicity argument does not rest on that: each commit point is a single rename or
symlink replace of something already fsynced, and the directory is fsynced after it.
A power cut is tested by ``tests/crash_states.py``: under ``recording(recorder)`` each
step, once done, is reported as an operation (``Op``), from which it builds the states
an unsynced write could leave.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

FAULT_ENV = "SAFAR_FAULT_AT"
TRACE_ENV = "SAFAR_FAULT_TRACE"
_steps = 0


class Op(NamedTuple):
    """One file-system operation as done: ``kind`` is 'write' (create or truncate ``path``,
    then ``data``), 'append' (``data`` at the end), 'fsync' (a file or a directory),
    'mkdir', 'rename' (``path`` -> ``dest``), 'symlink' (``path`` pointing at ``target``)
    or 'unlink'."""

    kind: str
    path: Path
    data: bytes = b""
    dest: Path | None = None
    target: str = ""


_recorder: Callable[[Op], None] | None = None


@contextlib.contextmanager
def recording(recorder: Callable[[Op], None]) -> Iterator[None]:
    """Reports every operation the steps below do to ``recorder`` while the block runs
    (the crash-state explorer's hook; the kiosk never records)."""
    global _recorder
    if _recorder is not None:
        raise RuntimeError("already recording")
    _recorder = recorder
    try:
        yield
    finally:
        _recorder = None


def record(op: Op) -> None:
    """Reports one done operation to the crash-state explorer (nothing when not recording)."""
    if _recorder is not None:
        _recorder(op)


def record_written(path: Path) -> None:
    """Reports a file that other code wrote and fsynced (the filter expander streams its own);
    its bytes are read only while recording."""
    if _recorder is not None:
        _recorder(Op("write", path, path.read_bytes()))
        _recorder(Op("fsync", path))


def fault_point(what: str) -> None:
    """Counts one durable step; dies here if ``SAFAR_FAULT_AT`` names this step."""
    global _steps
    _steps += 1
    if os.environ.get(TRACE_ENV):
        sys.stderr.write(f"fault point {_steps}: {what}\n")
        sys.stderr.flush()
    at = os.environ.get(FAULT_ENV)
    if at and at.isdigit() and int(at) == _steps:
        os.kill(os.getpid(), signal.SIGKILL)


def fsync_dir(path: Path) -> None:
    """Makes a rename or a new name in ``path`` durable: until then a power cut may undo it."""
    fault_point(f"fsync dir {path.name}")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    record(Op("fsync", path))


def write_file(path: Path, data: bytes, mode: int | None = None, sync: bool = True) -> None:
    """Writes and fsyncs a new file (not atomic by itself: for files in a staging directory).

    ``mode``: exactly these permission bits from the file's creation (fchmod: the umask
    cannot widen or narrow them; never a moment with a looser mode); None: the umask's.
    ``sync=False`` skips the fsync (a file in RAM, a preview: atomic is enough)."""
    fault_point(f"write {path.name}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o666 if mode is None else mode)
    if mode is not None:
        os.fchmod(fd, mode)  # os.open's mode passes through the umask
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        record(Op("write", path, data))
        if sync:
            fault_point(f"fsync {path.name}")
            os.fsync(f.fileno())
            record(Op("fsync", path))


def mkdir(path: Path) -> None:
    """Creates a directory as a counted, recorded step (the crash tests stop at each)."""
    fault_point(f"mkdir {path.name}")
    path.mkdir()
    record(Op("mkdir", path))


def replace(src: Path, dst: Path) -> None:
    """Renames ``src`` over ``dst`` as a counted, recorded step: the commit point of an atomic write."""
    fault_point(f"rename {src.name} -> {dst.name}")
    os.replace(src, dst)
    record(Op("rename", src, dest=dst))


def atomic_write(path: Path, data: bytes, mode: int | None = None, sync: bool = True) -> None:
    """Replaces ``path`` with ``data`` atomically: temp file, fsync, rename, fsync the directory.

    A reader sees the old file or the new one, never half of it; a failed write leaves the
    old file and no temp file. ``mode`` and ``sync``: as for ``write_file`` (``sync=False``
    also skips the directory's fsync). The temp name starts with a dot and ends in ``.tmp-PID``,
    so a reader matching ``*.prom`` or ``*.json`` never picks it up."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write_file(tmp, data, mode, sync)
        replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync:
        fsync_dir(path.parent)


def atomic_symlink(target: str, link: Path) -> None:
    """Points ``link`` at ``target`` atomically: a temp symlink renamed over it."""
    tmp = link.with_name(f".{link.name}.tmp-{os.getpid()}")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
        record(Op("unlink", tmp))
    fault_point(f"symlink {tmp.name}")
    os.symlink(target, tmp)
    record(Op("symlink", tmp, target=target))
    replace(tmp, link)
    fsync_dir(link.parent)


def append_line(path: Path, line: str) -> None:
    """Appends one line and fsyncs (the audit log). A last line torn by a power cut (or a
    full disk) is ended first, so it costs only itself and not the line after it."""
    fault_point(f"append {path.name}")
    data = (line.rstrip("\n") + "\n").encode()
    created = not path.exists()
    with open(path, "a+b") as f:
        size = os.fstat(f.fileno()).st_size
        if size and os.pread(f.fileno(), 1, size - 1) != b"\n":
            data = b"\n" + data
        f.write(data)
        f.flush()
        record(Op("append", path, data))
        os.fsync(f.fileno())
        record(Op("fsync", path))
    if created:  # a new file's name is durable only once its directory is
        fsync_dir(path.parent)
