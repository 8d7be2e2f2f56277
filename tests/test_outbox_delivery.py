"""The outbox and its sender, on the suite's database (SQLite, or PostgreSQL) and the fake
Bot API over HTTP: every row delivered exactly once and in order per chat, within Telegram's
limits, through 429s, 5xx, dropped connections, blocked users, restarts, dead senders and a
database outage, by one sender or two sharing their send slots through Redis."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import math
import os
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendMessage
from sqlmodel import select

from bot.config import Settings
from bot.logs import JsonFormatter
from bot.outbound.failures import backoff_delay, classify
from bot.outbound.messages import RenderedMessage
from bot.outbound.pacing import LocalSlots, Pacer
from bot.outbound.sender import OutboxSender
from bot.services import outbox
from storage.db import SessionFactory, create_engine, create_session_factory
from storage.migrate import upgrade_to_head_async
from storage.models import Case, Outbox, Reporter, utcnow
from tests.fakebot.limits import TelegramLimits
from tests.fakebot.server import Call, FakeTelegram
from tests.helpers.bot import running_bot

TELEGRAM_RATE = 30  # messages a second, all chats together
TELEGRAM_CHAT_GAP = 1.0  # seconds between two messages to one chat


def render(row: Outbox) -> RenderedMessage:
    return RenderedMessage(f"{row.kind} {row.params['n']}")


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[SessionFactory]:
    """The suite's database (SQLite, or PostgreSQL with TEST_POSTGRES_URL), migrated."""
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram.url))
    bot = Bot(token="123:ABC", session=session)
    yield bot
    await bot.session.close()


# --- helpers -----------------------------------------------------------------------------


async def enqueue(
    db: SessionFactory, chats: list[int], per_chat: int, case_id: int | None = None
) -> None:
    """Rows interleaved across chats (as real notifications are), texts "note 0", "note 1"…"""
    async with db() as session:
        for n in range(per_chat):
            for chat in chats:
                outbox.enqueue(
                    session,
                    chat_id=chat,
                    kind="note",
                    params={"n": n},
                    locale="id",
                    case_id=case_id,
                )
        await session.commit()


async def deliver_all(sender: OutboxSender, db: SessionFactory, timeout: float = 10) -> float:
    """Run the sender until nothing is pending; return how long that took."""
    started = time.monotonic()
    task = asyncio.create_task(sender.run())
    try:
        async with asyncio.timeout(timeout):
            while await outbox.pending_count(db):  # noqa: ASYNC110 (polling the database)
                await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return time.monotonic() - started


def sends(telegram: FakeTelegram) -> list[Call]:
    return [call for call in telegram.calls if call.method == "sendmessage"]


def delivered(telegram: FakeTelegram) -> dict[int, list[str]]:
    """What each chat received, in the order received (accepted calls only)."""
    per_chat: dict[int, list[str]] = defaultdict(list)
    for call in sends(telegram):
        if call.ok:
            per_chat[int(call.params["chat_id"])].append(call.params["text"])
    return per_chat


def assert_exactly_once_in_order(telegram: FakeTelegram, chats: list[int], per_chat: int) -> None:
    accepted = Counter(
        (int(c.params["chat_id"]), c.params["text"]) for c in sends(telegram) if c.ok
    )
    duplicates = {key: n for key, n in accepted.items() if n > 1}
    assert not duplicates, f"delivered more than once: {duplicates}"
    expected = [f"note {n}" for n in range(per_chat)]
    received = delivered(telegram)
    assert set(received) == set(chats)
    for chat in chats:
        assert received[chat] == expected, f"chat {chat} got {received[chat]}"


def max_per_second(times: list[float]) -> int:
    times = sorted(times)
    return max(
        (sum(1 for t in times[i:] if t - start < 1.0) for i, start in enumerate(times)), default=0
    )


