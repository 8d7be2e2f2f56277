"""What the staff chat is sent goes through the outbox like reporters' notifications: paced
within Telegram's 20 messages a minute for a group, retried, kept across restarts."""

from __future__ import annotations

import pytest

from bot.app import Application
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.dialog import press, reply, say, text_of
from tests.helpers.imagegen import plain_jpeg
from tests.helpers.reports import file_report
from tests.helpers.staff import ADMIN, STAFF_CHAT

# Processes started, or real time waited out: left out of an everyday run (-m "not slow").
pytestmark = pytest.mark.slow


async def test_an_answer_reaches_staff_through_a_flood_wait_longer_than_a_call_waits(
    desk_app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    code = await file_report(citizen)
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
