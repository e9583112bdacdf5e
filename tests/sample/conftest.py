"""Fixtures for the sample workspace: one dataset per session, fresh fake apps per test."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from bot.sample import FakeControls, Workspace, build_workspace, create_pendo_app, create_zendesk_app
from bot.sample.credentials import SAMPLE_PENDO_KEY, SAMPLE_ZENDESK_EMAIL, SAMPLE_ZENDESK_TOKEN

NOW_MS = 1_741_964_966_000  # 2025-03-14T15:09:26Z, a fixed "now" so failures reproduce
BASIC_AUTH = (
    "Basic " + base64.b64encode(f"{SAMPLE_ZENDESK_EMAIL}/token:{SAMPLE_ZENDESK_TOKEN}".encode()).decode()
)


@pytest.fixture(scope="session")
def ws() -> Workspace:
    return build_workspace(NOW_MS)


@pytest.fixture
def pendo_app(ws: Workspace) -> Starlette:
    return create_pendo_app(ws)


@pytest.fixture
def pendo_controls(pendo_app: Starlette) -> FakeControls:
    controls: FakeControls = pendo_app.state.controls
    return controls


@pytest.fixture
async def pendo(pendo_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=pendo_app),
        base_url="http://pendo.test",
        headers={"x-pendo-integration-key": SAMPLE_PENDO_KEY},
    ) as client:
        yield client


@pytest.fixture
def zendesk_app(ws: Workspace) -> Starlette:
    return create_zendesk_app(ws)


@pytest.fixture
async def zendesk(zendesk_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=zendesk_app),
        base_url="http://zendesk.test",
        headers={"authorization": BASIC_AUTH},
    ) as client:
        yield client
