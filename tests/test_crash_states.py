"""Power cuts during an install: every state the crash-state explorer (``crash_states``)
builds from a recorded install must give the old list or the new one, verified, with the
audit log readable, and the next install must complete from it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from crash_states import check_recovers, crash_states, record_install, sample
from update_world import A, B, World

from firmware import durable
from firmware.update import audit_entries, install, provision

NOW = dt.date(2026, 12, 5)
MAX_STATES = 30  # per start (every state the kiosk can tell apart, then a sample); 0.1-0.3 s each


@pytest.mark.slow(seconds=8)
@pytest.mark.parametrize("start", ["empty", "A installed"])
def test_every_power_cut_state_recovers(world: World, repos: dict[str, Path], tmp_path: Path, start: str) -> None:
    base = tmp_path / "base"
    provision(base, world.root)
    old = None
    if start == "A installed":
        install(base, repos["A"], now=NOW)
        old = A
    audit_before = audit_entries(base, limit=1 << 20)
    recorded = tmp_path / "recorded"
    shutil.copytree(base, recorded, symlinks=True)
    rec = record_install(recorded, repos["B"], NOW)
    states = list(crash_states(rec))
    tried = sample(states, MAX_STATES)
    views = len({s.tree.fingerprint(garbage=False) for s in states})
    failures = []
    for n, cut in enumerate(tried):
        state = tmp_path / f"s{n}"
        cut.tree.materialise(state)
        try:
            check_recovers(state, repos["B"], NOW, old, B, audit_before)
        except Exception as e:  # every failure is reported with its state
            failures.append(f"{type(e).__name__}: {e}\n    {cut.describe(rec)}")
        shutil.rmtree(state)
    report = (f"crash states from {start}: {len(rec.steps)} recorded steps, {len(states)} distinct states "
              f"({views} as the kiosk sees them), {len(tried)} tried, {len(failures)} failed")
    print(report)
    assert not failures, report + "\n" + "\n".join(failures[:5])
    assert len(rec.steps) > 30 and len(tried) >= min(len(states), MAX_STATES) and len(states) > 20, report


def test_an_audit_line_torn_by_a_power_cut_costs_only_itself(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(b'{"action": "provision"}\n{"action": "inst')
    durable.append_line(log, '{"action": "install"}')
    assert log.read_bytes().splitlines()[-1] == b'{"action": "install"}'
