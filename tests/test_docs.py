"""The README and the pages under docs/: every relative link and every anchor leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", ROOT / "bot" / "sample" / "README.md", *(ROOT / "docs").glob("*.md")])

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def prose(text: str) -> str:
    """The text outside fenced code blocks (links and headings in code are not links or headings)."""
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (not `-` or `_`), spaces to `-`."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    for heading in HEADING.findall(prose(page.read_text(encoding="utf-8"))):
        base = slug(heading)
        candidate, n = base, 0
        while candidate in found:  # GitHub numbers repeated headings: `setup`, `setup-1`, ...
            n += 1
            candidate = f"{base}-{n}"
        found.add(candidate)
    return found


def links(page: Path) -> list[str]:
    return LINK.findall(CODE_SPAN.sub("", prose(page.read_text(encoding="utf-8"))))


def broken_links(page: Path, root: Path = ROOT) -> list[str]:
    """Each relative link of `page` whose file is missing, leaves the repository, or whose anchor is not a
    heading there."""
    broken = []
    for target in links(page):
        if SCHEME.match(target):
            continue  # http(s), mailto: not checked offline
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / path_part).resolve() if path_part else page
        if not dest.exists() or root not in (dest, *dest.parents):
            broken.append(f"{target} (no such file in the repository)")
        elif anchor and (dest.suffix != ".md" or anchor not in anchors(dest)):
            broken.append(f"{target} (no heading with that anchor)")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_the_readme_is_a_door_to_every_docs_page() -> None:
    readme = ROOT / "README.md"
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in links(readme) if not SCHEME.match(t)}
    assert {p.resolve() for p in (ROOT / "docs").glob("*.md")} <= linked
    lines = readme.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 200
    assert "make run" in "\n".join(lines[:40]) and "make test" in "\n".join(lines[:40])


def test_the_checker_finds_a_missing_file_a_missing_anchor_and_ignores_code(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text("# Title\n\n## Documentation\n", encoding="utf-8")
    (tmp_path / "docs" / "settings.md").write_text("# Settings\n", encoding="utf-8")
    (tmp_path.parent / "outside.md").touch()
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "# A `page` (optional, `X=on`)\n\n## Setup\n\n## Setup\n\n"
        "[ok](#a-page-optional-xon) [dup](#setup-1) [file](settings.md) [up](../README.md#documentation)\n"
        "[gone](missing.md) [bad](settings.md#no-such-heading) [self](#nowhere) [out](../../outside.md)\n"
        "`[in code](missing-too.md)` <https://example.com> [web](https://example.com/x#y)\n\n"
        "```\n[in a fence](missing-three.md)\n```\n",
        encoding="utf-8",
    )
    assert broken_links(page, root=tmp_path) == [
        "missing.md (no such file in the repository)",
        "settings.md#no-such-heading (no heading with that anchor)",
        "#nowhere (no heading with that anchor)",
        "../../outside.md (no such file in the repository)",
    ]


# --- docs/development.md's layout is the tree ---------------------------------------------------------------
BOT = ROOT / "bot"


def layout_block() -> str:
    text = (ROOT / "docs" / "development.md").read_text(encoding="utf-8")
    section = text.split("## Layout", 1)[1]
    match = re.search(r"```\n(bot/\n.*?)```", section, re.DOTALL)
    assert match, "docs/development.md's Layout section has no tree"
    return match.group(1)


def product_files() -> list[Path]:
    return sorted(
        p for p in BOT.rglob("*.py") if "sample" not in p.relative_to(BOT).parts and p.name != "__init__.py"
    )


def test_the_layout_names_every_package_and_module_of_the_bot() -> None:
    block = layout_block()
    named = set(re.findall(r"[\w/]+\.py|\b\w+/", block))
    missing = []
    for path in product_files():
        rel = path.relative_to(BOT)
        if f"{rel.parent}/" not in named and rel.parent != Path("."):
            missing.append(f"{rel.parent}/")
        if path.name not in {n.rsplit("/", 1)[-1] for n in named}:
            missing.append(str(rel))
    assert not missing, f"docs/development.md's layout does not name {sorted(set(missing))}"


def test_the_layout_names_nothing_that_is_gone() -> None:
    existing = {p.name for p in product_files()} | {"__main__.py"}
    packages = {p.name for p in BOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    block = layout_block()
    gone = [n for n in re.findall(r"\b(\w+\.py)\b", block) if n not in existing]
    gone += [n for n in re.findall(r"^  (\w+)/", block, re.MULTILINE) if n not in packages]
    assert not gone, f"docs/development.md's layout names what is not in bot/: {gone}"
