"""Shared by every test: no setting leaks in from the developer's shell or a .env file; the fixtures in
tests/support/fixtures.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.settings import Settings

pytest_plugins = ["tests.support.fixtures"]

_PREFIXES = ("PENDO_", "SLACK_", "ZENDESK_", "UNFURL_", "ALLOWED_")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    names = {name.upper() for name in Settings.model_fields}
    for name in list(os.environ):
        if name.upper() in names or name.upper().startswith(_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
