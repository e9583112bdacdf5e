"""Real deps over the sample workspace, for rendering tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.deps import Deps
from bot.sample import FakeControls, Workspace, build_workspace
from tests.support.factories import deps_factory

MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
NOW = 1_795_000_000_000 + 2 * HOUR


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return build_workspace(NOW, "UTC")  # the render tests' oracles count UTC days


@pytest.fixture
async def make_deps(ws: Workspace) -> AsyncIterator[Callable[..., tuple[Deps, FakeControls]]]:
    async with deps_factory(ws, NOW) as make:

        def deps(**overrides: Any) -> tuple[Deps, FakeControls]:
            made = make(**overrides)
            return made.deps, made.controls

        yield deps
