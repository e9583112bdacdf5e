"""The house rules that keep the layers apart, checked on the source (imports read with `ast`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"
SAMPLE_DOOR = {"__main__.py"}  # the command line: the one place that chooses live or sample


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


PRODUCT = sorted(
    p for p in BOT.rglob("*.py") if "sample" not in p.relative_to(BOT).parts and p.name not in SAMPLE_DOOR
)


@pytest.mark.parametrize("path", PRODUCT, ids=lambda p: str(p.relative_to(BOT)))
def test_product_modules_never_import_the_sample_or_tests(path: Path) -> None:
    bad = {m for m in imports(path) if m.startswith(("bot.sample", "tests", "bench"))}
    assert not bad, f"{path.relative_to(BOT)} imports {sorted(bad)}"


def test_the_command_line_is_the_one_door_and_imports_the_sample_lazily() -> None:
    tree = ast.parse((BOT / "__main__.py").read_text(encoding="utf-8"))
    top_level = {
        node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.module is not None
    }
    assert not any(m.startswith("bot.sample") for m in top_level)
    assert "bot.sample" in imports(BOT / "__main__.py")


def test_the_sample_has_its_own_readme() -> None:
    assert (BOT / "sample" / "README.md").is_file()
