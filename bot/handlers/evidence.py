"""Step 9 of the report: photos, screenshots, PDFs and videos, one message or an album."""

from __future__ import annotations

import dataclasses
import logging

from aiogram import Bot, F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.dispatch.routing import RouterTemplate
from bot.flows.navigation import advance
from bot.flows.prompts import evidence_done_keyboard
from bot.flows.report import ReportAction, ReportForm
from bot.services.evidence_intake import EvidenceIntake
from bot.telegram.files import download_evidence
from bot.ui.errors import evidence_rejection

log = logging.getLogger(__name__)

router = RouterTemplate(name="evidence")


def _attachment(message: Message) -> tuple[str, int | None] | None:
    """The file id and declared size of what was sent, when it can be evidence."""
    if message.photo:
        largest = message.photo[-1]
        return largest.file_id, largest.file_size
    for media in (message.document, message.video, message.animation):
        if media is not None:
            return media.file_id, media.file_size
    return None


@router.message(ReportForm.evidence, F.photo | F.document | F.video | F.animation)
async def evidence_file(
    message: Message,
    state: FSMContext,
    bot: Bot,
    evidence_intake: EvidenceIntake,
    settings: Settings,
) -> None:
    attachment = _attachment(message)
    assert attachment is not None  # guaranteed by the filter
    file_id, declared_size = attachment
    attached = (await state.get_data()).get("evidence", [])
    if len(attached) >= settings.max_evidence_items:
        await message.answer(
            evidence_rejection("limit").format(count=settings.max_evidence_items),
            reply_markup=evidence_done_keyboard(),
        )
        return
    # A refused file (EvidenceRejected) or a store that cannot be written is answered in
    # handlers/citizen_errors.py, and the step stays where it was.
    content = await download_evidence(bot, file_id, declared_size)
    item = await evidence_intake.accept(content)
    # Re-read: other files of the same album may have been added while this one was processed.
    attached = (await state.get_data()).get("evidence", [])
    if any(existing["sha256"] == item.sha256 for existing in attached):
        await message.answer(evidence_rejection("duplicate"))
        return
    attached = [*attached, dataclasses.asdict(item)]
    await state.update_data(evidence=attached)
    if len(attached) >= settings.max_evidence_items:
        received = _("📎 Evidence {count} of at most {limit} received: that is all. Press Done.")
    else:
        received = _("📎 Evidence {count} of at most {limit} received. Send more, or press Done.")
    await message.answer(
        received.format(count=len(attached), limit=settings.max_evidence_items),
        reply_markup=evidence_done_keyboard(),
    )


@router.callback_query(ReportForm.evidence, ReportAction.filter(F.action == "evidence_done"))
async def evidence_done(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    message = callback.message
    if not isinstance(message, Message):
        return
    await message.edit_reply_markup(reply_markup=None)
    if (await state.get_data()).get("evidence"):
        await advance(message, state, ReportForm.evidence)
        return
    await message.answer(
        _(
            "You have not attached any evidence. Reports with photos, screenshots or documents "
            "are much easier for staff to act on. Continue without evidence?"
        ),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_("📎 Add evidence"),
                        callback_data=ReportAction(action="evidence_add").pack(),
                    ),
                    InlineKeyboardButton(
                        text=_("Continue without evidence"),
                        callback_data=ReportAction(action="evidence_skip").pack(),
                    ),
                ]
            ]
        ),
    )


@router.callback_query(ReportForm.evidence, ReportAction.filter(F.action == "evidence_skip"))
async def evidence_skipped(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await advance(callback.message, state, ReportForm.evidence, evidence=[])


@router.callback_query(ReportForm.evidence, ReportAction.filter(F.action == "evidence_add"))
async def evidence_add(callback: CallbackQuery) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await callback.message.answer(
            _("Send your photos or files now."), reply_markup=evidence_done_keyboard()
        )


@router.message(ReportForm.evidence, ~F.text.startswith("/"))
async def evidence_wrong_kind(message: Message) -> None:
    await message.answer(
        _("Please send a photo, screenshot, PDF or video file, or press Done."),
        reply_markup=evidence_done_keyboard(),
    )
