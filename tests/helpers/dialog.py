"""Conversation helpers for tests: what a citizen does and reads, step by step."""

from __future__ import annotations

import re
from typing import Any

from tests.fakebot import FakeUser

CODE = re.compile(r"ASN-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


def text_of(message: dict[str, Any]) -> str:
    return message.get("text") or message.get("caption") or ""


async def reply(
    user: FakeUser, contains: str | None = None, timeout: float = 5.0
) -> dict[str, Any]:
    """The next message the bot sent this user (edits of earlier messages are skipped)."""
    while True:
        output = await user.next(timeout=timeout)
        if output.get("_kind", "message") == "edit":
            continue
        if contains is not None:
            assert contains in text_of(output), f"expected {contains!r} in {text_of(output)!r}"
        return output


async def say(
    user: FakeUser, text: str, expect: str | None = None, timeout: float = 5.0
) -> dict[str, Any]:
    await user.send(text)
    return await reply(user, expect, timeout)


async def press(
    user: FakeUser,
    message: dict[str, Any],
    button: str,
    expect: str | None = None,
    timeout: float = 5.0,
) -> dict[str, Any]:
    await user.press(message, button)
    return await reply(user, expect, timeout)


async def submit(user: FakeUser, summary: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Press Submit on the summary: the confirmation and its tracking code. Returns once the
    summary's buttons are closed, the handler's last visible step."""
    await user.press(summary, "Kirim laporan")
    confirmation = await reply(user, "diterima")
    await user.server.wait_output(user.chat_id, predicate=lambda output: output["_kind"] == "edit")
    return confirmation, CODE.search(text_of(confirmation)).group(0)  # type: ignore[union-attr]


async def fill_report_until_evidence(
    user: FakeUser, *, asn_name: str = "Budi Santoso", agency: str = "Dinas Pendidikan Kota Bandung"
) -> dict[str, Any]:
    """An anonymous report answered up to the evidence step; returns the evidence question."""
    await user.send("/lapor")
    await reply(user, "Mari")
    question = await reply(user, "Langkah 1/9")
    question = await press(user, question, "Anonim", "Langkah 2/9")
    question = await say(user, asn_name, "Langkah 2/9")
    question = await press(user, question, "Lewati", "Langkah 2/9")
    question = await press(user, question, "Lewati", "Langkah 3/9")
    question = await say(user, agency, "Langkah 3/9")
    question = await press(user, question, "Jawa Barat", "Langkah 4/9")
    question = await press(user, question, "media sosial", "Langkah 5/9")
    question = await press(user, question, "Kemarin", "Langkah 6/9")
    question = await say(user, "https://www.instagram.com/p/Cx1Example/", "Langkah 7/9")
    question = await say(
        user,
        "Pak Budi mengunggah poster calon bupati nomor 2 di Instagram dinasnya dan mengajak "
        "guru-guru memilihnya.",
        "Langkah 8/9",
    )
    return await press(user, question, "Lewati", "Langkah 9/9")


async def closed_buttons(user: FakeUser) -> None:
    """Wait for an edit of an earlier message: after submitting, the last thing the bot
    does, after the code is shown and the draft dropped, is close the summary's buttons."""
    await user.server.wait_output(user.chat_id, predicate=lambda output: output["_kind"] == "edit")


async def conversation(application: Any, user: FakeUser) -> tuple[str | None, dict[str, Any]]:
    """The user's conversation state and draft, from whichever storage the bot uses."""
    from aiogram.fsm.storage.base import StorageKey

    key = StorageKey(bot_id=application.bot.id, chat_id=user.chat_id, user_id=user.user_id)
    storage = application.dispatcher.storage
    return await storage.get_state(key), await storage.get_data(key)


async def finish_report_after_position(user: FakeUser, position_question: dict[str, Any]) -> str:
    """From the (answered) position question of step 2 to submission, without evidence;
    returns the summary text seen before sending and the tracking code."""
    question = await press(user, position_question, "Lewati", "Langkah 3/9")
    question = await say(user, "Dinas Pendidikan Kota Bandung", "Langkah 3/9")
    question = await press(user, question, "Jawa Barat", "Langkah 4/9")
    question = await press(user, question, "media sosial", "Langkah 5/9")
    question = await press(user, question, "Hari ini", "Langkah 6/9")
    question = await say(user, "Kantor dinas", "Langkah 7/9")
    question = await say(user, "Pak Budi membagikan stiker calon kepada para guru.", "Langkah 8/9")
    question = await press(user, question, "Lewati", "Langkah 9/9")
    warning = await press(user, question, "Selesai")
    summary = await press(user, warning, "Lanjut tanpa bukti", "Ringkasan")
    assert "Budi Santoso" in text_of(summary) and "Guru SD" in text_of(summary)
    _confirmation, code = await submit(user, summary)
    return code
