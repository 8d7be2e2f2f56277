"""No path from a case back to its reporter: not through a group, not through the database
after retention, not through a forged button, not through what other reporters are
suggested. Each test here failed on the code before the fix it guards."""

from __future__ import annotations

import asyncio
import functools
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select as sa_select
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel, select

from bot.app import Application
from bot.jobs.retention import purge_today
from bot.services.retention import purge_reporters
from storage.conversations import SqlStorage
from storage.db import sqlite_path
from storage.models import Case, Outbox, utcnow
from storage.redis_state import TrackedRedisStorage
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.dialog import press, reply, say, submit, text_of
from tests.helpers.reports import (
    REPORTER_ADDRESS,
    answer_reported_person,
    file_report,
    fill_report_until_evidence,
)
from tests.helpers.staff import ADMIN, OFFICER, STAFF_CHAT

REPORTER_NAME = "Wulan Sekartaji"
REPORTER_PHONE = "+6281298765432"


async def next_callback_answer(telegram: FakeTelegram, *, after: int) -> dict:
    for _ in range(250):
        for call in telegram.calls[after:]:
            if call.method == "answercallbackquery":
                return call.params
        await asyncio.sleep(0.02)
    raise AssertionError("the button press was not answered")


async def test_identity_is_shown_to_an_admin_only_in_a_private_chat(
    desk_app: Application, telegram: FakeTelegram
) -> None:
    reporter = FakeUser(telegram, user_id=5_560_001, first_name="Wulan", language_code="id")
    code = await file_report(reporter, identified=True, name=REPORTER_NAME, phone=REPORTER_PHONE)
    admin_in_group = FakeUser(telegram, user_id=ADMIN, chat_id=STAFF_CHAT)
    await admin_in_group.send(f"/case {code}")
    in_group = await telegram.wait_output(
        STAFF_CHAT, predicate=lambda output: "Riwayat" in text_of(output)
    )
    assert code in text_of(in_group)
    assert REPORTER_NAME not in text_of(in_group) and "98765432" not in text_of(in_group)

    admin = FakeUser(telegram, user_id=ADMIN)
    in_private = text_of(await say(admin, f"/case {code}", code))
    assert REPORTER_NAME in in_private and REPORTER_PHONE in in_private


async def test_after_purge_no_table_leads_from_the_case_to_its_reporter(
    desk_app: Application, telegram: FakeTelegram
) -> None:
    reporter = FakeUser(
        telegram, user_id=5_560_002, first_name="Wulan", username="wulan_s", language_code="id"
    )
    await say(reporter, "/bahasa")  # a remembered language names the chat too
    code = await file_report(reporter, identified=True, name=REPORTER_NAME, phone=REPORTER_PHONE)
    officer = FakeUser(telegram, user_id=OFFICER)
    admin = FakeUser(telegram, user_id=ADMIN)
    await say(admin, f"/staff add {OFFICER}", str(OFFICER))
    await say(officer, f"/ask {code} Jam berapa kejadiannya?", code)
    question = await reply(reporter, "Jam berapa")
    await press(reporter, question, "Balas")
    await say(reporter, "Sekitar jam sembilan pagi.", "Diterima")
    await say(officer, f"/setstatus {code} not_registered not_competent Urusan instansi lain", code)
    await reply(reporter, "Tidak diregistrasi")

    erased = await purge_reporters(
        desk_app.sessions, retention_days=30, now=utcnow() + timedelta(days=31)
    )
    assert erased == 1

    secrets = {
        str(reporter.user_id),
        REPORTER_NAME,
        REPORTER_PHONE,
        REPORTER_PHONE.removeprefix("+"),
        REPORTER_ADDRESS,
        "wulan_s",
    }
    found = []
    async with desk_app.sessions() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in (await session.exec(sa_select(table))).all():  # type: ignore[call-overload]
                for column, value in zip(table.columns.keys(), row, strict=True):
                    for secret in secrets:
                        if secret in str(value):
                            found.append(f"{table.name}.{column} holds {secret!r}")
        case = (await session.exec(select(Case).where(Case.code == code))).one()
    assert found == []
    assert case.status == "not_registered", "the case itself is kept"

    # Nor in the file, for whoever copies it: not in free space, not in the write-ahead log.
    database = sqlite_path(desk_app.settings.database_url)
    if database is not None:
        files = sorted(Path(database).parent.glob(Path(database).name + "*"))
        assert any(path.name.endswith("-wal") for path in files), "the log was looked at"
        for path in files:
            content = path.read_bytes()
            for secret in secrets - {str(reporter.user_id)}:
                assert secret.encode() not in content, f"{path.name} holds {secret!r}"


