"""Intake throughput and latency: simulated citizens file complete reports (every step, a
photo included) through the fake Bot API over HTTP, against `python -m bot` in its own
process; a bare aiogram echo bot on the same harness gives the framework's ceiling.

Runs, per database, with a staff chat configured (as every deployment has one, so each
submission also cards the case there): saturation (citizens filing whole reports one after
another, each answering as soon as the bot replies; the sustained rate is counted over a
steady window in which every step of the report is in the mix, see _closed_loop), then
half that rate offered at an even pace with every step in the mix (the latency a citizen
sees; see _reports), then the same with one account flooding 1,000 messages (issue #6: a
flood must not slow the bot for others). The half-rate latencies are also given per step
and split at the bot's fetch, beside the harness's own event-loop lag, to tell where a
tail comes from. The echo bot (bench/echo_bot.py) is measured the same closed-loop way,
with the bot's own client session and event loop, and so is bench/calls_bot.py, which
makes the bot's Bot API calls for whole reports and does nothing else: between the two
lies the price of the conversation's calls, and between it and the bot the bot's own
work."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NamedTuple

from bench.context import BenchContext
from bench.databases import available_backends, fresh_database
from bench.harness import (
    Citizen,
    Inbox,
    LoopWatch,
    Timings,
    bot_process,
    fake_telegram,
    frozen_heap,
    percentile,
)
from bench.report import Result
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.imagegen import scene_jpeg

SECTION = "intake"
STEPS_PER_REPORT = 19  # updates a citizen sends for one report without agency suggestions
AGENCIES = [
    f"{kind} {place}"
    for kind in ("Dinas Pendidikan", "Dinas Kesehatan", "Kecamatan", "Dinas Sosial", "BKPSDM")
    for place in ("Kota Bandung", "Kabupaten Bogor", "Kota Medan", "Kabupaten Gowa", "Kota Kupang")
]
_user_ids = itertools.count(6_000_000)
# The staff group new cases are carded in (STAFF_CHAT_ID), as in any deployment.
STAFF_CHAT_ID = -1001000000016
# Saturation: citizens in the closed loop (enough to keep the bot busy: 100 updates are
# always waiting), how their first reports are spread, and how long replies are counted
# once every citizen has finished a first report (see _closed_loop). Measured (issue 16):
# the 10th-90th percentile window of one burst of 500 reports left out almost every
# /lapor and submission, the two slowest steps.
CLOSED_LOOP_CITIZENS = 100
CLOSED_LOOP_RAMP_SECONDS = 5.0
CLOSED_LOOP_SECONDS = 45.0
# --quick (CI's smoke test, several closed loops per engine): just long enough that every
# citizen finishes a report and the window holds replies.
QUICK_CLOSED_LOOP = (4, 2.0, 0.5)
# A paced citizen answers each question this long after the previous one (at once if the
# reply came later). Shorter than a person types, to keep the run short: what matters for
# latency is the offered rate and mix, which _pacing keeps.
ANSWER_EVERY_SECONDS = 2.0
# Report steps in the order a citizen meets them, for the per-step breakdown.
STEP_NAMES = (
    "/lapor",
    "anonymity",
    "who",
    "name",
    "position",
    "NIP",
    "agency",
    "keep agency",
    "province",
    "regency",
    "election",
    "category",
    "date",
    "date known",
    "place",
    "description",
    "witnesses",
    "photo",
    "photos done",
    "submit",
)


def _buttons(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


def report_photos(context: BenchContext) -> list[bytes]:
    """Pictures for the reports, each different from the others (1280 x 960, as Telegram
    sends a photo). Each is shared by the reports `len(photos)` apart, as a few reporters
    send the same picture of an event. The benchmark used eight plain one-colour JPEGs
    before 2026-11-30, which a difference hash reads as one picture: every report was then
    linked to the 20 before it and their 20 staff cards updated, which no real intake does."""
    return [scene_jpeg(seed) for seed in range(context.size(256, 8))]


async def file_report(
    citizen: Citizen, photo: bytes, agency: str, pace: Callable[[], Awaitable[None]]
) -> None:
    """Every step of an anonymous report, as the Indonesian-speaking majority sees it."""
    user = citizen.user
    await pace()
    await citizen.exchange(user.send("/lapor"), step=STEP_NAMES[0])
    question = await citizen.wait_for("Langkah 1/9")
    steps: list[tuple[str, Callable[[dict[str, Any]], Awaitable[Any]]]] = [
        ("anonymity", lambda q: user.press(q, "Anonim")),
        ("who", lambda q: user.press(q, "ASN")),
        ("name", lambda q: user.send(f"Budi Santoso {user.user_id}")),
        ("position", lambda q: user.press(q, "Lewati")),
        ("NIP", lambda q: user.press(q, "Lewati")),
        ("agency", lambda q: user.send(agency)),
        ("province", lambda q: user.press(q, "Jawa Barat")),
        ("regency", lambda q: user.press(q, "Kabupaten Bogor")),
        ("election", lambda q: user.press(q, "Pemilihan Bupati")),
        ("category", lambda q: user.press(q, "media sosial")),
        ("date", lambda q: user.press(q, "Hari ini")),
        ("date known", lambda q: user.press(q, "Pada hari kejadian")),
        ("place", lambda q: user.send("Kantor dinas, ruang guru")),
        (
            "description",
            lambda q: user.send(
                "Pak Budi mengunggah poster calon bupati nomor 2 di akun Instagram dinas dan "
                "mengajak para guru memilihnya."
            ),
        ),
        ("witnesses", lambda q: user.press(q, "Lewati")),
        ("photo", lambda q: user.send_photo(photo)),
        ("photos done", lambda q: user.press(q, "Selesai")),
        ("submit", lambda q: user.press(q, "Kirim laporan")),
    ]
    for name, step in steps:
        await pace()
        question = await citizen.exchange(step(question), step=name)
        if any(button.startswith("Tetap:") for button in _buttons(question)):
            # Someone reported a similar agency: keep what was typed.
            await pace()
            question = await citizen.exchange(user.press(question, "Tetap:"), step="keep agency")


def _no_pause() -> Callable[[], Awaitable[None]]:
    async def pause() -> None:
        return None

    return pause


def _even_pace(start: float, interval: float) -> Callable[[], Awaitable[None]]:
    """Each call waits for this citizen's next slot: `interval` apart from `start`."""
    slot = itertools.count()

    async def pause() -> None:
        due = start + next(slot) * interval
        await asyncio.sleep(max(0.0, due - time.monotonic()))

    return pause


