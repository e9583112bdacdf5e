"""Real services over the sample workspace, for rendering tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from bot.sample import Workspace, build_workspace, create_pendo_app, create_zendesk_app, sample_settings
from bot.services import Services, build_services
from bot.settings import load_settings

MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
NOW = 1_795_000_000_000 + 2 * HOUR


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return build_workspace(NOW)


async def _no_sleep(_seconds: float) -> None:
    pass


@pytest.fixture
async def make_services(ws: Workspace) -> AsyncIterator[Callable[..., tuple[Services, Any]]]:
    made: list[Services] = []

    def make(**overrides: Any) -> tuple[Services, Any]:
        overrides.setdefault("pendo_email_field", "")
        pendo_app = create_pendo_app(ws)
        services = build_services(
            sample_settings(load_settings(**overrides)),
            pendo_transport=httpx.ASGITransport(app=pendo_app),
            zendesk_transport=httpx.ASGITransport(app=create_zendesk_app(ws)),
            now_ms=lambda: NOW,
            sleep=_no_sleep,
        )
        made.append(services)
        return services, pendo_app.state.controls

    yield make
    for services in made:
        await services.aclose()
