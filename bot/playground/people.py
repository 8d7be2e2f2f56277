"""A Telegram user on the users' side of the stand-in: what they send becomes an update
the bot fetches, shaped as Telegram shapes it (commands carry their bot_command entity,
photos and documents are files the bot can download, a button press is a callback query
carrying the message it was pressed on). The playground's web chat and the tests' FakeUser
both act through it."""

from __future__ import annotations

import itertools
import time
from typing import Any

from bot.playground.telegram_stand_in import TelegramStandIn

_message_ids = itertools.count(1_000)
_callback_ids = itertools.count(1)


def command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entity Telegram marks a leading /command with."""
    if not text.startswith("/"):
        return []
    length = len(text.split()[0]) if text.split() else 1
    return [{"type": "bot_command", "offset": 0, "length": length}]


class Person:
    def __init__(
        self,
        server: TelegramStandIn,
        user_id: int,
        first_name: str = "Sari",
        language_code: str | None = "id",
        username: str | None = None,
        chat_id: int | None = None,
        chat_title: str = "Staff",
    ) -> None:
        self.server = server
        self.user_id = user_id
        self.chat_id = chat_id if chat_id is not None else user_id
        self.chat_title = chat_title
        self.user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            self.user["language_code"] = language_code
        if username:
            self.user["username"] = username

    @property
    def chat(self) -> dict[str, Any]:
        if self.chat_id > 0:
            return {"id": self.chat_id, "type": "private", "first_name": self.user["first_name"]}
        return {"id": self.chat_id, "type": "supergroup", "title": self.chat_title}

    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(_message_ids),
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
            **content,
        }

    def push_message(self, **content: Any) -> int:
        return self.server.push_update({"message": self._message(**content)})

    async def send(self, text: str) -> int:
        content: dict[str, Any] = {"text": text}
        if entities := command_entities(text):
            content["entities"] = entities
        return self.push_message(**content)

    async def send_photo(
        self, jpeg: bytes, caption: str | None = None, media_group_id: str | None = None
    ) -> int:
        meta = self.server.add_file(jpeg, "jpg")
        photo = [
            {
                "file_id": meta["file_id"],
                "file_unique_id": meta["file_unique_id"],
                "width": 320,
                "height": 240,
                "file_size": meta["file_size"],
            },
        ]
        content: dict[str, Any] = {"photo": photo}
        if caption:
            content["caption"] = caption
        if media_group_id:
            content["media_group_id"] = media_group_id
        return self.push_message(**content)

    def push_document(
        self, meta: dict[str, Any], file_name: str, mime_type: str, caption: str | None = None
    ) -> int:
        """A document message for a file already added to the server (`meta`)."""
        extra: dict[str, Any] = {}
        if caption is not None:
            extra["caption"] = caption
            if entities := command_entities(caption):
                extra["caption_entities"] = entities
        return self.push_message(
            document={
                "file_id": meta["file_id"],
                "file_unique_id": meta["file_unique_id"],
                "file_name": file_name,
                "mime_type": mime_type,
                "file_size": meta["file_size"],
            },
            **extra,
        )

    async def send_contact(self, phone: str, user_id: int | None = None) -> int:
        return self.push_message(
            contact={
                "phone_number": phone,
                "first_name": self.user["first_name"],
                "user_id": self.user_id if user_id is None else user_id,
            }
        )

    async def press_data(self, message: dict[str, Any], data: str) -> int:
        """Press the inline button carrying `data` on the bot's `message`."""
        bot_message = {k: v for k, v in message.items() if not k.startswith("_")}
        return self.server.push_update(
            {
                "callback_query": {
                    "id": str(next(_callback_ids)),
                    "from": self.user,
                    "chat_instance": str(self.chat_id),
                    "message": bot_message,
                    "data": data,
                }
            }
        )