def _pacing(citizens: int, rate: float) -> tuple[float, float]:
    """(seconds between report starts, seconds between one citizen's answers) that offer
    `rate` updates a second in all: each report in progress offers 1/answer_every, and
    STEPS_PER_REPORT × answer_every / start_every reports are in progress at a time."""
    answer_every = min(ANSWER_EVERY_SECONDS, citizens / rate)
    return STEPS_PER_REPORT / rate, answer_every


async def _reports(
    telegram: FakeTelegram,
    inbox: Inbox,
    citizens: int,
    photos: list[bytes],
    rate: float,
) -> tuple[Timings, float]:
    """`citizens` reports, started one after another so that `rate` updates a second are
    offered in an even mix of steps; only the replies to updates offered once that mix is
    steady (after the first report's length, before the last report starts) are returned.
    Returns the timings and the wall time.

    Starting every paced report at once instead makes the citizens walk through the report
    in step: every photo in the same few seconds, then every submission, each window
    offering `rate` updates a second of one costly kind, well above what the bot handles
    of that kind alone. That measured the queue of such a window (seconds at p99), not the
    latency at an even load of half the bot's rate."""
    timings = Timings()
    chance = random.Random(7)
    started = time.monotonic()
    start_every, answer_every = _pacing(citizens, rate)

    async def one(index: int) -> None:
        citizen = Citizen(telegram, inbox, next(_user_ids), timings)
        # Jittered within its slot, so the starts and answers do not fall on one grid.
        first = started + (index + chance.random()) * start_every
        pace = _even_pace(first, answer_every)
        try:
            await file_report(citizen, photos[index % len(photos)], chance.choice(AGENCIES), pace)
        except TimeoutError:  # counted in timings.failures
            pass
        except AssertionError:  # answered with an error instead of the next question
            timings.refused += 1

    await asyncio.gather(*(one(index) for index in range(citizens)))
    wall = time.monotonic() - started
    steady_from = started + STEPS_PER_REPORT * answer_every
    steady_to = started + citizens * start_every
    if steady_to > steady_from:  # too few citizens (--quick) have no steady part
        timings = timings.offered_between(steady_from, steady_to)
    return timings, wall


