"""The staff chat: what its outbox rows (bot/services/staff_feed.py) look like when they
are sent. A card is a view of the case as it stands at that moment: posted once, then
edited in place; an answer is posted as a reply to its case's card, each file on its own.

Rendering reads the database, so it happens in the outbox sender, paced and retried with
everything else sent; nothing here sends on a handler's behalf."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.outbound.messages import Delivery, RenderedMessage, replying_to
from bot.services import staff_feed
from bot.services.evidence_intake import suffix_for
from bot.services.offices import OfficeDirectory, office_name
from bot.services.related import related_cases
from bot.services.staff import staff_names
from bot.ui.cards import card_keyboard, case_card
from bot.ui.text import bold, code, quote
from storage import repositories
from storage.db import SessionFactory
from storage.evidence_store import EvidenceStore
from storage.models import Case, CaseEvent, Evidence, Outbox
from storage.sqlite_writer import SqliteWriter


@dataclass(frozen=True)
class CardPost:
    """A case's first card; where it landed is recorded so later changes edit it."""

    case_id: int
    office_code: str
    text: str
    keyboard: InlineKeyboardMarkup | None
    sessions: SessionFactory
    writer: SqliteWriter | None

    async def deliver(self, bot: Bot, chat_id: int, *, timeout: int) -> int | None:
        sent = await bot.send_message(
            chat_id, self.text, reply_markup=self.keyboard, request_timeout=timeout
        )
        await staff_feed.record_card(
            self.sessions,
            self.case_id,
            chat_id,
            sent.message_id,
            office_code=self.office_code,
            writer=self.writer,
        )
        return sent.message_id


@dataclass(frozen=True)
class CardEdit:
    message_id: int
    post: CardPost
    # A card that is gone is posted again, unless it was only to say where the case went.
    repost_if_gone: bool = True

    async def deliver(self, bot: Bot, chat_id: int, *, timeout: int) -> int | None:
        try:
            await bot.edit_message_text(
                text=self.post.text,
                chat_id=chat_id,
                message_id=self.message_id,
                reply_markup=self.post.keyboard,
                request_timeout=timeout,
            )
        except TelegramBadRequest as error:
            description = error.message.lower()
            if "not modified" in description:
                return self.message_id  # already shows this
            if "not found" not in description:
                raise
            if not self.repost_if_gone:
                return None
            # Someone deleted the card: the case still needs one.
            return await self.post.deliver(bot, chat_id, timeout=timeout)
        return self.message_id


@dataclass(frozen=True)
class DocumentMessage:
    filename: str
    content: bytes
    caption: str
    reply_to: int | None = None

    async def deliver(self, bot: Bot, chat_id: int, *, timeout: int) -> int | None:
        sent = await bot.send_document(
            chat_id,
            BufferedInputFile(self.content, filename=self.filename),
            caption=self.caption,
            reply_parameters=replying_to(self.reply_to),
            request_timeout=timeout,
        )
        return sent.message_id


@dataclass(frozen=True)
class WhereTheCaseStands:
    """A row about a case (its card, a reporter's answer, a file), rendered and sent to the
    case's group as it is at the moment of sending, not the group it was staged for: the
    case may have been transferred to another office while the row waited for a send slot,
    and its reporter's words must not reach the group it left."""

    board: StaffBoard
    row: Outbox

    async def deliver(self, bot: Bot, chat_id: int, *, timeout: int) -> int | None:
        return await self.board.send_about_case(bot, self.row, timeout=timeout)


