"""What a benchmark section reports, and the one table `python -m bench` prints."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Result:
    """One measured figure. `target` is the goal as written in the issue ("≥ 10 /s");
    `met` is None when the figure has no target or the run was too small to judge it."""

    section: str
    metric: str
    value: float | str
    unit: str = ""
    target: str = ""
    met: bool | None = None
    note: str = ""


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                cpu,
            )
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}"
    )


def _shown(value: float | str) -> str:
    if isinstance(value, str):
        return value
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(results: list[Result], *, quick: bool) -> str:
    """A Markdown table, headed by the date and the machine it was measured on."""
    header = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}"
        + (" — QUICK RUN (smoke test: sizes cut down, figures not meaningful)" if quick else ""),
        "",
        "| section | metric | value | unit | target | met | note |",
        "|---|---|---:|---|---|---|---|",
    ]
    marks = {True: "yes", False: "**no**", None: ""}
    rows = [
        f"| {r.section} | {r.metric} | {_shown(r.value)} | {r.unit} | {r.target} | "
        f"{marks[r.met]} | {r.note} |"
        for r in results
    ]
    return "\n".join(header + rows)