def assert_within_telegram_limits(telegram: FakeTelegram) -> None:
    calls = sends(telegram)
    # Every request counts against the flood limit, refused ones too.
    busiest = max_per_second([c.at for c in calls])
    assert busiest <= TELEGRAM_RATE, f"{busiest} sends within one second"
    last: dict[int, float] = {}
    for call in calls:
        if not call.ok:
            continue
        chat = int(call.params["chat_id"])
        if chat in last:
            gap = call.at - last[chat]
            assert gap >= TELEGRAM_CHAT_GAP, f"two messages to one chat {gap:.3f} s apart"
        last[chat] = call.at


async def busy_event_loop() -> None:
    """Now and then hold the event loop for up to 80 ms, as a slow callback or a garbage
    collection would: timers fire late, answers are read late."""
    rng = random.Random(7)
    while True:
        await asyncio.sleep(rng.uniform(0.01, 0.2))
        time.sleep(rng.uniform(0.005, 0.08))  # noqa: ASYNC251 (blocking on purpose)


async def rows_by_id(db: SessionFactory) -> dict[int, Outbox]:
    async with db() as session:
        return {row.id: row for row in (await session.exec(select(Outbox))).all()}  # type: ignore[misc]


async def make_case(db: SessionFactory) -> int:
    async with db() as session:
        reporter = Reporter(chat_id=1001, identity="anonymous")
        session.add(reporter)
        await session.flush()
        case = Case(
            code="LN-TEST-0001",
            category="campaign",
            asn_name="Budi",
            agency="Dinas",
            agency_key="dinas",
            province="Aceh",
            incident_date=date(2024, 1, 1),
            description="x",
            reporter_id=reporter.id,  # type: ignore[arg-type]
        )
        session.add(case)
        await session.commit()
        assert case.id is not None
        return case.id


# --- pure parts ------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def simulate(
    slots: LocalSlots,
    clock: FakeClock,
    chats: list[int],
    latency: Callable[[int], float],
    oversleep: Callable[[int], float] = lambda n: 0.0,
) -> list[tuple[int, float, float]]:
    """Send to `chats` in order, as Pacer would, on a fake clock: each send is answered
    `latency(n)` after it is granted, and each wait ends `oversleep(n)` late (a busy event
    loop). Returns (chat, granted, answered) for every send."""
    waiting = list(chats)
    in_flight: list[tuple[float, str, int, float]] = []
    done: list[tuple[int, float, float]] = []
    n = 0
    while waiting or in_flight:
        while in_flight and in_flight[0][0] <= clock.now:
            _, token, chat, granted = heapq.heappop(in_flight)
            slots.settle_now(token, chat)
            done.append((chat, granted, clock.now))
        waits = []
        for chat in waiting:  # the first in line whose chat is free takes its turn
            outcome, wait = slots.take_now(f"t{n}", chat)
            if outcome == "granted":
                waiting.remove(chat)
                heapq.heappush(in_flight, (clock.now + latency(n), f"t{n}", chat, clock.now))
                n += 1
                waits = []
                break
            waits.append(wait)
            if outcome == "wait":
                break
        if waits or not waiting:
            wake = clock.now + min(waits, default=math.inf) + oversleep(n)
            clock.now = min(wake, in_flight[0][0] if in_flight else math.inf)
    return done


def assert_no_server_could_count_over_the_limits(sent: list[tuple[int, float, float]]) -> None:
    """Telegram received each request somewhere between its grant and its answer. For no
    choice of those moments may 31 sends fall within one second, or two to a chat."""
    for _, granted, _ in sent:
        # Sends granted no later than this one that Telegram may have received less than a
        # second before it.
        close = [g for _, g, answered in sent if g <= granted and answered > granted - 1.0]
        assert len(close) <= TELEGRAM_RATE, f"{len(close)} sends could fall within one second"
    per_chat: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for chat, granted, answered in sent:
        per_chat[chat].append((granted, answered))
    for chat, times in per_chat.items():
        times.sort()
        gap = 3.0 if chat < 0 else TELEGRAM_CHAT_GAP
        for (_, answered), (granted, _) in itertools.pairwise(times):
            assert granted - answered >= gap, f"chat {chat}: {granted - answered:.3f} s apart"


