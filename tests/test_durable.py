"""The one atomic writer (firmware/durable.py): exact modes, nothing half-written, no temp left."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware import durable


@pytest.fixture(params=[0o000, 0o077, 0o022], ids=lambda m: f"umask-{m:03o}")
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


@pytest.mark.parametrize("mode", [0o600, 0o644])
@pytest.mark.usefixtures("umask")
def test_a_given_mode_is_exact_whatever_the_umask(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b"old")
    os.chmod(path, 0o666)
    durable.atomic_write(path, b"new", mode=mode)
    assert path.read_bytes() == b"new" and stat.S_IMODE(path.stat().st_mode) == mode


@pytest.mark.parametrize("sync", [True, False])
def test_a_replacement_leaves_no_temp_file(tmp_path: Path, sync: bool) -> None:
    path = tmp_path / "safar.prom"
    for data in (b"one", b"two"):
        durable.atomic_write(path, data, sync=sync)
    assert path.read_bytes() == b"two" and sorted(p.name for p in tmp_path.iterdir()) == ["safar.prom"]


def test_a_failed_replacement_keeps_the_old_file_and_removes_the_temp(tmp_path: Path) -> None:
    target = tmp_path / "dir"
    target.mkdir()
    (target / "inside").write_bytes(b"old")
    with pytest.raises(OSError):
        durable.atomic_write(target, b"new")  # a rename over a non-empty directory fails
    assert (target / "inside").read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["dir"]


def test_the_crash_explorer_sees_the_unsynced_write_without_its_fsync(tmp_path: Path) -> None:
    ops: list[durable.Op] = []
    with durable.recording(ops.append):
        durable.atomic_write(tmp_path / "a", b"x", sync=False)
        durable.atomic_write(tmp_path / "b", b"y")
    assert [op.kind for op in ops] == ["write", "rename", "write", "fsync", "rename", "fsync"]
