"""Whoever reads the operator's logs must not learn who reported whom, whatever fails: an
identified reporter walks a report through while the database breaks under them, and
updates aiogram cannot parse or does not know arrive carrying the same personal data. The
logs are written by the bot's real configuration (bot/logs) and searched for every
spelling of the reporter's name, username, phone, Telegram id and words."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.bot import running_bot
from tests.helpers.dialog import press, reply, say, submit, text_of
from tests.helpers.logcapture import assert_none_of, bot_logs, json_lines

REPORTER_ID = 7_201_234_567
FIRST_NAME, LAST_NAME = "Wulandari", "Kusumawati"
FULL_NAME = f"{FIRST_NAME} {LAST_NAME}"
USERNAME = "wulan_saksi_tps"
PHONE_AS_SHARED = "+62 812-3456-7890"
ADDRESS = "Jl. Cempaka Putih No. 7, Kelurahan Ciwalen, Garut"
DESCRIPTION = (
    "Pak Camat membagikan amplop biru berisi kupon sembako bergambar paslon nomor urut tiga "
    "kepada ibu-ibu pengajian di Balai Desa Cikoneng."
)
# The reporter, in every spelling a log could carry; and what they typed.
SECRETS = [
    FIRST_NAME,
    LAST_NAME,
    USERNAME,
    str(REPORTER_ID),
    "+6281234567890",
    "6281234567890",
    "081234567890",
    "81234567890",
    "812-3456-7890",
    "812 3456 7890",
    ADDRESS,
    "Cempaka Putih",
    DESCRIPTION,
    "kupon sembako",
    "Balai Desa Cikoneng",
]
# The rest of the report's answers, which are the report's text as well.
ANSWERS = ["Rina Marlina", "Kepala Sekolah", "SMPN 3 Garut", "Lapangan desa Sukamaju"]

OUTAGE = ("basis data", "belum bisa disimpan")


def reporter(telegram: FakeTelegram) -> FakeUser:
    user = FakeUser(telegram, user_id=REPORTER_ID, first_name=FIRST_NAME, username=USERNAME)
    user.user["last_name"] = LAST_NAME
    return user


# The database broken for as long as the context lasts.
Outage = Callable[[], contextlib.AbstractAsyncContextManager[None]]


def sqlite_locked_by_another_connection(database_url: str) -> Outage:
    """Another connection holds SQLite's write lock: the bot's writers give up after their
    3 s busy timeout."""
    path = database_url.split("///", 1)[1]

    @contextlib.asynccontextmanager
    async def outage() -> AsyncIterator[None]:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            connection.execute("COMMIT")
            connection.close()

    return outage


def postgresql_stopped_under_a_write(
    database_url: str, control: Callable[[str], Awaitable[None]]
) -> Outage:
    """The cluster stopped in the middle of one of the bot's writes, so that the driver's
    error carries the statement and its parameters (stopped between statements, the bot
    would only see connections refused). Another connection holds the tables the report
    writes; once a write of the bot waits for them, the cluster is stopped under it. A
    step that writes none of them (conversations in Redis) goes through untouched."""
    from sqlalchemy.engine import make_url

    plain = make_url(database_url).set(drivername="postgresql")
    plain_url = plain.render_as_string(hide_password=False)

    @contextlib.asynccontextmanager
    async def outage() -> AsyncIterator[None]:
        import asyncpg

        holder = await asyncpg.connect(plain_url)
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute('LOCK TABLE conversation_state, reporter, "case" IN EXCLUSIVE MODE')
        stopping = asyncio.Event()

        async def stop_once_a_write_waits() -> None:
            waiting = (
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            while not await holder.fetchval(waiting):  # noqa: ASYNC110 (nothing to await on)
                await asyncio.sleep(0.05)
            stopping.set()
            await control("stop")

        watcher = asyncio.create_task(stop_once_a_write_waits())
        try:
            yield
        finally:
            if stopping.is_set():
                await watcher
                holder.terminate()  # its server is gone
                await control("start")
            else:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
                await transaction.rollback()
                await holder.close()

    return outage


async def answer_through_outage(
    user: FakeUser, outage: Outage, send: Callable[[], Awaitable[Any]], expect: str
) -> dict[str, Any]:
    """Send an answer while the database is broken, then again once it is mended. Where the
    step does not touch the broken database (conversations in Redis), the first try
    simply succeeds."""
    async with outage():
        await send()
        answer = await reply(user, timeout=25)
    if any(word in text_of(answer) for word in OUTAGE):
        await send()
        answer = await reply(user, expect, timeout=15)
    assert expect in text_of(answer), text_of(answer)
    return answer


async def walk_identified_report_through_outages(user: FakeUser, outage: Outage) -> None:
    """An identified report from /lapor to its tracking code; the database breaks while the
    description is sent and again when Submit is pressed."""
    await user.send("/lapor")
    await reply(user, "Mari")
    question = await reply(user, "Langkah 1/9")
    await press(user, question, "Dengan identitas", "Langkah 1/9")
    await say(user, FULL_NAME, "Langkah 1/9")
    await say(user, ADDRESS, "Langkah 1/9")
    await user.send_contact(PHONE_AS_SHARED)
    await reply(user)  # number saved, keyboard removed
    question = await reply(user, "Langkah 2/9")
    await press(user, question, "ASN", "Langkah 2/9")
    await say(user, ANSWERS[0], "Langkah 2/9")
    await say(user, ANSWERS[1], "Langkah 2/9")
    question = await say(user, "198503122010011002", "Langkah 3/9")
    question = await say(user, ANSWERS[2], "Langkah 3/9")
    question = await press(user, question, "Jawa Barat", "Langkah 3/9")
    question = await say(user, "Kota Bandung", "Langkah 4/9")
    question = await press(user, question, "Pemilihan Bupati", "Langkah 4/9")
    question = await press(user, question, "Menghadiri", "Langkah 5/9")
    question = await press(user, question, "Hari ini", "Langkah 5/9")
    question = await press(user, question, "Pada hari kejadian", "Langkah 6/9")
    question = await say(user, ANSWERS[3], "Langkah 7/9")
    # Mid-step: the description is sent while the database cannot be written.
    question = await answer_through_outage(
        user, outage, lambda: user.send(DESCRIPTION), "Langkah 8/9"
    )
    question = await press(user, question, "Lewati", "Langkah 9/9")
    warning = await press(user, question, "Selesai")
    summary = await press(user, warning, "Lanjut tanpa bukti", "Ringkasan")
    # At submission: the case, with the reporter's name and phone, cannot be stored.
    async with outage():
        await user.press(summary, "Kirim laporan")
        refusal = await reply(user, timeout=25)
    assert any(word in text_of(refusal) for word in OUTAGE), text_of(refusal)
    await submit(user, summary)


def assert_logs_keep_the_reporter_out(output: str, err: str) -> list[dict[str, Any]]:
    entries = json_lines(output)
    assert_none_of(output, SECRETS + ANSWERS)
    assert_none_of(err, SECRETS + ANSWERS)  # nothing went around the log configuration
    return entries


def outage_lines(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines the outages left. Conversations in SQLite: the description and the
    submission each fail writing the draft ("update failed"); in Redis, the description
    goes through and the submission fails storing the case."""
    failures = [
        entry
        for entry in entries
        if entry["message"] in ("update failed", "report could not be stored")
    ]
    assert failures, [entry for entry in entries if entry["level"] != "info"]
    assert all(isinstance(entry["update_id"], int) for entry in failures if "update_id" in entry)
    return failures


