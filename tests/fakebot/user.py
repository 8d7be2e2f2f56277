"""A Telegram user as tests drive one: sends messages, presses buttons, reads replies.

What any user sends is the package's Person (bot/playground/people.py, which the playground
shares); here are the kinds of input only tests send and the waiting on replies."""

from __future__ import annotations

from typing import Any

from bot.playground.people import Person
from tests.fakebot.server import FakeTelegram


class FakeUser(Person):
    server: FakeTelegram

    # --- sending -----------------------------------------------------------------------

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
        return self.push_document(meta, file_name, mime_type, caption)

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