@pytest.mark.skipif(bool(os.environ.get("TEST_POSTGRES_URL")), reason="SQLite's own log")
async def test_a_cancelled_draft_leaves_the_sqlite_files_soon_after(
    settings_factory: Any, citizen: FakeUser, tmp_path: Path
) -> None:
    """The reporter is told their answers were deleted; the row goes at once, and its
    earlier copies in the write-ahead log within a conversation sweep, not days later."""
    from tests.helpers.bot import running_bot

    settings = settings_factory(conversation_sweep_seconds=0.5)
    database = Path(sqlite_path(settings.database_url) or "")
    async with running_bot(settings):
        await fill_report_until_evidence(
            citizen, identified=True, name=REPORTER_NAME, phone=REPORTER_PHONE
        )
        told = text_of(await say(citizen, "/batal"))
        assert "dihapus" in told, told
        left: list[str] = []
        for _ in range(100):
            files = sorted(database.parent.glob(database.name + "*"))
            left = [
                f"{path.name} holds {secret!r}"
                for path in files
                for secret in (REPORTER_NAME, REPORTER_ADDRESS, REPORTER_PHONE.removeprefix("+"))
                if secret.encode() in path.read_bytes()
            ]
            if not left:
                break
            await asyncio.sleep(0.1)
        assert left == []


async def stored_conversation(
    application: Application, user: FakeUser, redis: Redis | None
) -> tuple[str | None, dict[str, Any]]:
    """The user's conversation as the database or Redis holds it, not as the running bot
    remembers it: on SQLite the bot keeps conversations in memory too."""
    key = StorageKey(bot_id=application.bot.id, chat_id=user.chat_id, user_id=user.user_id)
    storage = TrackedRedisStorage(redis) if redis is not None else SqlStorage(application.engine)
    return await storage.get_state(key), await storage.get_data(key)


async def answer_left_under_way(reporter: FakeUser, telegram: FakeTelegram) -> str:
    """The reporter is asked a question, presses Reply, and the case is closed before they
    answer; returns its code."""
    code = await file_report(reporter)
    admin = FakeUser(telegram, user_id=ADMIN)
    await say(admin, f"/ask {code} Siapa saksinya?", code)
    await press(reporter, await reply(reporter, "Siapa saksinya"), "Balas")
    await say(admin, f"/setstatus {code} not_registered formal Anonim", code)
    await reply(reporter, "Tidak diregistrasi")
    return code


async def test_purge_erases_an_answer_left_under_way_wherever_conversations_are_kept(
    desk_app: Application, telegram: FakeTelegram, redis_url: str | None
) -> None:
    """A reporter who pressed Reply and never answered keeps a conversation naming the case
    beside their chat: in the database on one instance, in Redis on several."""
    reporter = FakeUser(telegram, user_id=5_560_003, first_name="Wulan", language_code="id")
    code = await answer_left_under_way(reporter, telegram)

    redis = Redis.from_url(redis_url) if redis_url else None
    try:
        _state, held = await stored_conversation(desk_app, reporter, redis)
        assert code in held.values(), "the answer under way names the case"
        erased = await purge_reporters(
            desk_app.sessions,
            retention_days=30,
            now=utcnow() + timedelta(days=31),
            conversations=TrackedRedisStorage(redis) if redis is not None else None,
        )
        assert erased == 1
        assert await stored_conversation(desk_app, reporter, redis) == (None, {})
        if redis is not None:  # nor is it left to be closed later with a message to them
            member = f"{desk_app.bot.id}:{reporter.chat_id}:{reporter.user_id}:default"
            assert await redis.zscore("lapor:fsm:activity", member) is None
    finally:
        if redis is not None:
            await redis.aclose()


async def test_the_bot_purges_by_itself_and_forgets_the_answer_it_was_waiting_for(
    desk_app: Application, telegram: FakeTelegram
) -> None:
    """No cron job needed: the bot runs the purge once a day. On SQLite it keeps
    conversations in memory as well, and forgets them with the rows: the reporter who was
    answering the case is no longer treated as answering it."""
    reporter = FakeUser(telegram, user_id=5_560_005, first_name="Wulan", language_code="id")
    await answer_left_under_way(reporter, telegram)

    retention_days = desk_app.settings.retention_days
    a_year_on = utcnow() + timedelta(days=retention_days + 1)
    purge = functools.partial(purge_today, desk_app.sessions, desk_app.fsm_storage)
    assert await purge(retention_days, now=a_year_on) == 1
    assert await purge(retention_days, now=a_year_on) is None, "once a day, by one instance"

    await reporter.send("Saksinya Pak Dadang.")
    answer = text_of(await reply(reporter))
    assert "/lapor" in answer and "tidak aktif" not in answer, answer


