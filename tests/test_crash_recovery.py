"""The bot process killed (SIGKILL) at random moments while reporters file reports and an
admin moves their cases, then started again: every reporter who was shown a tracking code
has a complete case, no case lacks its evidence, and every notification arrives once.

The reporters behave like people: they answer the question in front of them, and when the
bot falls silent they send /lapor, which repeats the question they are at. The only
repeats allowed are of a message Telegram had accepted in the instant before a kill and
whose sending had not yet been recorded: no program can know whether such a message went
out, and sending it again beats losing it (README, Security and reliability)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.config import Settings
from bot.outbound.sender import OUTBOX_LEASE_SECONDS
from storage.db import create_engine, create_session_factory
from storage.models import Case, Evidence, Outbox
from storage.send_limits import GROUP_INTERVAL
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.dialog import CODE, text_of
from tests.helpers.imagegen import plain_jpeg
from tests.helpers.processes import start_bot_process
from tests.helpers.staff import ADMIN, STAFF_CHAT

# Processes started, or real time waited out: left out of an everyday run (-m "not slow").
# The test gives up at its own 240 s deadline, with what it saw, before pytest-timeout does.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

REPORTERS = 10
KILLS = 3
SILENCE = 12.0  # seconds without an answer before a reporter nudges the bot
# A message that reached Telegram this shortly before a kill may be sent again.
IN_FLIGHT_WINDOW = 1.0


@dataclass
class Reporter:
    user: FakeUser
    number: int
    photo: bytes
    codes: list[str] = field(default_factory=list)
    photo_accepted: bool = False

    @property
    def asn_name(self) -> str:
        return f"Pegawai Uji {self.number:02d}"

    async def file_report(self, deadline: float) -> None:
        await self.user.send("/lapor")
        while not self.codes:
            assert time.monotonic() < deadline, f"reporter {self.number} never got a code"
            latest = await self._latest(SILENCE)
            if latest is None:
                await self.user.send("/lapor")  # "where was I?": the bot repeats the question
                continue
            await self._answer(latest)

    async def _latest(self, timeout: float) -> dict[str, Any] | None:
        """The newest message from the bot (several may have come at once)."""
        try:
            latest = await self._next_message(timeout)
        except AssertionError:
            return None
        with contextlib.suppress(AssertionError):
            while True:
                latest = await self._next_message(0.3)
        return latest

    async def _next_message(self, timeout: float) -> dict[str, Any]:
        return await self.user.server.wait_output(
            self.user.chat_id, timeout=timeout, predicate=lambda m: m["_kind"] == "message"
        )

    async def _answer(self, message: dict[str, Any]) -> None:
        text = text_of(message)
        buttons = [
            button["text"]
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
        ]

        def has(label: str) -> bool:
            return any(label in button for button in buttons)

        if found := CODE.search(text):
            self.codes.append(found.group(0))
        elif "1 dari maksimal" in text or "sudah Anda lampirkan" in text:
            self.photo_accepted = True
            if has("Selesai"):
                await self.user.press(message, "Selesai")
            else:
                await self.user.send("/lapor")
        elif "Ringkasan" in text and has("Kirim laporan"):
            await self.user.press(message, "Kirim laporan")
        elif has("Lanjut tanpa bukti") or "Langkah 9/9" in text:
            if self.photo_accepted and has("Selesai"):
                await self.user.press(message, "Selesai")
            else:
                self.photo_accepted = False
                await self.user.send_photo(self.photo)
        elif "Langkah 1/9" in text and has("Anonim"):
            await self.user.press(message, "Anonim")
        elif "Siapa yang Anda laporkan" in text and has("ASN"):
            await self.user.press(message, "ASN")
        elif "Siapa nama terlapor" in text:
            await self.user.send(self.asn_name)
        elif "Jabatan atau pekerjaannya" in text or "NIP ASN tersebut" in text:
            await self.user.press(message, "Lewati")
        elif has("Tetap:"):
            await self.user.press(message, "Tetap:")
        elif "Di instansi, kantor, atau satuan mana" in text:
            await self.user.send(f"Dinas Uji Coba Nomor {self.number}")
        elif has("Jawa Barat"):
            await self.user.press(message, "Jawa Barat")
        elif has("Kabupaten Bogor"):
            await self.user.press(message, "Kabupaten Bogor")
        elif has("Pemilihan Bupati"):
            await self.user.press(message, "Pemilihan Bupati")
        elif has("media sosial"):
            await self.user.press(message, "media sosial")
        elif has("Pada hari kejadian"):  # when they learned of it: before "Hari ini"
            await self.user.press(message, "Pada hari kejadian")
        elif has("Hari ini"):
            await self.user.press(message, "Hari ini")
        elif "Langkah 6/9" in text:
            await self.user.send("Kantor dinas")
        elif "Langkah 7/9" in text:
            await self.user.send(f"{self.asn_name} membagikan stiker calon kepada para guru.")
        elif "Langkah 8/9" in text and has("Lewati"):
            await self.user.press(message, "Lewati")
        # Anything else (an apology, "you have a report in progress") needs no answer: the
        # question follows, or silence brings a nudge.


async def move_to_review(admin: FakeUser, code: str, deadline: float) -> None:
    """The admin moves a new case to review, and tries again while the bot is down."""
    while True:
        assert time.monotonic() < deadline, f"{code} never moved to review"
        await admin.send(f"/setstatus {code} initial_review Sedang ditinjau")
        with contextlib.suppress(AssertionError):
            answer = text_of(await admin.next(timeout=SILENCE))
            if code in answer or "tidak dapat" in answer:  # moved, now or by an earlier try
                return


async def messages_owed(settings: Settings) -> int:
    """Outbox rows not yet settled, read as another process sees them."""
    engine = create_engine(settings.database_url)
    try:
        async with create_session_factory(engine)() as session:
            pending = select(Outbox).where(Outbox.status == "pending")
            return len((await session.exec(pending)).all())
    finally:
        await engine.dispose()


async def test_killed_at_random_moments_nothing_is_lost_or_doubled(
    telegram: FakeTelegram, settings_factory: Callable[..., Settings], tmp_path: Path
) -> None:
    seed = int(os.environ.get("CRASH_TEST_SEED", random.randrange(1_000_000)))
    chance = random.Random(seed)
    settings = settings_factory()
    environment = {
        "ADMIN_IDS": str(ADMIN),
        "STAFF_CHAT_ID": str(STAFF_CHAT),
        "CARD_SYNC_SECONDS": "1",
    }
    log_path = tmp_path / "bot.log"
    context = f"seed {seed} (CRASH_TEST_SEED), bot log {log_path}"
    reporters = [
        Reporter(
            FakeUser(telegram, user_id=5_560_000 + number, first_name=f"Warga{number}"),
            number,
            plain_jpeg(color=(20 * number, 90, 255 - 20 * number)),
        )
        for number in range(REPORTERS)
    ]
    # The admin works from one chat per case, so each exchange reads on its own.
    admins = {
        reporter.number: FakeUser(telegram, user_id=ADMIN, chat_id=ADMIN + 1 + reporter.number)
        for reporter in reporters
    }
    kills: list[float] = []
    started = time.monotonic()
    deadline = started + 240

    process = await start_bot_process(telegram, settings, log_path, **environment)
    try:

        async def reporter_then_review(reporter: Reporter, delay: float) -> None:
            await asyncio.sleep(delay)  # not all at the same instant
            await reporter.file_report(deadline)
            await move_to_review(admins[reporter.number], reporter.codes[0], deadline)

        burst = asyncio.gather(*(reporter_then_review(r, chance.uniform(0, 3)) for r in reporters))
        for kill_at in sorted(chance.uniform(2, 20) for _ in range(KILLS)):
            await asyncio.sleep(max(0.0, started + kill_at - time.monotonic()))
            process.send_signal(signal.SIGKILL)
            await process.wait()
            kills.append(time.monotonic())
            process = await start_bot_process(telegram, settings, log_path, **environment)
        await asyncio.wait_for(burst, timeout=max(1.0, deadline - time.monotonic()))
        # Every reporter is told of the move to review, once.
        for reporter in reporters:
            await telegram.wait_output(
                reporter.user.chat_id,
                timeout=max(1.0, deadline - time.monotonic()),
                predicate=lambda m, r=reporter: "Kabar terbaru" in text_of(m),
            )
        # A message whose sender was killed while it was claimed (a card, a card's update, a
        # notice already shown but not yet recorded as sent) goes out when the bot is back
        # (one process on SQLite) or once its claim has lapsed: all are settled by then.
        # The group's messages go out in order, so its later cards wait behind such a claim,
        # then follow one another GROUP_INTERVAL apart (Telegram's 20 a minute a group):
        # seen with CRASH_TEST_SEED=698621 on PostgreSQL + Redis, ten cards owed at the lapse.
        settled_by = time.monotonic() + OUTBOX_LEASE_SECONDS + GROUP_INTERVAL * len(reporters) + 10

        def a_card_is_missing() -> bool:
            shown = " ".join(text_of(m) for m in telegram.sent_to(STAFF_CHAT))
            return any(reporter.codes[0] not in shown for reporter in reporters)

        while (a_card_is_missing() or await messages_owed(settings)) and (  # noqa: ASYNC110
            time.monotonic() < settled_by
        ):
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.5)  # let any late repeat show itself
    finally:
        died_on_its_own = process.returncode is not None
        if not died_on_its_own:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=30)
        if died_on_its_own or sys.exc_info()[0] is not None:
            print(f"--- last lines of the bot log ({context})", file=sys.stderr)
            print(*log_path.read_text().splitlines()[-40:], sep="\n", file=sys.stderr)
    assert not died_on_its_own, f"the bot exited without being killed; {context}"

    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as session:
        cases = {case.code: case for case in (await session.exec(select(Case))).all()}
        evidence = (await session.exec(select(Evidence))).all()
        outbox = (await session.exec(select(Outbox))).all()
    await engine.dispose()

    def excusable(chat_id: int, mark: str) -> bool:
        """A repeat of a message whose first copy reached Telegram just before a kill."""
        first = next(
            call.at
            for call in telegram.calls
            if call.method == "sendmessage"
            and call.ok
            and int(call.params["chat_id"]) == chat_id
            and mark in call.params.get("text", "")
        )
        return any(0 <= kill - first <= IN_FLIGHT_WINDOW for kill in kills)

    assert len(kills) == KILLS, context
    assert len(cases) == REPORTERS, f"one case per reporter: {sorted(cases)}; {context}"
    for reporter in reporters:
        assert len(set(reporter.codes)) == 1, f"{reporter.number}: {reporter.codes}; {context}"
        case = cases[reporter.codes[0]]
        assert case.asn_name == reporter.asn_name, context
        assert case.status == "initial_review", context
        (item,) = [item for item in evidence if item.case_id == case.id]
        stored = settings.evidence_dir / item.storage_key
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == item.sha256, context
        notices = Counter(
            text_of(m) for m in telegram.sent_to(reporter.user.chat_id) if "Kabar" in text_of(m)
        )
        assert notices, f"{reporter.number} was told of the move; {context}"
        for text, count in notices.items():
            assert count == 1 or excusable(reporter.user.chat_id, "Kabar"), (text, count, context)
    unsent = [
        (row.id, row.kind, row.status, row.attempts, row.claimed_until, row.last_error)
        for row in outbox
        if row.status != "sent"
    ]
    assert not unsent, f"every message owed was sent: {unsent}; {context}"
    cards = Counter(
        code
        for output in telegram.sent_to(STAFF_CHAT)
        if output["_kind"] == "message"
        for code in CODE.findall(text_of(output))[:1]
    )
    assert set(cards) == set(cases), f"a card for every case; {context}"
    for code, count in cards.items():
        assert count == 1 or excusable(STAFF_CHAT, code), (code, count, context)
