"""Fixtures shared by several test modules (helpers that are not fixtures live in plain modules,
e.g. ``update_world``)."""

from __future__ import annotations

import pytest
from update_world import World, make_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Keys and repositories shared by a module's tests: they must not change its keys (rotations use make_world)."""
    return make_world(tmp_path_factory.mktemp("world"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long tests first: with two workers, one started last would run alone at the end."""
    def seconds(item: pytest.Item) -> float:
        slow = item.get_closest_marker("slow")
        return 0.0 if slow is None else float(slow.kwargs.get("seconds", 5))

    items.sort(key=seconds, reverse=True)
