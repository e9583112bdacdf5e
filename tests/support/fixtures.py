"""Fixtures every test folder may use (registered in tests/conftest.py): the fake Slack Web API and
deps over the sample workspace."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.sample import LoopbackServer, Workspace, build_workspace
from bot.sample.slack_api import FakeSlack, create_slack_app
from tests.support.factories import DepsFactory, deps_factory


@pytest.fixture(scope="session")
def slack_server() -> Iterator[tuple[FakeSlack, str]]:
    """One fake Slack Web API on loopback for the session: its state and its base URL."""
    state = FakeSlack()
    with LoopbackServer(create_slack_app(state)) as server:
        yield state, server.base_url


@pytest.fixture
def fake_slack(slack_server: tuple[FakeSlack, str]) -> FakeSlack:
    """The fake Slack, with its call log and knobs reset for this test."""
    state, _ = slack_server
    state.reset()
    return state


SAMPLE_NOW = 1_795_000_000_000 + 2 * 3_600_000  # a fixed "now" inside the sample workspace's data


@functools.cache
def sample_workspace() -> Workspace:
    return build_workspace(SAMPLE_NOW)


@pytest.fixture
async def sample_deps() -> AsyncIterator[DepsFactory]:
    """`sample_deps(**settings_overrides)` → deps over the sample; all closed after the test."""
    async with deps_factory(sample_workspace(), SAMPLE_NOW) as make:
        yield make