async def test_a_daily_purge_that_failed_is_tried_again_the_same_day(
    desk_app: Application, telegram: FakeTelegram
) -> None:
    """Redis away at the purge's hour: nothing is erased, and the day is not used up, so the
    next try that day erases, instead of leaving the reporter identifiable a day more."""
    reporter = FakeUser(telegram, user_id=5_560_006, first_name="Wulan", language_code="id")
    await answer_left_under_way(reporter, telegram)
    retention_days = desk_app.settings.retention_days
    a_year_on = utcnow() + timedelta(days=retention_days + 1)
    purge = functools.partial(
        purge_today, desk_app.sessions, retention_days=retention_days, now=a_year_on
    )

    away = Redis.from_url("redis://127.0.0.1:1/0")  # nothing listens there
    try:
        with pytest.raises(RedisError):
            await purge(TrackedRedisStorage(away))
    finally:
        await away.aclose()
    assert await purge(desk_app.fsm_storage) == 1, "tried again, the same day"


class ProbingConversations:
    """Conversations kept elsewhere (Redis where there is one) that, while purge erases
    them, try a write of the running bot's to the purged case's rows: it must go through,
    not wait for the purge to finish talking to Redis."""

    def __init__(self, database_url: str, case_id: int, redis: Redis | None) -> None:
        self._database_url = database_url
        self._case_id = case_id
        self._kept = TrackedRedisStorage(redis) if redis is not None else None
        self.refused: list[str] = []

    async def forget_holding(self, chat_id: int, value: str) -> int:
        sqlite = self._database_url.startswith("sqlite")
        # Waits a second at most for a lock, then says why it could not write.
        engine = create_async_engine(
            self._database_url, connect_args={"timeout": 1.0} if sqlite else {}
        )
        try:
            async with engine.begin() as connection:
                if not sqlite:
                    await connection.execute(text("SET LOCAL lock_timeout = '1s'"))
                await connection.execute(
                    text("UPDATE outbox SET attempts = attempts WHERE case_id = :case"),
                    {"case": self._case_id},
                )
        except DBAPIError as error:
            self.refused.append(str(error.orig))
        finally:
            await engine.dispose()
        return await self._kept.forget_holding(chat_id, value) if self._kept else 0


async def test_purge_does_not_hold_the_database_while_it_erases_conversations_elsewhere(
    desk_app: Application, telegram: FakeTelegram, redis_url: str | None
) -> None:
    reporter = FakeUser(telegram, user_id=5_560_004, first_name="Wulan", language_code="id")
    code = await file_report(reporter)
    admin = FakeUser(telegram, user_id=ADMIN)
    await say(admin, f"/setstatus {code} not_registered formal Anonim", code)
    await reply(reporter, "Tidak diregistrasi")
    async with desk_app.sessions() as session:
        case = (await session.exec(select(Case).where(Case.code == code))).one()
    assert case.id is not None

    redis = Redis.from_url(redis_url) if redis_url else None
    conversations = ProbingConversations(desk_app.settings.database_url, case.id, redis)
    try:
        erased = await purge_reporters(
            desk_app.sessions,
            retention_days=30,
            now=utcnow() + timedelta(days=31),
            conversations=conversations,
        )
    finally:
        if redis is not None:
            await redis.aclose()
    assert conversations.refused == []
    assert erased == 1
    async with desk_app.sessions() as session:
        notices = (await session.exec(select(Outbox).where(Outbox.case_id == case.id))).all()
    assert [row.chat_id for row in notices if row.chat_id == reporter.chat_id] == []


async def test_a_closed_case_no_longer_takes_answers(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    admin = FakeUser(telegram, user_id=ADMIN)
    code = await file_report(citizen)
    await say(admin, f"/ask {code} Siapa saksinya?", code)
    asked = await reply(citizen, "Siapa saksinya")
    await say(admin, f"/setstatus {code} not_registered formal Anonim", code)
    await reply(citizen, "Tidak diregistrasi")

    await citizen.press(asked, "Balas")
    refusal = await telegram.wait_call(
        "answercallbackquery", predicate=lambda params: "jawaban" in params.get("text", "")
    )
    assert "tidak lagi menerima jawaban" in refusal["text"]
    await citizen.send("Saksinya Pak Dadang.")
    await reply(citizen)  # the ordinary answer to a stray message, not "received"
    async with desk_app.sessions() as session:
        case = (await session.exec(select(Case).where(Case.code == code))).one()
        from storage.models import CaseEvent

        events = (await session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id))).all()
    assert case.status == "not_registered"
    assert "answer" not in [event.action for event in events]


