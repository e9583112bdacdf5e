"""The test support package keeps its promises: factories close what they built, even when the test
fails, and the fake Slack forgets everything between tests."""

from __future__ import annotations

import pytest

from bot.deps import Deps
from bot.sample.slack_api import FakeSlack, SlackCall
from tests.support.factories import deps_factory
from tests.support.fixtures import SAMPLE_NOW, sample_workspace


async def test_the_services_factory_closes_everything_it_built_even_after_a_failure() -> None:
    built: list[Deps] = []
    closed: list[int] = []
    with pytest.raises(AssertionError):
        async with deps_factory(sample_workspace(), SAMPLE_NOW) as make:
            built += [make().deps, make(zendesk=False).deps]
            for i, deps in enumerate(built):

                async def mark(i: int = i) -> None:
                    closed.append(i)

                deps.closers.append(mark)
            raise AssertionError("the test failed")
    assert sorted(closed) == [0, 1]
    assert built[0].tickets is not None and built[1].tickets is None


def test_the_fake_slack_resets_every_knob() -> None:
    state = FakeSlack()
    state.calls.append(SlackCall("chat.postMessage", {}))
    state.responses.append(SlackCall("r1", {}))
    state.not_in_channels.add("C1")
    state.shared_channels.add("C2")
    state.usergroups["S1"] = ["U1"]
    state.method_errors["auth.test"] = "invalid_auth"
    state.reset()
    assert state == FakeSlack()
