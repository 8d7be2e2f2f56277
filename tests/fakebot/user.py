"""A Telegram user as tests drive one: sends messages, presses buttons, reads replies."""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.fakebot.server import FakeTelegram

_message_ids = itertools.count(1_000)
_callback_ids = itertools.count(1)


class FakeUser:
    def __init__(
        self,
        server: FakeTelegram,
        user_id: int,
        first_name: str = "Sari",
        language_code: str | None = "id",
        username: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        self.server = server
        self.user_id = user_id
        self.chat_id = chat_id if chat_id is not None else user_id
        self.user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            self.user["language_code"] = language_code
        if username:
            self.user["username"] = username

    @property
    def chat(self) -> dict[str, Any]:
        if self.chat_id > 0:
            return {"id": self.chat_id, "type": "private", "first_name": self.user["first_name"]}
        return {"id": self.chat_id, "type": "supergroup", "title": "Staff"}

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

    # --- sending -----------------------------------------------------------------------

    async def send(self, text: str) -> int:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0]) if text.split() else 1
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
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

    async def send_document(
        self,
        content: bytes,
        file_name: str,
        mime_type: str,
        declared_size: int | None = None,
        served_size: int | None = None,
        caption: str | None = None,
    ) -> int:
        meta = self.server.add_file(
            content, file_name.rsplit(".", 1)[-1], declared_size, served_size
        )
        extra: dict[str, Any] = {}
        if caption is not None:
            extra["caption"] = caption
            if caption.startswith("/"):
                length = len(caption.split()[0])
                extra["caption_entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
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

    async def send_video(self, content: bytes) -> int:
        meta = self.server.add_file(content, "mp4")
        return self.push_message(
            video={
                "file_id": meta["file_id"],
                "file_unique_id": meta["file_unique_id"],
                "width": 640,
                "height": 360,
                "duration": 3,
                "file_size": meta["file_size"],
            }
        )

    async def send_sticker(self) -> int:
        return self.push_message(
            sticker={
                "file_id": "sticker-1",
                "file_unique_id": "st1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        )

    async def send_voice(self) -> int:
        return self.push_message(
            voice={"file_id": "voice-1", "file_unique_id": "vo1", "duration": 2}
        )

    async def send_location(self) -> int:
        return self.push_message(location={"latitude": -6.9, "longitude": 107.6})

    async def send_contact(self, phone: str, user_id: int | None = None) -> int:
        return self.push_message(
            contact={
                "phone_number": phone,
                "first_name": self.user["first_name"],
                "user_id": self.user_id if user_id is None else user_id,
            }
        )

    async def press(self, message: dict[str, Any], button_text: str) -> int:
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        buttons = [button for row in rows for button in row]
        chosen = next((b for b in buttons if b.get("text") == button_text), None)
        chosen = chosen or next((b for b in buttons if button_text in b.get("text", "")), None)
        if chosen is None:
            raise AssertionError(
                f"no button {button_text!r}; buttons: {[b.get('text') for b in buttons]}; "
                f"message: {(message.get('text') or message.get('caption') or '')[:200]!r}"
            )
        return await self.press_data(message, chosen["callback_data"])

    async def press_data(self, message: dict[str, Any], data: str) -> int:
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

    @staticmethod
    def reply_keyboard_buttons(message: dict[str, Any]) -> list[str]:
        rows = (message.get("reply_markup") or {}).get("keyboard", [])
        return [
            button["text"] if isinstance(button, dict) else button for row in rows for button in row
        ]

    # --- reading -----------------------------------------------------------------------

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        return await self.server.wait_output(self.chat_id, timeout=timeout)

    async def expect_text(self, substring: str, timeout: float = 5.0) -> dict[str, Any]:
        output = await self.next(timeout)
        text = output.get("text") or output.get("caption") or ""
        assert substring in text, f"expected {substring!r} in {text!r}"
        return output

    async def quiet(self, seconds: float = 0.5) -> None:
        await self.server.assert_no_output(self.chat_id, seconds)