async def _flood(telegram: FakeTelegram, messages: int, after: float) -> None:
    """`messages` from one account as fast as the harness can push them, `after` seconds
    from now (when the paced reports' mix is steady, so the flood falls in what is measured)."""
    await asyncio.sleep(after)
    flooder = FakeUser(telegram, user_id=next(_user_ids), first_name="Banjir")
    for number in range(messages):
        flooder.push_message(text=f"spam {number}")
        if number % 50 == 0:
            await asyncio.sleep(0)  # let the harness breathe, as a real sender's network would


class References(NamedTuple):
    """The sustained rates the bot is compared with, measured in the same run: the echo
    bot's (the framework's ceiling) and bench/calls_bot.py's (the conversation's calls and
    nothing else)."""

    echo: float
    calls: float

    @property
    def calls_share(self) -> float:
        """The calls alone against the echo bot: the most the conversation allows."""
        return self.calls / self.echo if self.echo else 0.0


class SteadyWindow:
    """What a closed-loop run measured: the replies counted in its steady window, the
    window's length, and the rate."""

    def __init__(self, timings: Timings, low: float, high: float) -> None:
        self.timings = timings.replied_between(low, high)
        self.seconds = high - low
        self.rate = len(self.timings.replies) / self.seconds if self.seconds > 0 else 0.0
        self._low, self._high = low, high

    def calls_per_update(self, telegram: FakeTelegram) -> float:
        """Bot API calls the bot made in the window (getUpdates aside), per reply counted
        in it: how faithfully bench/calls_bot.py stands in for the bot."""
        calls = sum(
            1
            for call in telegram.calls
            if self._low <= call.at <= self._high and call.method != "getupdates"
        )
        return calls / len(self.timings.replies) if self.timings.replies else 0.0

    def mix(self) -> str:
        """How evenly the report's steps share the window: the least and most counted."""
        counts = {step: len(values) for step, values in self.timings.by_step.items()}
        if not counts:
            return ""
        fewest = min(counts, key=counts.__getitem__)
        most = max(counts, key=counts.__getitem__)
        return (
            f"{len(counts)} steps in the window, from {counts[fewest]} replies ({fewest}) "
            f"to {counts[most]} ({most})"
        )


async def _closed_loop(
    citizens: int,
    seconds: float,
    ramp: float,
    work: Callable[[int, Timings], Awaitable[None]],
) -> SteadyWindow:
    """`citizens` each calling `work` (one whole report, or one echo) again and again,
    their first calls spread over `ramp` seconds; replies are counted for
    `seconds` from the moment every citizen has finished its first call. By then every
    citizen is at work and their reports have drifted apart, so the offered load is steady
    and every step is in the mix (SteadyWindow.mix says how evenly); a fixed warm-up was
    too short when the bot was slow (measured: 300 citizens at 51 updates/s were still on
    their first report after 75 s, and the window held no submission at all). Work under
    way when the window closes finishes uncounted."""
    timings = Timings()
    first_done = 0
    window: list[float] = []

    async def one(index: int) -> None:
        nonlocal first_done
        await asyncio.sleep(index * ramp / citizens)
        first = True
        while not window or time.monotonic() < window[1]:
            try:
                await work(index, timings)
            except TimeoutError:  # counted in timings.failures
                pass
            except AssertionError:
                # The bot answered with something other than the next question (under
                # load: "the database is not responding, try again"): that report ends.
                timings.refused += 1
            if first:
                first, first_done = False, first_done + 1
                if first_done == citizens:
                    now = time.monotonic()
                    window.extend((now, now + seconds))

    await asyncio.gather(*(one(index) for index in range(citizens)))
    return SteadyWindow(timings, window[0], window[1])


def _closed_loop_size(context: BenchContext) -> tuple[int, float, float]:
    """Citizens, the steady window's seconds and the ramp's."""
    if context.quick:
        return QUICK_CLOSED_LOOP
    return (
        int(os.environ.get("BENCH_INTAKE_LOOP_CITIZENS") or CLOSED_LOOP_CITIZENS),
        float(os.environ.get("BENCH_INTAKE_SECONDS") or CLOSED_LOOP_SECONDS),
        CLOSED_LOOP_RAMP_SECONDS,
    )


