"""Telegram and the database failing at the worst moment: nothing acknowledged is lost,
nothing is done twice, and the bot recovers without a restart (issue #6, faults)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import Application
from bot.config import Settings
from storage.models import Case, Evidence
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.bot import running_bot
from tests.helpers.dialog import CODE, closed_buttons, conversation, press, reply, say, text_of
from tests.helpers.imagegen import plain_jpeg
from tests.helpers.processes import sqlite_locked
from tests.helpers.reports import file_report, fill_report_until_evidence
from tests.helpers.staff import ADMIN, STAFF_CHAT


async def cases(application: Application) -> list[Case]:
    async with application.sessions() as session:
        return list((await session.exec(select(Case))).all())


def sent_texts(telegram: FakeTelegram, chat_id: int) -> list[str]:
    return [text_of(output) for output in telegram.sent_to(chat_id) if output["_kind"] == "message"]


async def at_summary(user: FakeUser) -> dict:
    await fill_report_until_evidence(user)
    await user.send_photo(plain_jpeg())
    received = await reply(user, "1")
    return await press(user, received, "Selesai", "Ringkasan")


# --- updates ------------------------------------------------------------------------------


async def test_a_malformed_update_does_not_hold_up_the_ones_after_it(
    app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    # A message without its chat: aiogram cannot parse it. Polling must skip it, not fetch
    # the same batch forever.
    telegram.push_update({"message": {"message_id": 1, "date": 0, "text": "/start"}})
    await say(citizen, "/start", "Lapor Netral")


async def test_an_update_redelivered_after_a_restart_is_not_handled_again(
    settings_factory: Callable[..., Settings], telegram: FakeTelegram, citizen: FakeUser
) -> None:
    settings = settings_factory()
    async with running_bot(settings):
        await citizen.send("/lapor")
        await reply(citizen, "Mari")
        question = await reply(citizen, "Langkah 1/9")
        question = await press(citizen, question, "Anonim", "Langkah 2/9")
        await press(citizen, question, "ASN", "Siapa nama terlapor")
        name_update = await citizen.send("Budi Santoso")
        await reply(citizen, "Jabatan")
    # The process died before confirming the update: Telegram offers it again.
    telegram.redeliver(name_update)
    async with running_bot(settings) as second:
        await telegram.wait_fetched(name_update, timeout=10)
        await citizen.quiet(0.5)  # no second answer to the name
        position = await say(citizen, "Guru SD", "NIP")
        _state, draft = await conversation(second, citizen)
        # Handled again, the name would have become the position.
        assert (draft["asn_name"], draft["asn_position"]) == ("Budi Santoso", "Guru SD")
        assert position


async def test_getupdates_failures_delay_updates_but_lose_none(
    app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    telegram.fail_next("getUpdates", 500)
    telegram.fail_next("getUpdates", 502)
    telegram.fail_next("getUpdates", 429, retry_after=1)
    telegram.drop_next("getUpdates")
    await citizen.send("/start")
    await reply(citizen, "Lapor Netral", timeout=20)
    failed = [c for c in telegram.calls if c.method == "getupdates" and not c.ok]
    assert len(failed) == 4


@pytest.mark.parametrize(
    "fault",
    ["500", "502", "429", "dropped connection"],
)
async def test_a_reply_that_fails_once_is_sent_again(
    app: Application, telegram: FakeTelegram, citizen: FakeUser, fault: str
) -> None:
    if fault == "dropped connection":
        telegram.drop_next("sendMessage")
    else:
        telegram.fail_next("sendMessage", int(fault), retry_after=1 if fault == "429" else None)
    await say(citizen, "/start", "Lapor Netral")
    await citizen.quiet(0.3)
    assert len(sent_texts(telegram, citizen.chat_id)) == 1, "exactly one welcome"


async def test_evidence_download_faults_are_retried(
    app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    question = await fill_report_until_evidence(citizen)
    telegram.fail_next("getFile", 502)
    telegram.drop_next("getFile")
    telegram.fail_next("file", 500)
    telegram.drop_next("file")
    await citizen.send_photo(plain_jpeg())
    await reply(citizen, "1 dari maksimal", timeout=15)
    del question


async def test_evidence_that_cannot_be_downloaded_is_asked_for_again(
    app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    await fill_report_until_evidence(citizen)
    before = await conversation(app, citizen)
    telegram.fail_next("file", 502, count=3)
    await citizen.send_photo(plain_jpeg())
    await reply(citizen, "tidak bisa diterima dari Telegram", timeout=15)
    assert await conversation(app, citizen) == before, "the flow stays at the evidence step"
    await citizen.send_photo(plain_jpeg())  # Telegram is back
    await reply(citizen, "1 dari maksimal")


async def test_submit_is_idempotent_when_the_confirmation_is_lost(
    app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    summary = await at_summary(citizen)
    # The case is stored, but Telegram fails every attempt to show the code.
    telegram.fail_next("sendMessage", 500, count=3)
    await citizen.press(summary, "Kirim laporan")
    apology = await reply(citizen, timeout=15)
    assert CODE.search(text_of(apology)) is None
    assert "coba lagi" in text_of(apology).lower()
    assert len(await cases(app)) == 1
    # The summary is still there; pressing Submit again shows the code of the same case.
    confirmation = await press(citizen, summary, "Kirim laporan", "diterima")
    code = CODE.search(text_of(confirmation)).group(0)  # type: ignore[union-attr]
    assert [case.code for case in await cases(app)] == [code]
    await closed_buttons(citizen)  # the last thing the handler does after clearing the draft
    assert await conversation(app, citizen) == (None, {})


async def test_the_same_submission_stored_twice_is_one_case(
    app: Application, citizen: FakeUser
) -> None:
    from bot.services.intake import ReportDraft

    summary = await at_summary(citizen)
    _state, data = await conversation(app, citizen)
    draft = ReportDraft.from_conversation(data)
    intake = app.services.intake
    code = intake.new_code()
    first, created = await intake.submit(draft, code=code, chat_id=citizen.chat_id, locale="id")
    again, created_again = await intake.submit(
        draft, code=code, chat_id=citizen.chat_id, locale="id"
    )
    assert (created, created_again) == (True, False)
    assert first.id == again.id and len(await cases(app)) == 1
    # The same code drawn for someone else's draft is a collision: a new code is drawn.
    other, created_other = await intake.submit(draft, code=code, chat_id=1, locale="id")
    assert created_other and other.code != code
    del summary


# --- the database -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(bool(os.environ.get("TEST_POSTGRES_URL")), reason="SQLite only")
async def test_sqlite_locked_by_another_process_during_submission(
    app: Application, citizen: FakeUser, tmp_path: Path
) -> None:
    summary = await at_summary(citizen)
    draft_before = await conversation(app, citizen)
    async with sqlite_locked(app.settings.database_url, seconds=10):
        await citizen.press(summary, "Kirim laporan")
        refusal = await reply(citizen, timeout=20)
        assert "basis data" in text_of(refusal) or "belum bisa disimpan" in text_of(refusal)
        assert CODE.search(text_of(refusal)) is None
        assert await conversation(app, citizen) == draft_before, "the draft is intact"
    assert await cases(app) == [], "no case half-written"
    await citizen.press(summary, "Kirim laporan")
    confirmation = await reply(citizen, "diterima", timeout=10)
    stored = await cases(app)
    assert [case.code for case in stored] == [CODE.search(text_of(confirmation)).group(0)]  # type: ignore[union-attr]
    async with app.sessions() as session:
        evidence = (await session.exec(select(Evidence))).all()
    assert [item.case_id for item in evidence] == [stored[0].id]


async def test_unwritable_evidence_store_keeps_the_flow(
    settings_factory: Callable[..., Settings], citizen: FakeUser, tmp_path: Path
) -> None:
    blocked = tmp_path / "evidence-on-a-broken-disk"
    blocked.write_text("a file where the evidence directory should be")
    async with running_bot(settings_factory(evidence_dir=blocked)) as application:
        await fill_report_until_evidence(citizen)
        before = await conversation(application, citizen)
        await citizen.send_photo(plain_jpeg())
        await reply(citizen, "belum bisa disimpan")
        assert await conversation(application, citizen) == before
        blocked.unlink()  # the operator frees the disk
        await citizen.send_photo(plain_jpeg())
        await reply(citizen, "1 dari maksimal")


@pytest.mark.slow
async def test_postgresql_stopped_and_started_during_submission(
    settings_factory: Callable[..., Settings],
    citizen: FakeUser,
    stoppable_postgres: tuple[str, Callable[[str], Awaitable[None]]],
) -> None:
    database_url, control = stoppable_postgres
    async with running_bot(settings_factory(database_url=database_url)) as application:
        summary = await at_summary(citizen)
        draft_before = await conversation(application, citizen)
        await control("stop")
        stopped = time.monotonic()
        await citizen.press(summary, "Kirim laporan")
        refusal = await reply(citizen, timeout=20)
        assert "basis data" in text_of(refusal) or "belum bisa disimpan" in text_of(refusal)
        assert CODE.search(text_of(refusal)) is None
        await asyncio.sleep(max(0.0, 10 - (time.monotonic() - stopped)))  # ten seconds down
        await control("start")
        # The same bot, not restarted: the draft is intact (with Redis, it may also hold the
        # tracking code drawn for it) and Submit now works.
        state, draft = await conversation(application, citizen)
        draft.pop("submission_code", None)
        assert (state, draft) == draft_before
        assert await cases(application) == [], "no case half-written"
        await citizen.press(summary, "Kirim laporan")
        confirmation = await reply(citizen, "diterima", timeout=15)
        code = CODE.search(text_of(confirmation)).group(0)  # type: ignore[union-attr]
        assert [case.code for case in await cases(application)] == [code]


@pytest.mark.slow
@pytest.mark.skipif(bool(os.environ.get("TEST_POSTGRES_URL")), reason="SQLite only")
async def test_staff_are_told_of_a_locked_database_as_staff_not_as_reporters(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    """A press on a card in the group and a command in private, both failing on the locked
    database: each is told to look at the case, not that "your report so far is kept"."""
    code = await file_report(citizen)
    card = await telegram.wait_output(STAFF_CHAT)
    admin_in_group = FakeUser(telegram, user_id=ADMIN, chat_id=STAFF_CHAT)
    admin = FakeUser(telegram, user_id=ADMIN)
    async with sqlite_locked(desk_app.settings.database_url, seconds=12):
        await asyncio.gather(
            admin_in_group.press(card, "Ambil"), admin.send(f"/ask {code} Kapan tepatnya?")
        )
        in_group = await telegram.wait_output(
            STAFF_CHAT, timeout=20, predicate=lambda m: "basis data" in text_of(m)
        )
        privately = await reply(admin, "basis data", timeout=20)
    for notice in (text_of(in_group), text_of(privately)):
        assert "/case" in notice and "Laporan Anda" not in notice, notice