class StaffBoard:
    def __init__(
        self,
        sessions: SessionFactory,
        evidence_store: EvidenceStore,
        i18n: I18n,
        locale: str,
        offices: OfficeDirectory,
        *,
        writer: SqliteWriter | None = None,
    ) -> None:
        self._sessions = sessions
        self._writer = writer  # SQLite: where a card landed is committed with other writes
        self._store = evidence_store
        self._i18n = i18n
        self._locale = locale
        self._offices = offices

    async def render(self, row: Outbox) -> Delivery | None:
        if row.kind in _ABOUT_A_CASE:
            if row.kind == staff_feed.CARD:
                async with self._sessions() as session:
                    if await staff_feed.superseded(session, row):
                        return None  # before it takes one of the group's few send slots
            return WhereTheCaseStands(self, row)
        with self._i18n.context(), self._i18n.use_locale(row.locale or self._locale):
            if row.kind == staff_feed.CARD_MOVED:
                return await self._card_moved(row)
            if row.kind == staff_feed.NOTICE:
                return RenderedMessage(row.params["text"])
        raise ValueError(f"not a staff-chat row: {row.kind!r}")

    async def send_about_case(self, bot: Bot, row: Outbox, *, timeout: int) -> int | None:
        async with self._sessions() as session:
            case = await session.get(Case, row.case_id)
        if case is None:
            return None
        chat = await staff_feed.chat_for(self._offices, case)
        if chat is None:
            return None  # no office up to RI has a group any more: the case waits in /inbox
        with self._i18n.context(), self._i18n.use_locale(row.locale or self._locale):
            if row.kind == staff_feed.CARD:
                message = await self._card(row, case, chat)
            elif row.kind == staff_feed.ANSWER_TEXT:
                message = await self._answer_text(row, case, chat)
            else:
                message = await self._answer_file(row, case, chat)
        if message is None:
            return None
        return await message.deliver(bot, chat, timeout=timeout)

    async def _card(self, row: Outbox, case: Case, chat: int) -> Delivery | None:
        async with self._sessions() as session:
            if await staff_feed.superseded(session, row):
                return None
            count = await repositories.evidence_count(session, case.id)  # type: ignore[arg-type]
            related = await related_cases(session, case)
            names = await staff_names(session, [case.assignee_id] if case.assignee_id else [])
        text = case_card(case, count, related, names)
        post = CardPost(
            case.id,  # type: ignore[arg-type]
            case.office_code,
            text,
            card_keyboard(case),
            self._sessions,
            self._writer,
        )
        if case.staff_card_message_id is None or not _card_is_in(case, chat):
            return post
        return CardEdit(case.staff_card_message_id, post)

    async def _card_moved(self, row: Outbox) -> Delivery | None:
        """The card left behind by a transfer: the case as it now stands, where it went, no
        buttons (it is another office's to act on)."""
        async with self._sessions() as session:
            case = await session.get(Case, row.case_id)
            if case is None:
                return None
            count = await repositories.evidence_count(session, case.id)  # type: ignore[arg-type]
            related = await related_cases(session, case)
        moved = _("➡️ Transferred to {office}").format(office=bold(office_name(case.office_code)))
        text = f"{case_card(case, count, related)}\n\n{moved}"
        post = CardPost(case.id, case.office_code, text, None, self._sessions, self._writer)  # type: ignore[arg-type]
        return CardEdit(row.params["message_id"], post, repost_if_gone=False)

    async def _answer_text(self, row: Outbox, case: Case, chat: int) -> Delivery | None:
        async with self._sessions() as session:
            event = await session.get(CaseEvent, row.params["event_id"])
        if event is None:
            return None
        if merged_from := row.params.get("merged_from"):
            header = _(
                "💬 Information on {code} from the reporter of {merged}, a report merged into it "
                "(not the reporter /ask reaches):"
            ).format(code=code(case.code), merged=code(merged_from))
        else:
            header = _("💬 Information from the reporter on {code}:").format(code=code(case.code))
        text = f"{header}\n{quote(event.detail)}" if event.detail else header
        return RenderedMessage(text, reply_to=_card_here(case, chat))

    async def _answer_file(self, row: Outbox, case: Case, chat: int) -> Delivery | None:
        async with self._sessions() as session:
            item = await session.get(Evidence, row.params["evidence_id"])
        if item is None:
            return None
        content = await self._store.get(item.storage_key)
        name = f"{case.code}-{item.id}{suffix_for(item.mime)}"
        return DocumentMessage(name, content, case.code, reply_to=_card_here(case, chat))


_ABOUT_A_CASE = frozenset({staff_feed.CARD, staff_feed.ANSWER_TEXT, staff_feed.ANSWER_FILE})


def _card_is_in(case: Case, chat_id: int) -> bool:
    # Cards posted before offices had groups of their own did not record their group: the
    # one group there was.
    return case.card_chat_id in (None, chat_id)


def _card_here(case: Case, chat_id: int) -> int | None:
    """The message id of the case's card in `chat_id`, to reply under it, if it is there."""
    if case.staff_card_message_id is not None and _card_is_in(case, chat_id):
        return case.staff_card_message_id
    return None
