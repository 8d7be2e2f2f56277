"""A reporter answering a question from the office handling their case, or adding
information to it at any time while it is open (relayed without revealing who they are:
staff see it under the case code only)."""

from __future__ import annotations

import logging

from aiogram import Bot, F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.dispatch.routing import RouterTemplate
from bot.flows.desk import AnswerAction, AnswerForm
from bot.flows.report import is_reporting
from bot.services.case_queries import CaseClosedForAnswers, CaseNotFound, CaseQueries
from bot.services.desk import Desk
from bot.services.evidence_intake import EvidenceIntake
from bot.services.report_fields import bounded_text
from bot.telegram.files import download_evidence
from bot.ui.labels import status_label
from bot.ui.text import code

log = logging.getLogger(__name__)

router = RouterTemplate(name="answer")
ANSWER_MAX = 3000


def _no_longer_open(status: str) -> str:
    return _(
        "Your report is now at status {status} and no longer takes answers. Thank you for "
        "your help."
    ).format(status=status_label(status))


def _done_keyboard(case_code: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("✅ Done"),
                    callback_data=AnswerAction(action="done", code=case_code).pack(),
                )
            ]
        ]
    )


@router.callback_query(AnswerAction.filter(F.action == "reply"))
async def start_answer(
    callback: CallbackQuery, callback_data: AnswerAction, state: FSMContext, cases: CaseQueries
) -> None:
    if is_reporting(await state.get_state()):
        await callback.answer(
            _("Please finish or cancel (/batal) the report you are writing first."),
            show_alert=True,
        )
        return
    # Only the case's own reporter, and only while it is open. Any other code gets the same
    # answer as one that does not exist, so a forged button tells nothing.
    chat_id = callback.message.chat.id if callback.message else callback.from_user.id
    try:
        await cases.answerable_case(callback_data.code, chat_id=chat_id)
    except CaseNotFound:
        await callback.answer(_("This button is no longer active."), show_alert=True)
        return
    except CaseClosedForAnswers as closed:
        await callback.answer(_no_longer_open(closed.status), show_alert=True)
        return
    await callback.answer()
    await state.set_state(AnswerForm.waiting)
    # The reporter's own code, even when the case was merged into another: the desk finds
    # the case that carries it on.
    await state.set_data({"answer_code": callback_data.code})
    if isinstance(callback.message, Message):
        await callback.message.answer(
            _(
                "Write what you want to tell the office about {code}: an answer, or anything "
                "new. You can also send photos or files. Press Done when finished."
            ).format(code=code(callback_data.code)),
            reply_markup=_done_keyboard(callback_data.code),
        )


@router.callback_query(AnswerForm.waiting, AnswerAction.filter(F.action == "done"))
async def finish_answer(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await callback.message.answer(
            _("Thank you. The office handling your report has received your information.")
        )


@router.message(AnswerForm.waiting, F.text & ~F.text.startswith("/") | F.photo | F.document)
async def answer(
    message: Message,
    state: FSMContext,
    bot: Bot,
    desk: Desk,
    evidence_intake: EvidenceIntake,
) -> None:
    case_code = (await state.get_data()).get("answer_code", "")
    # A refused text or file (FieldRejected, EvidenceRejected) is answered in
    # handlers/citizen_errors.py; the reporter stays in the answer.
    text = None
    evidence = []
    if message.text:
        text = bounded_text(message.text, maximum=ANSWER_MAX)
    else:
        media = message.photo[-1] if message.photo else message.document
        assert media is not None  # guaranteed by the filter
        content = await download_evidence(bot, media.file_id, media.file_size)
        evidence.append(await evidence_intake.accept(content))
        text = bounded_text(message.caption, maximum=ANSWER_MAX) if message.caption else None
    try:
        # Relayed to the staff chat through the outbox, committed with the answer.
        await desk.record_answer(case_code, chat_id=message.chat.id, text=text, evidence=evidence)
    except CaseNotFound:
        await state.clear()
        await message.answer(_("This button is no longer active."))
        return
    except CaseClosedForAnswers as closed:
        await state.clear()
        await message.answer(_no_longer_open(closed.status))
        return
    await message.answer(
        _("Received. Send more, or press Done."), reply_markup=_done_keyboard(case_code)
    )


@router.message(AnswerForm.waiting)
async def answer_wrong_kind(message: Message, state: FSMContext) -> None:
    case_code = (await state.get_data()).get("answer_code", "")
    await message.answer(
        _("Please answer with text, a photo or a file, or press Done."),
        reply_markup=_done_keyboard(case_code),
    )