def test_slots_hold_the_limits_whatever_the_answers_and_wake_ups_take() -> None:
    clock = FakeClock()
    slots = LocalSlots(rate=30, per_chat=1.0, clock=clock)
    rng = random.Random(5)
    chats = [-100, -100, -100] + [c for _ in range(3) for c in range(1, 120)]

    def latency(n: int) -> float:
        return rng.choice([0.002, 0.005, 0.005, 0.04, 0.3]) if n != 50 else 2.0

    def oversleep(n: int) -> float:
        return rng.uniform(0.02, 0.15) if rng.random() < 0.1 else rng.uniform(0, 0.002)

    sent = simulate(slots, clock, chats, latency, oversleep)
    assert sorted(c for c, _, _ in sent) == sorted(chats)
    assert_no_server_could_count_over_the_limits(sent)
    # Slow answers hold their slots longer (the ceiling here is 30 / (1.005 s + 0.07 s mean
    # answer) ≈ 27.9 a second), and late wake-ups are mostly caught up.
    granted = sorted(g for _, g, _ in sent)
    assert len(granted) / (granted[-1] - granted[0]) > 25


def test_slots_are_spread_and_reach_the_rate_when_answers_are_quick() -> None:
    clock = FakeClock()
    slots = LocalSlots(rate=30, per_chat=1.0, clock=clock)
    sent = simulate(slots, clock, list(range(300)), latency=lambda n: 0.003)
    granted = sorted(g for _, g, _ in sent)
    assert all(b - a >= 1 / 30 - 1e-9 for a, b in itertools.pairwise(granted[:30])), "no burst"
    assert 29.5 < (len(granted) - 1) / (granted[-1] - granted[0]) <= 30
    assert_no_server_could_count_over_the_limits(sent)


def test_a_chats_next_send_waits_for_the_previous_answer_and_its_gap() -> None:
    clock = FakeClock()
    slots = LocalSlots(rate=30, per_chat=1.0, clock=clock)
    assert slots.take_now("a", 7) == ("granted", 0.0)
    clock.now += 5  # an answer that took five seconds
    outcome, _ = slots.take_now("b", 7)
    assert outcome == "chat_busy", "still under way"
    slots.settle_now("a", 7)
    outcome, wait = slots.take_now("b", 7)
    assert outcome == "chat_busy" and 1.0 <= wait < 1.01
    clock.now += wait
    assert slots.take_now("b", 7)[0] == "granted"
    # A group: 20 a minute, so three seconds apart.
    clock.now += 0.1
    assert slots.take_now("g", -100123)[0] == "granted"
    slots.settle_now("g", -100123)
    outcome, wait = slots.take_now("h", -100123)
    assert outcome == "chat_busy" and 3.0 <= wait < 3.01


async def test_pacer_pause_holds_back_new_slots() -> None:
    clock = FakeClock()
    pacer = Pacer(rate=30, per_chat=1.0, clock=clock)
    await pacer.pause(5)
    assert pacer.paused_for() == 5
    slots = LocalSlots(rate=30, per_chat=1.0, clock=clock)
    await slots.pause(5)
    assert slots.take_now("a", 1) == ("wait", 5)
    clock.now += 6
    assert pacer.paused_for() == 0
    assert slots.take_now("a", 1)[0] == "granted"


def test_errors_are_classified_by_what_retrying_can_do() -> None:
    method = SendMessage(chat_id=1, text="x")
    assert classify(TelegramRetryAfter(method, "flood", retry_after=3))[0] == "flood"
    assert classify(TelegramForbiddenError(method, "blocked"))[0] == "fail"
    assert classify(TelegramBadRequest(method, "can't parse entities"))[0] == "fail"
    assert classify(TelegramEntityTooLarge(method, "too large"))[0] == "fail"
    for transient in (
        TelegramServerError(method, "Bad Gateway"),
        TelegramNetworkError(method, "timeout"),
        aiohttp.ServerDisconnectedError(),
        TimeoutError(),
        TelegramUnauthorizedError(method, "token revoked"),  # configuration: keep the row
    ):
        assert classify(transient)[0] == "retry", transient