@pytest.mark.slow
async def test_sqlite_locked_mid_step_and_at_submission_logs_nothing_of_the_reporter(
    settings_factory: Callable[..., Settings],
    telegram: FakeTelegram,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'privacy.db'}"
    user = reporter(telegram)
    with bot_logs() as logs:
        async with running_bot(settings_factory(database_url=database_url)):
            outage = sqlite_locked_by_another_connection(database_url)
            await walk_identified_report_through_outages(user, outage)
    entries = assert_logs_keep_the_reporter_out(logs.getvalue(), capfd.readouterr().err)
    # The failures are logged, with what the operator needs to see what went wrong.
    failures = outage_lines(entries)
    assert all("OperationalError" in e["error"] for e in failures), failures
    assert all("database is locked" in e["error"] for e in failures), failures
    assert any("bot/handlers/report.py" in e["error"] for e in failures), "frames are kept"


async def test_postgresql_stopped_mid_step_and_at_submission_logs_nothing_of_the_reporter(
    settings_factory: Callable[..., Settings],
    telegram: FakeTelegram,
    stoppable_postgres: tuple[str, Callable[[str], Awaitable[None]]],
    capfd: pytest.CaptureFixture[str],
) -> None:
    database_url, control = stoppable_postgres
    user = reporter(telegram)
    with bot_logs() as logs:
        async with running_bot(settings_factory(database_url=database_url)):
            outage = postgresql_stopped_under_a_write(database_url, control)
            await walk_identified_report_through_outages(user, outage)
    entries = assert_logs_keep_the_reporter_out(logs.getvalue(), capfd.readouterr().err)
    outage_lines(entries)


