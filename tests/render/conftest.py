"""Real services over the sample workspace, for rendering tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.sample import FakeControls, Workspace, build_workspace
from bot.services import Services
from tests.support.factories import services_factory

MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
NOW = 1_795_000_000_000 + 2 * HOUR


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return build_workspace(NOW, "UTC")  # the render tests' oracles count UTC days


@pytest.fixture
async def make_services(ws: Workspace) -> AsyncIterator[Callable[..., tuple[Services, FakeControls]]]:
    async with services_factory(ws, NOW) as make:

        def services(**overrides: Any) -> tuple[Services, FakeControls]:
            made = make(**overrides)
            return made.services, made.controls

        yield services