def test_backoff_doubles_up_to_the_cap_with_a_little_jitter() -> None:
    for attempts, base in [(0, 1), (1, 2), (2, 4), (5, 32), (9, 300), (10_000, 300)]:
        delay = backoff_delay(attempts, 300)
        assert base <= delay <= base * 1.1


async def test_enqueue_only_stages_the_row_in_the_callers_transaction(
    db: SessionFactory,
) -> None:
    async with db() as session:
        outbox.enqueue(session, chat_id=5, kind="note", params={"n": 0}, locale="en")
        await session.rollback()  # the change that caused it failed
    assert await outbox.pending_count(db) == 0
    async with db() as session:
        row = outbox.enqueue(session, chat_id=5, kind="note", params={"n": 0}, locale="en")
        await session.commit()
    assert row.id is not None and await outbox.pending_count(db) == 1


async def test_claim_offers_only_each_chats_oldest_pending_row(db: SessionFactory) -> None:
    await enqueue(db, [1, 2], per_chat=3)
    first = await outbox.claim_due(db, limit=10)
    assert [(r.chat_id, r.params["n"]) for r in first] == [(1, 0), (2, 0)]
    assert all(r.claimed_until is not None for r in first)
    assert await outbox.claim_due(db, limit=10) == [], "claimed rows are not offered again"
    # Chat 1's row fails for now: its later rows wait for it, even though they are due.
    await outbox.mark_retry(db, first[0].id, error="Bad Gateway", delay_seconds=60)  # type: ignore[arg-type]
    await outbox.mark_sent(db, first[1].id, 7)  # type: ignore[arg-type]
    second = await outbox.claim_due(db, limit=10)
    assert [(r.chat_id, r.params["n"]) for r in second] == [(2, 1)]
    rows = await rows_by_id(db)
    retried = rows[first[0].id]  # type: ignore[index]
    assert retried.attempts == 1 and retried.last_error == "Bad Gateway"
    assert retried.claimed_until is None and retried.status == "pending"
    sent = rows[first[1].id]  # type: ignore[index]
    assert sent.status == "sent" and sent.telegram_message_id == 7 and sent.sent_at is not None


async def test_concurrent_claimers_never_share_a_row(database_url: str, db: SessionFactory) -> None:
    # Separate engines, as separate processes would have: on SQLite a claimer's SELECT is
    # outside its write transaction, so only the guarded UPDATE keeps claims apart.
    engines = [create_engine(database_url) for _ in range(4)]
    factories = [create_session_factory(engine) for engine in engines]
    try:
        for round_ in range(5):
            await enqueue(db, [round_ * 100 + chat for chat in range(30)], per_chat=1)
            claims = await asyncio.gather(
                *(outbox.claim_due(factory, limit=100) for factory in factories)
            )
            ids = [row.id for claim in claims for row in claim]
            assert len(ids) == len(set(ids)) == 30
            for row_id in ids:
                await outbox.mark_sent(db, row_id, None)  # type: ignore[arg-type]
    finally:
        for engine in engines:
            await engine.dispose()


async def test_settled_rows_stay_settled(db: SessionFactory) -> None:
    await enqueue(db, [1], per_chat=1)
    [row] = await outbox.claim_due(db, limit=1)
    assert row.id is not None
    await outbox.mark_sent(db, row.id, 11)
    # Late answers from a sender whose lease ran out change nothing.
    await outbox.mark_failed(db, row.id, error="Forbidden")
    await outbox.mark_retry(db, row.id, error="timeout", delay_seconds=1)
    await outbox.mark_sent(db, row.id, 12)
    stored = (await rows_by_id(db))[row.id]
    assert (stored.status, stored.telegram_message_id, stored.attempts) == ("sent", 11, 1)


async def test_release_needs_the_claim_it_hands_back(db: SessionFactory) -> None:
    await enqueue(db, [1], per_chat=1)
    [row] = await outbox.claim_due(db, limit=1)
    assert row.id is not None and row.claimed_until is not None
    stale = row.claimed_until - timedelta(seconds=60)
    await outbox.release(db, row.id, claimed_until=stale)  # someone else's (older) claim
    assert await outbox.claim_due(db, limit=1) == []
    await outbox.release(db, row.id, claimed_until=row.claimed_until)
    assert [r.id for r in await outbox.claim_due(db, limit=1)] == [row.id]


