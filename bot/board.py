"""The staff chat: a card per case, edited in place as the case moves, and relayed answers.

Cards are a view of the database, so a card that failed to post is posted later by the
background sync (bot/background.py) and nothing depends on a card existing."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import BufferedInputFile, ReplyParameters
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.logs import describe_error
from bot.services.desk import Desk
from bot.services.related import LINKS_PER_CASE
from bot.ui.cards import card_keyboard, case_card
from bot.ui.text import code, quote
from storage.evidence_store import EvidenceStore
from storage.models import Case

log = logging.getLogger(__name__)


class StaffBoard:
    def __init__(
        self,
        bot: Bot,
        desk: Desk,
        evidence_store: EvidenceStore,
        i18n: I18n,
        chat_id: int | None,
        locale: str,
    ) -> None:
        self._bot = bot
        self._desk = desk
        self._store = evidence_store
        self._i18n = i18n
        self.chat_id = chat_id
        self._locale = locale

    async def _render(self, case: Case) -> str:
        with self._i18n.context(), self._i18n.use_locale(self._locale):
            count = await self._desk.evidence_count(case.id)  # type: ignore[arg-type]
            related = await self._desk.related_codes(case)
            return case_card(case, count, related)

    async def publish(self, case: Case) -> None:
        """Post the card of a case, or update it where it already stands."""
        if self.chat_id is None:
            return
        text = await self._render(case)
        with self._i18n.context(), self._i18n.use_locale(self._locale):
            keyboard = card_keyboard(case)
        if case.staff_card_message_id is None and not await self._desk.claim_card(case.id):  # type: ignore[arg-type]
            return  # another instance is posting it
        try:
            if case.staff_card_message_id is None:
                sent = await self._bot.send_message(self.chat_id, text, reply_markup=keyboard)
                await self._desk.set_card_message(case.id, sent.message_id)  # type: ignore[arg-type]
                case.staff_card_message_id = sent.message_id
                await self._refresh_related(case)
            else:
                await self._bot.edit_message_text(
                    text=text,
                    chat_id=self.chat_id,
                    message_id=case.staff_card_message_id,
                    reply_markup=keyboard,
                )
        except TelegramBadRequest as error:
            if "not modified" not in error.message:
                log.warning(
                    "staff card not updated",
                    extra={"case": case.code, "error": describe_error(error)},
                )
        except TelegramAPIError as error:
            log.warning(
                "staff card not posted", extra={"case": case.code, "error": describe_error(error)}
            )

    async def _refresh_related(self, case: Case) -> None:
        """A new case that links to older ones: their cards gain the link too."""
        # All of them: a new case links to at most LINKS_PER_CASE earlier ones.
        related = await self._desk.related_codes(case, limit=LINKS_PER_CASE)
        for other_code, _reason in related.shown:
            other = await self._desk.case(other_code)
            if other.staff_card_message_id is not None:
                await self.publish(other)

    async def relay_answer(
        self, case: Case, text: str | None, files: list[tuple[str, bytes]]
    ) -> None:
        """Post the reporter's answer (text and files) to the staff chat."""
        if self.chat_id is None:
            return
        with self._i18n.context(), self._i18n.use_locale(self._locale):
            header = _("💬 The reporter answered on {code}:").format(code=code(case.code))
        try:
            await self._bot.send_message(
                self.chat_id,
                f"{header}\n{quote(text)}" if text else header,
                reply_parameters=ReplyParameters(
                    message_id=case.staff_card_message_id, allow_sending_without_reply=True
                )
                if case.staff_card_message_id
                else None,
            )
            for name, content in files:
                await self._bot.send_document(
                    self.chat_id, BufferedInputFile(content, filename=name), caption=case.code
                )
        except TelegramAPIError as error:
            log.warning(
                "answer not relayed to staff chat",
                extra={"case": case.code, "error": describe_error(error)},
            )

    async def post(self, text: str) -> None:
        if self.chat_id is None:
            return
        try:
            await self._bot.send_message(self.chat_id, text)
        except TelegramAPIError as error:
            log.warning("staff chat message failed", extra={"error": describe_error(error)})
