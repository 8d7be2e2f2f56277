"""The buttons on case cards in the staff chat. The router filter re-checks the presser's
role on every press: a card is visible to every member of the group, not only staff. A
button that changes the case carries the version its card showed, and changes it only if
it is still that version; a newer state, a vanished case or a forbidden move are answered
in handlers/desk_errors.py."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.dispatch.filters import StaffOnly
from bot.dispatch.routing import RouterTemplate
from bot.flows.desk import DeskAction
from bot.services.case_queries import CaseQueries
from bot.services.desk import CaseChanged, Desk
from bot.services.lifecycle import REJECT_REASONS, Status
from bot.services.staff import StaffMember
from bot.ui.cards import case_detail, reject_keyboard, reject_reason_label
from bot.ui.text import code, split_for_telegram

router = RouterTemplate(name="desk_buttons")
router.callback_query.filter(DeskAction.filter(), StaffOnly())


@router.callback_query(DeskAction.filter(F.action == "take"))
async def take(
    callback: CallbackQuery, callback_data: DeskAction, desk: Desk, staff: StaffMember
) -> None:
    case = await desk.take(
        callback_data.code,
        actor_id=staff.user_id,
        seen_version=callback_data.seen,
        scope=staff.office,
    )
    await callback.answer(_("{code} is yours.").format(code=case.code))


@router.callback_query(DeskAction.filter(F.action == "review"))
async def review(
    callback: CallbackQuery,
    callback_data: DeskAction,
    cases: CaseQueries,
    bot: Bot,
    staff: StaffMember,
) -> None:
    detail = await cases.detail(callback_data.code, show_identity=False, scope=staff.office)
    # The full case goes to the officer privately, not to everyone in the group; reporter
    # identity is never part of it (admins see that with /case in a private chat).
    try:
        for part in split_for_telegram(case_detail(detail)):
            await bot.send_message(callback.from_user.id, part)
    except TelegramAPIError:
        await callback.answer(
            _("Open a private chat with me first (press Start), then try again."),
            show_alert=True,
        )
        return
    await callback.answer(_("Sent to you privately."))


@router.callback_query(DeskAction.filter(F.action == "ask"))
async def ask_hint(callback: CallbackQuery, callback_data: DeskAction) -> None:
    await callback.answer(
        _("Send: /ask {code} your question").format(code=callback_data.code), show_alert=True
    )


@router.callback_query(DeskAction.filter(F.action == "reject"))
async def reject(
    callback: CallbackQuery, callback_data: DeskAction, cases: CaseQueries, staff: StaffMember
) -> None:
    case = await cases.case(callback_data.code, scope=staff.office)
    if case.version != callback_data.seen:
        raise CaseChanged(case)
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.answer(
            _("Why is {code} rejected? The reason is sent to the reporter.").format(
                code=code(case.code)
            ),
            reply_markup=reject_keyboard(case.code, callback_data.seen),
        )


@router.callback_query(DeskAction.filter(F.action == "reason"))
async def reject_with_reason(
    callback: CallbackQuery,
    callback_data: DeskAction,
    desk: Desk,
    cases: CaseQueries,
    i18n: I18n,
    staff: StaffMember,
) -> None:
    if callback_data.value not in REJECT_REASONS:
        await callback.answer(_("This button is no longer active."), show_alert=True)
        return
    # The reason goes to the reporter, in the reporter's language.
    with i18n.use_locale(await cases.reporter_locale(callback_data.code, scope=staff.office)):
        note = reject_reason_label(callback_data.value)
    case, _previous = await desk.set_status(
        callback_data.code,
        Status.REJECTED,
        actor_id=staff.user_id,
        public_note=note,
        seen_version=callback_data.seen,
        scope=staff.office,
    )
    await callback.answer(_("{code} rejected.").format(code=case.code))
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