# --- the sender against the fake Bot API -------------------------------------------------


async def test_a_every_row_delivered_once_in_order_per_chat(
    telegram: FakeTelegram, bot: Bot, db: SessionFactory
) -> None:
    chats = [1000 + i for i in range(20)]
    await enqueue(db, chats, per_chat=3)
    elapsed = await deliver_all(OutboxSender(bot, db, render), db)
    assert len(sends(telegram)) == 60
    assert_exactly_once_in_order(telegram, chats, per_chat=3)
    assert all(row.status == "sent" for row in (await rows_by_id(db)).values())
    # Three rows per chat at one a second per chat: about two seconds, not three rounds of
    # polling or worse.
    assert elapsed < 6


async def test_b_faults_are_retried_without_duplicates_reordering_or_breaking_limits(
    telegram: FakeTelegram, bot: Bot, db: SessionFactory
) -> None:
    # More chats than the global rate, so that limit is the one that binds at first.
    chats = [2000 + i for i in range(34)]
    await enqueue(db, chats, per_chat=2)
    telegram.fail_next("sendMessage", 429, count=2, retry_after=1)

    async def later_faults() -> None:
        while len(sends(telegram)) < 20:  # noqa: ASYNC110 (watching the fake server)
            await asyncio.sleep(0.01)
        telegram.fail_next("sendMessage", 500, count=2)
        telegram.drop_next("sendMessage", count=1)
        while len(sends(telegram)) < 45:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        telegram.fail_next("sendMessage", 502, count=2)

    injector = asyncio.create_task(later_faults())
    # At Telegram's limits themselves: a send counts from its grant to its answer, so the
    # HTTP hop's jitter cannot push a timestamp recorded at the server over them.
    sender = OutboxSender(bot, db, render, max_backoff=1.0)
    try:
        await deliver_all(sender, db, timeout=12)
    finally:
        injector.cancel()
    refused = [c for c in sends(telegram) if not c.ok]
    assert len(refused) == 7, "every injected fault was met once"
    assert_exactly_once_in_order(telegram, chats, per_chat=2)
    assert_within_telegram_limits(telegram)
    assert max_per_second([c.at for c in sends(telegram)]) >= 20, "the global rate was exercised"
    # Each 429 stops all sending for retry_after, not only to the refused chat.
    floods = sends(telegram)[:2]
    assert not any(call.ok for call in floods)
    for flood in floods:
        during = [c for c in sends(telegram) if flood.at + 0.05 < c.at < flood.at + 0.95]
        assert not during, "sent during a flood pause"
    rows = await rows_by_id(db)
    assert all(row.status == "sent" for row in rows.values())
    assert sum(row.attempts for row in rows.values()) == 68 + 7


async def test_b2_no_429_from_a_server_enforcing_the_limits_even_with_a_busy_loop(
    telegram: FakeTelegram, bot: Bot, db: SessionFactory
) -> None:
    """The failure this guards against: slots booked in advance, and a task that woke late
    (the event loop busy) sending together with those after it, 31 in a second."""
    telegram.limits = TelegramLimits()
    many = [10_000 + i for i in range(90)]
    few = [20_000 + i for i in range(6)]  # three each: their chat gap binds too
    await enqueue(db, many + few, per_chat=1)
    await enqueue(db, few, per_chat=2)
    noise = asyncio.create_task(busy_event_loop())
    try:
        await deliver_all(OutboxSender(bot, db, render), db, timeout=30)
    finally:
        noise.cancel()
    assert telegram.limits.refused == 0, telegram.limits.refusals
    assert_within_telegram_limits(telegram)
    received = delivered(telegram)
    assert all(received[chat] == ["note 0"] for chat in many)
    assert all(received[chat] == ["note 0", "note 0", "note 1"] for chat in few)
    # Throughput is bench/fanout.py's business; on a loaded machine only this much is sure.
    assert max_per_second([c.at for c in sends(telegram)]) >= 20, "the global rate was exercised"


