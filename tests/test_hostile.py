"""Updates the bot was not built for, and what staff may never learn about a reporter."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bot.app import Application
from bot.config import Settings
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.bot import running_bot
from tests.helpers.dialog import say, text_of
from tests.helpers.imagegen import plain_jpeg
from tests.helpers.reports import file_report
from tests.helpers.staff import ADMIN, OFFICER, STAFF_CHAT


async def test_updates_the_bot_was_not_built_for_are_ignored(
    app: Application, telegram: FakeTelegram, citizen: FakeUser
) -> None:
    now = int(time.time())
    channel = {"id": -100_777, "type": "channel", "title": "Kanal"}
    group = {"id": -100_888, "type": "supergroup", "title": "Grup warga"}
    stranger = {"id": 5_550_123, "is_bot": False, "first_name": "Orang"}
    telegram.push_update(
        {"channel_post": {"message_id": 1, "date": now, "chat": channel, "text": "/lapor"}}
    )
    telegram.push_update(
        {
            "message": {
                "message_id": 2,
                "date": now,
                "chat": group,
                "from": stranger,
                "text": "/lapor",
            }
        }
    )
    telegram.push_update(
        {"inline_query": {"id": "1", "from": stranger, "query": "ASN", "offset": ""}}
    )
    telegram.push_update(
        {
            "my_chat_member": {
                "chat": group,
                "from": stranger,
                "date": now,
                "old_chat_member": {"status": "left", "user": stranger},
                "new_chat_member": {"status": "member", "user": stranger},
            }
        }
    )
    telegram.push_update(
        {
            "edited_message": {
                "message_id": 3,
                "date": now,
                "edit_date": now,
                "chat": citizen.chat,
                "from": citizen.user,
                "text": "diubah",
            }
        }
    )
    # The bot is still answering, and nothing went to the channel or the group.
    await say(citizen, "/start", "Lapor Netral")
    await asyncio.sleep(0.3)
    assert telegram.sent_to(channel["id"]) == [] and telegram.sent_to(group["id"]) == []
    assert telegram.sent_to(citizen.chat_id)[-1]["text"].startswith("👋")


async def test_nothing_sent_to_staff_identifies_the_reporter(
    desk_app: Application, telegram: FakeTelegram
) -> None:
    reporter = FakeUser(
        telegram,
        user_id=5_550_456,
        first_name="Rahasia",
        username="pelapor_rahasia",
        language_code="id",
    )
    admin = FakeUser(telegram, user_id=ADMIN)
    officer = FakeUser(telegram, user_id=OFFICER)
    await say(admin, f"/staff add {OFFICER}", str(OFFICER))
    code = await file_report(reporter, photos=[plain_jpeg()])
    await say(officer, f"/ask {code} Kapan unggahan itu dibuat?", code)
    question = await reporter.next()
    await reporter.press(question, "Balas")
    await reporter.next()
    await reporter.send("Kemarin sore, saya melihatnya sendiri.")
    await reporter.next()
    await officer.send(f"/case {code}")
    await officer.next()
    await say(officer, "/inbox", code)
    await say(officer, f"/find {code}", code)
    await asyncio.sleep(0.5)

    secrets = (str(reporter.user_id), "pelapor_rahasia", "Rahasia")
    staff_outputs = telegram.sent_to(STAFF_CHAT) + telegram.sent_to(OFFICER)
    assert len(staff_outputs) >= 5
    for output in staff_outputs:
        seen = text_of(output) + str(output.get("reply_markup", ""))
        for secret in secrets:
            assert secret not in seen, f"{secret!r} shown to staff in {seen[:200]!r}"


async def test_a_flood_from_one_account_is_cut_short_and_others_are_answered(
    settings_factory: Callable[..., Settings], telegram: FakeTelegram, citizen: FakeUser
) -> None:
    # A window the whole flood fits in however slow the machine: past it the account may
    # rightly send again, and this test counts what one window lets through.
    settings = settings_factory(flood_updates=30, flood_window_seconds=120)
    flooder = FakeUser(telegram, user_id=5_550_777, first_name="Banjir")
    async with running_bot(settings):
        last = 0
        for number in range(1000):
            last = flooder.push_message(text=f"spam {number}")
        # Someone else, writing in the middle of the flood, is answered.
        await say(citizen, "/start", "Lapor Netral", timeout=15)
        await telegram.wait_fetched(last, timeout=60)
        await asyncio.sleep(1.0)  # the last handled ones answer
    replies = [text_of(output) for output in telegram.sent_to(flooder.chat_id)]
    notices = [text for text in replies if "lebih cepat" in text]
    assert len(notices) == 1, "told once why the bot went quiet"
    assert len(replies) <= settings.flood_updates + 1, "the rest were dropped unread"
