"""Fixtures shared by several test modules (helpers that are not fixtures live in plain modules,
e.g. ``update_world``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from update_world import INSTALL_DAY, World, make_world, two_lists

from firmware.update import install, provision


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Keys and repositories shared by a module's tests: they must not change its keys (rotations use make_world)."""
    return make_world(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def repos(world: World) -> dict[str, Path]:
    """Lists A and B (``update_world.two_lists``) in the module's world."""
    return two_lists(world)


@pytest.fixture()
def state_with_a(world: World, repos: dict[str, Path], tmp_path: Path) -> Path:
    """A provisioned kiosk state with list A installed."""
    state = tmp_path / "state"
    provision(state, world.root)
    assert install(state, repos["A"], now=INSTALL_DAY).action == "installed"
    return state


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long tests first: with two workers, one started last would run alone at the end."""
    def seconds(item: pytest.Item) -> float:
        slow = item.get_closest_marker("slow")
        return 0.0 if slow is None else float(slow.kwargs.get("seconds", 5))

    items.sort(key=seconds, reverse=True)