async def test_c_blocked_chat_fails_for_good_and_others_are_delivered(
    telegram: FakeTelegram, bot: Bot, db: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    case_id = await make_case(db)
    await enqueue(db, [1001], per_chat=2, case_id=case_id)
    await enqueue(db, [1000, 1002], per_chat=2)
    telegram.blocked_chats.add(1001)
    with caplog.at_level(logging.INFO, logger="bot.outbound.sender"):
        await deliver_all(OutboxSender(bot, db, render), db)
    assert_exactly_once_in_order(telegram, [1000, 1002], per_chat=2)
    async with db() as session:
        failed = await outbox.failed_for_case(session, case_id)
    assert [row.params["n"] for row in failed] == [0, 1]
    assert all(row.chat_id == 1001 and "blocked" in (row.last_error or "") for row in failed)
    assert all(row.attempts == 1 for row in failed), "a 403 is not retried"
    # One structured line per failure, naming the row, never the chat.
    lines = [r for r in caplog.records if r.getMessage() == "outbox delivery failed"]
    assert sorted(r.outbox_id for r in lines) == sorted(row.id for row in failed)  # type: ignore[attr-defined]
    for record in lines:
        entry = json.loads(JsonFormatter().format(record))
        assert entry["outcome"] == "failed" and entry["reason"] == "unreachable"
        del entry["time"]
        assert "1001" not in json.dumps(entry)


async def test_c2_refused_and_unrenderable_rows_fail_and_the_chat_goes_on(
    telegram: FakeTelegram, bot: Bot, db: SessionFactory
) -> None:
    async with db() as session:
        for n, kind in enumerate(["note", "broken", "note", "note"]):
            outbox.enqueue(session, chat_id=3000, kind=kind, params={"n": n}, locale="id")
        await session.commit()

    def fussy_render(row: Outbox) -> RenderedMessage:
        if row.kind == "broken":
            raise KeyError("missing parameter")
        return render(row)

    telegram.fail_next("sendMessage", 400, description="Bad Request: can't parse entities")
    await deliver_all(OutboxSender(bot, db, fussy_render), db)
    rows = sorted((await rows_by_id(db)).values(), key=lambda row: row.id or 0)
    assert [row.status for row in rows] == ["failed", "failed", "sent", "sent"]
    assert rows[0].last_error == "Bad Request: can't parse entities"
    assert (rows[1].last_error or "").startswith("render: KeyError")
    assert delivered(telegram)[3000] == ["note 2", "note 3"]


async def test_d_rows_pending_at_a_crash_are_delivered_after_restart(
    telegram: FakeTelegram, bot: Bot, database_url: str, db: SessionFactory
) -> None:
    chats = [4000 + i for i in range(4)]
    await enqueue(db, chats, per_chat=2)
    first = asyncio.create_task(OutboxSender(bot, db, render).run())
    await asyncio.sleep(0)
    first.cancel()  # the process dies before the sender got going
    await asyncio.gather(first, return_exceptions=True)
    assert await outbox.pending_count(db) == 8 and not sends(telegram)
    # A new process: its own engine on the same file.
    engine = create_engine(database_url)
    try:
        await deliver_all(OutboxSender(bot, create_session_factory(engine), render), db)
    finally:
        await engine.dispose()
    assert_exactly_once_in_order(telegram, chats, per_chat=2)


async def test_d2_a_stopped_sender_hands_back_rows_it_had_claimed(
    telegram: FakeTelegram, bot: Bot, db: SessionFactory
) -> None:
    chats = [5000 + i for i in range(3)]
    await enqueue(db, chats, per_chat=3)
    task = asyncio.create_task(OutboxSender(bot, db, render).run())
    while len(sends(telegram)) < 3:  # noqa: ASYNC110 (watching the fake server)
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.3)  # the second rows are now claimed, waiting for their chat's gap
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    pending = [row for row in (await rows_by_id(db)).values() if row.status == "pending"]
    assert len(pending) == 6
    assert all(row.claimed_until is None for row in pending), "claims were handed back"
    # So a new sender need not wait a minute for the leases to run out.
    elapsed = await deliver_all(OutboxSender(bot, db, render), db, timeout=8)
    assert elapsed < 5
    assert_exactly_once_in_order(telegram, chats, per_chat=3)


