"""What the staff chat is sent goes through the outbox like reporters' notifications: paced
within Telegram's 20 messages a minute for a group, retried, kept across restarts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.app import Application
from bot.config import Settings
from tests.conftest import running_bot
from tests.dialog import fill_report_until_evidence, press, reply, say, submit, text_of
from tests.fakebot import FakeTelegram, FakeUser
from tests.imagegen import plain_jpeg

ADMIN = 9_500_001
STAFF_CHAT = -1_001_500_000_000


@pytest.fixture
async def desk_app(settings_factory: Callable[..., Settings]):  # type: ignore[no-untyped-def]
    settings = settings_factory(admin_ids=frozenset({ADMIN}), staff_chat_id=STAFF_CHAT)
    async with running_bot(settings) as application:
        yield application


async def test_an_answer_reaches_staff_through_a_flood_wait_longer_than_a_call_waits(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    question = await fill_report_until_evidence(citizen)
    warning = await press(citizen, question, "Selesai")
    summary = await press(citizen, warning, "Lanjut tanpa bukti", "Ringkasan")
    _confirmation, code = await submit(citizen, summary)
    card = await telegram.wait_output(STAFF_CHAT)
    assert code in text_of(card)

    admin = FakeUser(telegram, user_id=ADMIN)
    await say(admin, f"/ask {code} Kapan tepatnya?", code)
    asked = await reply(citizen, "Kapan tepatnya")
    await press(citizen, asked, "Balas")
    # The group is over its 20 a minute: Telegram says wait 12 s, longer than any call waits.
    telegram.fail_next("sendMessage", 429, retry_after=12, chat_id=STAFF_CHAT)
    await say(citizen, "Hari Senin pukul sembilan pagi.", "Diterima")
    await citizen.send_photo(plain_jpeg(color=(0, 120, 60)), caption="Ini fotonya")
    await reply(citizen, "Diterima")

    relayed = await telegram.wait_output(
        STAFF_CHAT, timeout=40, predicate=lambda m: "Senin pukul sembilan" in text_of(m)
    )
    assert code in text_of(relayed)
    replying_to = relayed["_params"]["reply_parameters"]["message_id"]
    assert replying_to == card["message_id"], "shown under its case's card"
    caption = await telegram.wait_output(
        STAFF_CHAT, timeout=40, predicate=lambda m: "Ini fotonya" in text_of(m)
    )
    assert code in text_of(caption)
    photo = await telegram.wait_output(STAFF_CHAT, timeout=40, predicate=lambda m: "document" in m)
    assert code in text_of(photo)
