"""Durable file steps (write, fsync, rename, symlink swap) and the fault-injection hook.

Every step that changes the state directory goes through ``fault_point`` first.
With the environment variable ``SAFAR_FAULT_AT=N`` the process SIGKILLs itself just
before its N-th such step (counted from 1 in this process), so a test can stop an
install at every point and check that the kiosk then finds exactly the old or the new
list. Unset (the kiosk), the hook only counts. ``SAFAR_FAULT_TRACE=1`` prints each
step's number and name to stderr (to see where N falls).

A SIGKILL stops the process but not the kernel: written pages still reach the disk.
The atomicity argument does not rest on that: each commit point is a single rename or
symlink replace of something already fsynced, and the directory is fsynced after it.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

FAULT_ENV = "SAFAR_FAULT_AT"
TRACE_ENV = "SAFAR_FAULT_TRACE"
_steps = 0


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
    fault_point(f"fsync dir {path.name}")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(path: Path, data: bytes) -> None:
    """Writes and fsyncs a new file (not atomic by itself: for files in a staging directory)."""
    fault_point(f"write {path.name}")
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        fault_point(f"fsync {path.name}")
        os.fsync(f.fileno())


def mkdir(path: Path) -> None:
    fault_point(f"mkdir {path.name}")
    path.mkdir()


def replace(src: Path, dst: Path) -> None:
    fault_point(f"rename {src.name} -> {dst.name}")
    os.replace(src, dst)


def atomic_write(path: Path, data: bytes) -> None:
    """Replaces ``path`` with ``data`` atomically: temp file, fsync, rename, fsync the directory."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write_file(tmp, data)
    replace(tmp, path)
    fsync_dir(path.parent)


def atomic_symlink(target: str, link: Path) -> None:
    """Points ``link`` at ``target`` atomically: a temp symlink renamed over it."""
    tmp = link.with_name(f".{link.name}.tmp-{os.getpid()}")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    fault_point(f"symlink {tmp.name}")
    os.symlink(target, tmp)
    replace(tmp, link)
    fsync_dir(link.parent)


def append_line(path: Path, line: str) -> None:
    """Appends one line and fsyncs (the audit log)."""
    fault_point(f"append {path.name}")
    with open(path, "a", encoding="utf-8") as f:
        f.write(line.rstrip("\n") + "\n")
        f.flush()
        os.fsync(f.fileno())