async def _echo_ceiling(context: BenchContext) -> SteadyWindow:
    size = _closed_loop_size(context)
    async with (
        fake_telegram() as (telegram, inbox),
        bot_process(telegram, "bench.echo_bot", context.workdir),
    ):
        chats: dict[int, Citizen] = {}

        async def echo(index: int, timings: Timings) -> None:
            citizen = chats.get(index) or chats.setdefault(
                index, Citizen(telegram, inbox, next(_user_ids), timings)
            )
            await citizen.exchange(citizen.user.send(f"halo {index}"), step="echo")

        return await _closed_loop(*size, echo)


@contextlib.asynccontextmanager
async def _calls_bot(context: BenchContext) -> AsyncIterator[tuple[FakeTelegram, Inbox]]:
    """bench/calls_bot.py polling a fake server: the bot's Bot API calls and nothing else."""
    async with (
        fake_telegram() as (telegram, inbox),
        bot_process(
            telegram,
            "bench.calls_bot",
            context.workdir,
            extra_environment={"STAFF_CHAT_ID": str(STAFF_CHAT_ID)},
        ),
    ):
        yield telegram, inbox


async def _saturate(
    context: BenchContext, telegram: FakeTelegram, inbox: Inbox, photos: list[bytes]
) -> SteadyWindow:
    """Whole reports in a closed loop, each by a new reporter (one account may start only
    six an hour)."""
    size = _closed_loop_size(context)
    chance = random.Random(16)

    async def report(index: int, timings: Timings) -> None:
        citizen = Citizen(telegram, inbox, next(_user_ids), timings)
        photo = photos[index % len(photos)]
        await file_report(citizen, photo, chance.choice(AGENCIES), _no_pause())

    return await _closed_loop(*size, report)


async def run(context: BenchContext) -> list[Result]:
    # For investigating only (the figures to compare come from the normal section):
    # BENCH_INTAKE_CITIZENS changes the number of citizens, and BENCH_INTAKE_RATE skips the
    # echo bot, saturation and flood and offers just this rate, evenly paced.
    citizens = int(os.environ.get("BENCH_INTAKE_CITIZENS") or context.size(500, 4))
    fixed_rate = float(os.environ.get("BENCH_INTAKE_RATE") or 0) or None
    photos = report_photos(context)
    if fixed_rate is not None:
        results = []
        for backend, label, redis_url in _backends(context):
            results += await _paced_only(
                context, backend, label, redis_url, citizens, photos, fixed_rate
            )
        return results
    echo = await _echo_ceiling(context)
    echo_rate = echo.rate
    loop_citizens = _closed_loop_size(context)[0]
    results = [
        Result(
            SECTION,
            f"echo bot ceiling ({loop_citizens} chats, closed loop)",
            echo_rate,
            "updates/s",
            note=(
                f"bare aiogram with the bot's client session and event loop, same harness; "
                f"{len(echo.timings.replies):,} replies in a steady {echo.seconds:.0f} s"
            ),
        ),
    ]
    async with _calls_bot(context) as (telegram, inbox):
        calls_window = await _saturate(context, telegram, inbox, photos)
        calls_per_update = calls_window.calls_per_update(telegram)
    references = References(echo=echo_rate, calls=calls_window.rate)
    results += _calls_alone_results(calls_window, calls_per_update, references)
    # BENCH_INTAKE_SATURATION_ONLY=1 (investigating): the sustained rates alone.
    saturation_only = bool(os.environ.get("BENCH_INTAKE_SATURATION_ONLY"))
    first_half_rate: float | None = None
    for backend, label, redis_url in _backends(context):
        backend_results, half = await _backend(
            context, backend, label, redis_url, citizens, photos, references, saturation_only
        )
        results += backend_results
        first_half_rate = first_half_rate or half
    if first_half_rate and not saturation_only:
        results.append(await _calls_alone_paced(context, citizens, photos, first_half_rate))
    return results


async def _calls_alone_paced(
    context: BenchContext, citizens: int, photos: list[bytes], rate: float
) -> Result:
    """The calls alone, offered the first database's half rate as the bot was: the part of
    the bot's reply time that its round trips to Telegram account for."""
    async with _calls_bot(context) as (telegram, inbox):
        with frozen_heap():
            paced, _ = await _reports(telegram, inbox, citizens, photos, rate=rate)
    return Result(
        SECTION,
        f"the bot's Bot API calls alone: p50 / p95 / p99 at the same {rate:.0f}/s",
        _triple(paced.latencies),
        "ms",
        note=_paced_note(citizens, rate, paced),
    )


