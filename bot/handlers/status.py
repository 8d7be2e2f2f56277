"""/status CODE and /laporan: a case's status, and nothing else about it."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.dispatch.routing import RouterTemplate
from bot.flows.report import MenuAction
from bot.services.lookup import MalformedCode, StatusLookup, StatusView
from bot.services.ratelimit import RateLimiter
from bot.services.regions import zone_of
from bot.ui.labels import show_datetime, status_label, status_meaning
from bot.ui.text import bold, code, quote

router = RouterTemplate(name="status")


def render_status(view: StatusView) -> str:
    lines = [
        _("📄 Report {code}").format(code=code(view.code)),
        _("Status: {status}").format(status=bold(status_label(view.status))),
        status_meaning(view.status),
        _("Last updated: {when}").format(
            when=show_datetime(view.changed_at, zone_of(view.region_code))
        ),
    ]
    if view.public_note:
        lines.append(_("Note from the review team: {note}").format(note=quote(view.public_note)))
    return "\n".join(lines)


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
        view = await lookup.status(text)
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
    await message.answer(render_status(view))


@router.message(Command("status"))
async def status(
    message: Message,
    command: CommandObject,
    lookup: StatusLookup,
    status_limiter: RateLimiter,
) -> None:
    if not command.args:
        await message.answer(
            _("Send /status followed by your tracking code, for example /status {example}.").format(
                example=f"{lookup.code_prefix}-7K2M-9QXD"
            )
        )
        return
    user_id = message.from_user.id if message.from_user else message.chat.id
    await _answer_status(message, command.args, user_id, lookup, status_limiter)


@router.message(Command("laporan", "mine"))
async def my_reports(message: Message, lookup: StatusLookup) -> None:
    views = await lookup.reports_of(message.chat.id)
    if not views:
        await message.answer(_("You have not filed any reports from this chat yet. Send /lapor."))
        return
    lines = [bold(_("Your reports"))]
    buttons = []
    for view in views:
        lines.append(f"• {code(view.code)} — {status_label(view.status)}")
        buttons.append(
            [
                InlineKeyboardButton(
                    text=f"{view.code} · {status_label(view.status)}",
                    callback_data=MenuAction(action="status", value=view.code).pack(),
                )
            ]
        )
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
