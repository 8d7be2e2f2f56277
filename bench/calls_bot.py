"""The bot's Bot API calls and nothing else: a floor between the echo bot and the bot.
`python -m bench.calls_bot` (BOT_TOKEN, TELEGRAM_API_URL, STAFF_CHAT_ID).

For each update of a report it makes the calls `python -m bot` makes at that step (counted
on the fake server on 2026-11-30: 49 calls for a report's 19 updates, against the echo
bot's 19):
- a message gets the next question;
- /lapor gets a preamble before the first question;
- a button press gets the press answered and the old buttons closed together, then the
  next question;
- a photo is looked up (getFile) and downloaded before the next question;
- the last press of a report also cards the case in the staff chat, and edits a card
  there, as a submission updates a related case's card.

Its questions are about as long as the bot's (about 800 bytes of parameters) and carry
every button the simulated citizens press (bench/intake.py, file_report). It runs with the
echo bot's session, event loop and frozen heap, and keeps no state. So the echo bot's
ceiling against this one is the price of the conversation's calls, and this one's against
the bot is the bot's own work: handlers, storage, routing beyond one router (issue 16)."""

from __future__ import annotations

import asyncio
import io
import os

from aiogram import Bot, Dispatcher, F, methods
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bench.echo_bot import poll_as_the_bot

_USED = (
    methods.GetMe,
    methods.GetUpdates,
    methods.DeleteWebhook,
    methods.SendMessage,
    methods.AnswerCallbackQuery,
    methods.EditMessageReplyMarkup,
    methods.EditMessageText,
    methods.GetFile,
)
# Every button file_report presses, with callback data as long as the bot's.
_LABELS = (
    "Anonim",
    "ASN",
    "Lewati",
    "Jawa Barat",
    "Kabupaten Bogor",
    "Pemilihan Bupati",
    "media sosial",
    "Hari ini",
    "Pada hari kejadian",
    "Selesai",
    "Kirim laporan",
)
_SUBMIT = "Kirim laporan"
_QUESTION = (
    "<b>Langkah 1/9 · Pelapor</b>\n\n"
    "Laporan Anda tentang dugaan pelanggaran netralitas ASN akan diteruskan ke Bawaslu "
    "yang berwenang. Identitas pelapor dilindungi: petugas tidak melihat nama, nomor, "
    "atau akun Telegram Anda kecuali Anda memilih untuk dikenal.\n\n"
    "Pilih salah satu tombol di bawah ini, atau ketik /batal untuk membatalkan."
)


def _keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=f"report:choice:{label}")]
            for label in _LABELS
        ]
    )


async def main() -> None:
    staff_chat = int(os.environ["STAFF_CHAT_ID"])
    dispatcher = Dispatcher()

    async def ask(bot: Bot, chat_id: int) -> None:
        await bot.send_message(chat_id, _QUESTION, reply_markup=_keyboard())

    @dispatcher.message(F.photo)
    async def photo(message: Message, bot: Bot) -> None:
        assert message.photo is not None
        found = await bot.get_file(message.photo[-1].file_id)
        assert found.file_path is not None
        await bot.download_file(found.file_path, io.BytesIO())
        await ask(bot, message.chat.id)

    @dispatcher.message()
    async def answer(message: Message, bot: Bot) -> None:
        if message.text == "/lapor":
            await message.answer(_QUESTION)
        await ask(bot, message.chat.id)

    @dispatcher.callback_query()
    async def press(callback: CallbackQuery, bot: Bot) -> None:
        assert isinstance(callback.message, Message)
        await asyncio.gather(
            bot(callback.answer()), bot(callback.message.edit_reply_markup(reply_markup=None))
        )
        await ask(bot, callback.message.chat.id)
        if callback.data and callback.data.endswith(_SUBMIT):
            card = await bot.send_message(staff_chat, _QUESTION)
            await bot.edit_message_text(_QUESTION, chat_id=staff_chat, message_id=card.message_id)

    await poll_as_the_bot(dispatcher, _USED)


if __name__ == "__main__":
    asyncio.run(main())
