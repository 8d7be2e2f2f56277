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


async def everything_after(user: FakeUser, text: str, quiet: float = 0.7) -> list[dict[str, Any]]:
    """Send `text`, then read every output until the bot has been quiet for `quiet` seconds
    (a command answered with several messages: /case, /stats)."""
    await user.send(text)
    outputs = [await user.next()]
    while True:
        try:
            outputs.append(await user.server.wait_output(user.chat_id, timeout=quiet))
        except AssertionError:
            return outputs