async def test_e_a_claim_left_by_a_dead_sender_is_taken_over_when_it_expires(
    telegram: FakeTelegram, bot: Bot, db: SessionFactory
) -> None:
    await enqueue(db, [6000, 6001], per_chat=1)
    claimed = await outbox.claim_due(db, limit=1)  # a sender claims a row, then dies
    assert [row.chat_id for row in claimed] == [6000]
    sender = OutboxSender(bot, db, render)
    assert await sender.deliver_due() == 1, "a live claim is left alone"
    assert delivered(telegram) == {6001: ["note 0"]}
    async with db() as session:
        row = await session.get(Outbox, claimed[0].id)
        assert row is not None
        row.claimed_until = utcnow() - timedelta(seconds=1)  # its lease has run out
        session.add(row)
        await session.commit()
    assert await sender.deliver_due() == 1
    assert delivered(telegram) == {6000: ["note 0"], 6001: ["note 0"]}
    assert await outbox.pending_count(db) == 0


async def test_a_restarted_bot_sends_at_once_what_its_killed_run_had_claimed(
    telegram: FakeTelegram,
    db: SessionFactory,
    settings_factory: Callable[..., Settings],
    redis_url: str | None,
) -> None:
    """One process on SQLite: no other sender can hold a claim, so one found at start is
    the killed run's, and the reporter's news goes out now, not when its lease runs out.
    Where instances share the database (PostgreSQL + Redis) the claim may be a live
    instance's, mid-send: it is left to run out."""
    reporter_chat = 7100
    async with db() as session:
        outbox.enqueue(
            session,
            chat_id=reporter_chat,
            kind="status_changed",
            params={"code": "ASN-TEST-0001", "status": "initial_review"},
            locale="id",
        )
        await session.commit()
    (claimed,) = await outbox.claim_due(db, limit=1)  # and then the process was killed
    settings = settings_factory()
    one_process = settings.database_url.startswith("sqlite") and redis_url is None
    async with running_bot(settings):
        if one_process:
            news = await telegram.wait_output(reporter_chat, timeout=10)
            assert "ASN-TEST-0001" in news["text"]
        else:
            await telegram.assert_no_output(reporter_chat, quiet=3)
    row = (await rows_by_id(db))[claimed.id]  # type: ignore[index]
    assert (row.status == "sent") == one_process


async def test_wake_starts_delivery_without_waiting_for_the_poll(
    telegram: FakeTelegram, bot: Bot, db: SessionFactory
) -> None:
    sender = OutboxSender(bot, db, render, poll_interval=30)
    task = asyncio.create_task(sender.run())
    try:
        await asyncio.sleep(0.2)  # idle, waiting out its (long) poll
        await enqueue(db, [7000], per_chat=1)
        sender.wake()
        async with asyncio.timeout(2):
            while not sends(telegram):  # noqa: ASYNC110 (watching the fake server)
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


class SlowBot:
    """Stands in for Bot where the test must hold a request open."""

    token = "123:ABC"

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.calls = 0

    async def send_message(self, chat_id: int, text: str, **_: Any) -> Any:
        self.calls += 1
        self.started.set()
        await asyncio.sleep(0.3)
        return SimpleNamespace(message_id=99)


async def test_stopping_mid_send_records_the_send_instead_of_repeating_it(
    db: SessionFactory,
) -> None:
    await enqueue(db, [8000], per_chat=1)
    slow = SlowBot()
    make: Callable[..., OutboxSender] = OutboxSender
    task = asyncio.create_task(make(slow, db, render).run())
    await slow.started.wait()
    task.cancel()  # while Telegram is still answering
    await asyncio.gather(task, return_exceptions=True)
    [row] = (await rows_by_id(db)).values()
    assert (row.status, row.telegram_message_id) == ("sent", 99)
    await make(slow, db, render).deliver_due()
    assert slow.calls == 1


