"""Fixtures every test folder may use (registered in tests/conftest.py): the fake Slack Web API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sample import LoopbackServer
from bot.sample.slack_api import FakeSlack, create_slack_app


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
    state.calls.clear()
    state.responses.clear()
    state.not_in_channels.clear()
    state.shared_channels.clear()
    state.usergroups.clear()
    state.method_errors.clear()
    return state
