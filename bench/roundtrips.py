"""Database work per update, counted rather than timed: one citizen files whole reports,
step by step, against the bot in this process (SQLite, a staff chat configured), and each
step's SQL statements, commits and hand-offs to aiosqlite's worker thread are counted. Each
step's reply time is taken too: what the step costs with nothing else running, the floor
under the latencies in bench/intake.py (a time, so with the machine's noise in it).

Counts do not depend on the machine's neighbours, so they show a design change's effect
where the intake rates (bench/intake.py) are too noisy to. Every hand-off is a trip from
the event loop to aiosqlite's thread and back (a GIL hand-over each way, bench/RESULTS.md);
a statement is one of them, and opening, committing and closing a transaction are others.

BENCH_PROFILE=path also writes a cProfile of the reports to that file (this process holds
the fake server and the citizen too: read the bot's functions in it)."""

from __future__ import annotations

import contextlib
import cProfile
import itertools
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import aiosqlite.core
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench.context import BenchContext
from bench.databases import fresh_database, sqlite_left_out
from bench.harness import Citizen, Inbox, Timings, fake_telegram
from bench.intake import AGENCIES, file_report
from bench.report import Result
from bot.config import Settings
from storage.sqlite_writer import SqliteWriter
from tests.helpers.bot import TEST_TOKEN, running_bot
from tests.helpers.imagegen import scene_jpeg

SECTION = "roundtrips"
STAFF_CHAT_ID = -1001000000001
_user_ids = itertools.count(8_000_000)


class _Counts:
    """Statements, commits and aiosqlite thread hand-offs since the last `take()`."""

    def __init__(self) -> None:
        self.now: Counter[str] = Counter()

    def take(self) -> Counter[str]:
        taken, self.now = self.now, Counter()
        return taken


@contextlib.contextmanager
def _counting(counts: _Counts) -> Iterator[None]:
    def statement(*_args: Any) -> None:
        counts.now["statements"] += 1

    def commit(*_args: Any) -> None:
        counts.now["commits"] += 1

    original = aiosqlite.core.Connection._execute

    async def handed_off(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counts.now["hand-offs"] += 1
        return await original(self, fn, *args, **kwargs)

    applied = SqliteWriter._apply

    def batch(self: Any, writes: list[Any], committed: Any) -> Any:
        # The writer's batch: one hand-off to its thread and one commit for all its writes.
        counts.now["hand-offs"] += 1
        counts.now["commits"] += 1
        counts.now["statements"] += len(writes)
        counts.now["writer batches"] += 1
        counts.now["writes batched"] += len(writes)
        return applied(self, writes, committed)

    SqliteWriter._apply = batch  # type: ignore[method-assign]
    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "commit", commit)
    aiosqlite.core.Connection._execute = handed_off  # type: ignore[method-assign]
    try:
        yield
    finally:
        aiosqlite.core.Connection._execute = original  # type: ignore[method-assign]
        SqliteWriter._apply = applied  # type: ignore[method-assign]
        event.remove(Engine, "before_cursor_execute", statement)
        event.remove(Engine, "commit", commit)


class _StepCounter(Timings):
    """Timings that also take the counts accumulated when each reply is recorded: the
    citizen waits for the reply before its next update, so what was counted since the
    previous reply belongs to this step (and to the background work of the moment, such
    as the staff card being posted after a submission)."""

    def __init__(self, counts: _Counts) -> None:
        super().__init__()
        self.counts = counts
        self.per_step: dict[str, list[Counter[str]]] = {}

    def record(self, offered_at: float, replied_at: float, step: str = "", fetched_at=None):  # type: ignore[no-untyped-def]
        super().record(offered_at, replied_at, step, fetched_at)
        self.per_step.setdefault(step, []).append(self.counts.take())


async def run(context: BenchContext) -> list[Result]:
    if (skipped := sqlite_left_out(context, SECTION)) is not None:
        return skipped
    reports = context.size(6, 2)
    # Pictures unlike each other, as bench/intake.py's (report_photos).
    photos = [scene_jpeg(seed, 640, 480) for seed in range(reports)]
    counts = _Counts()
    timings = _StepCounter(counts)
    profile_path = os.environ.get("BENCH_PROFILE")
    profiler = cProfile.Profile() if profile_path else None
    async with (
        fresh_database(context, "sqlite") as database_url,
        fake_telegram() as (telegram, inbox),
    ):
        settings = Settings(
            bot_token=TEST_TOKEN,
            telegram_api_url=telegram.url,
            database_url=database_url,
            evidence_dir=context.workdir / "evidence-roundtrips",
            staff_chat_id=STAFF_CHAT_ID,
            flood_updates=10_000,
            _env_file=None,  # type: ignore[call-arg]
        )
        async with running_bot(settings):
            inbox = Inbox(telegram)
            with _counting(counts):
                for number in range(reports):
                    citizen = Citizen(telegram, inbox, next(_user_ids), timings)
                    counts.take()  # what happened between reports is nobody's step
                    if profiler and number == 1:
                        profiler.enable()
                    await file_report(
                        citizen, photos[number % len(photos)], AGENCIES[number], _no_pace
                    )
            if profiler:
                profiler.disable()
                profiler.dump_stats(profile_path)
    return _results(timings, reports)


async def _no_pace() -> None:
    return None


def _results(timings: _StepCounter, reports: int) -> list[Result]:
    # The first report warms the caches (language, offices, agencies): count the others.
    later = {step: samples[1:] or samples for step, samples in timings.per_step.items()}
    totals: Counter[str] = Counter()
    updates = 0
    per_step_notes = []
    for step, samples in later.items():
        step_total: Counter[str] = Counter()
        for sample in samples:
            step_total.update(sample)
        totals.update(step_total)
        updates += len(samples)
        per_step_notes.append(f"{step} {step_total['hand-offs'] / len(samples):.0f}")
    per_update = {kind: totals[kind] / max(updates, 1) for kind in ("statements", "commits")}
    batched = (
        f"; the SQLite writer committed {totals['writes batched']} writes in "
        f"{totals['writer batches']} transactions"
        if totals["writer batches"]
        else ""
    )
    handoffs = totals["hand-offs"] / max(updates, 1)
    alone = {step: sorted(values[1:] or values) for step, values in timings.by_step.items()}
    medians = {step: values[len(values) // 2] * 1000 for step, values in alone.items()}
    slowest = max(medians, key=medians.__getitem__)
    return [
        Result(
            SECTION,
            "SQLite, staff chat: SQL statements per update",
            per_update["statements"],
            "",
            note=f"whole reports after the first ({reports - 1} of {reports}), every step; "
            "a write through the SQLite writer counts as one",
        ),
        Result(
            SECTION, "SQLite, staff chat: commits per update", per_update["commits"], note=batched
        ),
        Result(
            SECTION,
            "SQLite, staff chat: hand-offs to a database thread per update",
            handoffs,
            note="aiosqlite's and the SQLite writer's; by step: " + ", ".join(per_step_notes),
        ),
        Result(
            SECTION,
            "SQLite, staff chat: reply time of a step with nothing else to do, the slowest",
            f"{medians[slowest]:.1f} ({slowest})",
            "ms",
            note="median of the later reports, one citizen at a time, the fake server and the "
            "citizen in the bot's process; by step: "
            + ", ".join(f"{step} {median:.1f}" for step, median in medians.items()),
        ),
    ]
