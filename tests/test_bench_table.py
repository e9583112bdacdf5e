"""The docs' speed table is generated from bench/results.json: values, the commit, and the markers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import docs_table


def row(kind: str, concurrency: int, phase: str, **values: Any) -> dict[str, Any]:
    base = {
        "kind": kind,
        "concurrency": concurrency,
        "phase": phase,
        "n": concurrency,
        "ack_p50": 1.25,
        "ack_p99": 40.04,
        "p50": 290.4,
        "p95": 1234.5,
        "p99": 400.0,
        "lower_bound_ms": 200.0,
        "ratio": 1.452,
        "upstream_calls": 7.04,
        "cpu_ms": 7.96,
        "rss_mb": 70.0,
        "late": 0,
        "load": 0.4,
    }
    return base | values


RESULTS = {
    "commit": "0123456789abcdef0123",
    "dirty": False,
    "latency_ms": 100.0,
    "machine": "x86_64, 2 CPUs, Python 3.11.7",
    "rows": [
        row("/pendo", 1, "cold"),
        row("/pendo", 20, "warm", p50=52.0, ratio=0.26, upstream_calls=0.0, load=1.3),
        row("/pendo", 7, "cold"),  # not a row the docs show
    ],
}


def test_the_table_shows_the_measured_rows_and_the_commit() -> None:
    table = docs_table.speed_table(RESULTS)
    assert "commit `0123456789ab`" in table and "uncommitted" not in table and "load average 0.4–1.3" in table
    lines = [line for line in table.splitlines() if line.startswith("| `")]
    assert lines == [
        "| `/pendo` cold | 1 | 290 ms (1.45x) | 1,234 ms | 1.2 / 40.0 ms | – | 8.0 ms | 7.0 | 0 |",
        "| `/pendo` warm | 20 | 52 ms | 1,234 ms | 1.2 / 40.0 ms | – | 8.0 ms | 0.0 | 0 |",
    ]
    assert "uncommitted" in docs_table.speed_table(RESULTS | {"dirty": True})


def test_the_row_for_cold_visitors_of_known_accounts_says_so_with_its_own_bound() -> None:
    known = row("/pendo", 20, "known", p50=301.0, ratio=1.505)
    table = docs_table.speed_table(RESULTS | {"rows": [row("/pendo", 20, "cold"), known]})
    lines = [line for line in table.splitlines() if line.startswith("| `")]
    assert lines[1].startswith("| `/pendo` cold, accounts known | 20 | 301 ms (1.50x) |")


def test_the_cpu_column_carries_the_net_of_idle_figure_when_measured() -> None:
    measured = RESULTS | {"rows": [row("/pendo", 10, "cold", cpu_ms=9.04, net_cpu_ms=7.46)]}
    [line] = [line for line in docs_table.speed_table(measured).splitlines() if line.startswith("| `")]
    assert "| 9.0 ms (7.5) |" in line


def test_the_table_shows_the_drivers_own_floor_next_to_the_bots_acks() -> None:
    floor = [
        {"concurrency": 1, "phase": "cold", "n": 10, "ack_p50": 0.14, "ack_p99": 0.26},
        {"concurrency": 20, "phase": "cold", "n": 20, "ack_p50": 9.0, "ack_p99": 9.0},
        {"concurrency": 20, "phase": "warm", "n": 20, "ack_p50": 1.04, "ack_p99": 2.96},
    ]
    table = docs_table.speed_table(RESULTS | {"floor": floor})
    lines = [line for line in table.splitlines() if line.startswith("| `")]
    assert lines == [
        "| `/pendo` cold | 1 | 290 ms (1.45x) | 1,234 ms | 1.2 / 40.0 ms | 0.1 / 0.3 ms | 8.0 ms | 7.0 | 0 |",
        "| `/pendo` warm | 20 | 52 ms | 1,234 ms | 1.2 / 40.0 ms | 1.0 / 3.0 ms | 8.0 ms | 0.0 | 0 |",
    ]


def test_the_docs_table_is_replaced_between_its_markers_only(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    around = "# Speed\n\nBefore.\n\n{table}\n\nAfter.\n"
    old = f"{docs_table.START}\n| stale |\n{docs_table.END}"
    (tmp_path / "docs" / "speed.md").write_text(around.format(table=old))
    (tmp_path / "README.md").write_text("# No table here\n")
    changed = docs_table.update_docs(RESULTS, tmp_path)
    assert changed == [tmp_path / "docs" / "speed.md"]
    text = (tmp_path / "docs" / "speed.md").read_text()
    assert text.startswith("# Speed\n\nBefore.\n\n") and text.endswith("\n\nAfter.\n")
    assert "| stale |" not in text and docs_table.speed_table(RESULTS) in text
    assert (tmp_path / "README.md").read_text() == "# No table here\n"
    assert docs_table.update_docs(RESULTS, tmp_path) == []  # nothing new: nothing rewritten


def test_the_repository_docs_hold_the_table_of_the_committed_results() -> None:
    root = Path(__file__).resolve().parent.parent
    results = json.loads((root / "bench" / "results.json").read_text())
    docs = [root / "README.md", *(root / "docs").glob("*.md")]
    holders = [p for p in docs if docs_table.START in p.read_text()]
    assert len(holders) == 1, "exactly one doc holds the speed table"
    assert docs_table.speed_table(results) in holders[0].read_text(), "run `python -m bench.docs_table`"


def test_commit_info_names_the_checked_out_commit(tmp_path: Path) -> None:
    info = docs_table.commit_info()
    assert len(info["commit"]) == 40 and isinstance(info["dirty"], bool)
    assert docs_table.commit_info(tmp_path) == {"commit": "unknown", "dirty": False}  # not a git tree
