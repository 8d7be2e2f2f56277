"""`python -m bench --quick` still runs end to end and reports every section (issue #5's smoke
test). Its figures are not checked: on a shared CI machine they mean nothing. On the
embedded default it measures on SQLite; with TEST_POSTGRES_URL and TEST_REDIS_URL on
PostgreSQL + Redis alone (BENCH_BACKENDS), since CI runs the suite both ways and the other
run has the SQLite rows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import SECTIONS

# Sections that measure on SQLite alone: with PostgreSQL chosen they say they were skipped.
SQLITE_ONLY = {"roundtrips", "memory"}

# Processes started, or real time waited out: left out of an everyday run (-m "not slow").
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


# Every section, on one engine: about two minutes on a busy 2-core machine, within the
# subprocess's own ten.
@pytest.mark.timeout(660)
def test_the_quick_benchmark_runs_every_section(tmp_path: Path) -> None:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BENCH_", "TELEGRAM_", "DATABASE_", "REDIS_"))
    }
    with_postgres = bool(os.environ.get("TEST_POSTGRES_URL") and os.environ.get("TEST_REDIS_URL"))
    if with_postgres:
        environment["BENCH_POSTGRES_URL"] = os.environ["TEST_POSTGRES_URL"]
        environment["BENCH_REDIS_URL"] = os.environ["TEST_REDIS_URL"]
        environment["BENCH_BACKENDS"] = "postgresql"
    output = tmp_path / "table.md"
    finished = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(output)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stderr[-4000:]
    table = output.read_text(encoding="utf-8")
    assert "QUICK RUN" in table
    rows = [line.split("|") for line in table.splitlines() if line.startswith("| ")][1:]
    sections = {cells[1].strip() for cells in rows}
    assert sections == set(SECTIONS), table
    assert not any("Traceback" in line for line in finished.stderr.splitlines()), finished.stderr
    measured = [cells for cells in rows if cells[3].strip() not in ("", "skipped")]
    assert len(measured) >= 40, table
    # bench/calls_bot.py stands in for the bot: every step of a report must have had its
    # answer, or its rate would be a stalled report's.
    calls_alone = next(cells for cells in rows if "calls alone: sustained" in cells[2])
    assert "19 steps in the window" in calls_alone[7], table
    labels = " ".join(cells[2] for cells in rows)
    skipped = {cells[1].strip() for cells in rows if cells[3].strip() == "skipped"}
    if with_postgres:
        assert "PostgreSQL" in labels and skipped == SQLITE_ONLY, table
    else:
        assert "SQLite" in labels and not skipped & SQLITE_ONLY, table
