"""Every /pendo lookup writes one audit line, and no email or secret reaches the logs."""

from __future__ import annotations

import logging

import pytest

from bot.sample import JANE
from tests.e2e.conftest import BOT_TOKEN, SECRET, Bot


async def test_every_lookup_writes_one_audit_line_and_no_email_or_secret(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        _, rid = await bot.command(JANE)
        await bot.final_response(rid)
        await bot.slack.wait_for(lambda: any(r.name == "bot.audit" for r in caplog.records))
    audits = [r for r in caplog.records if r.name == "bot.audit"]
    assert len(audits) == 1 and audits[0].outcome == "found"  # type: ignore[attr-defined]
    assert audits[0].target == bot.deps.auditor.target_hash(JANE)  # type: ignore[attr-defined]
    everything = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert JANE not in everything and BOT_TOKEN not in everything and SECRET not in everything
