"""The buttons on case cards in the staff group. The router filter re-checks the presser's
role on every press: a card is visible to every member of the group, not only staff. A
button that changes the case carries the version its card showed, and changes it only if
it is still that version; a newer state, a vanished case or a forbidden move are answered
in handlers/desk_errors.py."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.dispatch.filters import StaffOnly
from bot.dispatch.routing import RouterTemplate
from bot.flows.desk import DeskAction
from bot.services.case_queries import CaseQueries
from bot.services.desk import CaseChanged, Desk
from bot.services.lifecycle import NOT_REGISTERED_REASONS, STATUSES, Status
from bot.services.staff import StaffMember
from bot.telegram.case_sending import send_case
from bot.ui.cards import confirm_keyboard, not_registered_keyboard
from bot.ui.labels import status_label
from bot.ui.text import code
from storage.evidence_store import EvidenceStore

router = RouterTemplate(name="desk_buttons")
router.callback_query.filter(DeskAction.filter(), StaffOnly())


def _stale() -> str:
    return _("This button is no longer active.")


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
    evidence_store: EvidenceStore,
    bot: Bot,
    staff: StaffMember,
) -> None:
    # The full case, with its evidence as /case sends it, goes to the officer privately, not
    # to everyone in the group; reporter identity is never part of it (admins see that with
    # /case in a private chat).
    try:
        await send_case(
            callback.from_user.id,
            bot,
            cases,
            evidence_store,
            callback_data.code,
            show_identity=False,
            scope=staff.office,
        )
    except TelegramAPIError:
        await callback.answer(
            _("Open a private chat with me first (press Start), then try again."),
            show_alert=True,
        )
        return
    await callback.answer(_("Sent to you privately."))


@router.callback_query(DeskAction.filter(F.action == "hint"))
async def command_hint(callback: CallbackQuery, callback_data: DeskAction) -> None:
    """A step that needs words: the command that takes them."""
    hints = {
        "ask": _("Send: /ask {code} your question"),
        "completion": _("Send: /setstatus {code} completion what is missing"),
        "stop": _("Send: /setstatus {code} stopped the reason"),
        "extend": _("Send: /extend {code} what more information is needed"),
        "forward": _("Send: /forward {code} (to BKN, with the forwarding document)"),
    }
    if callback_data.value not in hints:
        await callback.answer(_stale(), show_alert=True)
        return
    await callback.answer(
        hints[callback_data.value].format(code=callback_data.code), show_alert=True
    )


async def _current(cases: CaseQueries, callback_data: DeskAction, staff: StaffMember) -> None:
    """The card pressed must still show the case as it is."""
    case = await cases.case(callback_data.code, scope=staff.office)
    if case.version != callback_data.seen:
        raise CaseChanged(case)


@router.callback_query(DeskAction.filter(F.action == "reasons"))
async def not_registered_reasons(
    callback: CallbackQuery, callback_data: DeskAction, cases: CaseQueries, staff: StaffMember
) -> None:
    await _current(cases, callback_data, staff)
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.answer(
            _(
                "Why is {code} not registered? This is final: the reporter is told the reason "
                "at once."
            ).format(code=code(callback_data.code)),
            reply_markup=not_registered_keyboard(callback_data.code, callback_data.seen),
        )


@router.callback_query(DeskAction.filter(F.action == "reason"))
async def not_registered_with_reason(
    callback: CallbackQuery, callback_data: DeskAction, desk: Desk, staff: StaffMember
) -> None:
    if callback_data.value not in NOT_REGISTERED_REASONS:
        await callback.answer(_stale(), show_alert=True)
        return
    case, _previous = await desk.set_status(
        callback_data.code,
        Status.NOT_REGISTERED,
        actor_id=staff.user_id,
        reason=callback_data.value,
        seen_version=callback_data.seen,
        scope=staff.office,
    )
    await callback.answer(_("{code}: not registered.").format(code=case.code))
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)


@router.callback_query(DeskAction.filter(F.action == "confirm"))
async def confirm_move(
    callback: CallbackQuery, callback_data: DeskAction, cases: CaseQueries, staff: StaffMember
) -> None:
    """A decision is asked twice: the reporter is told at once."""
    if callback_data.value not in STATUSES:
        await callback.answer(_stale(), show_alert=True)
        return
    await _current(cases, callback_data, staff)
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.answer(
            _("Decide {code}: {status}? The reporter is told at once.").format(
                code=code(callback_data.code), status=status_label(callback_data.value)
            ),
            reply_markup=confirm_keyboard(
                callback_data.code, callback_data.value, callback_data.seen
            ),
        )


@router.callback_query(DeskAction.filter(F.action == "dismiss"))
async def dismiss(callback: CallbackQuery) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.delete()


@router.callback_query(DeskAction.filter(F.action == "move"))
async def move(
    callback: CallbackQuery, callback_data: DeskAction, desk: Desk, staff: StaffMember
) -> None:
    if callback_data.value not in STATUSES:
        await callback.answer(_stale(), show_alert=True)
        return
    case, _previous = await desk.set_status(
        callback_data.code,
        callback_data.value,
        actor_id=staff.user_id,
        seen_version=callback_data.seen,
        scope=staff.office,
    )
    await callback.answer(
        _("{code}: {status}.").format(code=case.code, status=status_label(case.status))
    )
    # A confirmation's own message has done its job.
    if (
        isinstance(callback.message, Message)
        and case.staff_card_message_id != callback.message.message_id
    ):
        await callback.message.edit_reply_markup(reply_markup=None)


@router.callback_query(DeskAction.filter(F.action == "finding"))
async def as_finding(
    callback: CallbackQuery, callback_data: DeskAction, desk: Desk, staff: StaffMember
) -> None:
    case = await desk.take_up_as_finding(
        callback_data.code,
        actor_id=staff.user_id,
        seen_version=callback_data.seen,
        scope=staff.office,
    )
    await callback.answer(_("{code} is now a finding of this office.").format(code=case.code))