async def test_a_row_whose_lease_ran_low_while_waiting_is_handed_back_unsent(
    telegram: FakeTelegram, bot: Bot, db: SessionFactory
) -> None:
    await enqueue(db, [9000], per_chat=1)
    skew = [0.0]

    def slow_render(row: Outbox) -> RenderedMessage:
        if not skew[0]:
            skew[0] = 45  # as if a long flood pause passed between the claim and the send
        return render(row)

    sender = OutboxSender(
        bot, db, slow_render, lease_seconds=60, clock=lambda: time.monotonic() + skew[0]
    )
    assert await sender.deliver_due() == 1
    assert not sends(telegram), "not sent on a lease that could run out mid-send"
    [row] = (await rows_by_id(db)).values()
    assert (row.status, row.claimed_until, row.attempts) == ("pending", None, 0)
    assert await sender.deliver_due() == 1  # claimed afresh, with a full lease
    assert delivered(telegram) == {9000: ["note 0"]}


async def test_a_429_pauses_all_sending_for_retry_after(
    telegram: FakeTelegram, bot: Bot, db: SessionFactory
) -> None:
    await enqueue(db, [1000 + n for n in range(5)], per_chat=1)
    telegram.fail_next("sendMessage", 429, count=1, retry_after=2)
    await deliver_all(OutboxSender(bot, db, render), db)
    calls = sends(telegram)
    refused_at = calls[0].at
    assert all(c.at - refused_at >= 1.9 for c in calls[1:]), "nothing sent during the pause"


async def test_a_database_outage_is_logged_once_then_retried_spaced_out(
    telegram: FakeTelegram, bot: Bot, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A database without its tables: every claim fails, as when it is down or restoring.
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    caplog.set_level(logging.INFO, logger="bot.outbound.sender")
    task = asyncio.create_task(OutboxSender(bot, sessions, render).run())
    try:
        await asyncio.sleep(3.5)
        failures = [r for r in caplog.records if r.getMessage().startswith("outbox claim")]
        assert [r.levelno for r in failures[:1]] == [logging.ERROR] and failures[0].exc_info
        again = failures[1:]
        # Retried after about 1, 2, 4 … s: two or three more, not one every half second.
        assert 1 <= len(again) <= 3, [r.getMessage() for r in failures]
        assert all(r.levelno == logging.WARNING and not r.exc_info for r in again)
        # The database is back: what was queued meanwhile goes out within the retry cap.
        await upgrade_to_head_async(database_url)
        await enqueue(sessions, [1000, 1001], per_chat=1)
        async with asyncio.timeout(10):
            while await outbox.pending_count(sessions):  # noqa: ASYNC110 (polling the database)
                await asyncio.sleep(0.1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await engine.dispose()
    assert set(delivered(telegram)) == {1000, 1001}
    assert any(r.getMessage() == "outbox claims work again" for r in caplog.records)


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs Redis (TEST_REDIS_URL)")
async def test_two_senders_keep_the_limits_together(
    telegram: FakeTelegram, bot: Bot, db: SessionFactory, redis_url: str
) -> None:
    from redis.asyncio import Redis

    from storage.redis_state import RedisSendSlots

    await enqueue(db, [1000 + n for n in range(25)], per_chat=2)
    telegram.limits = TelegramLimits()
    redis = Redis.from_url(redis_url)
    # Keys of their own: other tests may be using Redis at the same time.
    prefix = f"test:send:{uuid.uuid4().hex[:8]}"
    senders = [
        OutboxSender(bot, db, render, shared_slots=RedisSendSlots(redis, 30, 1.0, prefix=prefix))
        for _ in range(2)
    ]
    tasks = [asyncio.create_task(sender.run()) for sender in senders]
    tasks.append(asyncio.create_task(busy_event_loop()))
    try:
        async with asyncio.timeout(20):
            while await outbox.pending_count(db):  # noqa: ASYNC110 (polling the database)
                await asyncio.sleep(0.05)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await redis.aclose()
    per_chat = delivered(telegram)
    assert len(per_chat) == 25 and all(t == ["note 0", "note 1"] for t in per_chat.values())
    assert_within_telegram_limits(telegram)
    assert telegram.limits.refused == 0, telegram.limits.refusals