async def test_updates_aiogram_cannot_parse_or_does_not_know_are_logged_without_personal_data(
    settings_factory: Callable[..., Settings],
    telegram: FakeTelegram,
    capfd: pytest.CaptureFixture[str],
) -> None:
    user = reporter(telegram)
    sender = user.user
    contact = {"phone_number": PHONE_AS_SHARED, "first_name": FIRST_NAME, "user_id": REPORTER_ID}
    with bot_logs() as logs:
        async with running_bot(settings_factory()):
            # No chat: aiogram cannot parse it.
            telegram.push_update(
                {
                    "message": {
                        "message_id": 1,
                        "date": 0,
                        "from": sender,
                        "text": DESCRIPTION,
                        "contact": contact,
                    }
                }
            )
            # A kind of update newer than aiogram (say, after a Bot API release).
            telegram.push_update(
                {
                    "citizen_testimony": {
                        "id": "9f1c",
                        "from": sender,
                        "chat": user.chat,
                        "text": DESCRIPTION,
                        "contact": contact,
                    }
                }
            )
            await say(user, "/start", "Lapor Netral")  # and the bot goes on
    entries = assert_logs_keep_the_reporter_out(logs.getvalue(), capfd.readouterr().err)
    messages = [entry["message"] for entry in entries]
    assert "malformed update skipped" in messages
    unknown = [m for m in messages if "unknown update type" in m]
    assert unknown, messages


async def test_a_getupdates_answer_cut_short_is_logged_without_the_updates_in_it(
    settings_factory: Callable[..., Settings],
    telegram: FakeTelegram,
    capfd: pytest.CaptureFixture[str],
) -> None:
    user = reporter(telegram)
    await user.send(DESCRIPTION)
    telegram.cut_next("getUpdates", at=400)  # the first answer, holding that message
    with bot_logs() as logs:
        async with running_bot(settings_factory()):
            await reply(user, timeout=15)  # fetched again, it is handled
    entries = assert_logs_keep_the_reporter_out(logs.getvalue(), capfd.readouterr().err)
    (failed,) = [entry for entry in entries if entry["message"] == "getUpdates failed"]
    assert failed["error"].startswith("aiogram.exceptions.ClientDecodeError: Failed to")
    assert "Content" not in failed["error"] and "message_id" not in failed["error"], (
        "nothing of the answer, not even who wrote when"
    )
