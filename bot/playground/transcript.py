"""The stand-in as the playground's web chat needs it: besides what the bot sends, each
chat's log keeps what the people in it sent and the notices the bot answered button presses
with (answerCallbackQuery's text), so the page shows the whole conversation in order.

The tests' fake server leaves these out: its readers wait for the bot's outputs only."""

from __future__ import annotations

from typing import Any

from bot.playground.telegram_stand_in import TelegramStandIn


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

    def _log(self, chat_id: int, entry: dict[str, Any]) -> None:
        self._chats[chat_id].outputs.append(entry)
        self._changed.notify()
