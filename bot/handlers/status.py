"""/status CODE and /laporan: a case's status, and nothing else about it."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.dispatch.routing import RouterTemplate
from bot.flows.desk import AnswerAction
from bot.flows.navigation import repeat_question
from bot.flows.report import MenuAction
from bot.outbound.reporter_messages import add_information_keyboard
from bot.services.lifecycle import OPEN, Status
from bot.services.lookup import MalformedCode, StatusLookup, StatusView
from bot.services.offices import office_name
from bot.services.ratelimit import RateLimiter
from bot.services.regions import zone_of
from bot.ui.labels import (
    deadline_line,
    not_registered_reason_label,
    note_line,
    show_datetime,
    status_label,
    status_meaning,
)
from bot.ui.text import bold, code, quote

router = RouterTemplate(name="status")


def render_status(view: StatusView) -> str:
    zone = zone_of(view.region_code)
    lines = [
        _("📄 Report {code}").format(code=code(view.code)),
        _("Status: {status}").format(status=bold(status_label(view.status))),
        status_meaning(view.status, office_name(view.office_code)),
    ]
    if view.register_number:
        lines.append(_("Register number: {number}").format(number=code(view.register_number)))
    if view.status == Status.NOT_REGISTERED and view.outcome_reason:
        lines.append(
            _("Reason: {reason}").format(reason=not_registered_reason_label(view.outcome_reason))
        )
    # The note is written to the reporter (who is also sent it with the change); a code is
    # published in the open data, so someone else holding it sees the status alone: a
    # careless note must not reach whoever looks a code up.
    if view.public_note and view.filed_here:
        lines.append(note_line(view.status, office_name(view.office_code), quote(view.public_note)))
    lines.append(_("Last updated: {when}").format(when=show_datetime(view.changed_at, zone)))
    if view.deadline_at is not None:
        lines.append(
            "⏱ " + deadline_line(view.status, view.deadline_at, zone, extended=view.extended)
        )
    if view.merged_into is not None:
        lines += ["", render_status(view.merged_into)]
    return "\n".join(lines)


def status_keyboard(view: StatusView) -> InlineKeyboardMarkup | None:
    """Its reporter may add information while the case (or the one it was merged into) is
    open."""
    if view.filed_here and view.carried_on_by.status in OPEN:
        return add_information_keyboard(view.code)
    return None


async def _answer_status(
    message: Message,
    text: str,
    user_id: int,
    lookup: StatusLookup,
    status_limiter: RateLimiter,
) -> None:
    if not await status_limiter.allow(f"status:{user_id}"):
        await message.answer(
            _("Too many status checks. Please wait a minute before checking again.")
        )
        return
    try:
        view = await lookup.status(text, chat_id=message.chat.id)
    except MalformedCode:
        await message.answer(
            _("That is not a valid tracking code. A code looks like {example}.").format(
                example=code(f"{lookup.code_prefix}-7K2M-9QXD")
            )
        )
        return
    if view is None:
        await message.answer(_("No report has that code. Please check it and try again."))
        return
    await message.answer(render_status(view), reply_markup=status_keyboard(view))


@router.message(Command("status"))
async def status(
    message: Message,
    command: CommandObject,
    lookup: StatusLookup,
    status_limiter: RateLimiter,
    state: FSMContext,
) -> None:
    if not command.args:
        await message.answer(
            _("Send /status followed by your tracking code, for example /status {example}.").format(
                example=f"{lookup.code_prefix}-7K2M-9QXD"
            )
        )
    else:
        user_id = message.from_user.id if message.from_user else message.chat.id
        await _answer_status(message, command.args, user_id, lookup, status_limiter)
    # A report being written: its question again, or the next thing typed would be taken
    # as the answer to a question no longer on screen.
    await repeat_question(message, state)


@router.message(Command("laporan", "mine"))
async def my_reports(message: Message, lookup: StatusLookup, state: FSMContext) -> None:
    await _list_reports(message, lookup)
    await repeat_question(message, state)  # as after /status


async def _list_reports(message: Message, lookup: StatusLookup) -> None:
    views = await lookup.reports_of(message.chat.id)
    if not views:
        await message.answer(_("You have not filed any reports from this chat yet. Send /lapor."))
        return
    lines = [bold(_("Your reports"))]
    buttons = []
    for view in views:
        lines.append(f"• {code(view.code)} — {status_label(view.carried_on_by.status)}")
        row = [
            InlineKeyboardButton(
                text=f"{view.code} · {status_label(view.carried_on_by.status)}",
                callback_data=MenuAction(action="status", value=view.code).pack(),
            )
        ]
        if view.carried_on_by.status in OPEN:
            row.append(
                InlineKeyboardButton(
                    text=_("➕ Add information"),
                    callback_data=AnswerAction(action="reply", code=view.code).pack(),
                )
            )
        buttons.append(row)
    await message.answer(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
    )


@router.callback_query(MenuAction.filter(F.action == "status"))
async def status_button(
    callback: CallbackQuery,
    callback_data: MenuAction,
    lookup: StatusLookup,
    status_limiter: RateLimiter,
) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await _answer_status(
            callback.message, callback_data.value, callback.from_user.id, lookup, status_limiter
        )
