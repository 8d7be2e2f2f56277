"""The stand-in as the playground's web chat needs it: besides what the bot sends, each
chat's log keeps what the people in it sent and the notices the bot answered button presses
with (answerCallbackQuery's text), so the page shows the whole conversation in order.

The tests' fake server leaves these out: its readers wait for the bot's outputs only."""

from __future__ import annotations

from typing import Any

from bot.playground.telegram_stand_in import TelegramStandIn, int_param


class PlaygroundTelegram(TelegramStandIn):
    def __init__(self) -> None:
        super().__init__()
        self._pressed_in: dict[str, int] = {}  # callback query id -> chat it came from

    def push_update(self, update: dict[str, Any]) -> int:
        if query := update.get("callback_query"):
            self._pressed_in[query["id"]] = query["message"]["chat"]["id"]
        elif message := update.get("message"):
            self._log(message["chat"]["id"], {**message, "_kind": "incoming"})
        return super().push_update(update)

    async def _m_answercallbackquery(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._pressed_in.pop(str(params.get("callback_query_id")), None)
        if params.get("text") and chat_id is not None:
            notice = {"text": params["text"], "show_alert": bool(params.get("show_alert"))}
            self._log(chat_id, {**notice, "_kind": "notice"})
        return True

    async def _m_deletemessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        """The message leaves the chat, as in Telegram (a confirmation put away with its
        Cancel button): the page takes it away too."""
        chat_id, message_id = int_param(params.get("chat_id")), int_param(params.get("message_id"))
        if chat_id is None or message_id is None or (chat_id, message_id) not in self._messages:
            raise self._bad_request("Bad Request: message to delete not found")
        del self._messages[(chat_id, message_id)]
        self._log(chat_id, {"message_id": message_id, "_kind": "delete"})
        return True

    def _log(self, chat_id: int, entry: dict[str, Any]) -> None:
        self._chats[chat_id].outputs.append(entry)
        self._changed.notify()
