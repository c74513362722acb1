"""Fixtures shared by several test modules (helpers that are not fixtures live in plain modules,
e.g. ``update_world``)."""

from __future__ import annotations

import pytest
from update_world import World, make_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Keys and repositories shared by a module's tests: they must not change its keys (rotations use make_world)."""
    return make_world(tmp_path_factory.mktemp("world"))