async def test_a_forged_reply_button_does_not_tell_whether_a_code_exists(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    code = await file_report(citizen)
    prober = FakeUser(telegram, user_id=5_560_099, first_name="Penebak")
    await prober.send("/start")
    start = await reply(prober)
    answers = []
    for guess in (code, "ASN-ZZZZ-ZZZZ"):
        seen = len(telegram.calls)
        await prober.press_data(start, f"an:reply:{guess}")
        answers.append(await next_callback_answer(telegram, after=seen))
    assert answers[0]["text"] == answers[1]["text"]
    await telegram.assert_no_output(prober.chat_id)


async def test_a_submission_whose_code_never_arrived_is_not_called_cancelled(
    app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    question = await fill_report_until_evidence(citizen)
    warning = await press(citizen, question, "Selesai")
    summary = await press(citizen, warning, "Lanjut tanpa bukti", "Ringkasan")
    # Telegram fails every try of the confirmation: the case is stored, the code unseen.
    telegram.fail_next("sendMessage", 500, count=3)
    await citizen.press(summary, "Kirim laporan")
    await reply(citizen, "gangguan")  # the error handler's apology
    async with app.sessions() as session:
        stored = (await session.exec(select(Case))).all()
    assert len(stored) == 1

    told = text_of(await say(citizen, "/batal"))
    assert "sudah dibatalkan" not in told and "sudah diterima" in told
    assert stored[0].code in told


async def test_find_treats_like_wildcards_as_letters(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    code = await file_report(citizen)
    admin = FakeUser(telegram, user_id=ADMIN)
    for pattern in ("%", "_", "%%"):
        found = text_of(await say(admin, f"/find {pattern}"))
        assert code not in found, pattern
    assert code in text_of(await say(admin, "/find budi", code))


async def test_agencies_named_in_reports_are_never_suggested_to_others(
    app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    secret_agency = "Dinas Perikanan Kabupaten Rahasia Sekali"
    question = await fill_report_until_evidence(citizen, agency=secret_agency)
    warning = await press(citizen, question, "Selesai")
    summary = await press(citizen, warning, "Lanjut tanpa bukti", "Ringkasan")
    await submit(citizen, summary)

    other = FakeUser(telegram, user_id=5_560_123, first_name="Lain", language_code="id")
    await other.send("/lapor")
    await reply(other)
    question = await reply(other, "Langkah 1/9")
    question = await press(other, question, "Anonim", "Langkah 2/9")
    question = await answer_reported_person(other, question, asn_name="Siti")
    answer = await say(other, "Dinas Perikanan Kabupaten Rahasia Sekalii")
    assert "Rahasia Sekali" not in str(answer.get("reply_markup", ""))
    assert "Langkah 3/9" in text_of(answer), "straight on to the province"

    # The directory of real agencies still helps with a typo.
    another = FakeUser(telegram, user_id=5_560_124, first_name="Lagi", language_code="id")
    await another.send("/lapor")
    await reply(another)
    question = await reply(another, "Langkah 1/9")
    question = await press(another, question, "Anonim", "Langkah 2/9")
    question = await answer_reported_person(another, question, asn_name="Siti")
    suggestion = await say(another, "Dinas Pendidikan Provinsi Jawa Barrat")
    assert "Dinas Pendidikan Provinsi Jawa Barat" in str(suggestion.get("reply_markup", ""))


async def test_a_note_to_the_reporter_is_not_shown_to_someone_else_holding_the_code(
    app: Application, citizen: FakeUser
) -> None:
    """Codes are published in the open data (bot/web/open311.py): whoever looks one up in
    the bot sees the status, while the office's note, written to the reporter, stays theirs
    (a careless one might name them)."""
    code = await file_report(citizen)
    note = "Terima kasih Pak Joko, mohon kirim foto tambahan."
    await app.services.desk.set_status(code, "initial_review", actor_id=ADMIN, public_note=note)
    await reply(citizen, "Kabar terbaru")  # the change, pushed to the reporter
    stranger = FakeUser(citizen.server, user_id=5_550_998, language_code="id")
    looked_up = text_of(await say(stranger, f"/status {code}", "Kajian awal"))
    assert code in looked_up and "Pak Joko" not in looked_up
    own = text_of(await say(citizen, f"/status {code}", "Kajian awal"))
    assert "Pak Joko" in own, "the reporter still reads the office's note"
