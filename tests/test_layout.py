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


# --- the import direction ---------------------------------------------------------------------------------
# Higher layers may import lower ones (and their own); nothing imports upward. A new module must be placed
# here: the test names it otherwise.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("entry", ("bot.__main__", "bot.slack", "bot.endpoints")),
    ("listeners", ("bot.listeners",)),
    ("answers", ("bot.answers", "bot.deps", "bot.inflight", "bot.notes", "bot.alerts")),
    ("pure", ("bot.render", "bot.gates")),
    ("domain", ("bot.domain",)),
    ("clients", ("bot.pendo", "bot.zendesk", "bot.http", "bot.preferences")),
    ("settings", ("bot.settings", "bot.logs", "bot.audit", "bot.metrics", "bot.deadline", "bot")),
]
RANK = {prefix: len(LAYERS) - i for i, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes}
LAYER_NAME = {prefix: name for name, prefixes in LAYERS for prefix in prefixes}
# Pure layers compute; they may import their own package, the settings and the domain's data types.
PURE_MAY_IMPORT = (
    "bot.render",
    "bot.gates",
    "bot.settings",
    "bot.domain.models",
    "bot.domain.friction",  # friction's types and pure computations (no call)
    "bot.domain.signals",  # what stands out: pure rules over the facts
    "bot.pendo.models",
    "bot.zendesk.models",
    "bot.domain.tickets",  # for `TicketFacts`, a result type (it could move to context/models.py)
    "bot.http.errors",  # the error types, to say a failure in words (render/words.py); no call is made
    "bot.preferences.model",  # an agent's choices (pure), for the settings form
)
IO_LIBRARIES = ("httpx", "slack_sdk", "slack_bolt", "starlette", "uvicorn", "redis", "asyncio", "socket")


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str | None:
    """The most specific prefix that places `module` (`bot` alone only places the package itself)."""
    candidates = [p for p in RANK if module == p or (p != "bot" and module.startswith(p + "."))]
    return max(candidates, key=len) if candidates else None


def bot_imports(path: Path) -> set[str]:
    return {m for m in imports(path) if m == "bot" or m.startswith("bot.")}


MODULES = {module_name(p) for p in BOT.rglob("*.py")}


def resolved_imports(path: Path) -> set[str]:
    """The bot modules `path` imports, with `from package import module` resolved to the module."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("bot."))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
            submodules = {f"{node.module}.{a.name}" for a in node.names} & MODULES
            found.update(submodules or {node.module})
    return found - {module_name(path)}


@pytest.mark.parametrize("path", PRODUCT, ids=lambda p: str(p.relative_to(BOT)))
def test_nothing_imports_upward(path: Path) -> None:
    module = module_name(path)
    own = layer_of(module)
    assert own is not None, f"{module} is in no layer: place it in LAYERS in tests/test_layout.py"
    upward = []
    for imported in sorted(bot_imports(path)):
        theirs = layer_of(imported)
        if theirs is not None and RANK[theirs] > RANK[own]:
            upward.append(f"{imported} ({LAYER_NAME[theirs]})")
    assert not upward, f"{module} ({LAYER_NAME[own]}) imports upward: {upward}"


@pytest.mark.parametrize(
    "path",
    [p for p in PRODUCT if LAYER_NAME.get(layer_of(module_name(p)) or "") == "pure"],
    ids=lambda p: str(p.relative_to(BOT)),
)
def test_pure_modules_do_no_io(path: Path) -> None:
    module = module_name(path)
    bad = {m for m in resolved_imports(path) if not m.startswith(PURE_MAY_IMPORT)}
    bad |= {m for m in imports(path) if m.split(".")[0] in IO_LIBRARIES}
    assert not bad, f"{module} is pure but imports {sorted(bad)}"


def test_no_import_cycles_between_product_modules() -> None:
    graph = {module_name(p): resolved_imports(p) - {"bot"} for p in PRODUCT}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            assert state.get(nxt) != 1, f"import cycle: {' -> '.join([*path, node, nxt])}"
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_the_layer_test_catches_an_upward_import(tmp_path: Path) -> None:
    # the checker itself, on a module that breaks the rule (a client importing a listener)
    fake = tmp_path / "client.py"
    fake.write_text("from bot.listeners.commands import pendo_command\nimport bot.settings\n")
    imported = {m for m in imports(fake) if m.startswith("bot.")}
    own = layer_of("bot.pendo.client")
    assert own is not None
    assert [m for m in imported if RANK[layer_of(m) or "bot"] > RANK[own]] == ["bot.listeners.commands"]


def test_every_package_says_what_lives_there_and_what_it_may_import() -> None:
    for init in sorted(BOT.rglob("__init__.py")):
        if "sample" in init.relative_to(BOT).parts:
            continue  # the sample has its README
        tree = ast.parse(init.read_text(encoding="utf-8"))
        doc = ast.get_docstring(tree) or ""
        assert doc, f"{init.relative_to(BOT.parent)} has no docstring"
        assert "import" in doc.lower(), f"{init.relative_to(BOT.parent)} does not say what it may import"
