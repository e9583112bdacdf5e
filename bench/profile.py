"""A py-spy profile of the bot process during one benchmark row, summarised by area and by function.

py-spy (`pip install py-spy`, in the bench extra) samples the running bot from outside without pausing
it; only busy samples are kept (py-spy leaves idle threads out by default), so the shares are shares of
the bot's CPU time.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# First match from the innermost frame outwards names the sample's area.
AREAS: list[tuple[str, re.Pattern[str]]] = [
    ("httpx/httpcore", re.compile(r"(^|/)(httpx|httpcore|h11|anyio|httpx_aiohttp)/")),
    ("aiohttp", re.compile(r"(^|/)(aiohttp|yarl|multidict|aiohappyeyeballs)/")),
    ("ssl", re.compile(r"(^|/)ssl\.py|_ssl")),
    ("imports (importlib)", re.compile(r"importlib")),
    ("slack_sdk/bolt", re.compile(r"(^|/)(slack_sdk|slack_bolt)/")),
    ("pydantic", re.compile(r"(^|/)(pydantic|pydantic_core)/")),
    ("server (uvicorn/starlette)", re.compile(r"(^|/)(uvicorn|starlette|httptools|uvloop)/")),
    ("json", re.compile(r"(^|/)json/|orjson")),
    ("logging", re.compile(r"(^|/)logging/")),
    ("bot", re.compile(r"(^|/)bot/")),
]
LOOP = "event loop, sockets (asyncio)"
# The last of these frames is where the loop hands over to a callback (uvloop's own loop is C code,
# so there the callback frames follow asyncio's Runner.run directly).
LOOP_FILES = ("asyncio/events.py", "asyncio/runners.py", "asyncio/base_events.py")
RATE = 500  # samples per second
FRAME = re.compile(r"^(?P<func>.*) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


@dataclass
class Profiler:
    proc: subprocess.Popen[bytes]
    out: Path


def py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return found if Path(found).exists() else None


def start(pid: int, out: Path) -> Profiler | None:
    exe = py_spy()
    if exe is None:
        print("(no profile: py-spy is not installed; pip install -e '.[bench]')")
        return None
    proc = subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(pid),
            "--rate",
            str(RATE),
            "--format",
            "raw",
            "--nonblocking",
            "-o",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return Profiler(proc, out)


def stop(profiler: Profiler | None) -> dict[str, Any]:
    if profiler is None:
        return {}
    profiler.proc.send_signal(signal.SIGINT)
    _, err = profiler.proc.communicate(timeout=30)
    if not profiler.out.exists():
        return {"error": err.decode(errors="replace")[-300:]}
    return summarise(profiler.out.read_text())


def _frames(stack: str) -> list[tuple[str, str]]:
    out = []
    for frame in stack.split(";"):
        m = FRAME.match(frame.strip())
        out.append((m["func"], m["file"]) if m else (frame, ""))
    return out


def _area(frames: list[tuple[str, str]]) -> str:
    """The innermost known area within the running callback (frames inside the event loop's
    `Handle._run`); the loop's own work (select, scheduling) when no callback is running."""
    runs = [i for i, (_, file) in enumerate(frames) if file.endswith(LOOP_FILES)]
    if not runs:
        return LOOP
    callback = frames[runs[-1] + 1 :]
    for _, file in reversed(callback):
        hit = next((name for name, pattern in AREAS if pattern.search(file)), None)
        if hit:
            return hit
    return LOOP


def summarise(raw: str, top: int = 12) -> dict[str, Any]:
    areas: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = _frames(stack)
        total += n
        areas[_area(frames)] += n
        func, file = frames[-1]
        leaves[f"{func} ({_short(file)})"] += n
    return {
        "samples": total,
        "areas": {k: round(v / total, 3) for k, v in areas.most_common()} if total else {},
        "top_functions": {k: round(v / total, 3) for k, v in leaves.most_common(top)} if total else {},
    }


def _short(file: str) -> str:
    return file.split("site-packages/", 1)[-1]


def format_summary(summary: dict[str, Any]) -> list[str]:
    if not summary:
        return ["(not recorded)"]
    if "error" in summary:
        return [f"(py-spy failed: {summary['error']})"]
    lines = [f"{summary['samples']} busy samples at {RATE} Hz; by area:"]
    lines += [f"  {share:6.1%}  {area}" for area, share in summary["areas"].items()]
    lines.append("top functions (own time):")
    lines += [f"  {share:6.1%}  {func}" for func, share in summary["top_functions"].items()]
    return lines