def _backends(context: BenchContext) -> list[tuple[str, str, str | None]]:
    """(backend, label, Redis URL): SQLite alone, and PostgreSQL with Redis (the scale-out
    deployment) when both servers are given; BENCH_BACKENDS chooses among them."""
    chosen = available_backends(context)
    backends: list[tuple[str, str, str | None]] = []
    if "sqlite" in chosen:
        backends.append(("sqlite", "SQLite", None))
    if "postgresql" in chosen and context.redis_url:
        backends.append(("postgresql", "PostgreSQL + Redis", context.redis_url))
    return backends


@contextlib.asynccontextmanager
async def _bot_under_test(
    context: BenchContext, backend: str, redis_url: str | None
) -> AsyncIterator[tuple[FakeTelegram, Inbox]]:
    """`python -m bot` on a fresh database (and an emptied Redis), polling a fake server."""
    if redis_url:
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url)
        await client.flushdb()  # the benchmark's own Redis database: limits start afresh
        await client.aclose()
    async with (
        fresh_database(context, backend) as database_url,
        fake_telegram() as (telegram, inbox),
        bot_process(
            telegram,
            "bot",
            context.workdir,
            database_url=database_url,
            redis_url=redis_url,
            extra_environment={"STAFF_CHAT_ID": str(STAFF_CHAT_ID)},
        ),
    ):
        yield telegram, inbox


async def _backend(
    context: BenchContext,
    backend: str,
    label: str,
    redis_url: str | None,
    citizens: int,
    photos: list[bytes],
    references: References,
    saturation_only: bool = False,
) -> tuple[list[Result], float]:
    """The rows of one database, and the half rate they were measured at."""
    async with _bot_under_test(context, backend, redis_url) as (telegram, inbox):
        window = await _saturate(context, telegram, inbox, photos)
        sustained = window.rate
        half = sustained / 2
        calls = window.calls_per_update(telegram)
        if saturation_only:
            return _saturation_results(context, backend, label, window, calls, references), half
        with frozen_heap():
            async with LoopWatch() as harness:
                paced, _ = await _reports(telegram, inbox, citizens, photos, rate=half)
        _start_every, answer_every = _pacing(citizens, half)
        flood_task = asyncio.create_task(
            _flood(telegram, context.size(1000, 100), after=STEPS_PER_REPORT * answer_every)
        )
        with frozen_heap():
            flooded, _ = await _reports(telegram, inbox, citizens, photos, rate=half)
        await flood_task

    judged = not context.quick
    p99 = percentile(paced.latencies, 0.99) * 1000
    return [
        *_saturation_results(context, backend, label, window, calls, references),
        Result(
            SECTION,
            f"{label}: p50 / p95 / p99 at half rate ({half:.0f}/s)",
            _triple(paced.latencies),
            "ms",
            "p99 ≤ 50 ms",
            (p99 <= 50) if judged else None,
            _paced_note(citizens, half, paced),
        ),
        *_breakdown(label, paced, harness),
        Result(
            SECTION,
            f"{label}: same, one account flooding {context.size(1000, 100):,} messages",
            _triple(flooded.latencies),
            "ms",
            note=f"{flooded.failures} timed out, {flooded.refused} refused",
        ),
    ], half


def _calls_alone_results(
    window: SteadyWindow, calls_per_update: float, references: References
) -> list[Result]:
    return [
        Result(
            SECTION,
            "the bot's Bot API calls alone: sustained (whole reports, closed loop)",
            window.rate,
            "updates/s",
            note=(
                "bench/calls_bot.py: each step's calls as the bot makes them, nothing else "
                f"({calls_per_update:.2f} Bot API calls an update; the echo bot's: 1); "
                f"{window.mix()}"
            ),
        ),
        Result(
            SECTION,
            "the bot's Bot API calls alone: share of the echo ceiling",
            f"{references.calls_share:.2f}",
            "×",
            note="what the targets below can reach with the conversation's calls as they are",
        ),
    ]


def _saturation_results(
    context: BenchContext,
    backend: str,
    label: str,
    window: SteadyWindow,
    calls_per_update: float,
    references: References,
) -> list[Result]:
    saturated = window.timings
    sustained = window.rate
    share = sustained / references.echo if references.echo else 0.0
    own_share = sustained / references.calls if references.calls else 0.0
    judged = not context.quick
    submitted = len(saturated.by_step.get("submit", []))
    floor = 0.5 if backend == "sqlite" else 0.4
    reach_note = (
        f"out of reach here: the calls alone reach {references.calls_share:.2f} ×"
        if references.calls_share < floor
        else ""
    )
    loop_citizens = _closed_loop_size(context)[0]
    return [
        Result(
            SECTION,
            f"{label}: sustained ({loop_citizens} citizens, closed loop, staff chat)",
            sustained,
            "updates/s",
            note=(
                f"over a steady {window.seconds:.0f} s; {window.mix()}; "
                f"{calls_per_update:.2f} Bot API calls an update"
            ),
        ),
        Result(
            SECTION,
            f"{label}: share of the echo ceiling",
            f"{share:.2f}",
            "×",
            f"≥ {floor} × (one process)",
            (share >= floor) if judged else None,
            reach_note,
        ),
        Result(
            SECTION,
            f"{label}: share of the calls alone (our own work)",
            f"{own_share:.2f}",
            "×",
            note="against bench/calls_bot.py in the same run: what the bot's own work leaves "
            "of what its calls allow",
        ),
        Result(
            SECTION,
            f"{label}: full reports a minute",
            submitted / window.seconds * 60,
            "/min",
            note=f"{submitted:,} submissions in the steady window",
        ),
        Result(
            SECTION,
            f"{label}: saturated p50 / p95 / p99",
            _triple(saturated.latencies),
            "ms",
            note=f"{saturated.failures} timed out, {saturated.refused} reports refused "
            "(answered with an error instead of the next question)",
        ),
    ]


async def _paced_only(
    context: BenchContext,
    backend: str,
    label: str,
    redis_url: str | None,
    citizens: int,
    photos: list[bytes],
    rate: float,
) -> list[Result]:
    async with _bot_under_test(context, backend, redis_url) as (telegram, inbox):
        with frozen_heap():
            async with LoopWatch() as harness:
                paced, _ = await _reports(telegram, inbox, citizens, photos, rate=rate)
    return [
        Result(
            SECTION,
            f"{label}: p50 / p95 / p99 at {rate:.0f}/s ({citizens} citizens)",
            _triple(paced.latencies),
            "ms",
            note=_paced_note(citizens, rate, paced),
        ),
        *_breakdown(label, paced, harness),
    ]


def _paced_note(citizens: int, rate: float, paced: Timings) -> str:
    start_every, answer_every = _pacing(citizens, rate)
    return (
        f"a report starting every {start_every:.2f} s, answers {answer_every:.1f} s apart; "
        f"{len(paced.latencies):,} replies counted, {paced.failures} timed out, "
        f"{paced.refused} refused"
    )


def _breakdown(label: str, paced: Timings, harness: LoopWatch) -> list[Result]:
    """Where the half-rate latency goes: by step of the report, before and after the bot
    fetched the update, and how well the harness itself kept up."""
    by_step = paced.by_step
    p99_ms = {
        name: percentile(by_step[name], 0.99) * 1000 for name in STEP_NAMES if by_step.get(name)
    }
    worst = max(p99_ms, key=p99_ms.__getitem__, default="")
    return [
        Result(
            SECTION,
            f"{label}: half rate, p99 of each step",
            f"{p99_ms[worst]:.0f} ({worst})" if worst else "",
            "ms",
            note=", ".join(f"{name} {value:.0f}" for name, value in p99_ms.items()),
        ),
        Result(
            SECTION,
            f"{label}: half rate, offered until fetched by getUpdates p50 / p95 / p99",
            _triple(paced.waiting),
            "ms",
            note="the update waits in the fake server for the bot's next fetch",
        ),
        Result(
            SECTION,
            f"{label}: half rate, fetched until the reply arrived p50 / p95 / p99",
            _triple(paced.in_bot),
            "ms",
            note="the bot at work",
        ),
        Result(
            SECTION,
            f"{label}: half rate, harness event-loop lag p50 / p99 / max",
            " / ".join(
                f"{percentile(harness.lags, share) * 1000:.0f}" for share in (0.5, 0.99, 1.0)
            ),
            "ms",
            note=(
                f"bench process (fake server, citizens) used {harness.cpu_share:.0%} of a "
                f"core; its longest garbage collection {harness.longest_collection * 1000:.0f} ms"
            ),
        ),
    ]


def _triple(latencies: list[float]) -> str:
    return " / ".join(f"{percentile(latencies, share) * 1000:.0f}" for share in (0.5, 0.95, 0.99))
